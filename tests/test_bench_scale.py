"""Tests for bench/bench_scale.py's bookkeeping (the measurement itself is `make bench-scale`)."""

from __future__ import annotations

import importlib.util
import json
import lzma
from pathlib import Path

from assistant.settings import PROJECT_ROOT

spec = importlib.util.spec_from_file_location("bench_scale", PROJECT_ROOT / "bench" / "bench_scale.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def result(drop: float = 0.01) -> dict:
    ingest = {"documents": 100, "skipped": 0, "documents_per_s": 0.05, "chunks_per_s": 2.0, "chunks_per_document": 40.0,
              "peak_rss_mb": 1200.0, "load_average_after": [8.0, 7.5, 6.0], "torch_threads": 1, "embed_batch_size": 8,
              "embedding_backend": "torch"}
    return {"measured_at": "2026-12-03T15:00:00+00:00", "command": "make bench-scale N=100", "machine": {"cpus": 2},
            "ingest": ingest, "index_size_mb": 50.0,
            "serve": {"startup_s": 9.0, "questions": 116, "warm_p50_s": 0.2, "warm_p95_s": 0.4, "peak_rss_mb": 1100.0},
            "gold": {"sample_only": {"answer_accuracy": 0.97}, "with_scale": {"answer_accuracy": 0.97 - drop},
                     "drop": drop, "within_2_points": drop <= 0.02},
            "extrapolation": {"2000": bench.extrapolate(ingest, 2000), "all": bench.extrapolate(ingest, 13_542)}}


def test_first_documents_streams_the_first_lines(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl.xz"
    with lzma.open(corpus, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps({"id": str(i), "text": "x"}) + "\n" for i in range(10))
    first = bench.first_documents(corpus, 3, tmp_path / "first.jsonl")
    assert [json.loads(line)["id"] for line in first.read_text().splitlines()] == ["0", "1", "2"]
    assert bench.first_documents(corpus, None, tmp_path / "all.jsonl") == corpus  # N=all: the corpus itself


def test_extrapolation_is_linear_in_documents_and_labelled() -> None:
    r = result()
    assert r["extrapolation"]["2000"] == {"documents": 2000, "chunks": 80_000, "ingest_hours": 11.1}
    table = bench.readme_table(r)
    assert "**Extrapolation, not a run**" in table and "≈ 11.1 h" in table and "make bench-scale N=all" in table
    assert "0.970 → 0.960 (within 2 points)" in table


def test_the_readme_table_replaces_what_is_between_the_markers(tmp_path: Path, monkeypatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{bench.MARK_START}\nstale table\n{bench.MARK_END}\n\nafter\n", "utf-8")
    monkeypatch.setattr(bench, "README", readme)
    bench.write_readme(bench.readme_table(result(drop=0.03)))
    text = readme.read_text("utf-8")
    assert "stale table" not in text and text.endswith("\n\nafter\n") and "NOT within 2 points" in text
