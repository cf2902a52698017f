"""The one place that wires the parts together, and the one answering code path behind the CLI, the
web app and the evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

from assistant.answer_compare import compare
from assistant.answer_documents import documents_answer
from assistant.answer_extractive import ExtractiveAnswerer
from assistant.answer_ledger import ledger_answer
from assistant.ledger import Ledger
from assistant.errors import EmptyIndex
from assistant.retrieve import CorpusView, HybridSearch, RetrievalSettings
from assistant.settings import Settings
from assistant.types import Answer, Query, ScoredChunk
from assistant.understand import understand
from ingest.chunk import Chunker, ChunkerSettings
from ingest.run import Ingestor
from vectorstore.chroma import ChromaIndex
from vectorstore.embeddings import Embedder, LazyEmbedder, SentenceTransformerEmbedder
from vectorstore.models import tiktoken_encoding


def retrieval_settings(settings: Settings) -> RetrievalSettings:
    return RetrievalSettings(
        top_k=settings.top_k, candidates=settings.candidates, weight_dense=settings.weight_dense,
        weight_bm25=settings.weight_bm25, weight_plain=settings.weight_plain, use_dense=settings.use_dense,
        use_bm25=settings.use_bm25, use_metadata=settings.use_metadata,
    )


def build_embedder(settings: Settings) -> Embedder:
    import torch

    torch.set_num_threads(settings.torch_threads)
    return SentenceTransformerEmbedder.from_settings(settings)


def build_ingestor(settings: Settings, embedder: Embedder | None = None, index: ChromaIndex | None = None) -> Ingestor:
    encoding = tiktoken_encoding(settings.tiktoken_encoding, settings.tiktoken_cache_dir)
    chunker = Chunker(lambda text: len(encoding.encode(text, disallowed_special=())),
                      ChunkerSettings(max_tokens=settings.chunk_tokens,
                                      overlap_sentences=settings.chunk_overlap_sentences))
    embedder = embedder or LazyEmbedder(lambda: build_embedder(settings))
    return Ingestor(index or ChromaIndex.from_settings(settings), embedder, chunker,
                    max_file_bytes=settings.max_file_bytes)


class Pipeline:
    def __init__(self, settings: Settings, index: ChromaIndex, embedder: Embedder) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self._llm = None
        self.refresh()

    def refresh(self) -> None:
        """Re-read the index (after an ingest): documents, served chunks, keyword statistics."""
        self.view = CorpusView.load(self.index)
        self.search = HybridSearch(retrieval_settings(self.settings), self.index, self.embedder, self.view)
        self.extractive = ExtractiveAnswerer(self.view)
        self.ledger = Ledger(self.view.documents.values())

    def understand(self, question: str, previous: Query | None = None) -> Query:
        return understand(question, self.view.provinces, previous, self.settings.max_question_chars)

    def answer(self, question: str, previous: Query | None = None, mode: str | None = None,
               sources: set[str] | None = None) -> Answer:
        """The final answer; the same code path as ``stream`` (its last item)."""
        *_, answer = self.stream(question, previous, mode, sources)
        return answer  # type: ignore[return-value]

    def stream(self, question: str, previous: Query | None = None, mode: str | None = None,
               sources: set[str] | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final ``Answer``.

        In LLM mode the pieces are the model's tokens, provisional until verified: when verification fails
        the final ``Answer`` is the extractive one, and a UI must show that instead of what it streamed.
        Abstention is decided before any generation.
        """
        started = time.perf_counter()
        mode = mode or self.settings.mode
        query = self.understand(question, previous)
        if self.view.is_empty():
            raise EmptyIndex("No documents have been ingested yet. Run: assistant ingest data/corpus")
        passages = self.search.search(query, restrict=sources)
        # A question about the collection itself is answered from the documents' metadata; one that names
        # several provinces, province by province; the rest as one question (see _answer_one).
        answer = documents_answer(query, self.view, sources)
        if answer is None and len(query.provinces) > 1:
            answer = compare(query, self.view.provinces, lambda sub: self._answer_one(sub, sources))
        if answer is None:
            answer = self._answer_one(query, sources, passages)
        if mode == "llm" and not answer.abstained:
            generated = self.llm().stream(query, passages, answer)
            yield from generated
            answer = generated.answer
        else:
            yield from answer.text.splitlines(keepends=True)
        retrieved = tuple((p.chunk.source, p.chunk.start, p.chunk.end) for p in passages)
        focus = tuple(dict.fromkeys(c.source for c in answer.citations)) or query.focus
        yield replace(answer, query=replace(query, focus=focus), retrieved=retrieved,
                      latency_s=time.perf_counter() - started)

    def _answer_one(self, query: Query, sources: set[str] | None,
                    passages: list[ScoredChunk] | None = None) -> Answer:
        """A target question that the commitments ledger resolves to one value is answered from it; the
        extractive answerer takes everything else, and decides abstention."""
        if passages is None:
            passages = self.search.search(query, restrict=sources)
        return ledger_answer(query, self.ledger, self.view, sources) or self.extractive.answer(query, passages)

    def llm(self):
        if self._llm is None:
            from assistant.answer_llm import build_llm_answerer  # heavy and optional: loaded on first use

            self._llm = build_llm_answerer(self.settings)
        return self._llm


def build_pipeline(settings: Settings | None = None, embedder: Embedder | None = None) -> Pipeline:
    settings = settings or Settings.from_env()
    return Pipeline(settings, ChromaIndex.from_settings(settings), embedder or build_embedder(settings))
