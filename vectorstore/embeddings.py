"""Turn text into vectors with a sentence-transformers model, loaded offline.

``Embedder`` is the swap point: the vector store and the retriever take anything with these two
methods, so tests pass a cheap fake (``tests/fakes.py``) instead of the real model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from ingest.errors import ModelUnavailable


class Embedder(Protocol):
    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def load_sentence_transformer(model: str, device: str):  # -> sentence_transformers.SentenceTransformer
    """Load ``model`` (a folder or a cached model name) without touching the network."""
    hint = "Use 'e5-small-local' (built by `make setup`) or the path of a sentence-transformers folder."
    looks_like_path = model.startswith((os.sep, ".", "~"))
    if looks_like_path and not Path(model).expanduser().is_dir():  # say so before a 10 s library import
        raise ModelUnavailable(f"The embedding model folder {model!r} does not exist. {hint}")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(model, device=device, local_files_only=True)
    except Exception as exc:  # missing folder, missing files, bad config: many types, one meaning here
        raise ModelUnavailable(
            f"Cannot load the embedding model {model!r} offline ({type(exc).__name__}: {exc}). {hint}"
        ) from exc


class SentenceTransformerEmbedder(Embeddings):
    """LangChain ``Embeddings`` over a sentence-transformers model, with e5-style text prefixes.

    e5 models were trained with "query: " / "passage: " in front of the text; which prefix works best
    for queries here is an evaluation question (DESIGN §1), so both are explicit settings.
    """

    def __init__(
        self,
        model: str,
        *,
        query_prefix: str,
        passage_prefix: str,
        batch_size: int = 32,
        normalize: bool = True,
        device: str = "cpu",
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0. Currently, the batch_size is {batch_size}")
        self.model_name = model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.normalize = normalize
        self._model = load_sentence_transformer(model, device)
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelUnavailable(
                f"The model {model!r} does not report an embedding size: not a sentence-embedding model")
        self.dimension: int = dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + text for text in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + text])[0]

    def _encode(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.tolist()

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEmbedder(model={self.model_name!r}, query_prefix={self.query_prefix!r}, "
            f"passage_prefix={self.passage_prefix!r}, batch_size={self.batch_size}, dimension={self.dimension})"
        )


class EndpointEmbedder:
    """The same model served elsewhere: any OpenAI-compatible ``/v1/embeddings`` endpoint (text-embeddings-
    inference, vLLM, llama.cpp's server on a GPU machine), through langchain-openai's ``OpenAIEmbeddings``.

    The e5 prefixes are added here, as for the local model, and vectors are L2-normalised here, so an index
    built by one is searched by the other (the pipeline checks the model name; ``vectors_match`` checks the
    vectors). Raw text is sent: the server's own tokenizer counts, not tiktoken's.
    """

    def __init__(self, base_url: str, model: str, *, query_prefix: str, passage_prefix: str, api_key: str = "none",
                 batch_size: int = 32, timeout_s: float = 120.0) -> None:
        from langchain_openai import OpenAIEmbeddings

        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0. Currently, the batch_size is {batch_size}")
        self.base_url, self.model_name = base_url, model
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self._client = OpenAIEmbeddings(base_url=base_url, model=model, api_key=api_key, chunk_size=batch_size,
                                        check_embedding_ctx_length=False, request_timeout=timeout_s, max_retries=2)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return [_unit(v) for v in self._call(self._client.embed_documents, [self.passage_prefix + t for t in texts])]

    def embed_query(self, text: str) -> list[float]:
        return _unit(self._call(self._client.embed_query, self.query_prefix + text))

    def _call(self, method, payload):
        try:
            return method(payload)
        except Exception as exc:  # connection refused, HTTP errors, bad JSON: one meaning for the user
            raise ModelUnavailable(f"The embedding endpoint {self.base_url} (model {self.model_name!r}) failed: "
                                   f"{type(exc).__name__}: {exc}. Check that the server runs and serves that model, "
                                   "or unset CCHC_EMBEDDING_BASE_URL to embed locally.") from exc


def _unit(vector: Sequence[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5
    return [float(x) / norm for x in vector] if norm else [float(x) for x in vector]


def vectors_match(a: Embedder, b: Embedder, texts: Sequence[str], min_cosine: float = 0.99) -> list[str]:
    """The texts whose two embeddings (both L2-normalised) have a cosine below ``min_cosine``: empty when ``b``
    can stand in for ``a`` on an index built by ``a``."""
    left, right = a.embed_documents(list(texts)), b.embed_documents(list(texts))
    return [t for t, u, v in zip(texts, left, right) if sum(x * y for x, y in zip(u, v)) < min_cosine]


class LazyEmbedder:
    """An ``Embedder`` that builds the real one on first use: re-ingesting an unchanged corpus then never
    pays the model load (~6 s, plus the import of sentence-transformers)."""

    def __init__(self, factory: Callable[[], Embedder]) -> None:
        self._factory = factory
        self._embedder: Embedder | None = None

    def _get(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._factory()
        return self._embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._get().embed_query(text)
