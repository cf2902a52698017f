"""The pipeline as the web app uses it: one answer at a time, the document list, filters, and ingest.

One lock serialises everything that touches the pipeline's models: the local LLM (llama.cpp) and the
fast tokenizers behind the embedder are not safe to call from two threads at once, and on two cores a
second concurrent answer would not finish sooner anyway. Gradio's queue keeps waiting users in line
(see ``app.py``); the lock also covers the two language versions of the page, which have separate queues.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import ConfigError
from assistant.pipeline import Pipeline, build_ingestor, chat_config
from assistant.settings import Settings
from assistant.types import Answer, Query
from vectorstore.ingestor import Ingestor, IngestReport
from vectorstore.chroma import DocumentRecord

MODES = ("extractive", "llm")
_END = object()  # end of a streamed answer


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def llm_available(settings: Settings) -> bool:
    """An LLM is configured: an OpenAI-compatible endpoint, or the local GGUF file that `make llm` builds."""
    return chat_config(settings).available


class AssistantService:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.llm_available = llm_available(self.settings)
        self._lock = threading.Lock()
        self._ingestor: Ingestor | None = None

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
        """Text pieces, then the final Answer (``Pipeline.stream``), one caller at a time.

        The pipeline runs in its own thread and hands pieces over a queue, so the lock is released when
        the answer is done even if the consumer (a chat whose user left or started over) stops reading."""
        mode = self.check_mode(mode)
        pieces: queue.Queue = queue.Queue()

        def produce() -> None:
            try:
                with self._lock:
                    for piece in self.pipeline.stream(question, previous=previous, mode=mode, sources=sources):
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
        with self._lock:
            return self.pipeline.answer(question, previous=previous, mode=mode, sources=sources)

    # --- what the index holds (a snapshot: replaced, never mutated, by refresh) -------------------
    def documents(self) -> list[DocumentRecord]:
        return sorted(self.pipeline.view.documents.values(), key=lambda r: r.source)

    def document_texts(self) -> dict[str, str]:
        return {source: record.text for source, record in self.pipeline.view.documents.items()}

    def provinces(self) -> list[str]:
        return sorted(self.pipeline.view.provinces)

    def sources_for(self, province: str | None, documents: Sequence[str] | None) -> set[str] | None:
        """The documents a filter allows (None: no filter). Unknown names are an error, not ignored."""
        if not province and not documents:
            return None
        known = self.pipeline.view.documents
        if province and province not in self.pipeline.view.provinces:
            raise ConfigError(f"Unknown province {province!r}. Valid provinces are: {', '.join(self.provinces())}")
        unknown = sorted(set(documents or ()) - set(known))
        if unknown:
            raise ConfigError(f"Unknown document(s) {', '.join(unknown)}. Valid documents are: {', '.join(sorted(known))}")
        allowed = {s for s, r in known.items() if not province or r.metadata.province == province}
        if documents:
            allowed &= set(documents)
        return allowed

    # --- adding documents ------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path], on_progress: Callable[[int, int, str], None] | None = None) -> IngestReport:
        """Ingest files one by one, then make them searchable. The lock is taken per file, so questions
        asked meanwhile wait for one document, not for the whole upload."""
        total = IngestReport()
        for i, path in enumerate(paths):
            if on_progress:
                on_progress(i, len(paths), path.name)
            with self._lock:
                report = self._get_ingestor().run([path])
            for name in ("added", "updated", "unchanged", "removed", "skipped"):
                getattr(total, name).extend(getattr(report, name))
            total.chunks_written += report.chunks_written
            total.seconds += report.seconds
        with self._lock:
            self.pipeline.refresh()
        if on_progress:
            on_progress(len(paths), len(paths), "")
        return total

    def _get_ingestor(self) -> Ingestor:
        if self._ingestor is None:  # the embedder and index are the pipeline's: no second model in memory
            self._ingestor = build_ingestor(self.settings, embedder=self.pipeline.embedder, index=self.pipeline.index)
        return self._ingestor

