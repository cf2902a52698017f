"""Hybrid retrieval: dense (sentence-transformers vectors in Chroma) + BM25 over word-segmented text +
BM25 over accent-less text, fused by weighted reciprocal rank, filtered and boosted by metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.question.understand import paraphrase_terms
from assistant.types import Query, ScoredChunk
from ingest.textnorm import norm_number
from vectorstore.bm25_store import Passage
from vectorstore.chroma import ChromaIndex, DocumentRecord, StoredChunk
from vectorstore.embeddings import Embedder
from vectorstore.keyword import FIELDS, KeywordSearch, keyword_store, plain_tokens, segment_words
from vectorstore.passages import DocumentTexts, MemoryPassages, PassageSource, StoredPassages


@dataclass(frozen=True)
class RetrievalSettings:
    """How the hybrid search ranks. The fields without a default are user settings: their defaults live in
    ``assistant.settings.Settings`` (CCHC_* variables) and ``assistant.pipeline.retrieval_settings`` passes
    them; the fields with a default are the search's own tuning."""

    top_k: int  # passages returned
    candidates: int  # hits taken from each retriever before fusion
    weight_dense: float  # reciprocal-rank fusion weight of each ranking
    weight_bm25: float
    weight_plain: float
    use_dense: bool
    use_bm25: bool
    use_metadata: bool  # province / document-number / document-type filters and the year boost
    # Reciprocal-rank constant, weight / (rrf_k + rank + 1): small, so with a few hundred chunks the first
    # ranks dominate (with the common 60, ranks 1 and 10 differ by ~13%; with 20, by ~30%).
    rrf_k: int = 20
    # A chunk that names an asked year (in its text or headings) scores 1 + year_boost times as much: with
    # rrf_k = 20 that lifts it up to six ranks in one retriever (1.3/27 > 1/21), not over the retrievers' agreement.
    year_boost: float = 0.3

    def __post_init__(self) -> None:
        if self.top_k <= 0:
            raise ValueError(f"top_k must be greater than 0. Currently, the top_k is {self.top_k}")
        if self.candidates < self.top_k:
            raise ValueError(f"candidates must be >= top_k ({self.top_k}). Currently it is {self.candidates}")
        if not (self.use_dense or self.use_bm25):
            raise ValueError("At least one of use_dense and use_bm25 must be on")


class CorpusView:
    """A snapshot of what the index serves: the documents' metadata and commitments (read at start from the
    registry), the keyword index over their chunks (a persisted file, see vectorstore/bm25_store.py), and
    passages and texts fetched from the store by id when an answer needs them (``passages``, a bounded
    cache): memory and start-up do not grow with the collection's text."""

    def __init__(self, documents: dict[str, DocumentRecord], passages: PassageSource, keyword: KeywordSearch) -> None:
        self.documents = documents
        self.passages = passages
        self.keyword = keyword
        self.versions = {s: r.version for s, r in documents.items()}
        self.texts: Mapping[str, str] = DocumentTexts(passages, list(documents))

    @classmethod
    def load(cls, index: ChromaIndex) -> CorpusView:
        """The index's current state. Its keyword file is brought up to the registry first (what another
        process or machine committed); without a file (``ChromaIndex(keyword_path=None)``) one is built in
        memory from the chunks' stored keyword fields."""
        documents = index.documents()
        versions = {s: r.version for s, r in documents.items()}
        store = index.keyword if index.keyword is not None else keyword_store(None)
        index.sync_keyword(store, current=versions)
        return cls(documents, StoredPassages(index, versions), store.reader(versions))

    @classmethod
    def from_chunks(cls, documents: dict[str, DocumentRecord], chunks: Sequence[StoredChunk]) -> CorpusView:
        """A view over chunks given in memory (tests, small throw-away corpora)."""
        store = keyword_store(None)
        by_document: dict[tuple[str, str], list] = {}
        for s in chunks:
            by_document.setdefault((s.chunk.source, s.chunk.doc_version), []).append(
                Passage(s.chunk.chunk_id, s.chunk.index, {f: s.keyword_fields.get(f, "") for f in FIELDS}))
        store.put((source, version, passages) for (source, version), passages in by_document.items())
        texts = {source: record.text for source, record in documents.items()}
        return cls(documents, MemoryPassages(chunks, texts), store.reader())

    @property
    def provinces(self) -> set[str]:
        return {r.metadata.province for r in self.documents.values() if r.metadata.province}

    @property
    def n_chunks(self) -> int:
        return sum(r.n_chunks for r in self.documents.values())

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The served chunks of ``ids`` (a chunk changed since this snapshot is left out)."""
        return self.passages.get(ids)

    def document_chunks(self, source: str) -> list[StoredChunk]:
        """The served chunks of one document, in order."""
        return self.passages.of_document(source)

    def text(self, source: str) -> str:
        """A document's full text (what citation offsets index); empty when it is not served."""
        return self.passages.text(source) if source in self.documents else ""

    def is_empty(self) -> bool:
        return not self.n_chunks


