"""The Chroma index: a chunk collection (our vectors) and a document registry.

Crash safety: a document's new chunks are written under new ids (the ids carry the content version),
then its registry record is switched to the new version (the commit point), then the old chunks are
deleted. Readers serve only chunks whose version is the one the registry names, so an ingest killed at
any point leaves every document answering from one complete version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import chromadb

from ingest.errors import ConfigError, IndexUnavailable
from ingest.commitments import Commitment
from ingest.document import Chunk, DocumentMetadata

# The registry holds no vectors worth searching, but Chroma stores one per record: a constant stands in.
_REGISTRY_VECTOR = [1.0]


@dataclass(frozen=True)
class DocumentRecord:
    source: str
    version: str
    metadata: DocumentMetadata
    n_chunks: int
    encoding: str = ""
    path: str = ""
    text: str = ""  # the decoded file text, so a citation can be shown in its context
    ingested_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    commitments: tuple[Commitment, ...] = ()  # the document's quantified targets (ingest/commitments.py)

    def to_row(self) -> dict:
        meta = {k: v or "" for k, v in self.metadata.to_dict().items()}
        meta.update(version=self.version, n_chunks=self.n_chunks, encoding=self.encoding, path=self.path,
                    ingested_at=self.ingested_at,
                    # Chroma metadata holds scalars only: the rows travel as one JSON string
                    commitments=json.dumps([c.to_dict() for c in self.commitments], ensure_ascii=False))
        return meta

    @classmethod
    def from_row(cls, source: str, meta: dict, text: str) -> "DocumentRecord":
        return cls(
            source=source,
            version=str(meta.get("version", "")),
            metadata=DocumentMetadata.from_dict(meta),
            n_chunks=int(meta.get("n_chunks", 0)),
            encoding=str(meta.get("encoding", "")),
            path=str(meta.get("path", "")),
            text=text or "",
            ingested_at=str(meta.get("ingested_at", "")),
            commitments=tuple(Commitment(**row) for row in json.loads(meta.get("commitments") or "[]")),
        )


@dataclass(frozen=True)
class StoredChunk:
    chunk: Chunk
    keyword_fields: dict[str, str]  # analysed text for keyword search, computed at ingest


def _chunk_to_row(chunk: Chunk, keyword_fields: dict[str, str]) -> dict:
    meta = {f"doc_{k}": v or "" for k, v in chunk.metadata.to_dict().items()}
    meta.update(
        source=chunk.source, doc_version=chunk.doc_version, index=chunk.index, start=chunk.start,
        end=chunk.end, heading_path=json.dumps(list(chunk.heading_path), ensure_ascii=False),
        n_tokens=chunk.n_tokens,
    )
    meta.update({f"kw_{k}": v for k, v in keyword_fields.items()})
    return meta


def _row_to_chunk(text: str, meta: dict) -> StoredChunk:
    metadata = DocumentMetadata.from_dict({k[4:]: v for k, v in meta.items() if k.startswith("doc_")})
    chunk = Chunk(
        source=meta["source"], doc_version=meta["doc_version"], index=int(meta["index"]),
        start=int(meta["start"]), end=int(meta["end"]), text=text,
        heading_path=tuple(json.loads(meta.get("heading_path") or "[]")), metadata=metadata,
        n_tokens=int(meta.get("n_tokens", 0)),
    )
    return StoredChunk(chunk, {k[3:]: v for k, v in meta.items() if k.startswith("kw_")})


def open_client(path: Path, host: str = "", port: int = 8000) -> chromadb.api.ClientAPI:
    """A Chroma server at ``host:port`` when a host is given, else the embedded store at ``path``."""
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path))
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
        where = f"{host}:{port}" if host else str(path)
        raise IndexUnavailable(f"Cannot open the Chroma index at {where}: {exc}") from exc


class ChromaIndex:
    def __init__(self, client: chromadb.api.ClientAPI, collection: str, embedding_model: str) -> None:
        self.embedding_model = embedding_model
        try:
            self._chunks = client.get_or_create_collection(
                f"{collection}_chunks",
                embedding_function=None,  # never let Chroma build its default model: we pass vectors
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": embedding_model},
            )
            self._docs = client.get_or_create_collection(f"{collection}_documents", embedding_function=None)
        except Exception as exc:
            raise IndexUnavailable(f"Cannot open Chroma collection {collection!r}: {exc}") from exc
        built_with = (self._chunks.metadata or {}).get("embedding_model")
        if built_with and built_with != embedding_model and self._chunks.count():
            raise ConfigError(
                f"The index {collection!r} was built with embedding model {built_with!r}, but the setting is "
                f"{embedding_model!r}. Use another CCHC_COLLECTION, or set CCHC_EMBEDDING_MODEL={built_with}."
            )

    # --- document registry -----------------------------------------------------------------------
    def documents(self, with_text: bool = False) -> dict[str, DocumentRecord]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        rows = self._docs.get(include=include)
        texts = rows.get("documents") or [""] * len(rows["ids"])
        return {
            source: DocumentRecord.from_row(source, meta, text)
            for source, meta, text in zip(rows["ids"], rows["metadatas"], texts)
        }

    def document(self, source: str) -> DocumentRecord | None:
        rows = self._docs.get(ids=[source], include=["metadatas", "documents"])
        if not rows["ids"]:
            return None
        return DocumentRecord.from_row(source, rows["metadatas"][0], rows["documents"][0])

    def commit_document(self, record: DocumentRecord) -> None:
        """The commit point of a document's ingest: from here on its new chunks are served."""
        self._docs.upsert(ids=[record.source], embeddings=[_REGISTRY_VECTOR], documents=[record.text],
                          metadatas=[record.to_row()])

    def delete_document(self, source: str) -> None:
        self._docs.delete(ids=[source])  # first: from here on none of its chunks are served
        self._chunks.delete(where={"source": source})

    # --- chunks ----------------------------------------------------------------------------------
    def put_chunks(self, chunks: Sequence[StoredChunk], embeddings: Sequence[Sequence[float]]) -> None:
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        if not chunks:
            return
        self._chunks.upsert(
            ids=[s.chunk.chunk_id for s in chunks],
            embeddings=[list(map(float, e)) for e in embeddings],
            documents=[s.chunk.text for s in chunks],
            metadatas=[_chunk_to_row(s.chunk, s.keyword_fields) for s in chunks],
        )

    def delete_stale_chunks(self, source: str, keep_version: str) -> int:
        rows = self._chunks.get(where={"source": source}, include=["metadatas"])
        stale = [i for i, m in zip(rows["ids"], rows["metadatas"]) if m.get("doc_version") != keep_version]
        if stale:
            self._chunks.delete(ids=stale)
        return len(stale)

    def delete_orphans(self) -> int:
        """Chunks whose document or version is not in the registry (left by a killed ingest)."""
        current = {s: r.version for s, r in self.documents().items()}
        rows = self._chunks.get(include=["metadatas"])
        orphans = [i for i, m in zip(rows["ids"], rows["metadatas"]) if current.get(m["source"]) != m["doc_version"]]
        if orphans:
            self._chunks.delete(ids=orphans)
        return len(orphans)

    def served_chunks(self) -> list[StoredChunk]:
        """Every chunk of every document's current version, in document order."""
        current = {s: r.version for s, r in self.documents().items()}
        if not current:
            return []
        rows = self._chunks.get(include=["metadatas", "documents"])
        out = [
            _row_to_chunk(text, meta)
            for text, meta in zip(rows["documents"], rows["metadatas"])
            if current.get(meta["source"]) == meta["doc_version"]
        ]
        return sorted(out, key=lambda s: (s.chunk.source, s.chunk.index))

    def search(self, embedding: Sequence[float], n: int, versions: dict[str, str]) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the nearest served chunks, restricted to ``versions``."""
        if not versions:
            return []
        where = {"doc_version": {"$in": sorted(set(versions.values()))}}
        result = self._chunks.query(query_embeddings=[list(map(float, embedding))], n_results=n, where=where,
                                    include=["metadatas", "distances"])
        out = []
        for cid, meta, dist in zip(result["ids"][0], result["metadatas"][0], result["distances"][0]):
            if versions.get(meta["source"]) == meta["doc_version"]:
                out.append((cid, 1.0 - float(dist)))
        return out

    def count_chunks(self) -> int:
        return self._chunks.count()
