"""Ingest files into the index: load → prepare (``ingest.prepare``) → embed → store, one document at a time.

Idempotent: a file whose decoded text is unchanged is not touched. A changed file replaces exactly its
old chunks. ``sync`` removes documents whose files are no longer among the given paths; it refuses when
what the paths hold cannot be known (a missing or unreadable path, no readable supported file at all).
``dry_run`` reports the plan (add, update, remove, skip) and changes nothing. Each document is committed
on its own (see vectorstore/chroma.py), so a killed run loses at most the document it was working on,
and that document keeps answering from its previous version.

Concurrent runs (two `assistant ingest`, an upload in the web app during one, on one process or many,
embedded store or Chroma server) are safe: every change to the store happens under the index's writer
lease (vectorstore/lease.py), one document at a time, and what was read before embedding is read again
under the lease before anything is written. Embedding, the slow part, runs outside it, side by side.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.document import SourceDocument
from ingest.errors import IndexUnavailable, IngestError
from ingest.load import Skipped, discover, load_file, probe, readable
from ingest.prepare import PreparedDocument, Preparer, document_version
from vectorstore.chroma import ChromaIndex, DocumentRecord, StoredChunk
from vectorstore.embeddings import Embedder
from vectorstore.keyword import analyse
from vectorstore.lease import Lease, now_iso

ProgressCallback = Callable[[int, int, str], None]  # (done, total, current file name)
NoticeCallback = Callable[[str], None]  # a sentence for the user (waiting for another ingest, removing …)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Skipped] = field(default_factory=list)  # loaded, with something to know (e.g. replaced bytes)
    chunks_written: int = 0
    seconds: float = 0.0
    dry_run: bool = False  # the lists are the plan: nothing was changed

    @property
    def all_skipped(self) -> bool:
        """Every path given was skipped: nothing was (or would be) ingested, kept or removed."""
        return bool(self.skipped) and not (self.added or self.updated or self.unchanged or self.removed)

    def to_dict(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "notes": [{"path": s.path, "note": s.reason} for s in self.notes],
            "chunks_written": self.chunks_written, "seconds": round(self.seconds, 2), "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        if self.dry_run:
            lines = [f"Dry run, nothing was changed. Would add: {len(self.added)}, update: {len(self.updated)}, "
                     f"remove: {len(self.removed)}; unchanged: {len(self.unchanged)}, skipped: {len(self.skipped)}"]
            for verb, names in (("add", self.added), ("update", self.updated), ("remove", self.removed)):
                lines += [f"  would {verb} {name}" for name in names]
        else:
            lines = [
                f"Documents added: {len(self.added)}, updated: {len(self.updated)}, unchanged: {len(self.unchanged)}, "
                f"removed: {len(self.removed)}, skipped: {len(self.skipped)}",
                f"Chunks written: {self.chunks_written}  Time: {self.seconds:.1f} s",
            ]
        lines += [f"  skipped {s.path}: {s.reason}" for s in self.skipped]
        lines += [f"  note {s.path}: {s.reason}" for s in self.notes]
        return "\n".join(lines)


class Ingestor:
    def __init__(self, index: ChromaIndex, embedder: Embedder, preparer: Preparer, max_file_bytes: int,
                 wait_s: float = 600.0) -> None:
        self.index = index
        self.embedder = embedder
        self.preparer = preparer
        self.max_file_bytes = max_file_bytes
        self.wait_s = wait_s  # how long to wait for another writer's lease (vectorstore/lease.py)

    def lease(self, on_notice: NoticeCallback | None = None, what: str = "ingest", since: str = "") -> Lease:
        return self.index.lease(what=what, wait_s=self.wait_s, on_wait=on_notice, since=since)

    def run(self, paths: Sequence[Path], sync: bool = False, on_progress: ProgressCallback | None = None,
            dry_run: bool = False, on_notice: NoticeCallback | None = None) -> IngestReport:
        started, since = time.perf_counter(), now_iso()
        report = IngestReport(dry_run=dry_run)
        notice = _once(on_notice)
        files, skipped = discover(paths)
        if sync:
            self._check_sync(paths, files, skipped)
        report.skipped.extend(skipped)
        present = {f.name for f in files}
        try:
            if dry_run:
                registry = self.index.documents()
                report.removed = sorted(set(registry) - present) if sync else []
            else:
                with self.lease(notice, since=since):
                    self.index.delete_orphans()  # under the lease, only a dead writer's leftovers are orphans
                    self.index.sync_keyword(remove_stale=True)  # what a dead writer or another machine left behind
                    registry = self.index.documents()
                    if sync:
                        self._remove(sorted(set(registry) - present), report, notice)
        except IndexUnavailable as exc:
            raise IndexUnavailable(f"{exc}. Nothing was written by this run; run it again when the index is back") \
                from None
        # what this run knows of the registry: to skip unchanged files and twins before embedding them (the
        # write re-reads it under the lease, as another writer may have changed it meanwhile)
        registry = {s: r for s, r in registry.items() if s not in report.removed}
        versions = {r.version: s for s, r in registry.items()}
        for i, path in enumerate(files):
            if on_progress:
                on_progress(i, len(files), path.name)
            notes: list[str] = []
            try:
                doc = load_file(path, self.max_file_bytes, notes)
            except IngestError as exc:
                report.skipped.append(Skipped(str(path), str(exc)))
                continue
            previous = registry.get(doc.source)
            version = document_version(doc)
            if previous and previous.version == version:
                report.unchanged.append(doc.source)
                continue
            twin = versions.get(version)
            if twin and twin != doc.source:
                report.skipped.append(Skipped(str(path), f"same content as {twin}, already ingested"))
                continue
            try:
                prepared = self.preparer.prepare(doc)
            except IngestError as exc:
                report.skipped.append(Skipped(str(path), str(exc)))
                continue
            if dry_run:
                outcome, record = ("updated" if previous else "added"), None
            else:
                outcome, record = self._write_reporting(prepared, report, notice, since)
            if outcome == "twin":
                report.skipped.append(Skipped(str(path), f"same content as {record.source}, already ingested"))
                continue
            report.notes.extend(Skipped(str(path), note) for note in notes)
            if outcome == "unchanged":  # another writer committed this very content meanwhile
                report.unchanged.append(doc.source)
                continue
            (report.updated if outcome == "updated" else report.added).append(doc.source)
            report.chunks_written += record.n_chunks if record else 0
            if previous and versions.get(previous.version) == doc.source:
                del versions[previous.version]  # that content is no longer indexed under this name
            registry[doc.source] = record or DocumentRecord(doc.source, version, prepared.metadata,
                                                            len(prepared.chunks))
            versions[version] = doc.source
        if on_progress:
            on_progress(len(files), len(files), "")
        report.seconds = time.perf_counter() - started
        return report

    def _write_reporting(self, prepared: PreparedDocument, report: IngestReport, notice: NoticeCallback,
                         since: str) -> tuple[str, DocumentRecord]:
        try:
            return self._write(prepared, notice, since)
        except IndexUnavailable as exc:
            source, done = prepared.document.source, len(report.added) + len(report.updated)
            raise IndexUnavailable(
                f"{exc}, while writing {source}. The index keeps its last committed state ({done} "
                f"document{'s' * (done != 1)} committed by this run; {source} and the rest not). Run the same "
                "ingest again when the index is back: what was committed is skipped as unchanged") from None

    def _check_sync(self, paths: Sequence[Path], files: list[Path], skipped: list[Skipped]) -> None:
        """--sync removes what the paths do not hold: refuse when what they hold cannot be known."""
        nothing = "Nothing was ingested or removed."
        probed = [(Path(p), *probe(Path(p))) for p in paths]
        missing = [f"{p} ({why})" if why != "path does not exist" else str(p)
                   for p, kind, why in probed if why is not None and kind != "unreadable"]
        if missing:
            raise IngestError(f"--sync needs every given path to exist; not found: {', '.join(missing)}. {nothing}")
        unreadable = [s for s in skipped if s.unreadable]
        if unreadable:
            listed = "; ".join(f"{s.path}: {s.reason}" for s in unreadable[:3])
            raise IngestError(f"--sync needs every folder to be readable, or documents whose files are in there "
                              f"would be removed; {len(unreadable)} could not be read ({listed}). {nothing}")
        if not any(readable(f) for f in files):
            registered = len(self.index.documents())
            if registered:
                raise IngestError(f"--sync found no readable supported file in {', '.join(map(str, paths))}; "
                                  f"refusing to remove the {registered} indexed document{'s' * (registered != 1)}. "
                                  f"{nothing}")

    def _remove(self, sources: list[str], report: IngestReport, notice: NoticeCallback) -> None:
        if not sources:
            return
        notice(f"--sync: removing {len(sources)} document{'s' * (len(sources) != 1)} whose files are not among "
               f"the given paths: {', '.join(sources)}")
        for source in sources:
            self.index.delete_document(source)
            report.removed.append(source)

    def _write(self, prepared: PreparedDocument, notice: NoticeCallback, since: str,
               expect_version: str | None = None) -> tuple[str, DocumentRecord]:
        """Embed, then under the lease: re-read the registry, write the chunks, commit, delete the stale ones.

        Returns ("added" | "updated", the new record), ("unchanged", the record) when another writer
        committed this content meanwhile, or ("twin", the other record) when another document has it.
        ``expect_version`` (a repair): rewrite only if the document is still at that version, even unchanged.
        """
        doc = prepared.document
        stored = [StoredChunk(c, analyse(c.search_text())) for c in prepared.chunks]
        vectors = self.embedder.embed_documents([c.search_text() for c in prepared.chunks])
        record = DocumentRecord(source=doc.source, version=prepared.version, metadata=prepared.metadata,
                                n_chunks=len(prepared.chunks), encoding=doc.encoding, path=doc.path, text=doc.text,
                                commitments=prepared.commitments)
        with self.lease(notice, since=since) as lease:
            current = self.index.document(doc.source, with_text=False)
            if expect_version is not None:
                if current is None or current.version != expect_version:
                    return "unchanged", current or record  # changed or removed meanwhile: nothing to repair
            elif current is not None and current.version == record.version:
                return "unchanged", current
            twins = [s for s in self.index.sources_with_version(record.version) if s != doc.source]
            if twins:
                return "twin", self.index.document(twins[0], with_text=False) or record
            self.index.put_chunks(stored, vectors)
            lease.verify()
            self.index.commit_document(record, stored)  # the commit point: readers switch to the new chunks here
            self.index.delete_stale_chunks(doc.source, keep_version=record.version, n_chunks=record.n_chunks)
        return ("updated" if current else "added"), record

    def reingest_stored(self, source: str, on_notice: NoticeCallback | None = None) -> DocumentRecord:
        """Rebuild a document's chunks from the text the registry keeps (a repair: missing chunks, vectors
        or keyword fields). ``IngestError`` when the registry has no text for it."""
        record = self.index.document(source)
        if record is None:
            raise IngestError(f"{source} is not in the registry any more")
        if not record.text:
            raise IngestError(f"{source}: the registry keeps no text for it; ingest its file again")
        doc = SourceDocument(source=source, path=record.path, text=record.text, encoding=record.encoding)
        prepared = self.preparer.prepare(doc)
        outcome, written = self._write(prepared, _once(on_notice), now_iso(), expect_version=record.version)
        if outcome == "unchanged":
            raise IngestError(f"{source} changed while it was being repaired; check again")
        return written

    def delete_orphans(self, on_notice: NoticeCallback | None = None) -> int:
        with self.lease(_once(on_notice), what="repair"):
            return self.index.delete_orphans()


def _once(callback: NoticeCallback | None) -> NoticeCallback:
    """``callback`` without repeats of the same sentence (a wait notice comes once per holder)."""
    said: set[str] = set()

    def say(text: str) -> None:
        if callback is not None and text not in said:
            said.add(text)
            callback(text)

    return say
