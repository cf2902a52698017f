"""The ingest's progress line on stderr: documents done of total, documents/s and chunks/s, and the ETA.

The rates count only the documents this run embeds. A resumed run skips its already-stored documents in
a fraction of a second each; counting them would show a rate, and an ETA, that the rest of the run never
reaches. The progress therefore wraps the embedder (``watch``) to see which documents cost work, instead of
asking the ingest loop for more than its (done, total, name) callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from vectorstore.embeddings import Embedder


class IngestProgress:
    def __init__(self, stream: TextIO, enabled: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stream = stream
        self._bar = None
        self.documents_embedded = 0
        self.chunks_embedded = 0
        self._first_embed: float | None = None
        if enabled:
            from tqdm import tqdm

            # tqdm draws the bar and keeps it at the bottom; its own rate would count skipped documents
            self._bar = tqdm(total=0, unit="doc", desc="Ingesting", file=stream, dynamic_ncols=True,
                             bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}] {postfix}")

    def watch(self, embedder: Embedder) -> Embedder:
        """``embedder``, counting the documents and chunks it embeds (satisfies ``Embedder``)."""
        return _CountingEmbedder(embedder, self)

    def rates(self) -> tuple[float, float]:
        """(documents/s, chunks/s) over the documents embedded so far; (0, 0) before the first one is done."""
        if self._first_embed is None or not self.documents_embedded:
            return 0.0, 0.0
        elapsed = max(self._clock() - self._first_embed, 1e-9)
        return self.documents_embedded / elapsed, self.chunks_embedded / elapsed

    def status(self, done: int, total: int) -> str:
        docs_s, chunks_s = self.rates()
        if not docs_s:
            return "skipping unchanged" if done else "starting"
        eta = (total - done) / docs_s
        per_doc = self.chunks_embedded / self.documents_embedded
        return (f"{docs_s:.2f} doc/s, {chunks_s:.1f} chunks/s ({per_doc:.0f}/doc), "
                f"ETA {_duration(eta)} (if the rest is new)")

    def __call__(self, done: int, total: int, name: str) -> None:
        """The ingest's ``on_progress`` callback: called before each document and once at the end."""
        if self._bar is None:
            return
        self._bar.total = total
        self._bar.n = done
        self._bar.set_postfix_str(f"{self.status(done, total)}  {name}".rstrip(), refresh=False)
        self._bar.refresh()

    def write(self, text: str) -> None:
        """A notice on a line of its own, above the bar."""
        if self._bar is not None:
            self._bar.write(text, file=self._stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def _embedded(self, n_texts: int, started: float) -> None:
        if self._first_embed is None:
            self._first_embed = started
        self.documents_embedded += 1
        self.chunks_embedded += n_texts


class _CountingEmbedder:
    def __init__(self, inner: Embedder, progress: IngestProgress) -> None:
        self._inner, self._progress = inner, progress

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = self._progress._clock()
        vectors = self._inner.embed_documents(texts)
        if texts:
            self._progress._embedded(len(texts), started)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._inner.embed_query(text)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
