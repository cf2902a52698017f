"""The Chroma index: a chunk collection (our vectors) and a document registry.

Crash safety: a document's new chunks are written under new ids (the ids carry the content version),
then its registry record is switched to the new version (the commit point), then the old chunks are
deleted. Readers serve only chunks whose version is the one the registry names, so an ingest killed at
any point leaves every document answering from one complete version.

Concurrency: every change to the store happens under the index's writer lease (vectorstore/lease.py),
one writer at a time across processes and machines; uncommitted chunks exist only inside a live lease, so
an orphan cleanup under the lease never deletes another writer's work.

Several processes on one embedded store: each keeps its own copy of a collection's vector index in memory
and brings it up to date only from the part of Chroma's write log not yet folded into the files on disk.
Once another process has folded more of it, a stale copy can no longer catch up: its next write stores an
index that lacks chunks the metadata holds ("Error finding id" at the next filtered search), and its
searches miss them. So a process reloads the store from disk (``_reload_from_disk``) whenever the registry's
generation is not the one it last saw: a writer on taking the lease, a reader before it searches.

Keyword index: when given a path, the BM25 index of the served chunks (vectorstore/bm25_store.py) is kept
in a file there, updated at each commit and removal. It is derived data: the chunks' analysed fields are
stored in Chroma too, so a reader that finds the file behind the registry (another machine ingested, a
writer died between its commit and the update) indexes what it lacks from them (``sync_keyword``).
"""

from __future__ import annotations

import fcntl
import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import chromadb
import httpx
from chromadb.errors import NotFoundError

from ingest.commitments import Commitment
from ingest.document import Chunk, DocumentMetadata
from ingest.errors import ConfigError, IndexUnavailable
from vectorstore.bm25_store import BM25Store, Passage
from vectorstore.keyword import keyword_store
from vectorstore.lease import ChromaLease, FileLease, Lease

# The registry holds no vectors worth searching, but Chroma stores one per record: a constant stands in.
_REGISTRY_VECTOR = [1.0]
_GENERATION_ID = "generation"  # the registry's change token, in the state collection
_PUT_BATCH = 1000  # chunks per upsert, well under Chroma's maximum batch size
_GET_PAGE = 10_000  # rows per read of a whole collection: well under SQLite's 32,766 variables per statement
# What a lost or refused connection to a Chroma server raises (httpx under chromadb's HttpClient).
_CONNECTION_ERRORS = (httpx.TransportError, ConnectionError)


@dataclass(frozen=True)
class DocumentRecord:
    source: str
    version: str
    metadata: DocumentMetadata
    n_chunks: int
    encoding: str = ""
    path: str = ""
    text: str = ""  # the decoded file text, so a citation can be shown in its context
    ingested_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    commitments: tuple[Commitment, ...] = ()  # the document's quantified targets (ingest/commitments.py)

    def to_row(self) -> dict:
        meta = {k: v or "" for k, v in self.metadata.to_dict().items()}
        meta.update(version=self.version, n_chunks=self.n_chunks, encoding=self.encoding, path=self.path,
                    ingested_at=self.ingested_at,
                    # Chroma metadata holds scalars only: the rows travel as one JSON string
                    commitments=json.dumps([c.to_dict() for c in self.commitments], ensure_ascii=False))
        return meta

    @classmethod
    def from_row(cls, source: str, meta: dict, text: str) -> DocumentRecord:
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


def _passage(stored: StoredChunk) -> Passage:
    return Passage(stored.chunk.chunk_id, stored.chunk.index, stored.keyword_fields)


def _row_to_chunk(text: str, meta: dict) -> StoredChunk:
    metadata = DocumentMetadata.from_dict({k[4:]: v for k, v in meta.items() if k.startswith("doc_")})
    chunk = Chunk(
        source=meta["source"], doc_version=meta["doc_version"], index=int(meta["index"]),
        start=int(meta["start"]), end=int(meta["end"]), text=text,
        heading_path=tuple(json.loads(meta.get("heading_path") or "[]")), metadata=metadata,
        n_tokens=int(meta.get("n_tokens", 0)),
    )
    return StoredChunk(chunk, {k[3:]: v for k, v in meta.items() if k.startswith("kw_")})


