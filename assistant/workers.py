"""Ingest with several embedding worker processes: one machine's cores embedding side by side, one writer.

Embedding is the slow part of an ingest and one inference thread per process is what these CPUs run best
(Settings.torch_threads), so an ingest of many files embeds each document's chunks across ``workers``
processes, each with its own copy of the model. Everything else — loading, preparing, and every write to the
store — stays in this one process.

Why not several writing processes: an embedded Chroma store keeps its vector index in each process's memory,
and a process must reload it whenever another one wrote (vectorstore/chroma.py) — with workers that each wrote
their own files, before every document. (Before that reload existed, such workers left a 100-document store
answering "Error finding id".) Writers on several machines go through one `chroma run` server, which owns its
index (README, "Several app processes").
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from assistant.progress import IngestProgress
from assistant.settings import Settings
from ingest.errors import IngestError
from ingest.load import discover
from vectorstore.ingestor import IngestReport, NoticeCallback

# A worker loads its own copy of the embedding model (~10 s, ~1 GB) before its first batch; a full legal
# text takes 5-20 s to embed on this CPU. Below this many files per worker the extra start-up outweighs the
# parallel embedding, so "auto" starts fewer workers (one for a handful of uploads, `make run`'s sample five).
MIN_FILES_PER_WORKER = 8


def worker_count(requested: int, n_files: int, cpus: int | None = None) -> int:
    """``requested`` workers (0: auto, one per core while each has MIN_FILES_PER_WORKER files), never more than
    there are files, at least one."""
    if requested <= 0:
        requested = min(cpus or os.cpu_count() or 1, n_files // MIN_FILES_PER_WORKER)
    return max(1, min(requested, n_files))


def count_files(paths: Sequence[Path]) -> int:
    """How many documents ``paths`` hold (a JSONL file's lines are read for their ids, not their texts)."""
    return len(discover(paths)[0])


def workers_for(settings: Settings, paths: Sequence[Path]) -> int:
    """The embedding workers an ingest of ``paths`` starts. Only "auto" (0) counts the files first: that is a
    second discovery of ``paths`` (a JSONL library is read once more for its ids)."""
    if settings.ingest_workers == 1:
        return 1
    return worker_count(settings.ingest_workers, count_files(paths))


def ingest(settings: Settings, paths: Sequence[Path], sync: bool = False, dry_run: bool = False,
           progress: IngestProgress | None = None, on_notice: NoticeCallback | None = None,
           workers: int | None = None) -> IngestReport:
    """The ingest behind `assistant ingest` and the scale bench: embedding in this process, or in worker
    processes when there are enough files (``workers``, default ``workers_for``); writing always from this one."""
    from assistant.pipeline import build_ingestor

    if dry_run:
        workers = 1
    elif workers is None:
        workers = workers_for(settings, paths)
    pool = PooledEmbedder(settings, workers) if workers > 1 else None
    if pool is not None and on_notice:
        on_notice(f"Embedding with {workers} worker processes")
    try:
        ingestor = build_ingestor(settings, embedder=pool)
        if progress:
            ingestor.embedder = progress.watch(ingestor.embedder)  # the rates count the documents embedded
        return ingestor.run(paths, sync=sync, on_progress=progress, dry_run=dry_run, on_notice=on_notice)
    finally:
        if pool is not None:
            pool.close()


class PooledEmbedder:
    """An ``Embedder`` whose batches are split across worker processes, each with the model ``settings`` name
    (built there by assistant.pipeline.build_embedder, as in this process). The vectors come back in order."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self.workers = workers
        # spawn: a fresh interpreter, with no model, threads or store handles inherited from this one
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(settings,))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        size = -(-len(texts) // self.workers)  # ceiling: one contiguous slice per worker
        slices = [texts[at: at + size] for at in range(0, len(texts), size)]
        try:
            return [v for part in self._pool.map(_embed, slices) for v in part]
        except BrokenProcessPool:
            raise IngestError("an embedding worker process stopped without finishing (killed, or out of memory: "
                              "each holds its own model, ~1 GB). What was committed is kept; run the same ingest "
                              "again to resume, with fewer workers (--workers) if memory is short") from None

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


# --- in the worker process ------------------------------------------------------------------------------

_embedder = None
_failed: Exception | None = None  # why this worker has no model: raised with its first batch, for the user


def _start_worker(settings: Settings) -> None:
    global _embedder, _failed
    from assistant.pipeline import build_embedder, prepare_process

    prepare_process()
    try:
        _embedder = build_embedder(settings)
    except Exception as exc:  # a failed initializer only breaks the pool; the cause would be lost
        _failed = exc


def _embed(texts: list[str]) -> list[list[float]]:
    if _failed is not None:
        raise _failed
    return _embedder.embed_documents(texts)
