"""The embedding stage: prefixes, batching, errors; the real model only where marked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.settings import Settings
from ingest.errors import ModelUnavailable
from tests.fakes import HashingEmbedder
from vectorstore import embeddings
from vectorstore.embeddings import Embedder, SentenceTransformerEmbedder


class RecordingModel:
    """Stands in for SentenceTransformer: remembers what it was asked to encode."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], int, bool]] = []

    def get_embedding_dimension(self) -> int:
        return 3

    def encode(self, texts, *, batch_size, normalize_embeddings, convert_to_numpy, show_progress_bar):
        self.calls.append((texts, batch_size, normalize_embeddings))
        return np.array([[float(len(t)), 0.0, 1.0] for t in texts])


@pytest.fixture
def recording(monkeypatch) -> RecordingModel:
    model = RecordingModel()
    monkeypatch.setattr(embeddings, "load_sentence_transformer", lambda name, device: model)
    return model


def test_prefixes_batch_size_and_normalization_reach_the_model(recording):
    embedder = SentenceTransformerEmbedder("m", query_prefix="query: ", passage_prefix="passage: ", batch_size=7)
    docs = embedder.embed_documents(["Quảng Bình", "Lai Châu"])
    query = embedder.embed_query("chi phí tuân thủ")
    assert recording.calls == [
        (["passage: Quảng Bình", "passage: Lai Châu"], 7, True),
        (["query: chi phí tuân thủ"], 7, True),
    ]
    assert docs == [[19.0, 0.0, 1.0], [17.0, 0.0, 1.0]] and query == [23.0, 0.0, 1.0]
    assert embedder.dimension == 3


def test_empty_batch_does_not_call_the_model(recording):
    embedder = SentenceTransformerEmbedder("m", query_prefix="", passage_prefix="")
    assert embedder.embed_documents([]) == []
    assert recording.calls == []


def test_build_embedder_uses_the_settings(recording, tmp_path):
    from assistant.pipeline import build_embedder

    settings = Settings(embedding_model=str(tmp_path), query_prefix="q: ", passage_prefix="p: ", embed_batch_size=4)
    embedder = build_embedder(settings)
    assert (embedder.model_name, embedder.query_prefix, embedder.passage_prefix, embedder.batch_size) == (
        str(tmp_path), "q: ", "p: ", 4)


def test_bad_batch_size_is_named(recording):
    with pytest.raises(ValueError, match="batch_size is 0"):
        SentenceTransformerEmbedder("m", query_prefix="", passage_prefix="", batch_size=0)


def test_missing_model_folder_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelUnavailable, match=f"folder '{missing}' does not exist. Use 'e5-small-local'"):
        SentenceTransformerEmbedder(str(missing), query_prefix="", passage_prefix="")


@pytest.mark.slow
def test_folder_that_is_not_a_model_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match=f"Cannot load the embedding model '{tmp_path}' offline"):
        SentenceTransformerEmbedder(str(tmp_path), query_prefix="", passage_prefix="")


def test_local_model_not_built_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailable, match="make setup"):
        from assistant.pipeline import build_embedder

        build_embedder(Settings(models_dir=tmp_path))


def test_hashing_embedder_is_a_deterministic_normalized_embedder():
    fake: Embedder = HashingEmbedder(dimension=64)
    a, b, c = fake.embed_documents(["cải cách hành chính", "Cải cách thủ tục", "xyz"])
    assert a == HashingEmbedder(dimension=64).embed_query("cải cách hành chính")
    assert all(math.isclose(sum(v * v for v in vec), 1.0) for vec in (a, b, c, fake.embed_query("")))
    dot = lambda x, y: sum(p * q for p, q in zip(x, y))  # noqa: E731
    assert dot(a, b) > dot(a, c)


@pytest.mark.model
def test_real_model_applies_the_prefixes(e5_folder):
    from sentence_transformers import SentenceTransformer

    text = "Tỉnh nào cắt giảm 20% chi phí tuân thủ?"
    embedder = SentenceTransformerEmbedder(str(e5_folder), query_prefix="query: ", passage_prefix="passage: ")
    direct = SentenceTransformer(str(e5_folder), device="cpu", local_files_only=True)
    query, passage = np.array(embedder.embed_query(text)), np.array(embedder.embed_documents([text])[0])
    assert embedder.dimension == 384 == len(query)
    assert np.allclose(query, direct.encode("query: " + text, normalize_embeddings=True), atol=1e-5)
    assert np.allclose(passage, direct.encode("passage: " + text, normalize_embeddings=True), atol=1e-5)
    assert not np.allclose(query, passage, atol=1e-3)
    assert math.isclose(float(np.linalg.norm(query)), 1.0, rel_tol=1e-5)