class _Guarded:
    """A Chroma collection whose calls turn a lost server connection into ``IndexUnavailable``."""

    def __init__(self, collection, location: str) -> None:
        self._collection = collection
        self._location = location

    @property
    def metadata(self) -> dict | None:
        return self._collection.metadata

    def get_all(self, include: list[str], where: dict | None = None) -> dict[str, list]:
        """``get`` of every matching row, a page at a time: one read of all rows binds one SQL variable per
        row, and SQLite refuses beyond 32,766 ("too many SQL variables" at ~2,000 real documents' chunks).
        Pages are ordered by Chroma's insertion order. Under the writer lease nothing moves between them; a
        reader outside it reads a collection of one page (up to _GET_PAGE rows) at once, as before."""
        out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
        offset = 0
        while True:
            rows = self.get(include=include, where=where, limit=_GET_PAGE, offset=offset)
            out["ids"] += rows["ids"]
            for k in include:
                out[k] += rows.get(k) or []
            if len(rows["ids"]) < _GET_PAGE:
                return out
            offset += _GET_PAGE

    def __getattr__(self, name: str):
        method = getattr(self._collection, name)

        def call(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except _CONNECTION_ERRORS as exc:
                raise IndexUnavailable(f"Lost the connection to the Chroma index at {self._location} ({exc})") from exc

        return call


_OPEN_LOCK = "open.lock"


def open_client(path: Path, host: str = "", port: int = 8000) -> chromadb.api.ClientAPI:
    """A Chroma server at ``host:port`` when a host is given, else the embedded store at ``path``."""
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port)
        path.mkdir(parents=True, exist_ok=True)
        # Two processes opening a new store at once both run Chroma's schema migrations ("table collections
        # already exists"): they take turns, under an exclusive lock on a file in the store's folder.
        with (path / _OPEN_LOCK).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return chromadb.PersistentClient(path=str(path))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
        where = f"{host}:{port}" if host else str(path)
        raise IndexUnavailable(f"Cannot open the Chroma index at {where}: {exc}") from exc


def _reload_from_disk(client: chromadb.api.ClientAPI) -> None:
    """Drop this process's in-memory state of an embedded store: the next call reads it from disk again.

    Chroma has no public call for this (its maintainers' answer to several processes is a server). Its embedded
    client is a Rust bindings object behind the system's ServerAPI, shared by every client and collection of
    the path in this process; ``start()`` replaces it with a fresh one, which the existing collection handles
    use from their next call. tests/vectorstore/test_embedded_writers.py fails if a Chroma release changes
    that."""
    server = getattr(client, "_server", None)
    if server is None or not hasattr(server, "bindings"):
        raise ConfigError(f"This chromadb release ({chromadb.__version__}) has no embedded client this project "
                          "can reload; install the version pyproject.toml names, or run a Chroma server.")
    server.start()


def _create_collections(client: chromadb.api.ClientAPI, collection: str, embedding_model: str) -> tuple:
    chunks = client.get_or_create_collection(
        f"{collection}_chunks",
        embedding_function=None,  # never let Chroma build its default model: we pass vectors
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedding_model": embedding_model},
    )
    docs = client.get_or_create_collection(f"{collection}_documents", embedding_function=None)
    state = client.get_or_create_collection(f"{collection}_state", embedding_function=None)
    return chunks, docs, state


