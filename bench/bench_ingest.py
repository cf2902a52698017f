"""Ingestion benchmark (what `make bench` runs): model load time, chunks/s embedded, documents/s ingested and
peak RSS, for the sample corpus and for a synthetic corpus of ~2,000 chunks made from it.

    python bench/bench_ingest.py [--synthetic-chunks 2000] [--only sample|synthetic]

Each corpus is measured in a fresh process, so its model load and peak RSS are its own. The real pipeline
(`build_ingestor` with the real embedder) writes into a temporary Chroma store; the results are printed as
a table and written to bench/results.json. The machine's load average is recorded too: on a shared CPU the
figures move with it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `python bench/bench_ingest.py`

RESULTS = ROOT / "bench" / "results.json"
CORPORA = ("sample", "synthetic")


class Stopwatch:
    """Accumulates the time spent in the calls it wraps."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        return timed


class TimedEmbedder:
    """The real embedder, with the time spent embedding documents measured (satisfies ``Embedder``)."""

    def __init__(self, embedder, watch: Stopwatch) -> None:
        self.embed_documents = watch.wrap(embedder.embed_documents)
        self.embed_query = embedder.embed_query


def build_synthetic(sample_dir: Path, target: Path, wanted_chunks: int, sample_chunks: int) -> int:
    """Copies of the sample documents, each moved to another province and numbered, until ~wanted_chunks.

    Every copy differs from the others (its province, its number), so none is skipped as a duplicate and
    the metadata and keyword stages see varied text.
    """
    from ingest.provinces import PROVINCES

    sample_provinces = ["Điện Biên", "Sơn La", "Lai Châu", "Quảng Bình", "LAI CHÂU"]
    others = [p for p in PROVINCES if p not in ("Điện Biên", "Sơn La", "Lai Châu", "Quảng Bình")]
    copies = max(1, math.ceil(wanted_chunks / sample_chunks))
    target.mkdir(parents=True)
    for k in range(copies):
        province = others[k % len(others)]
        for path in sorted(sample_dir.glob("*.txt")):
            text = path.read_text("utf-8")
            for name in sample_provinces:
                text = text.replace(name, province.upper() if name.isupper() else province)
            (target / f"syn{k:03d}_{path.name}").write_text(f"{text}\n(Bản tổng hợp số {k + 1}, tỉnh {province})\n",
                                                           "utf-8")
    return copies


def count_chunks(folder: Path, ingestor) -> int:
    """Chunks the pipeline would write for ``folder`` (load, clean, metadata, chunk; no embedding)."""
    from ingest.load import load_file

    total = 0
    for path in sorted(folder.glob("*.txt")):
        total += len(ingestor.preparer.prepare(load_file(path, ingestor.max_file_bytes)).chunks)
    return total


def measure(corpus: str, wanted_chunks: int) -> dict:
    from assistant.pipeline import build_embedder, build_index, build_ingestor
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory(prefix="cchc-bench-") as tmp:
        settings = Settings.from_env().replace(chroma_path=Path(tmp) / "chroma", collection="bench", chroma_host="")

        started = time.perf_counter()
        embedder = build_embedder(settings)
        model_load_s = time.perf_counter() - started

        embed_watch, store_watch = Stopwatch(), Stopwatch()
        index = build_index(settings)
        for name in ("put_chunks", "commit_document", "delete_stale_chunks"):
            setattr(index, name, store_watch.wrap(getattr(index, name)))
        ingestor = build_ingestor(settings, embedder=TimedEmbedder(embedder, embed_watch), index=index)

        folder = settings.corpus_dir
        copies = None
        if corpus == "synthetic":
            folder = Path(tmp) / "synthetic"
            copies = build_synthetic(settings.corpus_dir, folder, wanted_chunks,
                                     count_chunks(settings.corpus_dir, ingestor))

        report = ingestor.run([folder])
        if report.skipped:
            raise SystemExit(f"bench: {len(report.skipped)} files skipped: {report.skipped[:3]}")
        again = ingestor.run([folder])
        n_docs, n_chunks = len(report.added), report.chunks_written
        return {
            "corpus": corpus,
            "documents": n_docs,
            "chunks": n_chunks,
            "copies_of_sample": copies,
            "model_load_s": round(model_load_s, 2),
            "ingest_s": round(report.seconds, 2),
            "embed_s": round(embed_watch.seconds, 2),
            "store_s": round(store_watch.seconds, 2),
            "other_s": round(report.seconds - embed_watch.seconds - store_watch.seconds, 2),
            "chunks_per_s_embedded": round(n_chunks / embed_watch.seconds, 1),
            "documents_per_s_ingested": round(n_docs / report.seconds, 2),
            "chunks_per_s_ingested": round(n_chunks / report.seconds, 1),
            "reingest_unchanged_s": round(again.seconds, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }


ROWS = [
    ("documents", "documents", "{}"),
    ("chunks", "chunks", "{}"),
    ("model load (s)", "model_load_s", "{:.2f}"),
    ("chunks/s embedded", "chunks_per_s_embedded", "{:.1f}"),
    ("documents/s ingested", "documents_per_s_ingested", "{:.2f}"),
    ("chunks/s ingested", "chunks_per_s_ingested", "{:.1f}"),
    ("ingest total (s)", "ingest_s", "{:.2f}"),
    ("  embedding (s)", "embed_s", "{:.2f}"),
    ("  Chroma writes (s)", "store_s", "{:.2f}"),
    ("  load+clean+metadata+chunk+BM25 (s)", "other_s", "{:.2f}"),
    ("re-ingest, unchanged (s)", "reingest_unchanged_s", "{:.2f}"),
    ("peak RSS (MB)", "peak_rss_mb", "{:.1f}"),
]


def table(runs: dict[str, dict]) -> str:
    names = list(runs)
    width = max(len(label) for label, _, _ in ROWS) + 2
    lines = ["".ljust(width) + "".join(n.rjust(12) for n in names)]
    for label, key, fmt in ROWS:
        lines.append(label.ljust(width) + "".join(fmt.format(runs[n][key]).rjust(12) for n in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic-chunks", type=int, default=2000, help="size of the synthetic corpus (chunks)")
    parser.add_argument("--only", choices=CORPORA, help="measure one corpus only")
    parser.add_argument("--worker", choices=CORPORA, help=argparse.SUPPRESS)  # one measurement, JSON on stdout
    args = parser.parse_args(argv)
    if args.synthetic_chunks <= 0:
        parser.error(f"--synthetic-chunks must be greater than 0. Currently it is {args.synthetic_chunks}")

    if args.worker:
        print(json.dumps(measure(args.worker, args.synthetic_chunks)))
        return 0

    runs = {}
    for corpus in [args.only] if args.only else CORPORA:
        print(f"measuring the {corpus} corpus …", file=sys.stderr, flush=True)
        out = subprocess.run([sys.executable, __file__, "--worker", corpus, "--synthetic-chunks",
                              str(args.synthetic_chunks)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(out.stderr[-3000:], file=sys.stderr)
            return out.returncode
        runs[corpus] = json.loads(out.stdout.strip().splitlines()[-1])

    print(table(runs))
    from assistant.settings import Settings

    settings = Settings.from_env()
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"embedding_model": settings.embedding_model, "embed_batch_size": settings.embed_batch_size,
                     "chunk_tokens": settings.chunk_tokens, "tiktoken_encoding": settings.tiktoken_encoding},
        "runs": runs,
    }, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
