"""Question embeddings in shared batches: the same vectors as one at a time, batches formed only while the
workers are busy, at most ``max_batch`` each and ``max_parallel`` at once, errors reach every caller."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.app.batching import BatchingEmbedder
from tests.fakes import HashingEmbedder


class SlowBatchEmbedder(HashingEmbedder):
    """The fake embedder with a batch method that takes a while and records what it was given."""

    def __init__(self, delay_s: float = 0.05, fail_on: str = "") -> None:
        super().__init__()
        self.delay_s, self.fail_on = delay_s, fail_on
        self.batches: list[list[str]] = []
        self.running = self.most_running = 0
        self._lock = threading.Lock()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            self.batches.append(list(texts))
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            time.sleep(self.delay_s)
            if self.fail_on in texts:
                raise RuntimeError("model failed")
            return [self._vector(t) for t in texts]
        finally:
            with self._lock:
                self.running -= 1


def test_one_question_alone_is_embedded_at_once_and_the_same() -> None:
    inner = SlowBatchEmbedder(delay_s=0)
    embedder = BatchingEmbedder(inner)
    assert embedder.embed_query("Lai Châu 2025") == HashingEmbedder().embed_query("Lai Châu 2025")
    assert inner.batches == [["Lai Châu 2025"]]
    assert embedder.embed_documents(["a b"]) == HashingEmbedder().embed_documents(["a b"])
    assert embedder.dimension == inner.dimension  # the wrapped embedder's attributes


def test_questions_arriving_together_share_bounded_batches() -> None:
    inner = SlowBatchEmbedder(delay_s=0.05)
    embedder = BatchingEmbedder(inner, max_batch=4, max_parallel=2)
    questions = [f"câu hỏi số {n}" for n in range(24)]
    with ThreadPoolExecutor(max_workers=24) as pool:
        vectors = list(pool.map(embedder.embed_query, questions))
    assert vectors == [HashingEmbedder().embed_query(q) for q in questions]
    assert sorted(q for batch in inner.batches for q in batch) == sorted(questions)  # each exactly once
    assert max(len(b) for b in inner.batches) == 4 and len(inner.batches) < len(questions)
    assert inner.most_running == 2


def test_an_error_reaches_every_question_of_its_batch_and_no_other() -> None:
    inner = SlowBatchEmbedder(delay_s=0.02, fail_on="bad")
    embedder = BatchingEmbedder(inner, max_batch=8, max_parallel=1)
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(embedder.embed_query, q) for q in ("first", "bad", "x", "y", "z", "w")]
    outcomes = []
    for future in futures:
        try:
            future.result(timeout=10)
            outcomes.append("ok")
        except RuntimeError:
            outcomes.append("error")
    failed = {q for batch in inner.batches if "bad" in batch for q in batch}
    assert outcomes.count("error") == len(failed) and "ok" in outcomes
    assert embedder.embed_query("after") == HashingEmbedder().embed_query("after")  # the workers live on
    with pytest.raises(ValueError):
        BatchingEmbedder(inner, max_batch=0)
