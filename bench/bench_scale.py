"""Scale benchmark (`make bench-scale`, `N=all` for the whole collection): N documents of the scale corpus
ingested into a fresh index beside the sample corpus, then served and evaluated.

    python bench/bench_scale.py [--n 2000|all] [--corpus ../shared/legal-corpus/legal-13k.jsonl.xz]
                                [--index build/bench-scale] [--no-readme]

Steps, each in a fresh process so its time and peak RSS are its own:
  1. ingest data/corpus into an empty index, and score eval/gold.jsonl on it (the sample-only figure);
  2. ingest the first N documents of the scale corpus beside it (`assistant ingest` reads the JSONL directly):
     documents/s, chunks/s, chunks per document, peak RSS;
  3. start the pipeline as the app does: start-up time, then warm latency over a fixed question set (the gold
     questions that do not follow another, each answered once after a warm-up), peak RSS;
  4. score eval/gold.jsonl again (`python -m eval.run`): the sample-corpus accuracy with N distractors beside it,
     which must stay within 2 points of step 1's;
  5. the index's size on disk.
Results go to bench/scale_results.json and the README table between the bench-scale markers. The machine's load
average is recorded with every step: on a shared CPU the rates move with it. Settings come from CCHC_* as for
`assistant` (CCHC_TORCH_THREADS, CCHC_EMBED_BATCH_SIZE, ...); the index location is the bench's own.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `python bench/bench_scale.py`

RESULTS = ROOT / "bench" / "scale_results.json"
README = ROOT / "README.md"
DEFAULT_CORPUS = ROOT.parent / "shared" / "legal-corpus" / "legal-13k.jsonl.xz"
DEFAULT_INDEX = ROOT / "build" / "bench-scale"
QUESTIONS = ROOT / "eval" / "gold.jsonl"
COLLECTION_SIZE = 13_542  # documents in legal-13k.jsonl.xz
MAX_ACCURACY_DROP = 0.02
WARMUP = 5
MARK_START, MARK_END = "<!-- bench-scale:start -->", "<!-- bench-scale:end -->"


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the steps, each run in its own process (--step) ----------------------------------------------


def step_ingest(paths: list[str]) -> dict:
    from assistant.progress import IngestProgress
    from assistant.settings import Settings
    from assistant.workers import ingest, workers_for

    settings = Settings.from_env()
    files = [Path(p) for p in paths]
    workers = workers_for(settings, files)
    progress = IngestProgress(sys.stderr, enabled=sys.stderr.isatty())
    started = time.perf_counter()
    try:
        report = ingest(settings, files, progress=progress, workers=workers)
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    docs = len(report.added) + len(report.updated)
    return {
        "documents": docs, "chunks": report.chunks_written, "skipped": len(report.skipped),
        "skipped_examples": [f"{s.path}: {s.reason}" for s in report.skipped[:3]],
        "seconds": round(seconds, 1),
        "documents_per_s": round(docs / seconds, 3), "chunks_per_s": round(report.chunks_written / seconds, 2),
        "chunks_per_document": round(report.chunks_written / docs, 1) if docs else None,
        "peak_rss_mb": _peak_rss_mb(), "workers": workers,
        # the largest worker process (each holds its own model); the run's memory is about this times workers
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        if workers > 1 else None,
        "load_average_after": _load(),
        "torch_threads": settings.torch_threads, "embed_batch_size": settings.embed_batch_size,
        "embedding_backend": settings.embedding_backend,
    }


def step_serve(questions: list[str]) -> dict:
    from assistant.pipeline import build_pipeline
    from assistant.settings import Settings

    started = time.perf_counter()
    pipeline = build_pipeline(Settings.from_env())
    startup_s = time.perf_counter() - started
    for question in questions[:WARMUP]:
        pipeline.answer(question)
    latencies = []
    for question in questions:
        t = time.perf_counter()
        pipeline.answer(question)
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    return {
        "startup_s": round(startup_s, 2), "questions": len(latencies),
        "warm_p50_s": round(statistics.median(latencies), 3),
        "warm_p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 3),
        "documents": len(pipeline.view.documents), "peak_rss_mb": _peak_rss_mb(), "load_average_after": _load(),
    }


# --- the driver ----------------------------------------------------------------------------------


def run_step(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--step", *args], env=env, cwd=ROOT, text=True,
                         stdout=subprocess.PIPE)
    if out.returncode != 0:
        raise SystemExit(f"bench-scale: step {args[0]} failed (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def gold_accuracy(env: dict[str, str]) -> dict:
    """`python -m eval.run` on eval/gold.jsonl against the bench's index: the default configuration."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "eval.run", "--questions", str(QUESTIONS), "--json"], env=env,
                         cwd=ROOT, text=True, stdout=subprocess.PIPE)
    if out.returncode != 0:
        raise SystemExit(f"bench-scale: eval.run failed (exit {out.returncode})")
    summary = next(iter(json.loads(out.stdout).values()))
    return {"answer_accuracy": summary["answer_accuracy"], "seconds": round(time.perf_counter() - started, 1),
            "load_average_after": _load()}


