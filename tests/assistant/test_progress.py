"""Tests for assistant/progress.py: rates and ETA over the documents embedded, not the ones skipped."""

from __future__ import annotations

import io

from assistant.progress import IngestProgress
from tests.fakes import HashingEmbedder


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rates_and_eta_count_only_embedded_documents() -> None:
    clock, out = Clock(), io.StringIO()
    progress = IngestProgress(out, clock=clock)
    embedder = progress.watch(HashingEmbedder())
    progress(0, 10, "a.md")
    assert progress.status(4, 10) == "skipping unchanged"  # four unchanged documents, nothing embedded yet
    for _ in range(2):  # two new documents of 30 chunks, 5 s each
        embedder.embed_documents(["x"] * 30)
        clock.now += 5
    assert progress.rates() == (0.2, 6.0)
    assert progress.status(6, 10) == "0.20 doc/s, 6.0 chunks/s (30/doc), ETA 0:20 (if the rest is new)"
    progress(6, 10, "g.md")
    assert "6/10" in out.getvalue() and "0.20 doc/s" in out.getvalue() and "g.md" in out.getvalue()
    embedder.embed_documents([])  # a document with nothing to embed does not count
    assert progress.documents_embedded == 2
    assert embedder.embed_query("q") == HashingEmbedder().embed_query("q")
    progress.close()


def test_a_disabled_progress_writes_nothing() -> None:
    out = io.StringIO()
    progress = IngestProgress(out, enabled=False)
    progress.watch(HashingEmbedder()).embed_documents(["a"])
    progress(1, 1, "")
    progress.close()
    assert out.getvalue() == ""
