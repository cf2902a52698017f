"""The composition root: the one place that reads ``Settings`` and builds the parts from it, and the one
answering code path behind the CLI, the web app and the evaluation.

Everything below this module takes plain arguments or small config dataclasses; nothing else turns
settings into objects.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.answer.compare import compare
from assistant.answer.documents import documents_answer
from assistant.answer.extractive import ExtractiveAnswerer, ExtractiveSettings
from assistant.answer.from_ledger import ledger_answer
from assistant.answer.ledger import Ledger
from assistant.answer.prompts import AnswerPrompts
from assistant.llm.chat import ChatModelConfig
from assistant.question.understand import understand
from assistant.retrieve import CorpusView, HybridSearch, RetrievalSettings
from assistant.settings import OFFLINE_ENVIRONMENT, Settings
from assistant.types import Answer, Query, ScoredChunk
from ingest.chunk import Chunker, ChunkerSettings
from ingest.errors import EmptyIndex
from ingest.prepare import Preparer
from ingest.textnorm import has_diacritics
from vectorstore.check import IndexCheck
from vectorstore.chroma import ChromaIndex, open_client
from vectorstore.embeddings import Embedder, EndpointEmbedder, LazyEmbedder, SentenceTransformerEmbedder
from vectorstore.ingestor import Ingestor
from vectorstore.models import E5_LOCAL_NAME, e5_small_dir, provision_all, resolve_embedding_model, tiktoken_encoding
from vectorstore.quantized import OnnxEmbedder, gold_passages, onnx_dir, provision_onnx_int8

log = logging.getLogger(__name__)


def prepare_process() -> None:
    """Keep Hugging Face libraries offline and Chroma's telemetry off, unless the user set otherwise.
    Called before any model or store is built (importing a module never changes the environment)."""
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


GOLD_QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"  # its spans: the quality check


def provision(settings: Settings, onnx: bool = False) -> list[str]:
    """Provision the offline models (tiktoken files, the e5 folder; with ``onnx`` or the onnx-int8 backend set,
    also the int8 ONNX model, checked against fp32 on the gold passages); one line per model for the user."""
    prepare_process()
    lines = provision_all(settings.models_dir, settings.tiktoken_cache_dir)
    if onnx or settings.embedding_backend == "onnx-int8":
        import torch

        torch.set_num_threads(settings.torch_threads)
        passages = gold_passages(GOLD_QUESTIONS, settings.corpus_dir, settings.max_file_bytes)
        lines.append(provision_onnx_int8(e5_small_dir(settings.models_dir), onnx_dir(settings.quantized_dir), passages,
                                         threads=settings.torch_threads))
    return lines


def build_index(settings: Settings) -> ChromaIndex:
    prepare_process()
    client = open_client(settings.chroma_path, settings.chroma_host, settings.chroma_port)
    location = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.chroma_path)
    return ChromaIndex(client, settings.collection, settings.embedding_model, location=location,
                       model_identity=lambda name: embedding_model_identity(name, settings.models_dir),
                       keyword_path=settings.keyword_file)



def embedding_model_identity(name: str, models_dir: Path) -> str:
    """What an embedding-model setting designates: "e5-small-local" and the path of the folder it names are
    one model (an index built with one accepts the other); any other existing folder is its resolved path."""
    folder = e5_small_dir(models_dir) if name == E5_LOCAL_NAME else Path(name).expanduser()
    if name == E5_LOCAL_NAME or folder.is_dir():
        return str(folder.resolve())
    return name


def chat_config(settings: Settings) -> ChatModelConfig:
    return ChatModelConfig(gguf_path=settings.llm_gguf_path, base_url=settings.llm_base_url,
                           model=settings.llm_model, api_key=settings.llm_api_key,
                           max_tokens=settings.llm_max_tokens, threads=settings.llm_threads)


def retrieval_settings(settings: Settings) -> RetrievalSettings:
    """The search's user settings from ``Settings``; its own tuning (rrf_k, year_boost) keeps its defaults."""
    return RetrievalSettings(
        top_k=settings.top_k, candidates=settings.candidates, weight_dense=settings.weight_dense,
        weight_bm25=settings.weight_bm25, weight_plain=settings.weight_plain, use_dense=settings.use_dense,
        use_bm25=settings.use_bm25, use_metadata=settings.use_metadata,
    )


