"""The answerer's cache of sentence vectors, used by several answering threads at once."""

from __future__ import annotations

import threading
import time

from assistant.answer.similarity import SentenceVectors


class _SlowEmbedder:
    """A question's vector points along its own axis; embedding a question takes long enough for another
    thread to start its own in between."""

    axes = {"one": [1.0, 0.0], "two": [0.0, 1.0]}

    def embed_query(self, text: str) -> list[float]:
        time.sleep(0.05)
        return self.axes[text]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.axes[t] for t in texts]


def test_each_thread_scores_against_its_own_question():
    vectors = SentenceVectors(_SlowEmbedder(), size=1)  # size 1: every call also evicts the other's unit
    results: dict[str, list[list[float]]] = {"one": [], "two": []}

    def ask(question: str) -> None:
        for _ in range(5):
            results[question].append(vectors.similarities(question, ["one", "two"]))

    threads = [threading.Thread(target=ask, args=(q,)) for q in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["one"] == [[1.0, 0.0]] * 5
    assert results["two"] == [[0.0, 1.0]] * 5
