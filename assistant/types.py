"""Dataclasses passed between the answering stages (understand → retrieve → answer → cite)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.document import Chunk


@dataclass(frozen=True)
class Query:
    """What the question asks for, as far as code can tell."""

    text: str  # the question as typed (after trimming)
    language: str  # "vi" or "en"
    provinces: tuple[str, ...] = ()  # canonical names found in the corpus, e.g. ("Lai Châu",)
    unknown_provinces: tuple[str, ...] = ()  # provinces named but absent from the corpus
    years: tuple[int, ...] = ()
    doc_numbers: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    keywords_vi: str = ""  # the question's terms for keyword search (glossary-expanded for English)
    inherited: tuple[str, ...] = ()  # which fields came from the previous turn ("province", "year", ...)
    focus: tuple[str, ...] = ()  # source files the conversation is about (the previous answer's citations)

    def __post_init__(self) -> None:
        if self.language not in ("vi", "en"):
            raise ValueError(f"Query.language must be 'vi' or 'en'. Currently it is {self.language!r}")


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float
    scores: dict[str, float] = field(default_factory=dict)  # per retriever, for the eval report


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    province: str
    quote: str
    start: int
    end: int
    number: str = ""
    doc_type: str = ""
    issue_date: str = ""
    heading: str = ""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"Citation.n must be >= 1. Currently it is {self.n}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"Citation needs 0 <= start < end. Currently start={self.start}, end={self.end}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    mode: str  # "extractive" or "llm"
    citations: tuple[Citation, ...] = ()
    related: tuple[Citation, ...] = ()  # shown when abstaining: close passages, never support
    language: str = "vi"
    note: str = ""  # e.g. "LLM answer failed verification; extractive answer returned"
    latency_s: float = 0.0
    query: Query | None = None  # how the question was understood: the next turn's context
    retrieved: tuple[tuple[str, int, int], ...] = ()  # (source, start, end) of the passages searched

    def to_record(self, qid: object = None) -> dict:
        """The CLI/eval JSONL contract (issue 3 §8)."""
        return {
            "id": qid,
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "latency_s": round(self.latency_s, 4),
            "citations": [
                {k: c.to_dict()[k] for k in ("n", "source", "title", "province", "quote", "start", "end")}
                for c in self.citations
            ],
            "related": [c.to_dict() for c in self.related],
            "retrieved": [{"source": s, "start": a, "end": b} for s, a, b in self.retrieved],
            "note": self.note,
        }
