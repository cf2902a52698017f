"""Keyword search: BM25 over two analyses of the same text.

- ``seg``: Vietnamese words from pyvi's segmenter ("chi_phí", "tuân_thủ"), lower case, canonical tones.
- ``plain``: accent-less syllables plus syllable bigrams ("chi", "phi", "chi_phi"), so a question typed
  without diacritics ("cat giam chi phi tuan thu") still finds the accented passage.
The analyses of chunks are computed once at ingest and stored with them in Chroma, and indexed in a
``BM25Store`` (vectorstore/bm25_store.py: a file beside the store, updated document by document).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ingest.textnorm import canonical_tones, expand_abbreviations, plain
from vectorstore.bm25_store import BM25Reader, BM25Store, KeywordHit, Passage

__all__ = ["FIELDS", "KeywordHit", "KeywordIndex", "KeywordSearch", "analyse", "keyword_store", "plain_tokens",
           "segment_words"]

FIELDS = ("seg", "plain")
_TOKEN = re.compile(r"[\w%]+", re.UNICODE)


def segment_words(text: str) -> list[str]:
    from pyvi import ViTokenizer  # loads a CRF model: imported on first use, not at import time

    segmented = ViTokenizer.tokenize(canonical_tones(text))
    return [t.lower() for t in segmented.split() if _TOKEN.fullmatch(t.replace("_", "a"))]


def plain_tokens(text: str) -> list[str]:
    syllables = _TOKEN.findall(expand_abbreviations(plain(text)))
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


def analyse(text: str) -> dict[str, str]:
    """The stored keyword fields of a passage (space-joined tokens)."""
    return {"seg": " ".join(segment_words(text)), "plain": " ".join(plain_tokens(text))}


class KeywordSearch(Protocol):
    """BM25 over the served passages: what retrieval and answer scoring read (``BM25Reader``, ``KeywordIndex``)."""

    def search(self, field: str, query_tokens: Sequence[str], n: int,
               allowed: set[str] | None = None) -> list[KeywordHit]: ...

    def knows(self, field: str, token: str) -> bool: ...

    def idf(self, field: str, token: str) -> float: ...


def keyword_store(path: Path | None) -> BM25Store:
    """The keyword index of both fields at ``path`` (None: in memory)."""
    return BM25Store(path, FIELDS)


class KeywordIndex:
    """BM25 over a given list of passages, in memory (tests, small throw-away views). Each passage counts as
    its own document, so ``allowed`` in ``search`` is a set of passage ids."""

    def __init__(self, ids: Sequence[str], fields: Sequence[dict[str, str]]) -> None:
        if len(ids) != len(fields):
            raise ValueError(f"{len(ids)} ids but {len(fields)} field sets")
        self.ids = list(ids)
        self._store = keyword_store(None)
        self._store.put((cid, "", [Passage(cid, i, f)]) for i, (cid, f) in enumerate(zip(ids, fields)))
        self._reader: BM25Reader = self._store.reader()

    def search(self, field: str, query_tokens: Sequence[str], n: int,
               allowed: set[str] | None = None) -> list[KeywordHit]:
        return self._reader.search(field, query_tokens, n, allowed)

    def knows(self, field: str, token: str) -> bool:
        """Whether any passage contains ``token`` in ``field``."""
        return self._reader.knows(field, token)

    def idf(self, field: str, token: str) -> float:
        """BM25's inverse document frequency; a token the corpus never uses gets the highest weight."""
        return self._reader.idf(field, token)
