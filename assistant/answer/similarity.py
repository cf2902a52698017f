"""Similarity in meaning between a question and the units that may answer it: the embedder's vectors, remembered."""

from __future__ import annotations

import threading
from collections import OrderedDict

from vectorstore.embeddings import Embedder


class SentenceVectors:
    """The embedder's vectors of the question and of candidate units, remembered per text (a unit's vector
    is the same for every question; an LRU of ``size`` texts). Answers are computed in several threads at
    once: the cache is touched under a lock, embedding happens outside it, and each call keeps its own
    question vector (a shared "last question" would let one thread score against another's question)."""

    def __init__(self, embedder: Embedder, size: int) -> None:
        self.embedder = embedder
        self.size = size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def similarities(self, question: str, texts: list[str]) -> list[float]:
        with self._lock:
            q = self._queries.get(question)
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if q is None:
            q = self.embedder.embed_query(question)
        fresh = dict(zip(missing, self.embedder.embed_documents(missing))) if missing else {}
        with self._lock:
            self._queries[question] = q
            self._queries.move_to_end(question)
            while len(self._queries) > _QUESTIONS_REMEMBERED:
                self._queries.popitem(last=False)
            self._cache.update(fresh)
            found = {}
            for text in texts:
                if text in self._cache:
                    self._cache.move_to_end(text)
                    found[text] = self._cache[text]
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        lost = [t for t in dict.fromkeys(texts) if t not in found]  # evicted by another thread meanwhile
        if lost:
            found.update(zip(lost, self.embedder.embed_documents(lost)))
        return [cosine(q, found[t]) for t in texts]


# Question vectors remembered: a question is scored against its units in one or two calls, shortly after another.
_QUESTIONS_REMEMBERED = 64


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    na = sum(x * x for x in a) ** 0.5
    nb = sum(y * y for y in b) ** 0.5
    return dot / (na * nb) if na and nb else 0.0
