"""Self-check of an index: the registry against the stored chunks and vectors, and the repair of what fails.

Checked, per registered document: its stored chunks of the registered version are exactly indexes
0 … n_chunks-1; each carries its keyword fields; each is found by a search with its own stored vector
(restricted to its version, as answering searches are) — all of them with ``full``, else a sample. Over
the index: orphans, chunks of no registered version. The whole check runs under the writer lease
(vectorstore/chroma.py), so an ingest running meanwhile is neither seen half-done nor counted as orphans.

Repair re-ingests a failing document from the text the registry keeps (same preparer, re-embedded), and
deletes the orphans (under the lease they are a dead writer's leftovers); then it checks again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from ingest.errors import IngestError
from vectorstore.ingestor import Ingestor, NoticeCallback
from vectorstore.keyword import FIELDS

DEFAULT_SAMPLE = 200  # chunks searched by their own vector when not ``full``
_SIMILARITY_SLACK = 1e-4  # a chunk counts as found when it ties with the best hit (identical passages)


@dataclass(frozen=True)
class Problem:
    source: str
    what: str

    def to_dict(self) -> dict:
        return {"source": self.source, "problem": self.what}


@dataclass
class CheckReport:
    documents: int = 0
    chunks: int = 0  # served chunks (of the registered versions)
    vectors_checked: int = 0
    full: bool = False
    orphans: int = 0
    problems: list[Problem] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # after a repair: what the first check found
    actions: list[str] = field(default_factory=list)  # after a repair: what it did
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        return not self.problems and not self.orphans

    def problem_lines(self) -> list[str]:
        lines = [f"{p.source}: {p.what}" for p in self.problems]
        if self.orphans:
            lines.append(f"{self.orphans} orphan chunk{'s' * (self.orphans != 1)} (of no registered version)")
        return lines

    def to_dict(self) -> dict:
        out = {"healthy": self.healthy, "documents": self.documents, "chunks": self.chunks,
               "vectors_checked": self.vectors_checked, "full": self.full, "orphans": self.orphans,
               "problems": [p.to_dict() for p in self.problems], "seconds": round(self.seconds, 2)}
        if self.found or self.actions:
            out["repair"] = {"found": self.found, "actions": self.actions}
        return out

    def summary(self) -> str:
        how = "all" if self.vectors_checked == self.chunks else f"a sample of {self.vectors_checked}"
        lines = [f"Checked {self.documents} documents, {self.chunks} chunks ({how} searched by their own vector) "
                 f"in {self.seconds:.1f} s"]
        if self.found or self.actions:
            lines += [f"  found: {line}" for line in self.found]
            lines += [f"  repair: {line}" for line in self.actions]
        if self.healthy:
            lines.append("OK: the registry and the stored chunks agree, every checked chunk is found by its own "
                         "vector, no orphans")
        else:
            lines += [f"  problem: {line}" for line in self.problem_lines()]
            lines.append(f"{len(self.problem_lines())} problem{'s' * (len(self.problem_lines()) != 1)}"
                         + ("" if self.actions else "; `assistant check --repair` re-ingests the documents from the "
                            "text the registry keeps and deletes the orphans"))
        return "\n".join(lines)


class IndexCheck:
    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor
        self.index = ingestor.index

    def check(self, full: bool = False, sample: int = DEFAULT_SAMPLE, seed: int | None = None,
              on_notice: NoticeCallback | None = None, must_check: frozenset[str] = frozenset()) -> CheckReport:
        """Check the index (see the module docstring). ``must_check``: documents whose every chunk is
        searched even without ``full`` (those a repair just rewrote)."""
        started = time.perf_counter()
        report = CheckReport(full=full)
        with self.ingestor.lease(on_notice, what="check"):  # a consistent view: no writer between the reads
            registry = self.index.documents()
            rows = self.index.chunk_rows()
            by_doc: dict[str, dict[int, str]] = {s: {} for s in registry}
            missing_keywords: dict[str, int] = {}
            for cid, meta in rows.items():
                record = registry.get(meta.get("source", ""))
                if record is None or meta.get("doc_version") != record.version:
                    report.orphans += 1
                    continue
                by_doc[record.source][int(meta["index"])] = cid
                kw = [meta.get(f"kw_{name}") for name in FIELDS]
                if any(not isinstance(v, str) for v in kw) or not any(kw):
                    missing_keywords[record.source] = missing_keywords.get(record.source, 0) + 1
            report.documents = len(registry)
            report.chunks = sum(len(chunks) for chunks in by_doc.values())
            for source, record in sorted(registry.items()):
                stored = by_doc[source]
                if set(stored) != set(range(record.n_chunks)):
                    report.problems.append(Problem(source, _count_problem(record.n_chunks, stored)))
                if missing_keywords.get(source):
                    n = missing_keywords[source]
                    report.problems.append(Problem(source, f"{n} chunk{'s' * (n != 1)} without keyword fields"))
            served = [(cid, s) for s in sorted(by_doc) for _, cid in sorted(by_doc[s].items())]
            chosen = served
            if not full and len(served) > sample:
                forced = [item for item in served if item[1] in must_check]
                rest = [item for item in served if item[1] not in must_check]
                chosen = forced + random.Random(seed).sample(rest, max(0, min(len(rest), sample - len(forced))))
            lost = self._unfindable(chosen, {s: r.version for s, r in registry.items()},
                                    {s: r.n_chunks for s, r in registry.items()})
            report.vectors_checked = len(chosen)
            for source in sorted(lost):
                ids = lost[source]
                shown = ", ".join(ids[:3]) + (", …" if len(ids) > 3 else "")
                report.problems.append(Problem(source, f"{len(ids)} chunk{'s' * (len(ids) != 1)} not found by "
                                               f"{'their' if len(ids) != 1 else 'its'} own vector ({shown})"))
        report.seconds = time.perf_counter() - started
        return report

    def _unfindable(self, chosen: list[tuple[str, str]], versions: dict[str, str],
                    n_chunks: dict[str, int]) -> dict[str, list[str]]:
        vectors = self.index.chunk_embeddings([cid for cid, _ in chosen])
        lost: dict[str, list[str]] = {}
        for cid, source in chosen:
            vector = vectors.get(cid)
            hits = [] if vector is None else self.index.search(vector, max(1, min(10, n_chunks[source])),
                                                                {source: versions[source]})
            best = max((score for _, score in hits), default=None)
            own = next((score for hit, score in hits if hit == cid), None)
            if own is None or best is None or own < best - _SIMILARITY_SLACK:
                lost.setdefault(source, []).append(cid)
        return lost

    def repair(self, report: CheckReport, sample: int = DEFAULT_SAMPLE,
               on_notice: NoticeCallback | None = None) -> CheckReport:
        """Fix what ``report`` found, then check again; the new report lists what was found and done."""
        actions: list[str] = []
        repaired: set[str] = set()
        for source in sorted({p.source for p in report.problems}):
            try:
                record = self.ingestor.reingest_stored(source, on_notice)
            except IngestError as exc:
                actions.append(f"could not repair {source}: {exc}")
                continue
            repaired.add(source)
            actions.append(f"re-ingested {source} from the text the registry keeps ({record.n_chunks} chunks)")
        if report.orphans:
            deleted = self.ingestor.delete_orphans(on_notice)
            actions.append(f"deleted {deleted} orphan chunk{'s' * (deleted != 1)}")
        after = self.check(full=report.full, sample=sample, on_notice=on_notice, must_check=frozenset(repaired))
        after.found, after.actions = report.problem_lines(), actions
        return after


def _count_problem(registered: int, stored: dict[int, str]) -> str:
    missing = sorted(set(range(registered)) - set(stored))
    extra = sorted(set(stored) - set(range(registered)))
    text = f"registered {registered} chunks, {len(stored)} stored"
    if missing:
        text += f"; missing chunk{'s' * (len(missing) != 1)} {_indexes(missing)}"
    if extra:
        text += f"; unexpected chunk{'s' * (len(extra) != 1)} {_indexes(extra)}"
    return text


def _indexes(indexes: list[int]) -> str:
    return ", ".join(map(str, indexes[:8])) + (", …" if len(indexes) > 8 else "")
