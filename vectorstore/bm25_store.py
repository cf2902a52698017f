"""A persisted BM25 index in one SQLite file: written at ingest, updated document by document, searched in
place by any number of processes.

Why this shape (bench/bench_keyword.py, 20,000 and 200,000 passages of the legal corpus, see the README):
``rank_bm25`` scores every passage in Python (0.6 s a query at 20,000) and is rebuilt at every start;
``bm25s`` answers in about a millisecond from memory-mapped sparse matrices but has no update: one added
document means rebuilding everything; SQLite FTS5 updates in milliseconds but its ``ORDER BY bm25`` scores
every passage that holds any query word (~0.1 s at 20,000 for our OR-queries of common syllables, linear).
So this keeps FTS5's storage model (a transactional file, WAL, readers beside one writer) and does the
scoring as bm25s does, with numpy over the postings of the query's terms only:

- ``postings``: per term, per *segment*, the passage rows holding it and their term frequencies (two
  blobs). A write adds one small segment; segments of a similar size are merged (8 at a time), so a term
  has a few dozen blobs at most and a query reads O(log n) rows per term. A removed passage is deleted
  from ``chunks`` at once (its postings become dead and are dropped at the next merge of their segment).
- ``terms``: document frequencies, kept exact at every write (a removed passage's fields are stored with
  it, compressed, so its terms can be counted down), and ``dfhist`` (how many terms have each frequency),
  which gives rank_bm25's average IDF without reading the vocabulary.
- Scores are rank_bm25's ``BM25Okapi`` (k1 1.5, b 0.75, a negative IDF replaced by 0.25 × the average
  IDF), the ranking the project was tuned with, so swapping the engine changes no answer.

A reader (``BM25Reader``) is a snapshot for one state of the index: it loads the passage lengths and which
document each row belongs to (a few bytes per passage, never the text) and fetches postings per query.
"""

from __future__ import annotations

import heapq
import json
import math
import sqlite3
import threading
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

# rank_bm25's BM25Okapi defaults: the ranking every weight and floor of the project was tuned with.
K1, B, EPSILON = 1.5, 0.75, 0.25
MERGE_FACTOR = 8  # segments of one size tier merged together: at most ~8 per tier, log8(n) tiers
_SCHEMA = 2
_IN_BATCH = 500  # values per "IN (…)" (SQLite's default limit on variables is far above)

_DDL = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, source TEXT NOT NULL, version TEXT NOT NULL,
                                UNIQUE(source, version));
CREATE TABLE IF NOT EXISTS chunks(row INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL UNIQUE,
                                  doc INTEGER NOT NULL, position INTEGER NOT NULL, lengths TEXT NOT NULL,
                                  fields BLOB NOT NULL, segment INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc);
CREATE TABLE IF NOT EXISTS terms(id INTEGER PRIMARY KEY, field TEXT NOT NULL, term TEXT NOT NULL,
                                 df INTEGER NOT NULL DEFAULT 0, UNIQUE(field, term));
