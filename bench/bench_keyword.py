"""Keyword search at scale: which persisted BM25 to use (issue 13). Reproduces the figures in the README.

Passages of ~700 characters cut from the scale corpus, analysed as the index analyses them (the accent-less
field: syllables + bigrams, the larger of the two), then for each engine: build, size on disk, open, query
time over the sample gold questions, and the cost of an incremental change (one document of 20 passages
added, then removed).

    python bench/bench_keyword.py --passages 20000 200000 [--engines bm25s fts5 segments rank_bm25]

Engines: ``bm25s`` (sparse matrices, saved and memory-mapped; rebuilt whole on any change), ``fts5``
(SQLite FTS5, ORDER BY bm25), ``segments`` (vectorstore/keyword.py: the project's index, postings in
SQLite, incremental), ``rank_bm25`` (what the project used before: everything in memory, linear).
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vectorstore.keyword import plain_tokens  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "legal-corpus" / "legal-13k.jsonl.xz"
GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold.jsonl"
PASSAGE_CHARS = 700


def passages(path: Path, n: int) -> list[str]:
    out: list[str] = []
    with lzma.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            for at in range(0, len(text), PASSAGE_CHARS):
                out.append(text[at: at + PASSAGE_CHARS])
                if len(out) == n:
                    return out
    return out


def questions() -> list[list[str]]:
    with open(GOLD, encoding="utf-8") as f:
        return [plain_tokens(json.loads(line)["question"]) for line in f if line.strip()]


def _folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _timed_queries(run, qs: list[list[str]]) -> dict:
    run(qs[0])  # warm
    times = []
    for q in qs:
        t = time.perf_counter()
        run(q)
        times.append(time.perf_counter() - t)
    times.sort()
    return {"query_p50_ms": round(1000 * statistics.median(times), 2),
            "query_p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 2)}


def bench_bm25s(docs: list[list[str]], qs: list[list[str]], folder: Path) -> dict:
    import bm25s

    t = time.perf_counter()
    model = bm25s.BM25(method="robertson", k1=1.5, b=0.75)
    model.index(_as_tokenized(docs),
                show_progress=False)
    build = time.perf_counter() - t
    model.save(str(folder / "bm25s"))
    del model
    t = time.perf_counter()
    loaded = bm25s.BM25.load(str(folder / "bm25s"), mmap=True)
    open_s = time.perf_counter() - t
    vocab = loaded.vocab_dict

    def run(q):
        ids = [vocab[w] for w in q if w in vocab]
        if ids:
            scores = loaded.get_scores(ids)
            top = scores.argpartition(-50)[-50:] if len(scores) > 50 else scores.argsort()
            return top
        return []

    out = {"build_s": round(build, 1), "disk_mb": round(_folder_mb(folder / "bm25s"), 1),
           "open_s": round(open_s, 3), **_timed_queries(run, qs),
           "add_or_remove_one_document": f"rebuild: {build:.1f} s"}
    return out


def _as_tokenized(docs: list[list[str]]):
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(w, len(vocab)) for w in d] for d in docs]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def bench_fts5(docs: list[list[str]], qs: list[list[str]], folder: Path) -> dict:
    path = folder / "fts5.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE VIRTUAL TABLE p USING fts5(plain, tokenize=\"unicode61 remove_diacritics 0 tokenchars '_%'\")")
    t = time.perf_counter()
    with db:
        db.executemany("INSERT INTO p(plain) VALUES (?)", ((" ".join(d),) for d in docs))
    build = time.perf_counter() - t
    db.execute("INSERT INTO p(p) VALUES('optimize')")
    db.commit()
    db.close()
    t = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("SELECT count(*) FROM p WHERE p MATCH '\"x\"'").fetchone()
    open_s = time.perf_counter() - t

    def run(q):
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(q))
        return db.execute("SELECT rowid FROM p WHERE p MATCH ? ORDER BY rank LIMIT 50", (match,)).fetchall()

    res = _timed_queries(run, qs)
    extra = [" ".join(d) for d in docs[:20]]
    t = time.perf_counter()
    with db:
        db.executemany("INSERT INTO p(plain) VALUES (?)", ((e,) for e in extra))
        db.execute("DELETE FROM p WHERE rowid > ?", (len(docs),))
    change = time.perf_counter() - t
    return {"build_s": round(build, 1), "disk_mb": round(_folder_mb(path), 1), "open_s": round(open_s, 3), **res,
            "add_or_remove_one_document": f"{1000 * change:.0f} ms (add 20 passages + remove them)"}


def bench_segments(docs: list[list[str]], qs: list[list[str]], folder: Path) -> dict:
    from vectorstore.bm25_store import BM25Store, Passage

    path = folder / "segments.sqlite"
    store = BM25Store(path, ("plain",))
    per_doc, per_write = 20, 100  # passages per pretend document; documents per write, as a catch-up writes
    t = time.perf_counter()
    for at in range(0, len(docs), per_doc * per_write):
        store.put([(f"d{j}", "v1", [Passage(f"c{i}", i, {"plain": " ".join(docs[i])})
                                    for i in range(j, min(j + per_doc, len(docs)))])
                   for j in range(at, min(at + per_doc * per_write, len(docs)), per_doc)])
    build = time.perf_counter() - t
    segments = store.segments()
    store.close()
    t = time.perf_counter()
    store = BM25Store(path, ("plain",))
    reader = store.reader()
    open_s = time.perf_counter() - t
    res = _timed_queries(lambda q: reader.search("plain", q, 50), qs)
    adds, removes = [], []
    for k in range(5):  # one document at a time, as an ingest commits them
        t = time.perf_counter()
        store.put([(f"extra{k}", "v1", [Passage(f"x{k}-{i}", i, {"plain": " ".join(d)})
                                        for i, d in enumerate(docs[20 * k: 20 * k + 20])])])
        adds.append(time.perf_counter() - t)
    for k in range(5):
        t = time.perf_counter()
        store.remove(f"extra{k}")
        removes.append(time.perf_counter() - t)
    return {"build_s": round(build, 1), "disk_mb": round(_folder_mb(path), 1), "open_s": round(open_s, 3),
            "segments": segments, **res,
            "add_or_remove_one_document": f"add {1000 * statistics.median(adds):.0f} ms, remove "
                                          f"{1000 * statistics.median(removes):.0f} ms (20 passages, median of 5)"}


def bench_rank_bm25(docs: list[list[str]], qs: list[list[str]], folder: Path) -> dict:
    from rank_bm25 import BM25Okapi

    t = time.perf_counter()
    bm25 = BM25Okapi(docs)
    build = time.perf_counter() - t
    return {"build_s": round(build, 1), "disk_mb": 0.0, "open_s": round(build, 1),
            **_timed_queries(lambda q: bm25.get_scores(q), qs[:10]),
            "add_or_remove_one_document": f"rebuild: {build:.1f} s"}


ENGINES = {"bm25s": bench_bm25s, "fts5": bench_fts5, "segments": bench_segments, "rank_bm25": bench_rank_bm25}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--engines", nargs="+", default=["bm25s", "fts5", "segments"], choices=sorted(ENGINES))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "keyword_results.json")
    args = parser.parse_args()
    qs = questions()
    results = {"machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
               "field": "plain (accent-less syllables + bigrams)", "questions": len(qs), "runs": []}
    texts = passages(args.corpus, max(args.passages))
    for n in args.passages:
        docs = [plain_tokens(t) for t in texts[:n]]
        for engine in args.engines:
            folder = Path(tempfile.mkdtemp(prefix=f"kw-{engine}-"))
            try:
                row = {"engine": engine, "passages": len(docs), **ENGINES[engine](docs, qs, folder)}
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            results["runs"].append(row)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
