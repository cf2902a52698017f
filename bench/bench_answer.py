"""Answering benchmark (part of `make bench`): process start to first answer, warm extractive latency
p50/p95 over the gold questions, and LLM-mode p50 on a few questions when the local model is provisioned.

    python bench/bench_answer.py [--llm-questions 3] [--skip-llm]

It answers from the index `make index` built (build/chroma), through the same `assistant` command and
Pipeline that users run. Results are printed and written to bench/answer_results.json with the machine's
load average: on a shared CPU the figures move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `python bench/bench_answer.py`

RESULTS = ROOT / "bench" / "answer_results.json"
FIRST_QUESTION = "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cold_start() -> float:
    """Wall time of a fresh `assistant ask` process: imports, model load, index load, one answer."""
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "assistant"), "ask", FIRST_QUESTION], check=True,
                   capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def warm_latencies(pipeline, questions: list[dict], mode: str) -> list[float]:
    from assistant.batch import answer_all

    pipeline.answer(FIRST_QUESTION, mode=mode)  # warm-up: first-call allocations are not "warm"
    records = answer_all(pipeline, questions, mode)
    return [r["latency_s"] for r in records if not r.get("error")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm-questions", type=int, default=3, help="questions answered in LLM mode")
    parser.add_argument("--skip-llm", action="store_true", help="do not measure LLM mode")
    args = parser.parse_args(argv)

    from assistant.pipeline import build_pipeline
    from assistant.settings import Settings

    settings = Settings.from_env()
    gold = [json.loads(line) for line in (ROOT / "eval" / "gold.jsonl").read_text("utf-8").splitlines() if line]
    questions = [{"id": g["id"], "question": g["question"], "follows": g.get("follows")} for g in gold]

    result: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "load_average_before": os.getloadavg()[0]}
    result["process_start_to_first_answer_s"] = round(cold_start(), 2)
    pipeline = build_pipeline(settings)
    warm = warm_latencies(pipeline, questions, "extractive")
    result["extractive"] = {"n": len(warm), "p50_s": round(percentile(warm, 50), 3),
                            "p95_s": round(percentile(warm, 95), 3), "max_s": round(max(warm), 3)}
    if args.skip_llm:
        result["llm"] = "skipped (--skip-llm)"
    elif not (settings.llm_base_url or settings.llm_gguf_path.exists()):
        result["llm"] = "not provisioned (run `make llm`)"
    else:
        answerable = [q for q, g in zip(questions, gold) if g.get("answerable") and not g.get("follows")]
        llm = warm_latencies(pipeline, answerable[: args.llm_questions], "llm")
        result["llm"] = {"n": len(llm), "p50_s": round(percentile(llm, 50), 2), "max_s": round(max(llm), 2),
                         "threads": settings.llm_threads}
    result["load_average_after"] = os.getloadavg()[0]
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
