"""Ingest with embedding worker processes (assistant/workers.py): the count, the pooled embedder, a real run."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.settings import Settings
from assistant.workers import MIN_FILES_PER_WORKER, PooledEmbedder, ingest, worker_count
from ingest.errors import IngestError
from tests.conftest import SAMPLE_FILES
from tests.ingest.test_metadata import SAMPLE_METADATA


@pytest.mark.parametrize(("requested", "n_files", "cpus", "expected"), [
    (0, 5, 2, 1),  # auto: a handful of files is not worth a second model load
    (0, 2 * MIN_FILES_PER_WORKER - 1, 2, 1),
    (0, 2 * MIN_FILES_PER_WORKER, 2, 2),
    (0, 10_000, 2, 2),  # auto: one per core
    (0, 0, 2, 1),
    (4, 3, 2, 3),  # asked for: never more than there are files
    (3, 100, 2, 3),  # asked for: more than the cores is the user's choice
])
def test_worker_count(requested: int, n_files: int, cpus: int, expected: int) -> None:
    assert worker_count(requested, n_files, cpus=cpus) == expected


@pytest.mark.slow
def test_a_model_a_worker_cannot_load_is_reported_as_such(tmp_path: Path) -> None:
    from ingest.errors import ModelUnavailable

    pool = PooledEmbedder(Settings.from_env(embedding_model=str(tmp_path / "no-such-model")), workers=2)
    try:
        with pytest.raises(ModelUnavailable, match="no-such-model"):
            pool.embed_documents(["một", "hai"])
    finally:
        pool.close()


def test_workers_setting_out_of_range_is_named(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CCHC_CHROMA_PATH", str(tmp_path / "chroma"))
    assert main(["ingest", "--workers", "-1", str(tmp_path)]) == 2
    assert "ingest_workers" in capsys.readouterr().err.lower()


@pytest.fixture(scope="module")
def pool():
    embedder = PooledEmbedder(Settings.from_env(), workers=2)
    yield embedder
    embedder.close()


@pytest.mark.model
@pytest.mark.slow
def test_pooled_vectors_are_the_models_in_the_texts_order(pool, real_embedder) -> None:
    texts = [f"Đoạn {i}: cắt giảm tối thiểu {i}% chi phí tuân thủ đến năm 2025." for i in range(7)]
    pooled, alone = pool.embed_documents(texts), real_embedder.embed_documents(texts)
    assert len(pooled) == len(texts)
    for a, b in zip(pooled, alone):
        cosine = sum(x * y for x, y in zip(a, b)) / (sum(x * x for x in a) * sum(y * y for y in b)) ** 0.5
        assert cosine > 0.9999  # the same model in another process: the same vector, at its text's place
    assert pool.embed_documents([]) == []
    assert len(pool.embed_query("chi phí tuân thủ")) == len(alone[0])


@pytest.mark.model
@pytest.mark.slow
def test_a_killed_worker_ends_the_ingest_with_what_to_do(real_embedder) -> None:
    doomed = PooledEmbedder(Settings.from_env(), workers=2)
    try:
        doomed.embed_documents(["khởi động"] * 2)  # both workers up
        os.kill(next(iter(doomed._pool._processes)), signal.SIGKILL)
        deadline = time.monotonic() + 30  # the pool learns of the death from its manager thread, soon after
        with pytest.raises(IngestError, match="run the same ingest again"):
            while time.monotonic() < deadline:  # until then a batch may still go to the live worker
                doomed.embed_documents(["một", "hai", "ba"])
    finally:
        doomed.close()


@pytest.mark.model
@pytest.mark.slow
def test_an_ingest_with_two_workers_leaves_a_store_that_finds_every_chunk(sample_corpus: Path, tmp_path: Path) -> None:
    """One process writes; the workers only embed. (Two processes writing one embedded store left chunks that
    its vector index could not find.)"""
    from assistant.pipeline import build_check, build_index

    settings = Settings.from_env(chroma_path=tmp_path / "chroma", collection="workers", ingest_workers=2)
    notices: list[str] = []
    many = tmp_path / "many"
    many.mkdir()
    for copy in range(4):  # 20 files: auto starts both workers (8 files each)
        for name in SAMPLE_FILES:
            text = (sample_corpus / name).read_text("utf-8")
            (many / f"{copy}_{name}").write_text(f"{text}\n\nBản sao {copy}.", "utf-8")
    report = ingest(settings.replace(ingest_workers=0), [many], on_notice=notices.append)
    assert notices == ["Embedding with 2 worker processes"]
    assert len(report.added) == 20 and report.skipped == []
    index = build_index(settings)
    assert {s: r.metadata for s, r in index.documents().items() if s.startswith("0_")} == {
        f"0_{s}": m for s, m in SAMPLE_METADATA.items()}
    health = build_check(settings).check(full=True)
    assert health.healthy, health.summary()
    again = ingest(settings, [many])  # resumable: nothing left to do, no worker started
    assert len(again.unchanged) == 20 and again.chunks_written == 0