class ChromaIndex:
    def __init__(self, client: chromadb.api.ClientAPI, collection: str, embedding_model: str,
                 model_identity: Callable[[str], str] | None = None, location: str = "",
                 lease_kind: str = "auto", keyword_path: Path | None = None) -> None:
        """``model_identity`` maps an embedding-model setting to what it designates (two spellings of one
        model, e.g. a name and its folder, map to the same string); ``location`` names the store in messages.
        ``lease_kind``: "file" (a lock file in the store's folder), "chroma" (lease records in the index), or
        "auto": "file" for an embedded store on disk, else "chroma" (see vectorstore/lease.py).
        ``keyword_path``: the keyword index file (None: none is kept; a reader builds one in memory)."""
        self.embedding_model = embedding_model
        self.location = location or f"collection {collection!r}"
        settings = client.get_settings()
        embedded = bool(settings.is_persistent and settings.persist_directory) and "fastapi" not in str(
            settings.chroma_api_impl).lower()
        if lease_kind == "auto":
            lease_kind = "file" if embedded else "chroma"
        if lease_kind not in ("file", "chroma"):
            raise ValueError(f"lease_kind must be one of: auto, file, chroma. Currently it is {lease_kind!r}")
        folder = Path(settings.persist_directory)
        self._lock_path = folder / f"{collection}.writer.lock" if lease_kind == "file" else None
        # An embedded store's vector index lives in each process's memory: it is reloaded when another process
        # wrote (see the module docstring); a server has one, always current.
        self._client = client
        self._reloads = embedded
        self._vectors_at: str | None = None  # the generation this process's copy holds (None: not known yet)
        self._holding = threading.local()  # how many leases this thread holds (0 or 1)
        try:
            try:
                chunks, docs, state = (client.get_collection(f"{collection}_{part}", embedding_function=None)
                                       for part in ("chunks", "documents", "state"))
            except NotFoundError:  # a new index: processes creating it at once take turns
                if self._lock_path is not None:
                    with FileLease(self._lock_path, what="ingest", wait_s=600.0):
                        chunks, docs, state = _create_collections(client, collection, embedding_model)
                else:
                    chunks, docs, state = _create_collections(client, collection, embedding_model)
        except (ConfigError, IndexUnavailable):
            raise
        except Exception as exc:
            raise IndexUnavailable(f"Cannot open Chroma collection {collection!r}: {exc}") from exc
        self.keyword: BM25Store | None = keyword_store(keyword_path) if keyword_path is not None else None
        self._chunks = _Guarded(chunks, self.location)
        self._docs = _Guarded(docs, self.location)
        self._state = _Guarded(state, self.location)
        built_with = (self._chunks.metadata or {}).get("embedding_model")
        identity = model_identity or (lambda name: name)
        if built_with and identity(built_with) != identity(embedding_model) and self._chunks.count():
            raise ConfigError(
                f"The index {collection!r} was built with embedding model {built_with!r}, but the setting is "
                f"{embedding_model!r}. Use another CCHC_COLLECTION, or set CCHC_EMBEDDING_MODEL={built_with}."
            )

    # --- document registry -----------------------------------------------------------------------
    def documents(self, with_text: bool = False) -> dict[str, DocumentRecord]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        rows = self._docs.get_all(include=include)
        texts = rows.get("documents") or [""] * len(rows["ids"])
        return {
            source: DocumentRecord.from_row(source, meta, text)
            for source, meta, text in zip(rows["ids"], rows["metadatas"], texts)
        }

    def document(self, source: str, with_text: bool = True) -> DocumentRecord | None:
        rows = self._docs.get(ids=[source], include=["metadatas", "documents"] if with_text else ["metadatas"])
        if not rows["ids"]:
            return None
        return DocumentRecord.from_row(source, rows["metadatas"][0], rows["documents"][0] if with_text else "")

    def sources_with_version(self, version: str) -> list[str]:
        """The registered documents whose current version is ``version`` (the same content)."""
        return sorted(self._docs.get(where={"version": version}, include=[])["ids"])

    def commit_document(self, record: DocumentRecord, chunks: Sequence[StoredChunk] | None = None) -> None:
        """The commit point of a document's ingest: from here on its new chunks are served. ``chunks`` (the
        ones just written) go into the keyword index, before readers are told, so they find it current."""
        self._docs.upsert(ids=[record.source], embeddings=[_REGISTRY_VECTOR], documents=[record.text],
                          metadatas=[record.to_row()])
        try:
            if self.keyword is not None:
                pair = (record.source, record.version)
                passages = ([_passage(c) for c in chunks] if chunks is not None
                            else self.keyword_passages([pair])[pair])
                if passages is not None:
                    self.keyword.put([(record.source, record.version, passages)])
                self.keyword.remove(record.source, keep_version=record.version)
        finally:  # committed either way: readers must hear of it (they index what the file lacks)
            self._bump_generation()

    def delete_document(self, source: str) -> None:
        self._docs.delete(ids=[source])  # first: from here on none of its chunks are served
        try:
            if self.keyword is not None:
                self.keyword.remove(source)
        finally:
            self._bump_generation()
        self._chunks.delete(where={"source": source})

    # --- the keyword index -----------------------------------------------------------------------
    def keyword_passages(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Passage] | None]:
        """The keyword fields of the chunks of these (source, version), read from the chunk collection;
        None for a pair whose chunks are not all there (the document changed meanwhile)."""
        if not pairs:
            return {}
        registered = self._docs.get(ids=sorted({s for s, _ in pairs}), include=["metadatas"])
        expected = {(s, str(m.get("version", ""))): int(m.get("n_chunks", 0))
                    for s, m in zip(registered["ids"], registered["metadatas"])}
        versions = sorted({v for _, v in pairs})
        rows = self._chunks.get_all(include=["metadatas"], where={"doc_version": {"$in": versions}})
        found: dict[tuple[str, str], list[Passage]] = {}
        for cid, meta in zip(rows["ids"], rows["metadatas"]):
            found.setdefault((meta["source"], meta["doc_version"]), []).append(
                Passage(cid, int(meta["index"]), {k[3:]: v for k, v in meta.items() if k.startswith("kw_")}))
        out: dict[tuple[str, str], list[Passage] | None] = {}
        for pair in pairs:
            passages = sorted(found.get(pair, []), key=lambda p: p.position)
            passages = [p for p in passages if p.position < expected.get(pair, 0)]  # not an earlier, longer write's
            complete = pair in expected and len({p.position for p in passages}) == expected[pair]
            out[pair] = passages if complete else None
        return out

    def sync_keyword(self, store: BM25Store | None = None, remove_stale: bool = False,
                     current: dict[str, str] | None = None) -> int:
        """Index in ``store`` (default: this index's file) the served versions it lacks; ``remove_stale`` (a
        writer under the lease): also drop the versions the registry no longer serves. ``current``: the
        registry's versions when the caller has just read them."""
        store = store if store is not None else self.keyword
        if store is None:
            return 0
        if current is None:
            current = {s: r.version for s, r in self.documents().items()}
        return store.sync(current, self.keyword_passages, remove_stale=remove_stale)

    def generation(self) -> str:
        """A token that changes whenever the registry changes (in this process or any other): readers that
        keep a snapshot compare it to know when to reload. Empty for an index never written to."""
        rows = self._state.get(ids=[_GENERATION_ID], include=["metadatas"])
        return str(rows["metadatas"][0]["token"]) if rows["ids"] else ""

    def _bump_generation(self) -> None:
        token = uuid.uuid4().hex
        self._state.upsert(ids=[_GENERATION_ID], embeddings=[_REGISTRY_VECTOR], metadatas=[{"token": token}])
        if getattr(self._holding, "n", 0):  # under the lease this process's copy was current: it still is
            self._vectors_at = token

    # --- chunks ----------------------------------------------------------------------------------
    def put_chunks(self, chunks: Sequence[StoredChunk], embeddings: Sequence[Sequence[float]]) -> None:
        """Write chunks (uncommitted until ``commit_document``). Call it under a ``WriterLease``: outside
        one, another writer's orphan cleanup may delete them before they are committed."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        for at in range(0, len(chunks), _PUT_BATCH):
            batch, vectors = chunks[at : at + _PUT_BATCH], embeddings[at : at + _PUT_BATCH]
            self._chunks.upsert(
                ids=[s.chunk.chunk_id for s in batch],
                embeddings=[list(map(float, e)) for e in vectors],
                documents=[s.chunk.text for s in batch],
                metadatas=[_chunk_to_row(s.chunk, s.keyword_fields) for s in batch],
            )

    def delete_stale_chunks(self, source: str, keep_version: str, n_chunks: int | None = None) -> int:
        """Delete the chunks of ``source`` that are not of ``keep_version`` (or, given ``n_chunks``, are of it
        but beyond its last index: left by an earlier write of the same version with more chunks)."""
        rows = self._chunks.get(where={"source": source}, include=["metadatas"])
        stale = [i for i, m in zip(rows["ids"], rows["metadatas"])
                 if m.get("doc_version") != keep_version or (n_chunks is not None and int(m["index"]) >= n_chunks)]
        if stale:
            self._chunks.delete(ids=stale)
        return len(stale)

    def delete_orphans(self) -> int:
        """Chunks whose document or version is not in the registry. Under a ``WriterLease`` these can only
        be leftovers of a writer that died (see the module docstring); outside one, they may be another
        writer's chunks on their way to their commit."""
        orphans = self.orphan_ids()
        for at in range(0, len(orphans), _PUT_BATCH):
            self._chunks.delete(ids=orphans[at : at + _PUT_BATCH])
        return len(orphans)

    def orphan_ids(self) -> list[str]:
        current = {s: r.version for s, r in self.documents().items()}
        rows = self._chunks.get_all(include=["metadatas"])
        return [i for i, m in zip(rows["ids"], rows["metadatas"]) if current.get(m["source"]) != m["doc_version"]]

    def chunk_rows(self) -> dict[str, dict]:
        """Every stored chunk's metadata row by chunk id, served or not (for ``vectorstore.check``)."""
        rows = self._chunks.get_all(include=["metadatas"])
        return dict(zip(rows["ids"], rows["metadatas"]))

    def chunk_embeddings(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored vectors of ``ids`` (those that exist)."""
        out: dict[str, list[float]] = {}
        with self._vectors_current():
            for at in range(0, len(ids), _PUT_BATCH):
                rows = self._chunks.get(ids=list(ids[at : at + _PUT_BATCH]), include=["embeddings"])
                out.update((i, [float(x) for x in e]) for i, e in zip(rows["ids"], rows["embeddings"]))
        return out

    def lease(self, what: str = "ingest", wait_s: float = 600.0, on_wait: Callable[[str], None] | None = None,
              since: str = "", **timing: float) -> Lease:
        """The writer lease of this index (a context manager, vectorstore/lease.py); ``timing`` tunes it
        (poll_s, notice_after_s; for the "chroma" kind also ttl_s and beat_s)."""
        common = {"what": what, "wait_s": wait_s, "on_wait": on_wait, "since": since, "depth": self._holding,
                  "on_acquire": self._reload_if_stale if self._reloads else None}
        if self._lock_path is not None:
            return FileLease(self._lock_path, **common, **timing)
        return ChromaLease(self._state, **common, **timing)

    def _reload_if_stale(self) -> None:
        """Reload this process's copy of the store if another process changed it since (see the module
        docstring). Called with the lease held: no writer is folding the log into the files meanwhile."""
        generation = self.generation()
        if generation != self._vectors_at:
            _reload_from_disk(self._client)
            self._vectors_at = generation

    @contextmanager
    def _vectors_current(self) -> Iterator[None]:
        """Around a read of vectors: a copy that may be stale is reloaded, and the read (which loads the vector
        files) runs under the lease, so that no writer rewrites them meanwhile. A current copy reads at once."""
        with ExitStack() as held:
            if self._reloads and not getattr(self._holding, "n", 0) and self.generation() != self._vectors_at:
                try:
                    held.enter_context(self.lease(what="search"))  # reloads on taking it
                except OSError:  # a store this process may not write (its lock file cannot be made): no writer either
                    self._reload_if_stale()
            yield

    def served_chunks(self) -> list[StoredChunk]:
        """Every chunk of every document's current version, in document order."""
        current = {s: r.version for s, r in self.documents().items()}
        if not current:
            return []
        rows = self._chunks.get_all(include=["metadatas", "documents"])
        out = [
            _row_to_chunk(text, meta)
            for text, meta in zip(rows["documents"], rows["metadatas"])
            if current.get(meta["source"]) == meta["doc_version"]
        ]
        return sorted(out, key=lambda s: (s.chunk.source, s.chunk.index))

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The stored chunks of ``ids`` (those that exist), in one read per thousand."""
        out: dict[str, StoredChunk] = {}
        for at in range(0, len(ids), _PUT_BATCH):
            rows = self._chunks.get(ids=list(ids[at : at + _PUT_BATCH]), include=["metadatas", "documents"])
            out.update((i, _row_to_chunk(text, meta))
                       for i, text, meta in zip(rows["ids"], rows["documents"], rows["metadatas"]))
        return out

    def document_chunks(self, source: str, version: str) -> list[StoredChunk]:
        """The chunks of one version of a document, in order."""
        rows = self._chunks.get(where={"$and": [{"source": source}, {"doc_version": version}]},
                                include=["metadatas", "documents"])
        chunks = [_row_to_chunk(text, meta) for text, meta in zip(rows["documents"], rows["metadatas"])]
        return sorted(chunks, key=lambda s: s.chunk.index)

    def search(self, embedding: Sequence[float], n: int, versions: dict[str, str]) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the nearest served chunks, restricted to ``versions``."""
        if not versions:
            return []
        where = {"doc_version": {"$in": sorted(set(versions.values()))}}
        with self._vectors_current():
            result = self._chunks.query(query_embeddings=[list(map(float, embedding))], n_results=n, where=where,
                                        include=["metadatas", "distances"])
        out = []
        for cid, meta, dist in zip(result["ids"][0], result["metadatas"][0], result["distances"][0]):
            if versions.get(meta["source"]) == meta["doc_version"]:
                out.append((cid, 1.0 - float(dist)))
        return out

    def count_chunks(self) -> int:
        return self._chunks.count()
