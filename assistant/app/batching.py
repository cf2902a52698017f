"""Question embeddings computed in small batches, on two threads, when answers run at the same time.

Embedding the question is most of an extractive answer's CPU (~70%: a forward pass of the e5 model on one
thread). A batch of 4 short questions costs about as much as 2.5 single ones, so ``BatchingEmbedder``
hands questions to ``max_parallel`` worker threads (one per core), each embedding the oldest waiting
questions together, at most ``max_batch`` at a time. A question that arrives when a worker is idle is
embedded at once, alone: nothing waits to fill a batch. Keeping the model's forward passes on the same
few threads also keeps the memory allocator from spreading the model's buffers over every thread that
answers (the server's memory grew with the number of threads that had run the model).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from vectorstore.embeddings import Embedder, SentenceTransformerEmbedder

MAX_BATCH = 8
MAX_PARALLEL = 2  # batches at once: one per core of the 2-core target machine (torch uses one thread each)


@dataclass(eq=False)
class _Pending:
    text: str
    vector: list[float] | None = None
    error: BaseException | None = None
    done: bool = False


class BatchingEmbedder:
    """An ``Embedder`` whose ``embed_query`` calls from several threads are embedded in shared batches;
    ``embed_documents`` goes straight to the wrapped embedder."""

    def __init__(self, inner: Embedder, max_batch: int = MAX_BATCH, max_parallel: int = MAX_PARALLEL) -> None:
        if max_batch < 1 or max_parallel < 1:
            raise ValueError(f"max_batch and max_parallel must be at least 1. Currently {max_batch}, {max_parallel}")
        self.inner = inner
        self.max_batch = max_batch
        self.max_parallel = max_parallel
        self._cond = threading.Condition()
        self._pending: list[_Pending] = []
        self._workers: list[threading.Thread] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        item = _Pending(text)
        with self._cond:
            if not self._workers:  # started on first use, daemons: nothing to stop
                self._workers = [threading.Thread(target=self._work, name=f"cchc-embed-{n}", daemon=True)
                                 for n in range(self.max_parallel)]
                for worker in self._workers:
                    worker.start()
            self._pending.append(item)
            self._cond.notify_all()
            while not item.done:
                self._cond.wait()
        if item.error is not None:
            raise item.error
        assert item.vector is not None
        return item.vector

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            try:
                vectors = self._embed_queries([item.text for item in batch])
                for item, vector in zip(batch, vectors):
                    item.vector = vector
            except BaseException as exc:  # every question of the batch gets the error, in its own thread
                for item in batch:
                    item.error = exc
            with self._cond:
                for item in batch:
                    item.done = True
                self._cond.notify_all()

    def _embed_queries(self, texts: list[str]) -> list[list[float]]:
        many = getattr(self.inner, "embed_queries", None)
        if callable(many):
            return many(texts)
        if isinstance(self.inner, SentenceTransformerEmbedder) and len(texts) > 1:
            # embed_query is _encode of one prefixed text: the same, several at once
            return self.inner._encode([self.inner.query_prefix + text for text in texts])
        return [self.inner.embed_query(text) for text in texts]

    def __getattr__(self, name: str):  # model_name, dimension, ... of the wrapped embedder
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
