"""Cheap, deterministic stand-ins for the expensive parts, shared by the tests of every stage.

Import as ``from tests.fakes import HashingEmbedder``. Others may append fakes here.
"""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder(Embeddings):
    """Bag of hashed lower-cased words → L2-normalized vector (satisfies vectorstore.embeddings.Embedder).

    Texts that share words get a positive cosine, texts that share none get 0 (bar hash collisions), and the same text always
    gets the same vector in every process (hashlib, not the salted built-in hash()).
    """

    def __init__(self, dimension: int = 256) -> None:
        if dimension <= 0:
            raise ValueError(f"dimension must be greater than 0. Currently, the dimension is {dimension}")
        self.dimension = dimension
        self.calls: list[list[str]] = []  # every batch seen, so tests can check what was embedded

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls.append([text])
        return self._vector(text)

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimension
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
            vector[int.from_bytes(digest, "little") % self.dimension] += 1.0
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0.0:  # no words: a fixed unit vector, because cosine with a zero vector is undefined
            vector[0], norm = 1.0, 1.0
        return [v / norm for v in vector]
