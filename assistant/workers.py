"""Ingest with several worker processes: one machine's cores embedding side by side.

Embedding is the slow part of an ingest and one inference thread per process is what these CPUs run best
(Settings.torch_threads), so a run over many files starts ``workers`` processes; each runs the ordinary
``Ingestor.run`` over every n-th file (its ``shard``) and writes under the index's writer lease, exactly as two
`assistant ingest` started by hand would (vectorstore/ingestor.py). No job queue: the split is fixed up front,
and an interrupted run resumes as any ingest does, skipping what was committed.

The workers report to this process through one queue: progress (done and total of their shard), each
document embedded (for the documents/s and chunks/s of the progress line) and notices. Their reports are
merged into one.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from assistant.progress import IngestProgress
from assistant.settings import Settings
from ingest.errors import IngestError
from ingest.load import discover
from vectorstore.ingestor import IngestReport, NoticeCallback, ProgressCallback

# A worker loads its own copy of the embedding model (~10 s, ~1 GB) before its first document; a full legal
# text takes 5-20 s to embed on this CPU. Below this many files per worker the extra start-up outweighs the
# parallel embedding, so "auto" starts fewer workers (one for a handful of uploads, `make run`'s sample five).
MIN_FILES_PER_WORKER = 8
_POLL_S = 0.2

Embedded = Callable[[int, float], None]  # (chunks embedded in one document, time.monotonic() when it started)


def worker_count(requested: int, n_files: int, cpus: int | None = None) -> int:
    """``requested`` workers (0: auto, one per core while each has MIN_FILES_PER_WORKER files), never more than
    there are files, at least one."""
    if requested <= 0:
        requested = min(cpus or os.cpu_count() or 1, n_files // MIN_FILES_PER_WORKER)
    return max(1, min(requested, n_files))


def ingest(settings: Settings, paths: Sequence[Path], sync: bool = False, dry_run: bool = False,
           progress: IngestProgress | None = None, on_notice: NoticeCallback | None = None) -> IngestReport:
    """The ingest behind `assistant ingest` and the scale bench: in this process, or in worker processes when
    there are enough files (Settings.ingest_workers). ``progress`` sees every document either way."""
    from assistant.pipeline import build_ingestor

    workers = 1 if dry_run else worker_count(settings.ingest_workers, count_files(paths))
    if workers > 1:
        if on_notice:
            on_notice(f"Ingesting with {workers} worker processes")
        return ingest_parallel(settings, paths, workers, sync=sync, on_progress=progress,
                               on_embedded=progress.embedded if progress else None, on_notice=on_notice)
    ingestor = build_ingestor(settings)
    if progress:
        ingestor.embedder = progress.watch(ingestor.embedder)  # the rates count the documents embedded
    return ingestor.run(paths, sync=sync, on_progress=progress, dry_run=dry_run, on_notice=on_notice)


def ingest_parallel(settings: Settings, paths: Sequence[Path], workers: int, sync: bool = False,
                    on_progress: ProgressCallback | None = None, on_embedded: Embedded | None = None,
                    on_notice: NoticeCallback | None = None) -> IngestReport:
    """``paths`` ingested by ``workers`` processes (see ``worker_count``); one report, as ``Ingestor.run``'s.
    The first worker's domain error (IndexUnavailable, IngestError, ...) is raised after all have stopped."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited model, threads or locks
    events = context.Queue()
    done: dict[int, tuple[int, int, str]] = {}
    shards = [(k, workers) for k in range(workers)]

    def handle(event: tuple) -> None:
        kind, *rest = event
        if kind == "progress" and on_progress:
            k, d, total, name = rest
            done[k] = (d, total, name)
            on_progress(sum(v[0] for v in done.values()), sum(v[1] for v in done.values()), name)
        elif kind == "embedded" and on_embedded:
            on_embedded(*rest)
        elif kind == "notice" and on_notice:
            on_notice(rest[0])

    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(events,)) as pool:
        futures: list[Future] = [pool.submit(_run_shard, settings, list(paths), sync, shard) for shard in shards]
        while not all(f.done() for f in futures):
            try:
                handle(events.get(timeout=_POLL_S))
            except queue.Empty:
                pass
        while True:  # what was queued before the last worker finished
            try:
                handle(events.get_nowait())
            except queue.Empty:
                break
    error = first_error([f.exception() for f in futures])
    if error is not None:
        raise error
    return merge_reports([f.result() for f in futures])


def first_error(errors: Sequence[BaseException | None]) -> BaseException | None:
    """What to raise for the workers' outcomes: a worker that died (killed, out of memory) as a domain error
    that says what to do, else the first worker's own error."""
    errors = [e for e in errors if e is not None]
    if any(isinstance(e, BrokenProcessPool) for e in errors):
        return IngestError("an ingest worker process stopped without finishing (killed, or out of memory: each "
                           "holds its own model, ~1 GB). What the workers committed is kept; run the same ingest "
                           "again to resume, with fewer workers (--workers) if memory is short")
    return errors[0] if errors else None


def merge_reports(reports: Sequence[IngestReport]) -> IngestReport:
    merged = IngestReport()
    for report in reports:
        for name in ("added", "updated", "unchanged", "removed", "skipped", "notes"):
            getattr(merged, name).extend(getattr(report, name))
        merged.chunks_written += report.chunks_written
        merged.seconds = max(merged.seconds, report.seconds)  # they ran side by side
    return merged


def count_files(paths: Sequence[Path]) -> int:
    """How many documents ``paths`` hold (a JSONL file's lines are read for their ids, not their texts)."""
    return len(discover(paths)[0])


# --- in the worker process ------------------------------------------------------------------------------

_events = None


def _start_worker(events) -> None:
    global _events
    _events = events


def _run_shard(settings: Settings, paths: list[Path], sync: bool, shard: tuple[int, int]) -> IngestReport:
    from assistant.pipeline import build_ingestor, prepare_process

    prepare_process()
    ingestor = build_ingestor(settings)
    ingestor.embedder = _ReportingEmbedder(ingestor.embedder)
    k = shard[0]
    return ingestor.run(paths, sync=sync, shard=shard,
                        on_progress=lambda d, total, name: _events.put(("progress", k, d, total, name)),
                        on_notice=lambda text: _events.put(("notice", text)))


class _ReportingEmbedder:
    """The worker's embedder, telling the parent about each document embedded (satisfies ``Embedder``)."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.monotonic()  # system-wide on Linux: comparable with the parent's clock
        vectors = self._inner.embed_documents(texts)
        if texts:
            _events.put(("embedded", len(texts), started))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._inner.embed_query(text)
