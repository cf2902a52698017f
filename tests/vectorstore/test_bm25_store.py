"""The persisted BM25 index: the same ranking as rank_bm25 after any sequence of adds, changes, removals and
merges; shared by processes through its file; a snapshot serves only the versions it was given."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from rank_bm25 import BM25Okapi

from vectorstore.bm25_store import MERGE_FACTOR, BM25Store, Passage

FIELDS = ("seg", "plain")
WORDS = [f"w{i}" for i in range(60)]


def _passage(rng: random.Random, cid: str, position: int) -> Passage:
    # a skewed vocabulary: some words in most passages (negative IDF in rank_bm25), some rare
    words = [rng.choice(WORDS[: rng.choice((3, 10, 60))]) for _ in range(rng.randint(0, 12))]
    return Passage(cid, position, {"seg": " ".join(words), "plain": " ".join(reversed(words[:5]))})


def _reference(corpus: dict[str, Passage], field: str) -> tuple[list[str], BM25Okapi]:
    ids = sorted(corpus, key=lambda c: (c.split("::")[0], corpus[c].position))
    return ids, BM25Okapi([corpus[c].fields[field].split() for c in ids])


def _expected(corpus: dict[str, Passage], field: str, query: list[str], n: int) -> list[tuple[str, float]]:
    ids, bm25 = _reference(corpus, field)
    scores = bm25.get_scores(query)
    ranked = sorted(((c, float(s)) for c, s in zip(ids, scores) if s > 0), key=lambda h: -h[1])
    return ranked[:n]


def _check_same_as_rank_bm25(store: BM25Store, corpus: dict[str, Passage], rng: random.Random) -> None:
    reader = store.reader()
    for field in FIELDS:
        if not any(p.fields[field] for p in corpus.values()):
            continue
        for _ in range(15):
            query = [rng.choice(WORDS) for _ in range(rng.randint(1, 5))] + ["unknown"]
            got = [(h.chunk_id, h.score) for h in reader.search(field, query, 7)]
            want = _expected(corpus, field, query, 7)
            assert [c for c, _ in got] == [c for c, _ in want], query
            assert [s for _, s in got] == pytest.approx([s for _, s in want])
        _, bm25 = _reference(corpus, field)
        for word in WORDS[:12]:
            assert reader.idf(field, word) == pytest.approx(max(bm25.idf[word], 0.05)) if word in bm25.idf else True
            assert reader.knows(field, word) == (word in bm25.idf)
        assert reader.idf(field, "never-seen") == pytest.approx(max(bm25.idf.values()))


def test_ranking_equals_rank_bm25_through_adds_changes_removals_and_merges() -> None:
    rng = random.Random(13)
    store = BM25Store(None, FIELDS)
    corpus: dict[str, Passage] = {}  # what should be indexed: chunk id -> passage
    versions: dict[str, int] = {}
    for step in range(3 * MERGE_FACTOR * MERGE_FACTOR // 4):
        source = f"d{rng.randint(0, 40):02d}"
        if source in versions and rng.random() < 0.25:
            store.remove(source)
            corpus = {c: p for c, p in corpus.items() if not c.startswith(f"{source}::")}
            del versions[source]
        else:
            version = versions.get(source, 0) + 1
            passages = [_passage(rng, f"{source}::{version}::{i}", i) for i in range(rng.randint(1, 6))]
            store.put([(source, f"v{version}", passages)])
            store.remove(source, keep_version=f"v{version}")  # as an ingest does after its commit
            corpus = {c: p for c, p in corpus.items() if not c.startswith(f"{source}::")}
            corpus.update((p.chunk_id, p) for p in passages)
            versions[source] = version
        if step % 10 == 9:
            _check_same_as_rank_bm25(store, corpus, rng)
    assert store.segments() < 3 * MERGE_FACTOR  # merged as it went
    store.optimize()
    assert store.segments() == 1
    _check_same_as_rank_bm25(store, corpus, rng)


def test_a_snapshot_serves_only_its_versions_and_allowed_sources() -> None:
    store = BM25Store(None, FIELDS)
    store.put([("a", "v1", [Passage("a::1", 0, {"seg": "chi_phí tuân_thủ", "plain": "chi phi"})]),
               ("b", "v1", [Passage("b::1", 0, {"seg": "chi_phí", "plain": "chi"})])]
              + [(o, "v1", [Passage(f"{o}::1", 0, {"seg": f"khác {o}", "plain": o})]) for o in "cdefg"])
    store.put([("a", "v2", [Passage("a::2", 0, {"seg": "chi_phí mới", "plain": "chi"})])])  # not committed yet
    others = {o: "v1" for o in "cdefg"}
    old = store.reader({"a": "v1", "b": "v1", **others})
    assert {h.chunk_id for h in old.search("seg", ["chi_phí"], 5)} == {"a::1", "b::1"}
    assert [h.chunk_id for h in old.search("seg", ["chi_phí"], 5, allowed={"b"})] == ["b::1"]
    new = store.reader({"a": "v2", "b": "v1", **others})
    assert {h.chunk_id for h in new.search("seg", ["chi_phí"], 5)} == {"a::2", "b::1"}
    store.remove("a", keep_version="v2")
    assert store.documents() == {"a": {"v2"}, "b": {"v1"}, **{o: {"v1"} for o in others}}
    # rows removed after a snapshot was taken are not returned by it
    assert {h.chunk_id for h in old.search("seg", ["chi_phí"], 5)} == {"b::1"}


def test_sync_adds_what_the_registry_has_and_only_a_writer_removes() -> None:
    store = BM25Store(None, FIELDS)
    chunks = {("a", "v1"): [Passage("a::v1::0", 0, {"seg": "x", "plain": "x"})],
              ("b", "v2"): [Passage("b::v2::0", 0, {"seg": "y", "plain": "y"})],
              ("c", "v1"): None}  # changed while it was read: left for the next sync
    store.put([("old", "v0", [Passage("old::v0::0", 0, {"seg": "z", "plain": "z"})])])
    fetched: list = []

    def fetch(pairs):
        fetched.extend(pairs)
        return {p: chunks[p] for p in pairs}

    assert store.sync({"a": "v1", "b": "v2", "c": "v1"}, fetch, remove_stale=False) == 2
    assert store.documents() == {"a": {"v1"}, "b": {"v2"}, "old": {"v0"}}
    assert store.sync({"a": "v1", "b": "v2"}, fetch, remove_stale=True) == 1
    assert store.documents() == {"a": {"v1"}, "b": {"v2"}}
    fetched.clear()
    assert store.sync({"a": "v1", "b": "v2"}, fetch, remove_stale=True) == 0 and not fetched


_WRITER = """
import sys
from pathlib import Path
from vectorstore.bm25_store import BM25Store, Passage
store = BM25Store(Path(sys.argv[1]), ("seg", "plain"))
for i in range(int(sys.argv[3])):
    store.put([(f"{sys.argv[2]}{i}", "v", [Passage(f"{sys.argv[2]}{i}::0", 0, {"seg": "chung riêng" + str(i), "plain": "x"})])])
"""


def test_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "kw.sqlite"
    root = Path(__file__).resolve().parents[2]
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name, "20"], cwd=root)
               for name in ("p", "q")]
    assert all(w.wait(120) == 0 for w in writers)
    store = BM25Store(path, FIELDS)
    assert store.count() == 40
    assert len(store.reader().search("seg", ["chung"], 100)) == 40
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
