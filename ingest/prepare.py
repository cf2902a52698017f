"""One document from its decoded text to what the index stores: clean → metadata → commitments → chunks.

Pure: no store, no model. ``vectorstore.ingestor`` embeds and writes the result; a worker process can
prepare documents while another writes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.chunk import Chunker
from ingest.clean import Cleaner
from ingest.commitments import Commitment, extract_commitments
from ingest.document import Chunk, DocumentMetadata, SourceDocument
from ingest.errors import IngestError
from ingest.metadata import MetadataExtractor

# Bump when cleaning, metadata, chunking, keyword analysis or commitment extraction change: every document is
# then re-ingested, because its stored version (content hash + recipe) no longer matches.
RECIPE = "8"


def document_version(doc: SourceDocument) -> str:
    return f"{doc.content_hash}-r{RECIPE}"


@dataclass(frozen=True)
class PreparedDocument:
    document: SourceDocument
    version: str  # document_version(document): what the registry compares to skip unchanged files
    metadata: DocumentMetadata
    commitments: tuple[Commitment, ...]
    chunks: tuple[Chunk, ...]  # each tagged with ``version``


class Preparer:
    def __init__(self, chunker: Chunker, cleaner: Cleaner | None = None,
                 extractor: MetadataExtractor | None = None) -> None:
        self.chunker = chunker
        self.cleaner = cleaner or Cleaner()
        self.extractor = extractor or MetadataExtractor()

    def prepare(self, doc: SourceDocument) -> PreparedDocument:
        """IngestError when nothing indexable is left (a page of menus and links only)."""
        clean = self.cleaner.clean(doc)
        if not clean.body:
            raise IngestError(f"{doc.source}: no body text left after removing page chrome (menus, footers, links)")
        metadata = self.extractor.extract(clean)
        commitments = tuple(extract_commitments(doc.text, clean.body, metadata, doc.source))
        version = document_version(doc)
        chunks = tuple(replace(c, doc_version=version) for c in self.chunker.chunk(clean, metadata))
        if not chunks:
            raise IngestError(f"{doc.source}: no text to index")
        return PreparedDocument(doc, version, metadata, commitments, chunks)