class HybridSearch:
    def __init__(self, settings: RetrievalSettings, index: ChromaIndex, embedder: Embedder, view: CorpusView) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.view = view

    def allowed_sources(self, query: Query, restrict: set[str] | None = None) -> set[str]:
        """Documents the question is about: its provinces, or the document number it names, within
        ``restrict`` (a filter the user chose)."""
        sources = set(self.view.documents) if restrict is None else set(self.view.documents) & set(restrict)
        if not self.settings.use_metadata:
            return sources
        if query.provinces:
            sources = {s for s in sources if self.view.documents[s].metadata.province in query.provinces}
        if query.focus and not query.provinces:
            focused = sources & set(query.focus)
            sources = focused or sources
        if query.doc_numbers:
            wanted = {norm_number(n) for n in query.doc_numbers}
            numbered = {s for s in sources if norm_number(self.view.documents[s].metadata.number or "") in wanted}
            sources = numbered or sources
        elif query.doc_types and query.provinces:
            # "Lai Châu's directive on PCI": that province's documents of that type, when it has any
            typed = {s for s in sources if self.view.documents[s].metadata.doc_type in query.doc_types}
            sources = typed or sources
        return sources

    def search(self, query: Query, k: int | None = None, restrict: set[str] | None = None) -> list[ScoredChunk]:
        k = k or self.settings.top_k
        sources = self.allowed_sources(query, restrict)
        if not any(self.view.documents[s].n_chunks for s in sources):
            return []
        rankings: dict[str, list[str]] = {}
        weights = {"dense": self.settings.weight_dense, "bm25": self.settings.weight_bm25,
                   "plain": self.settings.weight_plain}
        n = self.settings.candidates
        if self.settings.use_dense:
            versions = {s: v for s, v in self.view.versions.items() if s in sources}
            hits = self.index.search(self.embedder.embed_query(self._dense_text(query)), n, versions)
            rankings["dense"] = [cid for cid, _ in hits]  # of the allowed sources' served versions only
        if self.settings.use_bm25:
            keywords = query.keywords_vi or query.text
            if query.language == "vi":  # "nộp phí trên mạng" finds "thanh toán trực tuyến"
                keywords = f"{keywords} {paraphrase_terms(keywords)}"
            keyword = self.view.keyword
            rankings["bm25"] = [h.chunk_id for h in keyword.search("seg", segment_words(keywords), n, sources)]
            rankings["plain"] = [h.chunk_id for h in keyword.search("plain", plain_tokens(keywords), n, sources)]
        fused: dict[str, dict[str, float]] = {}
        for name, ranked in rankings.items():
            for rank, cid in enumerate(ranked):
                fused.setdefault(cid, {})[name] = weights[name] / (self.settings.rrf_k + rank + 1)
        scored = []
        stored = self.view.chunks_by_id(list(fused))  # one read for every candidate
        for cid, parts in fused.items():
            if cid not in stored:  # changed in the store since this snapshot
                continue
            chunk = stored[cid].chunk
            score = sum(parts.values()) * self._boost(query, chunk)
            scored.append(ScoredChunk(chunk, score, parts))
        scored.sort(key=lambda s: -s.score)
        return scored[:k]

    def _dense_text(self, query: Query) -> str:
        if query.language == "en" or query.inherited:
            return f"{query.text} {query.keywords_vi}".strip()
        return query.text

    def _boost(self, query: Query, chunk) -> float:
        if not self.settings.use_metadata or not query.years:
            return 1.0
        context = chunk.text + " " + " ".join(chunk.heading_path)
        return 1.0 + self.settings.year_boost * any(str(y) in context for y in query.years)


class CCHCRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever: a question in, LangChain ``Document``s out."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    pipeline: object  # assistant.pipeline.Pipeline; typed loosely to avoid an import cycle

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        understood = self.pipeline.understand(query)  # type: ignore[attr-defined]
        return [to_langchain(s) for s in self.pipeline.search.search(understood)]  # type: ignore[attr-defined]


def to_langchain(scored: ScoredChunk) -> Document:
    c = scored.chunk
    meta = {"source": c.source, "start": c.start, "end": c.end, "score": scored.score,
            "heading_path": " > ".join(c.heading_path), "chunk_id": c.chunk_id}
    meta.update({k: v for k, v in c.metadata.to_dict().items() if v})
    return Document(page_content=c.text, metadata=meta, id=c.chunk_id)
