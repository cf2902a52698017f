"""The pipeline as the web app uses it: answers computed in parallel, the document list, filters, and ingest.

Answers run in parallel, up to ``max_concurrent`` at once (across both language pages): each reads one
snapshot of the index (``Pipeline.snapshot``). What they share is safe to share between threads: the
embedding model (torch inference and its fast tokenizer, with the same settings on every call), the Chroma
client, read-only snapshots, lru caches; the local LLM has its own lock (``assistant/llm``).

Before answering, the service asks the pipeline whether the index changed (another process ingested, or
a file changed): at most once a second, a small read; when it did, the pipeline re-reads it in the
background and swaps the new snapshot in, and answers go on from the old one meanwhile. Pages that list
documents wait for that re-read (``sync_with_index(wait=True)``) so they show the new state.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.pipeline import Pipeline, build_ingestor, chat_config
from assistant.settings import Settings
from assistant.types import Answer, Query
from ingest.errors import AssistantError, ConfigError
from vectorstore.chroma import DocumentRecord
from vectorstore.ingestor import IngestReport

log = logging.getLogger(__name__)

MODES = ("extractive", "llm")
# Answers computed at once. An extractive answer is ~30 ms of CPU, mostly Python (one core at a time):
# more threads than this only add switching; the rest wait their turn in Gradio's queue.
MAX_CONCURRENT_ANSWERS = 8
RELOAD_WAIT_S = 60.0  # the longest a page listing documents waits for a re-read of a changed index
_END = object()  # end of a streamed answer


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def llm_available(settings: Settings) -> bool:
    """An LLM is configured: an OpenAI-compatible endpoint, or the local GGUF file that `make llm` builds."""
    return chat_config(settings).available


class AssistantService:
    def __init__(self, pipeline: Pipeline, max_concurrent: int = MAX_CONCURRENT_ANSWERS) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1. Currently it is {max_concurrent}")
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.llm_available = llm_available(self.settings)
        self.max_concurrent = max_concurrent
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._ingest_lock = threading.Lock()  # one ingest at a time; answers never wait for it

    # --- answering -------------------------------------------------------------------------------
    def check_mode(self, mode: str | None) -> str:
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise ConfigError(f"Unknown answer mode {mode!r}. Valid modes are: {', '.join(MODES)}")
        if mode == "llm" and not self.llm_available:
            raise ConfigError(
                "Answer mode 'llm' needs an LLM: set CCHC_LLM_BASE_URL or run `make llm` "
                f"(expected {self.settings.llm_gguf_path}). Use mode 'extractive'."
            )
        return mode

    def stream(self, question: str, previous: Query | None, mode: str | None,
               sources: set[str] | None) -> Iterator[str | Answer]:
        """Text pieces, then the final Answer (``Pipeline.stream``).

        The pipeline runs in its own thread and hands pieces over a queue, so its slot is given back when
        the answer is done even if the consumer (a chat whose user left or started over) stops reading."""
        mode = self.check_mode(mode)
        self.sync_with_index()
        pieces: queue.Queue = queue.Queue()

        def produce() -> None:
            try:
                with self._slots:
                    for piece in self._pieces(question, previous, mode, sources):
                        pieces.put(piece)
            except BaseException as exc:  # handed to the consumer, which raises it in its own thread
                pieces.put(_Failed(exc))
            finally:
                pieces.put(_END)

        threading.Thread(target=produce, name="cchc-answer", daemon=True).start()
        while (piece := pieces.get()) is not _END:
            if isinstance(piece, _Failed):
                raise piece.error
            yield piece

    def answer(self, question: str, previous: Query | None, mode: str | None, sources: set[str] | None) -> Answer:
        mode = self.check_mode(mode)
        self.sync_with_index()
        with self._slots:
            *_, answer = self._pieces(question, previous, mode, sources)
        return answer  # type: ignore[return-value]

    def _pieces(self, question: str, previous: Query | None, mode: str,
                sources: set[str] | None) -> Iterator[str | Answer]:
        """``Pipeline.stream``; when it fails before its first piece because another process changed the index
        under the snapshot, once more on a fresh read of the index."""
        started = False
        try:
            for piece in self.pipeline.stream(question, previous=previous, mode=mode, sources=sources):
                started = True
                yield piece
        except AssistantError:
            raise
        except Exception:
            if started or not self._index_changed():
                raise
            log.warning("answering failed on an index changed meanwhile; re-reading it and answering again",
                        exc_info=True)
            self.pipeline.refresh()
            yield from self.pipeline.stream(question, previous=previous, mode=mode, sources=sources)

    def _index_changed(self) -> bool:
        try:
            return self.pipeline.index_changed()
        except Exception:  # the index itself is unreachable: the original error is the one to report
            return False

    def sync_with_index(self, wait: bool = False) -> None:
        """Re-read the index if it changed (``Pipeline.reload_if_changed``). ``wait``: look now (not at most
        once a second) and return once the new snapshot is in place, or after RELOAD_WAIT_S."""
        self.pipeline.reload_if_changed(force=wait)
        if wait:
            self.pipeline.wait_for_reload(RELOAD_WAIT_S)

    # --- what the index holds (a snapshot: replaced, never mutated, by refresh) -------------------
    def documents(self) -> list[DocumentRecord]:
        return sorted(self.pipeline.view.documents.values(), key=lambda r: r.source)

    def records(self) -> dict[str, DocumentRecord]:
        """Every document of the current snapshot by file name (the snapshot's own dict: read, never change it)."""
        return self.pipeline.view.documents

    def document_texts(self) -> Mapping[str, str]:
        """Each document's text, read from the index when first looked up (CorpusView.texts)."""
        return self.pipeline.view.texts

    def provinces(self) -> list[str]:
        return sorted(self.pipeline.view.provinces)

    def sources_for(self, province: str | None, documents: Sequence[str] | None) -> set[str] | None:
        """The documents a filter allows (None: no filter). Unknown names are an error, not ignored."""
        if not province and not documents:
            return None
        view = self.pipeline.view
        known = view.documents
        if province and province not in view.provinces:
            raise ConfigError(f"Unknown province {province!r}. "
                              f"Valid provinces are: {', '.join(sorted(view.provinces))}")
        unknown = sorted(set(documents or ()) - set(known))
        if unknown:
            raise ConfigError(f"Unknown document(s) {', '.join(unknown)}. "
                              f"Valid documents are: {', '.join(sorted(known))}")
        allowed = {s for s, r in known.items() if not province or r.metadata.province == province}
        if documents:
            allowed &= set(documents)
        return allowed

    # --- adding documents ------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path], on_progress: Callable[[int, int, str], None] | None = None) -> IngestReport:
        """Ingest files, then make them searchable. Answers go on meanwhile from the current snapshot, which the
        new one replaces at the end. The embedding model and the index are the pipeline's: no second copy of
        the model in memory."""
        with self._ingest_lock:
            ingestor = build_ingestor(self.settings, embedder=self.pipeline.embedder, index=self.pipeline.index)
            report = ingestor.run(list(paths), on_progress=on_progress)
            self.pipeline.refresh()
        return report