CREATE TABLE IF NOT EXISTS dfhist(field TEXT NOT NULL, df INTEGER NOT NULL, n INTEGER NOT NULL,
                                  PRIMARY KEY(field, df)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments(id INTEGER PRIMARY KEY AUTOINCREMENT, n_rows INTEGER NOT NULL,
                                    dead INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS postings(segment INTEGER NOT NULL, term INTEGER NOT NULL, rows BLOB NOT NULL,
                                    tfs BLOB NOT NULL, PRIMARY KEY(segment, term)) WITHOUT ROWID;
"""
# postings are keyed (segment, term): a new segment is appended at the end of the table's B-tree (a write
# touches few pages), a merge deletes contiguous ranges, and a query looks a term up once per segment.


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


@dataclass(frozen=True)
class Passage:
    """One passage as the index holds it: its id, its place in its document (ties rank in document order)
    and its analysed fields (space-joined tokens, vectorstore/keyword.py ``analyse``)."""

    chunk_id: str
    position: int
    fields: Mapping[str, str]


# (source, version) -> its passages, or None when they cannot be read completely (changed meanwhile)
FetchPassages = Callable[[Sequence[tuple[str, str]]], Mapping[tuple[str, str], Sequence[Passage] | None]]


def _idf(n: int, df: np.ndarray | float) -> np.ndarray | float:
    return np.log(n - df + 0.5) - np.log(df + 0.5)


class BM25Store:
    """The index file. Writes are transactions (one writer at a time across processes, SQLite's lock);
    ``reader`` gives a snapshot to search. ``path`` None: a private in-memory index (tests, small views)."""

    def __init__(self, path: Path | None, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)
        self.path = path
        if path is None:
            self._uri = f"file:bm25-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._uri = f"file:{path}"
        self._lock = threading.Lock()  # one write at a time in this process (the connection is shared)
        self._db = self._connect()  # also keeps a shared in-memory database alive
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        self._db.executescript(_DDL)
        found = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if found is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?), ('fields', ?)",
                             (str(_SCHEMA), json.dumps(self.fields)))
        elif found[0] != str(_SCHEMA):
            raise ValueError(f"{path}: keyword index schema {found[0]}, this code reads {_SCHEMA}; delete the file "
                             "and it is rebuilt from the chunks stored in Chroma")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._uri, uri=True, timeout=120.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA cache_size=-65536")  # 64 MB of pages: a merge reads and writes whole segments
        return db

    def close(self) -> None:
        self._db.close()

    # --- what it holds ---------------------------------------------------------------------------------------
    def documents(self) -> dict[str, set[str]]:
        """The versions held per document (normally one; two between a write and its clean-up)."""
        out: dict[str, set[str]] = {}
        for source, version in self._db.execute("SELECT source, version FROM docs"):
            out.setdefault(source, set()).add(version)
        return out

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def segments(self) -> int:
        return self._db.execute("SELECT count(*) FROM segments").fetchone()[0]

    # --- writing -----------------------------------------------------------------------------------------------
    def put(self, documents: Iterable[tuple[str, str, Sequence[Passage]]]) -> None:
        """Index these (source, version, passages); a version already held is replaced. Other versions of the
        same documents stay until ``remove(source, keep_version=…)``. One transaction, one new segment."""
        documents = list(documents)
        if not documents:
            return
        with self._write() as db:
            for source, version, _ in documents:
                self._drop_versions(db, source, only=version)
            postings: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
            n_rows = 0
            segment = db.execute("INSERT INTO segments(n_rows) VALUES (0) RETURNING id").fetchone()[0]
            for source, version, passages in documents:
                doc = db.execute("INSERT INTO docs(source, version) VALUES (?, ?) RETURNING id",
                                 (source, version)).fetchone()[0]
                for p in passages:
                    tokens = {f: p.fields.get(f, "").split() for f in self.fields}
                    row = db.execute(
                        "INSERT INTO chunks(chunk_id, doc, position, lengths, fields, segment) "
                        "VALUES (?, ?, ?, ?, ?, ?) RETURNING row",
                        (p.chunk_id, doc, p.position, json.dumps([len(tokens[f]) for f in self.fields]),
                         zlib.compress(json.dumps([p.fields.get(f, "") for f in self.fields]).encode()), segment),
                    ).fetchone()[0]
                    n_rows += 1
                    for f in self.fields:
                        for term, tf in Counter(tokens[f]).items():
                            rows, tfs = postings.setdefault((f, term), ([], []))
                            rows.append(row)
                            tfs.append(tf)
            ids = self._term_ids(db, postings, create=True)
            self._count(db, {ids[key]: (key[0], len(rows)) for key, (rows, _) in postings.items()}, +1)
            db.execute("UPDATE segments SET n_rows = ? WHERE id = ?", (n_rows, segment))
            db.executemany("INSERT INTO postings VALUES (?, ?, ?, ?)",
                           ((segment, ids[key], _blob(rows, np.int64), _blob(tfs, np.int32))
                            for key, (rows, tfs) in postings.items()))
            self._merge(db)

    def remove(self, source: str, keep_version: str | None = None) -> None:
        """Remove ``source``'s passages (all versions, or all but ``keep_version``)."""
        with self._write() as db:
            self._drop_versions(db, source, keep=keep_version)

    def sync(self, current: Mapping[str, str], fetch: FetchPassages, remove_stale: bool, batch: int = 100) -> int:
        """Bring the index up to ``current`` (source -> version, the registry): index the versions it lacks
        (their passages from ``fetch``) and, with ``remove_stale``, drop versions the registry no longer
        names. Only a writer that holds the index's lease may remove: a reader's registry may be older than
        what another process just indexed. Returns how many documents changed."""
        held = self.documents()
        missing = [(s, v) for s, v in sorted(current.items()) if v not in held.get(s, ())]
        stale = [s for s, vs in held.items() if any(current.get(s) != v for v in vs)] if remove_stale else []
        for source in stale:
            self.remove(source, keep_version=current.get(source))
        done = 0
        for at in range(0, len(missing), batch):
            fetched = fetch(missing[at: at + batch])
            self.put([(s, v, passages) for (s, v), passages in fetched.items() if passages is not None])
            done += sum(passages is not None for passages in fetched.values())
        return done + len(stale)

    def optimize(self) -> None:
        """Merge every segment into one (after a large ingest: fewest reads per query term)."""
        with self._write() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM segments")]
            if len(ids) > 1:
                self._merge_segments(db, ids)

    # --- internals ---------------------------------------------------------------------------------------------
    def _write(self):
        store = self

        class _Txn:
            def __enter__(self_inner) -> sqlite3.Connection:
                store._lock.acquire()
                try:
                    store._db.execute("BEGIN IMMEDIATE")  # the file's write lock, across processes
                except BaseException:
                    store._lock.release()
                    raise
                return store._db

            def __exit__(self_inner, kind, exc, tb) -> None:
                try:
                    store._db.execute("COMMIT" if kind is None else "ROLLBACK")
                finally:
                    store._lock.release()

        return _Txn()

    def _drop_versions(self, db: sqlite3.Connection, source: str, only: str | None = None,
                       keep: str | None = None) -> None:
        docs = [(i, v) for i, v in db.execute("SELECT id, version FROM docs WHERE source = ?", (source,))
                if (only is None or v == only) and (keep is None or v != keep)]
        for doc, _ in docs:
            counts: Counter[tuple[str, str]] = Counter()
            for (blob,) in db.execute("SELECT fields FROM chunks WHERE doc = ?", (doc,)):
                for f, text in zip(self.fields, json.loads(zlib.decompress(blob))):
                    counts.update((f, t) for t in set(text.split()))
            ids = self._term_ids(db, counts, create=False)
            self._count(db, {ids[key]: (key[0], n) for key, n in counts.items() if key in ids}, -1)
            db.execute("UPDATE segments SET dead = dead + n FROM (SELECT segment, count(*) AS n FROM chunks "
                       "WHERE doc = ? GROUP BY segment) AS gone WHERE segments.id = gone.segment", (doc,))
            db.execute("DELETE FROM chunks WHERE doc = ?", (doc,))  # its postings are dead from here on
            db.execute("DELETE FROM docs WHERE id = ?", (doc,))

    def _term_ids(self, db: sqlite3.Connection, keys: Iterable[tuple[str, str]],
                  create: bool) -> dict[tuple[str, str], int]:
        by_field: dict[str, list[str]] = {}
        for f, term in keys:
            by_field.setdefault(f, []).append(term)
        out: dict[tuple[str, str], int] = {}
        for f, terms in by_field.items():
            if create:
                db.executemany("INSERT OR IGNORE INTO terms(field, term) VALUES (?, ?)", ((f, t) for t in terms))
            for at in range(0, len(terms), _IN_BATCH):
                part = terms[at: at + _IN_BATCH]
                marks = ",".join("?" * len(part))
                for i, term in db.execute(f"SELECT id, term FROM terms WHERE field = ? AND term IN ({marks})",
                                          (f, *part)):
                    out[(f, term)] = i
        return out

    def _count(self, db: sqlite3.Connection, changes: Mapping[int, tuple[str, int]], sign: int) -> None:
        """Change the document frequencies of terms (id -> (field, passages)), and the histogram of them."""
        if not changes:
            return
        ids = list(changes)
        hist: Counter[tuple[str, int]] = Counter()
        for at in range(0, len(ids), _IN_BATCH):
            part = ids[at: at + _IN_BATCH]
            for i, df in db.execute(f"SELECT id, df FROM terms WHERE id IN ({','.join('?' * len(part))})", part):
                f, n = changes[i]
                new = df + sign * n
                hist[(f, df)] -= 1
                hist[(f, new)] += 1
        db.executemany("UPDATE terms SET df = df + ? WHERE id = ?", ((sign * n, i) for i, (_, n) in changes.items()))
        db.executemany("INSERT INTO dfhist VALUES (?, ?, ?) ON CONFLICT(field, df) DO UPDATE SET n = n + excluded.n",
                       ((f, df, n) for (f, df), n in hist.items() if n and df > 0))
        db.execute("DELETE FROM dfhist WHERE n = 0")

    def _merge(self, db: sqlite3.Connection) -> None:
        """Merge segments of one size tier while some tier has MERGE_FACTOR of them (smallest tier first)."""
        while True:
            tiers: dict[int, list[int]] = {}
            for i, n in db.execute("SELECT id, n_rows FROM segments ORDER BY id"):
                tiers.setdefault(int(math.log(max(n, 1), MERGE_FACTOR)), []).append(i)
            full = [ids for _, ids in sorted(tiers.items()) if len(ids) >= MERGE_FACTOR]
            if not full:
                return
            self._merge_segments(db, full[0][:MERGE_FACTOR])

    def _merge_segments(self, db: sqlite3.Connection, segments: Sequence[int]) -> None:
        marks = ",".join("?" * len(segments))
        n_rows, dead = db.execute(f"SELECT sum(n_rows), sum(dead) FROM segments WHERE id IN ({marks})",
                                  list(segments)).fetchone()
        live = None
        if dead:  # dead rows to drop: which rows are live (else the blobs are joined as they are)
            live_rows = np.fromiter((r for (r,) in db.execute(
                f"SELECT row FROM chunks WHERE segment IN ({marks})", list(segments))), dtype=np.int64)
            live = np.zeros(int(live_rows.max(initial=0)) + 1, dtype=bool)
            live[live_rows] = True
        cursors = [db.execute("SELECT term, rows, tfs FROM postings WHERE segment = ? ORDER BY term", (s,))
                   for s in segments]
        merged = db.execute("INSERT INTO segments(n_rows) VALUES (?) RETURNING id", (n_rows - dead,)).fetchone()[0]
        out: list[tuple[int, int, bytes, bytes]] = []  # (segment, term, rows, tfs)
        for term, group in groupby(heapq.merge(*(list(c) for c in cursors), key=lambda r: r[0]), key=lambda r: r[0]):
            parts = list(group)
            rows_blob, tfs_blob = b"".join(p[1] for p in parts), b"".join(p[2] for p in parts)
            if live is not None:
                rows = np.frombuffer(rows_blob, dtype=np.int64)
                keep = live[np.minimum(rows, len(live) - 1)] & (rows < len(live))
                if not keep.any():
                    continue
                rows_blob, tfs_blob = rows[keep].tobytes(), np.frombuffer(tfs_blob, dtype=np.int32)[keep].tobytes()
            out.append((merged, term, rows_blob, tfs_blob))
        db.execute(f"DELETE FROM postings WHERE segment IN ({marks})", list(segments))
        db.execute(f"DELETE FROM segments WHERE id IN ({marks})", list(segments))
        db.executemany("INSERT INTO postings VALUES (?, ?, ?, ?)", out)
        db.execute(f"UPDATE chunks SET segment = ? WHERE segment IN ({marks})", (merged, *segments))

    def reader(self, versions: Mapping[str, str] | None = None) -> BM25Reader:
        """A snapshot to search; ``versions`` (source -> version): only those passages are returned (the
        registry's, so a version written after the snapshot or left by a dead writer is never served)."""
        return BM25Reader(self, versions)


def _blob(values: list[int], dtype) -> bytes:
    return np.asarray(values, dtype=dtype).tobytes()


class BM25Reader:
    """Searches one state of a ``BM25Store``. Holds per passage its lengths and document (not its text);
    safe to call from several threads (one SQLite connection each)."""

    def __init__(self, store: BM25Store, versions: Mapping[str, str] | None) -> None:
        self.store = store
        self.fields = store.fields
        self._local = threading.local()
        db = self._db()
        db.execute("BEGIN")  # one consistent state for what follows
        try:
            docs = list(db.execute("SELECT id, source, version FROM docs"))
            rows = list(db.execute("SELECT row, doc, lengths FROM chunks"))
            self._hist = {f: [(df, n) for df, n in db.execute("SELECT df, n FROM dfhist WHERE field = ?", (f,))]
                          for f in self.fields}
        finally:
            db.execute("COMMIT")
        self.sources = {i: s for i, s, _ in docs}
        size = (max((r for r, _, _ in rows), default=0)) + 1
        self._doc = np.full(size, -1, dtype=np.int64)  # document id of each live row, -1: none
        self._lengths = {f: np.zeros(size, dtype=np.int32) for f in self.fields}
        for r, doc, lengths in rows:
            self._doc[r] = doc
            for f, n in zip(self.fields, json.loads(lengths)):
                self._lengths[f][r] = n
        served_docs = {i for i, s, v in docs if versions is None or versions.get(s) == v}
        self._doc_ids = {s: i for i, s, _ in docs if i in served_docs}
        self._doc_served = np.zeros(max(self.sources, default=0) + 2, dtype=bool)  # last slot: row of no doc
        self._doc_served[list(served_docs)] = True
        self.n = len(rows)  # BM25's corpus: every passage indexed (the statistics rank_bm25 used)
        self._avgdl = {f: float(self._lengths[f].sum()) / self.n if self.n else 0.0 for f in self.fields}
        # rank_bm25's length normalisation of each row, k1 (1 - b + b dl / avgdl), in its order of operations
        self._norm = {f: K1 * (1 - B + B * self._lengths[f].astype(np.float64) / self._avgdl[f])
                      if self._avgdl[f] else np.zeros(size) for f in self.fields}
        self._served_rows = self._doc_served[self._doc]
        self._cache: dict[tuple[str, str], int] = {}  # (field, term) -> document frequency
        self._average_idf: dict[str, float] = {}

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self.store._connect()
        return db

    def _empty(self, field: str) -> bool:
        return self.n == 0 or self._avgdl[field] == 0  # rank_bm25 has no BM25 at all for an empty corpus

    def _check(self, field: str) -> None:
        if field not in self.fields:
            raise ValueError(f"Unknown keyword field {field!r}. Valid fields are: {', '.join(self.fields)}")

    def _df(self, field: str, terms: Sequence[str]) -> dict[str, int]:
        wanted = [t for t in dict.fromkeys(terms) if (field, t) not in self._cache]
        for at in range(0, len(wanted), _IN_BATCH):
            part = wanted[at: at + _IN_BATCH]
            marks = ",".join("?" * len(part))
            found = dict(self._db().execute(f"SELECT term, df FROM terms WHERE field = ? AND term IN ({marks})",
                                            (field, *part)))
            if len(self._cache) > 200_000:  # question words only: a safety valve, not a working size
                self._cache.clear()
            self._cache.update(((field, t), int(found.get(t, 0))) for t in part)
        return {t: self._cache[(field, t)] for t in terms}

    def _term_ids(self, field: str, terms: Sequence[str]) -> dict[str, int]:
        marks = ",".join("?" * len(terms))
        return dict(self._db().execute(f"SELECT term, id FROM terms WHERE field = ? AND term IN ({marks})",
                                       (field, *terms)))

    def _bm25_idf(self, field: str, df: int) -> float:
        value = float(_idf(self.n, df))
        return value if value >= 0 else EPSILON * self.average_idf(field)

    def average_idf(self, field: str) -> float:
        """rank_bm25's average IDF over the vocabulary (negative ones included), from the histogram."""
        if field not in self._average_idf:
            hist = self._hist[field]
            terms = sum(n for _, n in hist)
            self._average_idf[field] = sum(n * float(_idf(self.n, df)) for df, n in hist) / terms if terms else 0.0
        return self._average_idf[field]

    # --- the KeywordSearch protocol (vectorstore/keyword.py) ----------------------------------------------------
    def search(self, field: str, query_tokens: Sequence[str], n: int,
               allowed: set[str] | None = None) -> list[KeywordHit]:
        """The ``n`` best passages for ``query_tokens`` (a repeated token counts again, as in rank_bm25),
        among the documents in ``allowed`` (source names; None: all served)."""
        self._check(field)
        if self._empty(field) or not query_tokens or n <= 0:
            return []
        served = self._served_rows
        if allowed is not None:
            doc_allowed = np.zeros_like(self._doc_served)
            doc_allowed[[self._doc_ids[s] for s in allowed if s in self._doc_ids]] = True
            served = doc_allowed[self._doc]  # dead rows have document -1: the always-False last slot
        counts = Counter(query_tokens)
        dfs = self._df(field, list(counts))
        wanted = [t for t in counts if dfs[t]]
        if not wanted:
            return []
        db = self._db()
        db.execute("BEGIN")  # the segments and their postings as of one moment (a merge may commit meanwhile)
        try:
            segments = [s for (s,) in db.execute("SELECT id FROM segments")]
            marks = ",".join("?" * len(segments))
            postings = {}
            for term, term_id in self._term_ids(field, wanted).items():
                postings[term] = db.execute(f"SELECT rows, tfs FROM postings WHERE segment IN ({marks}) AND term = ?",
                                            (*segments, term_id)).fetchall()
        finally:
            db.execute("COMMIT")
        all_rows, all_scores = [], []
        norm, size = self._norm[field], len(self._doc)
        for term, parts in postings.items():
            if not parts:
                continue
            idf, times = self._bm25_idf(field, dfs[term]), counts[term]
            rows = np.concatenate([np.frombuffer(r, dtype=np.int64) for r, _ in parts])
            tfs = np.concatenate([np.frombuffer(t, dtype=np.int32) for _, t in parts]).astype(np.float64)
            if rows.max() >= size:  # rows written after this snapshot are not in it
                rows_in = rows < size
                rows, tfs = rows[rows_in], tfs[rows_in]
            all_rows.append(rows)
            all_scores.append(times * idf * (tfs * (K1 + 1) / (tfs + norm[rows])))
        if not all_rows:
            return []
        # one score per row of the snapshot (a dense sum is cheaper than grouping the postings), then only the
        # served and allowed rows
        scores = np.bincount(np.concatenate(all_rows), weights=np.concatenate(all_scores), minlength=size)
        positive = np.flatnonzero((scores > 0) & served)
        if not len(positive):
            return []
        if len(positive) > n:  # the n best and every passage tied with the n-th (ties go in document order)
            nth = np.partition(scores[positive], len(positive) - n)[len(positive) - n]
            positive = positive[scores[positive] >= nth]
        return self._hits(positive, scores[positive])[:n]

    def _hits(self, rows: np.ndarray, scores: np.ndarray) -> list[KeywordHit]:
        found: dict[int, tuple[str, int]] = {}
        db = self._db()
        listed = rows.tolist()
        for at in range(0, len(listed), _IN_BATCH):
            part = listed[at: at + _IN_BATCH]
            for r, cid, pos in db.execute(
                    f"SELECT row, chunk_id, position FROM chunks WHERE row IN ({','.join('?' * len(part))})", part):
                found[r] = (cid, pos)
        ranked = sorted(((float(s), self.sources[int(self._doc[r])], found[r][1], found[r][0])
                         for r, s in zip(listed, scores.tolist()) if r in found),
                        key=lambda x: (-x[0], x[1], x[2]))
        return [KeywordHit(cid, score) for score, _, _, cid in ranked]

    def knows(self, field: str, token: str) -> bool:
        """Whether any indexed passage contains ``token`` in ``field``."""
        return field in self.fields and not self._empty(field) and self._df(field, [token])[token] > 0

    def idf(self, field: str, token: str) -> float:
        """rank_bm25's IDF of ``token`` (at least 0.05); a token the corpus never uses gets the highest."""
        if field not in self.fields or self._empty(field):
            return 1.0
        df = self._df(field, [token])[token]
        if df:
            return max(self._bm25_idf(field, df), 0.05)
        hist = self._hist[field]
        if not hist:
            return 1.0
        highest = float(_idf(self.n, min(df for df, _ in hist)))
        if any(_idf(self.n, df) < 0 for df, _ in hist):
            highest = max(highest, EPSILON * self.average_idf(field))
        return highest
