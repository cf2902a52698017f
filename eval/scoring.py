"""Scoring an evaluation run: the configurations compared, one run's records, the metrics over them and
the CI gate's thresholds. Pure functions over records; ``eval.run`` produces the records, ``eval.report``
renders them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings
from eval.metrics import (
    answer_correct,
    citation_recall,
    contains_fact,
    gold_sources,
    gold_span_triples,
    percentile,
    recall_at_k,
    reciprocal_rank,
    summarize,
)
from ingest.errors import ConfigError

THRESHOLDS_PATH = PROJECT_ROOT / "eval" / "thresholds.json"
RANKING_DEPTH = 10  # Recall@10 and MRR@10 are computed over this many passages
GATED_METRICS = ("answer_accuracy", "citation_recall", "abstention_accuracy")

Span = tuple[str, int, int]


# --- suites: which questions, over which documents -------------------------------------------------

@dataclass(frozen=True)
class Suite:
    name: str
    questions: Path
    split: str | None  # only the items whose "split" is this; None: all
    about: str


# The documents every suite is answered from, in one index: each suite's documents are the others' distractors.
CORPORA = (PROJECT_ROOT / "data" / "corpus", PROJECT_ROOT / "data" / "realdocs")
SUITES = (
    Suite("sample", PROJECT_ROOT / "eval" / "gold.jsonl", None,
          "the five sample documents the project was built on (eval/gold.jsonl)"),
    Suite("real-dev", PROJECT_ROOT / "eval" / "gold_real.jsonl", "dev",
          "real documents (data/realdocs), the half used for tuning"),
    Suite("real-heldout", PROJECT_ROOT / "eval" / "gold_real.jsonl", "heldout",
          "real documents (data/realdocs), the half never tuned on: the number that counts"),
)


def suite(name: str) -> Suite:
    for s in SUITES:
        if s.name == name:
            return s
    raise ConfigError(f"Unknown suite {name!r}. Valid suites: {', '.join(s.name for s in SUITES)}")


# --- configurations --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Configuration:
    name: str
    about: str
    overrides: tuple[tuple[str, object], ...]  # Settings fields; every retrieval switch is explicit

    def settings(self, base: Settings) -> Settings:
        return base.replace(**dict(self.overrides))


def _switches(dense: bool, bm25: bool, metadata: bool, mode: str = "extractive") -> tuple[tuple[str, object], ...]:
    # All three switches and the mode are set, so a CCHC_USE_* variable cannot make a name lie.
    return (("use_dense", dense), ("use_bm25", bm25), ("use_metadata", metadata), ("mode", mode))


CONFIGURATIONS = (
    Configuration("bm25-only", "keyword search only (BM25 on segmented and on accent-less text)",
                  _switches(dense=False, bm25=True, metadata=False)),
    Configuration("dense-only", "multilingual-e5-small vectors in Chroma only",
                  _switches(dense=True, bm25=False, metadata=False)),
    Configuration("hybrid", "dense + BM25 fused by reciprocal rank, no metadata filter or boost",
                  _switches(dense=True, bm25=True, metadata=False)),
    Configuration("hybrid+metadata", "hybrid, filtered by province / document number, boosted by year (the default)",
                  _switches(dense=True, bm25=True, metadata=True)),
    Configuration("llm", "hybrid+metadata retrieval, answer written by the local LLM and verified",
                  _switches(dense=True, bm25=True, metadata=True, mode="llm")),
)
DEFAULT_CONFIGURATION = "hybrid+metadata"


def configuration(name: str) -> Configuration:
    for config in CONFIGURATIONS:
        if config.name == name:
            return config
    raise ConfigError(f"Unknown configuration {name!r}. "
                      f"Valid configurations: {', '.join(c.name for c in CONFIGURATIONS)}")


# --- one run ---------------------------------------------------------------------------------------

@dataclass
class EvalRun:
    config: str
    settings: Settings
    records: list[dict]
    rankings: dict[int, list[Span]]  # record position -> top RANKING_DEPTH passages of the same query
    items: list[dict]
    summary: dict
    wall_s: float
    overrides: dict = field(default_factory=dict)
    suite: str = ""  # which question set (SUITES), when several were run together

    @property
    def label(self) -> str:
        return f"{self.suite} · {self.config}" if self.suite else self.config

    @property
    def graded(self) -> bool:
        return bool(self.summary.get("graded"))


# --- scoring ---------------------------------------------------------------------------------------

def is_graded(item: Mapping) -> bool:
    return "answerable" in item and "key_facts" in item


def latency(records: Sequence[Mapping]) -> dict | None:
    values = [float(r["latency_s"]) for r in records if r.get("latency_s") is not None]
    if not values:
        return None
    return {"n": len(values), "p50_s": percentile(values, 50), "p95_s": percentile(values, 95),
            "max_s": max(values), "mean_s": sum(values) / len(values)}


def _record_spans(record: Mapping) -> list[Span]:
    return [(r["source"], int(r["start"]), int(r["end"])) for r in record.get("retrieved", [])]


def retrieval_scores(pairs: Sequence[tuple[Mapping, Mapping, list[Span]]]) -> dict | None:
    """R@1 and R@5 over the answer's own passages (``retrieved``), R@10 and MRR@10 over the deeper ranking.

    ``pairs`` are (gold item, record, ranking). Only answerable items count. ``head_mismatches`` counts
    rankings whose head differs from the answer's passages; the search is deterministic, so it should be 0.
    """
    # An item with no gold span left (none re-located in a DOCX substitute, eval.formats) has no retrieval target.
    rows = [(i, r, ranking) for i, r, ranking in pairs if i["answerable"] and i.get("gold_spans")]
    if not rows:
        return None
    r1 = r5 = r10 = rr = 0.0
    mismatches = 0
    for item, record, ranking in rows:
        gold = gold_span_triples(item)
        retrieved = _record_spans(record)
        r1 += recall_at_k(retrieved, gold, 1)
        r5 += recall_at_k(retrieved, gold, 5)
        r10 += recall_at_k(ranking, gold, 10)
        rr += reciprocal_rank(ranking[:10], gold)
        mismatches += ranking[: len(retrieved)] != retrieved
    n = len(rows)
    return {"n": n, "recall@1": r1 / n, "recall@5": r5 / n, "recall@10": r10 / n, "mrr": rr / n,
            "head_mismatches": mismatches}


def score(items: Sequence[Mapping], records: Sequence[Mapping], rankings: Mapping[int, list[Span]]) -> dict:
    """``eval.metrics.summarize`` over the graded items, with Recall@1/5/10 + MRR@10 and per-kind citation
    recall and R@5 added. Latency is over every record. A file with no gold fields gets latency only."""
    if len(records) != len(items):
        raise ValueError(f"{len(records)} records for {len(items)} questions: answer_all must return one per question")
    graded = [(item, record, rankings.get(pos, [])) for pos, (item, record) in enumerate(zip(items, records))
              if is_graded(item)]
    base = {"graded": len(graded), "ungraded": len(items) - len(graded), "latency": latency(records)}
    if not graded:
        return {"n": len(records), **base}
    gold = [g for g, _, _ in graded]
    summary = summarize([r for _, r, _ in graded], gold)
    summary.update(base)
    summary["retrieval"] = retrieval_scores(graded)
    for kind, row in summary["by_kind"].items():
        sub = [(i, r, ranking) for i, r, ranking in graded if kind in i.get("kind", [])]
        row["citation_recall"] = citation_recall([(i, r) for i, r, _ in sub])
        sub_retrieval = retrieval_scores(sub)
        row["recall@5"] = sub_retrieval["recall@5"] if sub_retrieval else None
    return summary


def failure_reasons(item: Mapping, record: Mapping) -> list[str]:
    """Why a graded item counts against the system: answer wrong, or right but citing no gold source."""
    if not item["answerable"]:
        return [] if record["abstained"] else ["answered a question the corpus cannot answer"]
    if record["abstained"]:
        return ["abstained on an answerable question"]
    if not answer_correct(item, record):
        missing = [alts for alts in item["key_facts"] if not contains_fact(record["answer"], alts)]
        return ["missing key fact " + " / ".join(f'"{a}"' for a in alts) for alts in missing]
    sources = set(gold_sources(item))
    if not any(c.get("source") in sources for c in record["citations"]):
        return [f"right answer, but no citation of {', '.join(sorted(sources))}"]
    return []


# --- thresholds (the CI gate) -----------------------------------------------------------------------

def load_thresholds(path: Path = THRESHOLDS_PATH, suite: str = "sample") -> dict[str, float]:
    """The CI floors of one suite (``{"<suite>": {"answer_accuracy": …, …}, …}`` in the file)."""
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Threshold file {path} does not exist") from None
    floors = raw.get(suite)
    if not isinstance(floors, dict):
        suites = ", ".join(k for k, v in raw.items() if isinstance(v, dict))
        raise ConfigError(f"Threshold file {path} has no suite {suite!r}. Suites in it: {suites or 'none'}")
    missing = [m for m in GATED_METRICS if not isinstance(floors.get(m), (int, float))]
    if missing:
        raise ConfigError(f"Threshold file {path} needs a number for {', '.join(missing)} in {suite!r}")
    return {m: float(floors[m]) for m in GATED_METRICS}


def below_thresholds(summary: Mapping, thresholds: Mapping[str, float]) -> list[str]:
    """One line per gated metric under its threshold (an undefined metric counts as under)."""
    problems = []
    for metric, floor in thresholds.items():
        value = summary.get(metric)
        if value is None or value < floor:
            shown = "undefined" if value is None else f"{value:.3f}"
            problems.append(f"{metric} = {shown} is below the threshold {floor:.3f}")
    return problems
