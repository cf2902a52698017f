"""Embedding throughput on real passages of the scale corpus: torch threads 1 vs 2, batch sizes, and the int8 ONNX
path, each configuration in a fresh process (a process keeps its first thread count).

    python bench/bench_embed.py [--documents 8] [--configs torch:1:32 torch:2:32 onnx-int8:1:32 …]

The passages are the chunks the ingest makes of the first documents of the scale corpus (the real chunker), so
their length is what an ingest embeds. Results: bench/embed_results.json, with the load average of each run (the
CPU is shared: compare configurations within one run, not across runs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "embed_results.json"
CORPUS = ROOT.parent / "shared" / "legal-corpus" / "legal-13k.jsonl.xz"
DEFAULT_CONFIGS = ["torch:1:8", "torch:1:32", "torch:1:64", "torch:2:32", "onnx-int8:1:32", "onnx-int8:2:32"]


def passages(n_documents: int) -> list[str]:
    from assistant.pipeline import build_ingestor
    from assistant.settings import Settings
    from ingest.load import discover, load_file

    ingestor = build_ingestor(Settings.from_env(), embedder=object())  # type: ignore[arg-type]  # never embeds
    files, _ = discover([CORPUS])
    out: list[str] = []
    for item in files[:n_documents]:
        out += [c.search_text() for c in ingestor.preparer.prepare(load_file(item, 1 << 26)).chunks]
    return out


def measure(config: str, texts: list[str]) -> dict:
    from assistant.pipeline import build_embedder, prepare_process
    from assistant.settings import Settings

    backend, threads, batch = config.split(":")
    prepare_process()
    embedder = build_embedder(Settings.from_env(embedding_backend=backend, torch_threads=int(threads),
                                                embed_batch_size=int(batch)))
    embedder.embed_documents(texts[:8])  # warm-up: first-call allocations
    started = time.perf_counter()
    embedder.embed_documents(texts)
    seconds = time.perf_counter() - started
    return {"config": config, "backend": backend, "threads": int(threads), "batch": int(batch),
            "passages": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)),
            "seconds": round(seconds, 1), "passages_per_s": round(len(texts) / seconds, 2),
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=8, help="documents of the scale corpus to chunk (default 8)")
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, help="backend:threads:batch")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--texts", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        texts = json.loads(Path(args.texts).read_text("utf-8"))
        print(json.dumps(measure(args.worker, texts)))
        return 0
    texts_file = ROOT / "build" / "bench-embed-passages.json"
    texts_file.parent.mkdir(parents=True, exist_ok=True)
    texts_file.write_text(json.dumps(passages(args.documents), ensure_ascii=False), "utf-8")
    runs = []
    for config in args.configs:
        out = subprocess.run([sys.executable, __file__, "--worker", config, "--texts", str(texts_file)], cwd=ROOT,
                             text=True, stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        if out.returncode:
            print(f"{config}: failed (exit {out.returncode})", file=sys.stderr)
            continue
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = runs[-1]
        print(f"{config:16} {r['passages_per_s']:7.2f} passages/s  ({r['passages']} passages of ~{r['mean_chars']} "
              f"chars, {r['seconds']} s, load {r['load_average_after']})", flush=True)
    RESULTS.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                   "cpus": os.cpu_count(), "runs": runs}, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
