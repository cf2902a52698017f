"""Embedding delegated to an OpenAI-compatible endpoint: a real server process on loopback serving the same
model must give the local model's vectors (cosine >= 0.99), so either can search an index the other built."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.errors import ModelUnavailable
from vectorstore.embeddings import EndpointEmbedder, SentenceTransformerEmbedder, vectors_match

SERVER = Path(__file__).with_name("embedding_server.py")
TEXTS = ["Cắt giảm tối thiểu 20% chi phí tuân thủ quy định liên quan đến hoạt động kinh doanh.",
         "Tỷ lệ hồ sơ giải quyết trực tuyến đạt 50% trở lên vào năm 2025.",
         "What is Lai Chau's 2025 compliance cost target?", "Chính quyền số"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(e5_folder: Path):
    port = free_port()
    process = subprocess.Popen([sys.executable, str(SERVER), str(e5_folder), str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"embedding server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("embedding server did not start within 120 s")
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.model
@pytest.mark.slow
def test_endpoint_vectors_match_the_local_model(endpoint: str, e5_folder: Path) -> None:
    local = SentenceTransformerEmbedder(str(e5_folder), query_prefix="passage: ", passage_prefix="passage: ")
    remote = EndpointEmbedder(endpoint, "multilingual-e5-small", query_prefix="passage: ", passage_prefix="passage: ",
                              batch_size=2)
    assert vectors_match(local, remote, TEXTS) == []
    query = remote.embed_query(TEXTS[2])
    assert abs(sum(x * x for x in query) - 1.0) < 1e-4  # normalised, like the local vectors
    assert sum(x * y for x, y in zip(query, local.embed_query(TEXTS[2]))) >= 0.99


def test_an_unreachable_endpoint_is_a_clear_error() -> None:
    remote = EndpointEmbedder(f"http://127.0.0.1:{free_port()}/v1", "e5", query_prefix="", passage_prefix="")
    with pytest.raises(ModelUnavailable, match=r"The embedding endpoint http://127.0.0.1:\d+/v1 .* failed"):
        remote.embed_documents(["x"])


def test_a_different_model_does_not_match() -> None:
    class Constant:
        def __init__(self, vector):
            self.vector = vector

        def embed_documents(self, texts):
            return [self.vector for _ in texts]

        def embed_query(self, text):
            return self.vector

    assert vectors_match(Constant([1.0, 0.0]), Constant([0.0, 1.0]), ["a", "b"]) == ["a", "b"]


@pytest.mark.model
@pytest.mark.slow
def test_the_setting_makes_the_pipeline_embed_through_the_endpoint(endpoint: str) -> None:
    from assistant.pipeline import build_embedder
    from assistant.settings import Settings

    embedder = build_embedder(Settings(embedding_base_url=endpoint))
    assert isinstance(embedder, EndpointEmbedder) and embedder.base_url == endpoint
    assert len(embedder.embed_query("Lai Châu")) == 384
