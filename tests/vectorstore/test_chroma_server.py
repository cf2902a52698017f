"""The same ingest and query through a real Chroma server (`chroma run` on loopback) instead of the file store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.pipeline import build_index, build_ingestor, build_pipeline
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import SAMPLE_FILES
from tests.fakes import HashingEmbedder
from tests.ingest.test_metadata import SAMPLE_METADATA

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.slow]

CHROMA = PROJECT_ROOT / ".venv" / "bin" / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    data = tmp_path / "server-data"
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(data)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not come up: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield port, data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_ingest_and_query_through_a_chroma_server(chroma_server, sample_corpus: Path, tmp_path: Path,
                                                  real_embedder) -> None:
    port, data = chroma_server
    unused_path = tmp_path / "embedded-store"
    settings = Settings.from_env({"CCHC_CHROMA_HOST": "127.0.0.1", "CCHC_CHROMA_PORT": str(port),
                                  "CCHC_CHROMA_PATH": str(unused_path), "CCHC_COLLECTION": "servertest"})

    report = build_ingestor(settings, embedder=real_embedder).run([sample_corpus])
    assert report.added == list(SAMPLE_FILES) and report.skipped == []
    again = build_ingestor(settings, embedder=real_embedder).run([sample_corpus])
    assert again.unchanged == list(SAMPLE_FILES) and again.chunks_written == 0

    assert not unused_path.exists()  # nothing went to the embedded store
    assert (data / "chroma.sqlite3").is_file()  # it went to the server's store

    index = build_index(settings)
    assert {s: r.metadata for s, r in index.documents().items()} == SAMPLE_METADATA
    assert index.count_chunks() == len(index.served_chunks()) == report.chunks_written

    pipeline = build_pipeline(settings, embedder=real_embedder)
    query = pipeline.understand("Lai Châu đặt mục tiêu cắt giảm bao nhiêu phần trăm chi phí tuân thủ đến năm 2025?")
    hits = pipeline.search.search(query)
    assert hits and hits[0].chunk.source == "004_b20915e92c1cf682.txt"
    assert {h.chunk.source for h in hits} <= {"002_ac6b037d9fc896f6.txt", "004_b20915e92c1cf682.txt"}  # Lai Châu only
    answer = pipeline.answer("Quảng Bình cắt giảm bao nhiêu phần trăm chi phí tuân thủ?")
    assert answer.retrieved and answer.retrieved[0][0] == "003_66ba4e7d49b2dca2.txt"


_APP = """
import json, sys
from assistant.pipeline import build_pipeline
from tests.fakes import HashingEmbedder
pipeline = build_pipeline(embedder=HashingEmbedder())
sys.stdout.write(json.dumps({"documents": sorted(pipeline.view.documents),
                             "hit": pipeline.search.search(pipeline.understand(sys.argv[1]))[0].chunk.source}))
"""


def test_several_app_processes_share_one_server_and_one_keyword_file(chroma_server, sample_corpus: Path,
                                                                     tmp_path: Path) -> None:
    port, _ = chroma_server
    env = {"CCHC_CHROMA_HOST": "127.0.0.1", "CCHC_CHROMA_PORT": str(port), "CCHC_COLLECTION": "shared",
           "CCHC_EMBEDDING_MODEL": "fake", "CCHC_CHROMA_PATH": str(tmp_path / "unused"),
           "CCHC_KEYWORD_PATH": str(tmp_path / "shared.keyword.sqlite")}
    settings = Settings.from_env(env)
    (sample_corpus / SAMPLE_FILES[0]).unlink()
    build_ingestor(settings, embedder=HashingEmbedder()).run([sample_corpus])
    keyword = tmp_path / "shared.keyword.sqlite"
    assert keyword.is_file() and not (tmp_path / "unused").exists()

    full_env = {**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT)}
    question = "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm?"
    apps = [subprocess.Popen([sys.executable, "-c", _APP, question], env=full_env, cwd=PROJECT_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [json.loads(a.communicate(timeout=300)[0]) for a in apps]
    assert all(r == results[0] for r in results)
    assert results[0]["documents"] == sorted(SAMPLE_FILES[1:])
    # a document ingested later is found by a process that opens the same file
    (sample_corpus / SAMPLE_FILES[0]).write_bytes((PROJECT_ROOT / "data" / "corpus" / SAMPLE_FILES[0]).read_bytes())
    build_ingestor(settings, embedder=HashingEmbedder()).run([sample_corpus])
    out = subprocess.run([sys.executable, "-c", _APP, question], env=full_env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(out.stdout)["documents"] == sorted(SAMPLE_FILES)
