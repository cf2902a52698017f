"""A Chroma server lost in the middle of an ingest: one line naming the document being written, the index keeps
its last committed state, and running the same ingest again when the server is back completes it."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

import assistant.pipeline
from assistant.cli import main
from assistant.pipeline import build_check
from assistant.settings import Settings
from tests.conftest import SAMPLE_FILES
from tests.fakes import HashingEmbedder
from tests.vectorstore.test_chroma_server import CHROMA, free_port

pytestmark = [pytest.mark.server, pytest.mark.slow]


def start_server(port: int, data: Path, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(data)],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"chroma run did not come up: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ServerKillingEmbedder(HashingEmbedder):
    """Stops the server while the third document is being embedded: its write then finds no server."""

    def __init__(self, server: subprocess.Popen) -> None:
        super().__init__()
        self.server = server

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if len(self.calls) == 2:
            stop(self.server)
        return super().embed_documents(texts)


def test_a_server_lost_mid_ingest(sample_corpus: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    port, data, log = free_port(), tmp_path / "server-data", tmp_path / "chroma.log"
    server = start_server(port, data, log)
    try:
        for name, value in {"CCHC_CHROMA_HOST": "127.0.0.1", "CCHC_CHROMA_PORT": str(port),
                            "CCHC_CHROMA_PATH": str(tmp_path / "unused"), "CCHC_COLLECTION": "lost",
                            "CCHC_EMBEDDING_MODEL": "fake"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(assistant.pipeline, "build_embedder", lambda settings: ServerKillingEmbedder(server))
        code = main(["ingest", str(sample_corpus), "--quiet"])
        out, err = capsys.readouterr()
        third = SAMPLE_FILES[2]
        assert code == 2 and out == ""
        assert err.startswith(f"error: Lost the connection to the Chroma index at 127.0.0.1:{port} (")
        assert err.endswith(f", while writing {third}. The index keeps its last committed state (2 documents committed "
                            f"by this run; {third} and the rest not). Run the same ingest again when the index is "
                            "back: what was committed is skipped as unchanged\n")
        assert err.count("\n") == 1

        server = start_server(port, data, log)  # the server is back, with what was committed
        monkeypatch.setattr(assistant.pipeline, "build_embedder", lambda settings: HashingEmbedder())
        code = main(["ingest", str(sample_corpus), "--quiet", "--json"])
        out, _ = capsys.readouterr()
        assert code == 0
        assert (json.loads(out)["unchanged"], json.loads(out)["added"]) == (list(SAMPLE_FILES[:2]), list(SAMPLE_FILES[2:]))
        report = build_check(Settings.from_env()).check(full=True)
        assert report.healthy and report.documents == 5, report.summary()
    finally:
        stop(server)


def test_a_server_that_is_not_there_is_one_line(sample_corpus: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    port = free_port()
    monkeypatch.setenv("CCHC_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CCHC_CHROMA_PORT", str(port))
    code = main(["ingest", str(sample_corpus), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and f"127.0.0.1:{port}" in err