def first_documents(corpus: Path, n: int | None, target: Path) -> Path:
    """The first ``n`` lines of the scale corpus as a JSONL file (streamed); the corpus itself for all."""
    if n is None:
        return corpus
    opener = lzma.open if corpus.suffix == ".xz" else open
    with opener(corpus, "rb") as source, open(target, "wb") as out:
        for i, line in enumerate(source):
            if i >= n:
                break
            out.write(line)
    return target


def du_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024 / 1024, 1)


def question_set() -> list[str]:
    """The fixed question set: the gold questions that stand alone (a follow-up needs its previous turn)."""
    items = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    return [i["question"] for i in items if not i.get("follows")]


def extrapolate(ingest: dict, n_docs: int) -> dict:
    """Linear in documents at the measured rate: what the same machine would need for ``n_docs``."""
    hours = n_docs / ingest["documents_per_s"] / 3600
    return {"documents": n_docs, "chunks": round(n_docs * ingest["chunks_per_document"]),
            "ingest_hours": round(hours, 1)}


def measure(n: int | None, corpus: Path, index: Path) -> dict:
    if index.exists():
        shutil.rmtree(index)  # a fresh index: what is measured is this run's ingest
    index.mkdir(parents=True)
    env = dict(os.environ, CCHC_CHROMA_PATH=str(index / "chroma"), CCHC_COLLECTION="cchc", CCHC_CHROMA_HOST="",
               PYTHONPATH=str(ROOT))
    say = lambda text: print(f"[bench-scale {datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)  # noqa: E731
    say(f"load average {_load()}; 1/5: ingesting the sample corpus into {index}")
    sample_ingest = run_step(env, "ingest", str(ROOT / "data" / "corpus"))
    say("2/5: gold accuracy, sample corpus only")
    sample_only = gold_accuracy(env)
    scale_file = first_documents(corpus, n, index / f"scale-{n}.jsonl")
    say(f"3/5: ingesting {n or 'all'} documents of {corpus.name}")
    ingest = run_step(env, "ingest", str(scale_file))
    say("4/5: start-up and warm latency")
    serve = run_step(env, "serve")
    say("5/5: gold accuracy with the scale documents beside the sample")
    with_scale = gold_accuracy(env)
    drop = round(sample_only["answer_accuracy"] - with_scale["answer_accuracy"], 3)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f"make bench-scale N={n or 'all'}",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "n_requested": n or "all", "corpus": corpus.name,
        "sample_ingest": sample_ingest, "ingest": ingest, "serve": serve,
        "index_size_mb": du_mb(index / "chroma"),
        "gold": {"sample_only": sample_only, "with_scale": with_scale, "drop": drop,
                 "within_2_points": drop <= MAX_ACCURACY_DROP},
        "extrapolation": {"basis": "measured ingest documents/s of this run, linear in documents",
                          "2000": extrapolate(ingest, 2000), "all": extrapolate(ingest, COLLECTION_SIZE)}
        if ingest["documents"] else None,
    }