def build_embedder(settings: Settings) -> Embedder:
    prepare_process()
    if settings.embedding_base_url:
        return EndpointEmbedder(settings.embedding_base_url, settings.embedding_endpoint_model,
                                query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix,
                                api_key=settings.embedding_api_key, batch_size=settings.embed_batch_size)
    if settings.embedding_backend == "onnx-int8":
        return OnnxEmbedder(onnx_dir(settings.quantized_dir), query_prefix=settings.query_prefix,
                            passage_prefix=settings.passage_prefix, batch_size=settings.embed_batch_size,
                            threads=settings.torch_threads)
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
    return Ingestor(index or build_index(settings), embedder, Preparer(chunker), max_file_bytes=settings.max_file_bytes,
                    wait_s=settings.ingest_wait_s)


def build_check(settings: Settings) -> IndexCheck:
    """`assistant check`: the index, and the ingest parts a repair needs (the model loads only to repair)."""
    return IndexCheck(build_ingestor(settings))


@dataclass(frozen=True)
class Snapshot:
    """What answers read, built together from one state of the index: replaced as a whole, never mutated,
    so an answer that started on one snapshot finishes on it while a newer one is swapped in."""

    index: ChromaIndex
    view: CorpusView
    search: HybridSearch
    extractive: ExtractiveAnswerer
    ledger: Ledger
    generation: str  # the index's change token when this snapshot was read (ChromaIndex.generation)


