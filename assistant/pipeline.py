"""The composition root: the one place that reads ``Settings`` and builds the parts from it, and the one
answering code path behind the CLI, the web app and the evaluation.

Everything below this module takes plain arguments or small config dataclasses; nothing else turns
settings into objects.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace

from assistant.answer.compare import compare
from assistant.answer.documents import documents_answer
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.from_ledger import ledger_answer
from assistant.answer.ledger import Ledger
from ingest.errors import EmptyIndex
from assistant.retrieve import CorpusView, HybridSearch, RetrievalSettings
from assistant.settings import Settings
from assistant.types import Answer, Query, ScoredChunk
from assistant.question.understand import understand
from ingest.chunk import Chunker, ChunkerSettings
from vectorstore.ingestor import Ingestor
from assistant.answer.prompts import AnswerPrompts
from assistant.llm.chat import ChatModelConfig
from assistant.settings import OFFLINE_ENVIRONMENT
from vectorstore.chroma import ChromaIndex, open_client
from vectorstore.embeddings import Embedder, LazyEmbedder, SentenceTransformerEmbedder
from vectorstore.models import provision_all, resolve_embedding_model, tiktoken_encoding


def prepare_process() -> None:
    """Keep Hugging Face libraries offline and Chroma's telemetry off, unless the user set otherwise.
    Called before any model or store is built (importing a module never changes the environment)."""
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def provision(settings: Settings) -> list[str]:
    """Provision the offline models (tiktoken files, the e5 folder); one line per model for the user."""
    prepare_process()
    return provision_all(settings.models_dir, settings.tiktoken_cache_dir)


def build_index(settings: Settings) -> ChromaIndex:
    prepare_process()
    client = open_client(settings.chroma_path, settings.chroma_host, settings.chroma_port)
    return ChromaIndex(client, settings.collection, settings.embedding_model)


def chat_config(settings: Settings) -> ChatModelConfig:
    return ChatModelConfig(gguf_path=settings.llm_gguf_path, base_url=settings.llm_base_url, model=settings.llm_model,
                           api_key=settings.llm_api_key, max_tokens=settings.llm_max_tokens, threads=settings.llm_threads)


def retrieval_settings(settings: Settings) -> RetrievalSettings:
    return RetrievalSettings(
        top_k=settings.top_k, candidates=settings.candidates, weight_dense=settings.weight_dense,
        weight_bm25=settings.weight_bm25, weight_plain=settings.weight_plain, use_dense=settings.use_dense,
        use_bm25=settings.use_bm25, use_metadata=settings.use_metadata,
    )


def build_embedder(settings: Settings) -> Embedder:
    prepare_process()
    import torch

    torch.set_num_threads(settings.torch_threads)
    return SentenceTransformerEmbedder(
        resolve_embedding_model(settings.embedding_model, settings.models_dir),
        query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix,
        batch_size=settings.embed_batch_size,
    )


def build_llm_answerer(settings: Settings):  # -> LLMAnswerer; ModelUnavailable when no model is configured
    from assistant.answer.generative import LLMAnswerer  # heavy and optional: loaded on first use
    from assistant.llm.chat import build_chat_model

    return LLMAnswerer(build_chat_model(chat_config(settings)), AnswerPrompts(settings.prompts_dir))


def build_ingestor(settings: Settings, embedder: Embedder | None = None, index: ChromaIndex | None = None) -> Ingestor:
    encoding = tiktoken_encoding(settings.tiktoken_encoding, settings.tiktoken_cache_dir)
    chunker = Chunker(lambda text: len(encoding.encode(text, disallowed_special=())),
                      ChunkerSettings(max_tokens=settings.chunk_tokens,
                                      overlap_sentences=settings.chunk_overlap_sentences))
    embedder = embedder or LazyEmbedder(lambda: build_embedder(settings))
    return Ingestor(index or build_index(settings), embedder, chunker,
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
            self._llm = build_llm_answerer(self.settings)
        return self._llm


def build_pipeline(settings: Settings | None = None, embedder: Embedder | None = None) -> Pipeline:
    settings = settings or Settings.from_env()
    return Pipeline(settings, build_index(settings), embedder or build_embedder(settings))
