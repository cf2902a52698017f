"""Ingest files into the index: load → clean → metadata → chunk → embed → store, one document at a time.

Idempotent: a file whose decoded text is unchanged is not touched. A changed file replaces exactly its
old chunks. ``sync`` removes documents whose files are no longer among the given paths. Each document
is committed on its own (see vectorstore/chroma.py), so a killed run loses at most the document it was
working on, and that document keeps answering from its previous version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.errors import IngestError
from ingest.chunk import Chunker
from ingest.clean import Cleaner
from ingest.commitments import extract_commitments
from ingest.document import SourceDocument
from ingest.load import Skipped, discover, load_file
from ingest.metadata import MetadataExtractor
from vectorstore.chroma import ChromaIndex, DocumentRecord, StoredChunk
from vectorstore.embeddings import Embedder
from vectorstore.keyword import analyse

ProgressCallback = Callable[[int, int, str], None]  # (done, total, current file name)

# Bump when cleaning, metadata, chunking, keyword analysis or commitment extraction change: every document is
# then re-ingested, because its stored version (content hash + recipe) no longer matches.
RECIPE = "7"


def document_version(doc: SourceDocument) -> str:
    return f"{doc.content_hash}-r{RECIPE}"


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "chunks_written": self.chunks_written, "seconds": round(self.seconds, 2),
        }

    def summary(self) -> str:
        lines = [
            f"Documents added: {len(self.added)}, updated: {len(self.updated)}, unchanged: {len(self.unchanged)}, "
            f"removed: {len(self.removed)}, skipped: {len(self.skipped)}",
            f"Chunks written: {self.chunks_written}  Time: {self.seconds:.1f} s",
        ]
        lines += [f"  skipped {s.path}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


class Ingestor:
    def __init__(self, index: ChromaIndex, embedder: Embedder, chunker: Chunker, max_file_bytes: int,
                 cleaner: Cleaner | None = None, extractor: MetadataExtractor | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.chunker = chunker
        self.max_file_bytes = max_file_bytes
        self.cleaner = cleaner or Cleaner()
        self.extractor = extractor or MetadataExtractor()

    def run(self, paths: Sequence[Path], sync: bool = False, on_progress: ProgressCallback | None = None) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        missing = [str(p) for p in paths if not Path(p).exists()]
        if sync and missing:
            # A mistyped folder would otherwise make --sync delete every document it did not find.
            raise IngestError(f"--sync needs every given path to exist; not found: {', '.join(missing)}. "
                              "Nothing was ingested or removed.")
        files, skipped = discover(paths)
        report.skipped.extend(skipped)
        self.index.delete_orphans()  # leftovers of a killed run: never served, now removed
        registry = self.index.documents()
        if sync:
            present = {f.name for f in files}
            for source in sorted(set(registry) - present):
                self.index.delete_document(source)
                report.removed.append(source)
                del registry[source]
        versions = {r.version: s for s, r in registry.items()}
        for i, path in enumerate(files):
            if on_progress:
                on_progress(i, len(files), path.name)
            try:
                doc = load_file(path, self.max_file_bytes)
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
                record, written = self._ingest(doc)
            except IngestError as exc:
                report.skipped.append(Skipped(str(path), str(exc)))
                continue
            registry[doc.source] = record
            if previous and versions.get(previous.version) == doc.source:
                del versions[previous.version]  # that content is no longer indexed under this name
            versions[record.version] = doc.source
            (report.updated if previous else report.added).append(doc.source)
            report.chunks_written += written
        if on_progress:
            on_progress(len(files), len(files), "")
        report.seconds = time.perf_counter() - started
        return report

    def _ingest(self, doc: SourceDocument) -> tuple[DocumentRecord, int]:
        clean = self.cleaner.clean(doc)
        if not clean.body:
            raise IngestError(f"{doc.source}: no body text left after removing page chrome (menus, footers, links)")
        metadata = self.extractor.extract(clean)
        commitments = tuple(extract_commitments(doc.text, clean.body, metadata, doc.source))
        version = document_version(doc)
        chunks = [replace(c, doc_version=version) for c in self.chunker.chunk(clean, metadata)]
        if not chunks:
            raise IngestError(f"{doc.source}: no text to index")
        stored = [StoredChunk(c, analyse(c.search_text())) for c in chunks]
        vectors = self.embedder.embed_documents([c.search_text() for c in chunks])
        self.index.put_chunks(stored, vectors)
        record = DocumentRecord(source=doc.source, version=version, metadata=metadata,
                                n_chunks=len(chunks), encoding=doc.encoding, path=doc.path, text=doc.text,
                                commitments=commitments)
        self.index.commit_document(record)
        self.index.delete_stale_chunks(doc.source, keep_version=record.version)
        return record, len(chunks)
