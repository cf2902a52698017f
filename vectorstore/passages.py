"""Passages and document texts fetched from the store when an answer needs them, with a bounded cache:
what a snapshot of the index reads instead of holding every chunk's text in memory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from vectorstore.chroma import ChromaIndex, StoredChunk


class PassageSource(Protocol):
    """Where a view reads passages and texts (``StoredPassages`` from Chroma, ``MemoryPassages`` in tests)."""

    def get(self, ids: Sequence[str]) -> dict[str, StoredChunk]: ...

    def of_document(self, source: str) -> list[StoredChunk]: ...

    def text(self, source: str) -> str: ...


class _Lru:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class StoredPassages:
    """Reads one snapshot's passages from the chunk collection by id (one batch per search) and document
    texts from the registry, keeping the most recent ones (``chunk_cache`` chunks, ``text_cache`` texts)."""

    def __init__(self, index: ChromaIndex, versions: Mapping[str, str], chunk_cache: int = 4096,
                 text_cache: int = 64) -> None:
        self.index = index
        self.versions = dict(versions)
        self._chunks = _Lru(chunk_cache)
        self._documents = _Lru(max(text_cache // 4, 8))  # whole documents' chunk lists (citations, headings)
        self._texts = _Lru(text_cache)

    def get(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        out = {i: c for i in ids if (c := self._chunks.get(i)) is not None}
        missing = [i for i in ids if i not in out]
        if missing:
            for cid, stored in self.index.chunks_by_id(missing).items():
                # a chunk of a version this snapshot does not serve (changed since) is not its passage
                if self.versions.get(stored.chunk.source) == stored.chunk.doc_version:
                    self._chunks.put(cid, stored)
                    out[cid] = stored
        return out

    def of_document(self, source: str) -> list[StoredChunk]:
        version = self.versions.get(source)
        if version is None:
            return []
        found = self._documents.get(source)
        if found is None:
            found = self.index.document_chunks(source, version)
            self._documents.put(source, found)
        return found

    def text(self, source: str) -> str:
        found = self._texts.get(source)
        if found is None:
            record = self.index.document(source, with_text=True)
            found = record.text if record is not None and record.version == self.versions.get(source) else ""
            self._texts.put(source, found)
        return found


class MemoryPassages:
    """Passages and texts given in memory (tests, small throw-away views)."""

    def __init__(self, chunks: Sequence[StoredChunk], texts: Mapping[str, str]) -> None:
        self._chunks = {s.chunk.chunk_id: s for s in chunks}
        self._texts = dict(texts)

    def get(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        return {i: self._chunks[i] for i in ids if i in self._chunks}

    def of_document(self, source: str) -> list[StoredChunk]:
        return sorted((s for s in self._chunks.values() if s.chunk.source == source), key=lambda s: s.chunk.index)

    def text(self, source: str) -> str:
        return self._texts.get(source, "")


class DocumentTexts(Mapping[str, str]):
    """The documents' texts as a read-only mapping that fetches each on first use (what the web app's
    citation panes look up), over the sources a snapshot serves."""

    def __init__(self, passages: PassageSource, sources: Sequence[str]) -> None:
        self._passages = passages
        self._sources = frozenset(sources)

    def __getitem__(self, source: str) -> str:
        if source not in self._sources:
            raise KeyError(source)
        return self._passages.text(source)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._sources))

    def __len__(self) -> int:
        return len(self._sources)
