"""Keyword search: BM25 over two analyses of the same text.

- ``seg``: Vietnamese words from pyvi's segmenter ("chi_phí", "tuân_thủ"), lower case, canonical tones.
- ``plain``: accent-less syllables plus syllable bigrams ("chi", "phi", "chi_phi"), so a question typed
  without diacritics ("cat giam chi phi tuan thu") still finds the accented passage.
The analyses of chunks are computed once at ingest and stored with them in Chroma.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from ingest.textnorm import canonical_tones, expand_abbreviations, plain

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


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


class KeywordIndex:
    """One BM25 per field over the served chunks; rebuilt whenever the index changes (it is cheap)."""

    def __init__(self, ids: Sequence[str], fields: Sequence[dict[str, str]]) -> None:
        if len(ids) != len(fields):
            raise ValueError(f"{len(ids)} ids but {len(fields)} field sets")
        self.ids = list(ids)
        self._bm25: dict[str, BM25Okapi | None] = {}
        for name in FIELDS:
            docs = [f.get(name, "").split() for f in fields]
            # rank_bm25 divides by the corpus size: an empty index has no BM25 at all.
            self._bm25[name] = BM25Okapi(docs) if docs and any(docs) else None

    def search(self, field: str, query_tokens: Sequence[str], n: int,
               allowed: set[str] | None = None) -> list[KeywordHit]:
        if field not in FIELDS:
            raise ValueError(f"Unknown keyword field {field!r}. Valid fields are: {', '.join(FIELDS)}")
        bm25 = self._bm25[field]
        if bm25 is None or not query_tokens:
            return []
        scores = bm25.get_scores(list(query_tokens))
        ranked = sorted(
            (KeywordHit(cid, float(s)) for cid, s in zip(self.ids, scores)
             if s > 0 and (allowed is None or cid in allowed)),
            key=lambda h: -h.score,
        )
        return ranked[:n]

    def knows(self, field: str, token: str) -> bool:
        """Whether any served chunk contains ``token`` in ``field``."""
        bm25 = self._bm25.get(field)
        return bm25 is not None and token in bm25.idf

    def idf(self, field: str, token: str) -> float:
        """BM25's inverse document frequency; a token the corpus never uses gets the highest weight."""
        bm25 = self._bm25.get(field)
        if bm25 is None:
            return 1.0
        if token in bm25.idf:
            return max(float(bm25.idf[token]), 0.05)
        return max(bm25.idf.values(), default=1.0)