class Pipeline:
    """The answering code path over a snapshot of the index. ``stream``/``answer`` may run in several threads
    at once: each reads the snapshot current when it started; ``refresh`` builds a new one aside and swaps it in
    with one assignment."""

    def __init__(self, settings: Settings, index: ChromaIndex, embedder: Embedder, reload_check_s: float = 1.0) -> None:
        self.settings = settings
        self.embedder = embedder
        self.reload_check_s = reload_check_s  # how often reload_if_changed looks at the index, at most
        self._llm = None
        self._llm_lock = threading.Lock()
        self._refresh_lock = threading.Lock()  # one snapshot is built at a time, so swaps happen in order
        self._check_lock = threading.Lock()
        self._last_check = time.monotonic()
        self._reloading: threading.Thread | None = None
        self._snapshot = self._read(index)

    # --- the snapshot ------------------------------------------------------------------------------
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def index(self) -> ChromaIndex:
        return self._snapshot.index

    @property
    def view(self) -> CorpusView:
        return self._snapshot.view

    @property
    def search(self) -> HybridSearch:
        return self._snapshot.search

    @property
    def extractive(self) -> ExtractiveAnswerer:
        return self._snapshot.extractive

    @property
    def ledger(self) -> Ledger:
        return self._snapshot.ledger

    def _read(self, index: ChromaIndex) -> Snapshot:
        generation = index.generation()  # first: a change made while reading shows as a newer token later
        view = CorpusView.load(index)
        return Snapshot(index, view, HybridSearch(retrieval_settings(self.settings), index, self.embedder, view),
                        ExtractiveAnswerer(view, ExtractiveSettings(min_support=self.settings.min_support),
                                           embedder=self.embedder), Ledger(view.documents.values(), view.texts),
                        generation)

    def refresh(self) -> None:
        """Re-read the index (after an ingest, here or in another process): documents, served chunks, keyword
        statistics. The new snapshot is built aside and swapped in at the end; answers already running finish
        on the old one. (The vector search follows other processes' writes by itself: ChromaIndex.search.)"""
        with self._refresh_lock:
            self._snapshot = self._read(self._snapshot.index)

    def index_changed(self) -> bool:
        """The index changed since the snapshot was read (in this process or any other)."""
        snapshot = self._snapshot
        return snapshot.index.generation() != snapshot.generation

    def reload_if_changed(self, force: bool = False) -> bool:
        """When the index changed since the snapshot, start re-reading it in a background thread and return
        True; answers go on meanwhile from the current snapshot. Looks at the index at
        most once per ``reload_check_s`` (a small read), so callers may call this before every answer;
        ``force``: look now."""
        with self._check_lock:
            now = time.monotonic()
            if (now - self._last_check < self.reload_check_s and not force) or self.reloading:
                return False
            self._last_check = now
        try:
            if not self.index_changed():
                return False
        except Exception:  # the index is unreachable for a moment: keep answering from the snapshot
            log.warning("cannot read the index's change token; answering from the current snapshot", exc_info=True)
            return False
        with self._check_lock:
            if self.reloading:
                return False
            self._reloading = threading.Thread(target=self._reload, name="cchc-reload", daemon=True)
            self._reloading.start()
        return True

    @property
    def reloading(self) -> bool:
        return self._reloading is not None and self._reloading.is_alive()

    def wait_for_reload(self, timeout_s: float) -> None:
        """Return once a re-read started by ``reload_if_changed`` is done (or after ``timeout_s``)."""
        thread = self._reloading
        if thread is not None:
            thread.join(timeout_s)

    def _reload(self) -> None:
        started = time.perf_counter()
        try:
            self.refresh()
        except Exception:  # logged for the operator; the next check tries again
            log.exception("re-reading the changed index failed; answering from the previous snapshot")
            return
        log.info("index changed: %d documents re-read in %.2f s", len(self.view.documents),
                 time.perf_counter() - started)

    def understand(self, question: str, previous: Query | None = None) -> Query:
        return self._understand(self._snapshot, question, previous)

    def _understand(self, snap: Snapshot, question: str, previous: Query | None) -> Query:
        """The question understood against the snapshot's provinces; one typed without diacritics is read as
        the collection writes its words (its keywords; the text stays as typed)."""
        query = understand(question, snap.view.known_provinces, previous, self.settings.max_question_chars)
        if query.language == "vi" and not has_diacritics(query.text) and not snap.view.is_empty():
            # provinces, years and numbers are read from the question as typed; only the words are restored
            query = replace(query, keywords_vi=snap.view.restore_diacritics(query.keywords_vi))
        return query

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
        snap = self._snapshot  # this answer reads one snapshot, even if a newer one is swapped in meanwhile
        query = self._understand(snap, question, previous)
        if snap.view.is_empty():
            raise EmptyIndex("No documents have been ingested yet. Run: assistant ingest data/corpus")
        # The answerer reads deeper than the passages shown as retrieved (and given to the LLM).
        evidence = snap.search.search(query, k=self._depth(snap), restrict=sources)
        passages = evidence[: self.settings.top_k]
        # A question about the collection itself is answered from the documents' metadata; one that names
        # several provinces, province by province; the rest as one question (see _answer_one).
        answer = documents_answer(query, snap.view, sources)
        if answer is None and len(query.provinces) > 1:
            answer = compare(query, snap.view.known_provinces, lambda sub: self._answer_one(snap, sub, sources))
        if answer is None:
            answer = self._answer_one(snap, query, sources, evidence)
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

    def _answer_one(self, snap: Snapshot, query: Query, sources: set[str] | None,
                    passages: list[ScoredChunk] | None = None) -> Answer:
        """A target question that the commitments ledger resolves to one value is answered from it; the
        extractive answerer takes everything else, and decides abstention."""
        if passages is None:
            passages = snap.search.search(query, k=self._depth(snap), restrict=sources)
        return ledger_answer(query, snap.ledger, snap.view, sources) or snap.extractive.answer(query, passages)

    def _depth(self, snap: Snapshot) -> int:
        return max(self.settings.top_k, snap.extractive.settings.evidence_passages)

    def llm(self):
        with self._llm_lock:  # answers run in parallel: the model is loaded once
            if self._llm is None:
                self._llm = build_llm_answerer(self.settings)
            return self._llm


def build_pipeline(settings: Settings | None = None, embedder: Embedder | None = None) -> Pipeline:
    settings = settings or Settings.from_env()
    return Pipeline(settings, build_index(settings), embedder or build_embedder(settings))