def readme_table(r: dict) -> str:
    i, s, g = r["ingest"], r["serve"], r["gold"]
    rows = [
        ("documents ingested (scale corpus)", f"{i['documents']} ({i['skipped']} skipped)"),
        ("ingest documents/s", f"{i['documents_per_s']:.3f}"),
        ("ingest chunks/s", f"{i['chunks_per_s']:.1f}"),
        ("chunks per document", f"{i['chunks_per_document']}"),
        ("index size on disk (with the 5 samples)", f"{r['index_size_mb']} MB"),
        ("start-up (pipeline built, index read)", f"{s['startup_s']} s"),
        ("peak RSS: ingest / serving", f"{i['peak_rss_mb']:.0f} MB / {s['peak_rss_mb']:.0f} MB"
         + (f" (each of {i['workers']} ingest workers: ≤ {i['worker_peak_rss_mb']:.0f} MB)"
            if i.get("worker_peak_rss_mb") else "")),
        (f"warm p50 / p95 ({s['questions']} questions)", f"{s['warm_p50_s']} s / {s['warm_p95_s']} s"),
        ("gold answer accuracy: sample only → with scale docs",
         f"{g['sample_only']['answer_accuracy']:.3f} → {g['with_scale']['answer_accuracy']:.3f} "
         f"({'within' if g['within_2_points'] else 'NOT within'} 2 points)"),
        ("load average during ingest (1/5/15 min, after)", " / ".join(map(str, i["load_average_after"]))),
    ]
    lines = [MARK_START, "",
             f"Measured {r['measured_at']} with `{r['command']}` ({r['machine']['cpus']} CPUs, shared with other "
             f"sessions; embedding {i.get('embedding_backend', 'torch')}, {i.get('workers', 1)} ingest "
             f"process{'es' * (i.get('workers', 1) > 1)} of {i['torch_threads']} thread{'s' * (i['torch_threads'] > 1)}"
             f", batch {i['embed_batch_size']}):", "",
             "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    e = r.get("extrapolation")
    if e:
        two, every = e["2000"], e["all"]
        lines += ["", f"**Extrapolation, not a run** (linear in documents at the {i['documents_per_s']:.3f} "
                  f"documents/s measured above, same machine and settings): 2,000 documents ≈ {two['chunks']:,} "
                  f"chunks, ≈ {two['ingest_hours']} h of ingest; all {COLLECTION_SIZE:,} ≈ {every['chunks']:,} "
                  f"chunks, ≈ {every['ingest_hours']} h. To measure instead: `make bench-scale` (N=2000) or "
                  "`make bench-scale N=all`."]
    return "\n".join(lines + ["", MARK_END])


def write_readme(table: str) -> None:
    text = README.read_text("utf-8")
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        text = head + table + rest.split(MARK_END, 1)[1]
        README.write_text(text, "utf-8")
    else:
        print("README has no bench-scale markers; the table was not written there", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="2000", help='documents of the scale corpus to ingest, or "all" (default 2000)')
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the scale corpus (a JSONL file)")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                        help="where the fresh index is built (emptied first; default build/bench-scale)")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README table")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)  # one step in its own process, JSON on stdout
    args = parser.parse_args(argv)

    if args.step:
        from assistant.pipeline import prepare_process

        prepare_process()
        kind, *rest = args.step
        result = step_ingest(rest) if kind == "ingest" else step_serve(question_set())
        print(json.dumps(result))
        return 0

    if args.n == "all":
        n = None
    elif args.n.isdigit() and int(args.n) > 0:
        n = int(args.n)
    else:
        parser.error(f'--n must be a whole number greater than 0 or "all". Currently it is {args.n!r}')
    if not args.corpus.is_file():
        parser.error(f"the scale corpus {args.corpus} does not exist")
    result = measure(n, args.corpus, args.index)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    table = readme_table(result)
    print(table)
    if not args.no_readme:
        write_readme(table)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0 if result["gold"]["within_2_points"] else 1


if __name__ == "__main__":
    sys.exit(main())
