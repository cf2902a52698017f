"""Concurrent ingests on one index never lose or duplicate a chunk (issue "Nothing lost, nothing leaked").

Two `assistant ingest` processes (different folders, the same folder), against the embedded store and a
`chroma run` server, and an in-process ``Ingestor.run`` in a thread (what a web upload does) during a CLI
ingest. One side ingests a long folder once; the other ingests repeatedly, changing files between runs, so
that its runs start (and clean orphans) and commit while the first is mid-way — the interleaving that lost
documents for good before the writer lease. Afterwards the registry is checked against the stored chunks,
chunk by chunk: ``assistant check`` (vectorstore/check.py) with every vector, and each document's served
chunks against a fresh preparation of the text the registry keeps.

The processes run the real CLI (``assistant.cli.main``) with the fake embedder patched in by the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.pipeline import build_check, build_index, build_ingestor
from assistant.settings import PROJECT_ROOT, Settings
from ingest.document import SourceDocument
from tests.conftest import CORPUS_DIR, SAMPLE_FILES
from tests.fakes import HashingEmbedder
from tests.vectorstore.test_chroma_server import chroma_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

# `assistant ingest FOLDER` ROUNDS times in one process; from the second round on, two files change first.
DRIVER = """
import sys
from pathlib import Path
import assistant.pipeline as pipeline
from tests.fakes import HashingEmbedder
pipeline.build_embedder = lambda settings: HashingEmbedder()
from assistant.cli import main
folder, rounds = Path(sys.argv[1]), int(sys.argv[2])
codes = []
for r in range(rounds):
    if r:
        for f in sorted(folder.glob("*.txt"))[:2]:
            f.write_text(f.read_text("utf-8") + f"Lần sửa {r} của {f.stem}.\\n", "utf-8")
    codes.append(main(["ingest", str(folder), "--quiet", "--json"]))
sys.exit(max(codes))
"""


# The driver swaps in the fake embedder inside its own process; embedding workers (assistant/workers.py) would be
# fresh processes that build the configured model, so these ingests embed in process.
FAKE_IN_PROCESS = {"CCHC_INGEST_WORKERS": "1"}


def make_folder(root: Path, name: str, n: int) -> Path:
    """``n`` short documents (the first part of a sample, plus a line naming it): distinct contents."""
    folder = root / name
    folder.mkdir()
    for i in range(n):
        text = (CORPUS_DIR / SAMPLE_FILES[i % len(SAMPLE_FILES)]).read_text("utf-8")
        cut = text.rfind("\n", 0, 2500)
        (folder / f"{name}{i:02d}.txt").write_text(text[:cut] + f"\nVăn bản thử {name} số {i}.\n", "utf-8")
    return folder


def start_ingests(env: dict[str, str], folder: Path, rounds: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(folder), str(rounds)], cwd=PROJECT_ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> list[dict]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    decoder, reports, text, at = json.JSONDecoder(), [], out.strip(), 0
    while at < len(text):  # one JSON report per run
        report, at = decoder.raw_decode(text, at)
        reports.append(report)
        at = len(text) - len(text[at:].lstrip())
    return reports


def assert_nothing_lost_nothing_leaked(settings: Settings, folders: list[Path]) -> None:
    index = build_index(settings)
    check = build_check(settings)
    report = check.check(full=True)
    assert report.healthy, report.summary()
    names = {f.name for folder in folders for f in folder.glob("*.txt")}
    registry = index.documents(with_text=True)
    assert set(registry) == names
    assert report.vectors_checked == report.chunks == sum(r.n_chunks for r in registry.values())
    assert index.count_chunks() == report.chunks  # no chunk twice, none left over
    preparer = build_ingestor(settings, embedder=HashingEmbedder(), index=index).preparer
    served: dict[str, list] = {}
    for stored in index.served_chunks():
        served.setdefault(stored.chunk.source, []).append(stored.chunk)
    for source, record in registry.items():  # chunk by chunk, against the text the registry keeps
        expected = preparer.prepare(SourceDocument(source, record.path, record.text, record.encoding)).chunks
        assert served.get(source) == list(expected), source


def test_two_cli_ingests_of_different_folders(tmp_path: Path) -> None:
    settings = Settings(chroma_path=tmp_path / "chroma", collection="concurrent", embedding_model="fake")
    env = {"CCHC_CHROMA_PATH": str(settings.chroma_path), "CCHC_COLLECTION": settings.collection,
           "CCHC_EMBEDDING_MODEL": "fake", **FAKE_IN_PROCESS}
    long, short = make_folder(tmp_path, "a", 24), make_folder(tmp_path, "b", 3)
    first, second = start_ingests(env, long, 1), start_ingests(env, short, 10)
    (report,) = finish(first)
    reports = finish(second)
    assert len(report["added"]) == 24 and report["skipped"] == []
    assert [len(r["added"]) + len(r["updated"]) for r in reports] == [3] + [2] * 9
    assert_nothing_lost_nothing_leaked(settings, [long, short])


def test_two_cli_ingests_of_the_same_folder(tmp_path: Path) -> None:
    settings = Settings(chroma_path=tmp_path / "chroma", collection="samefolder", embedding_model="fake")
    env = {"CCHC_CHROMA_PATH": str(settings.chroma_path), "CCHC_COLLECTION": settings.collection,
           "CCHC_EMBEDDING_MODEL": "fake", **FAKE_IN_PROCESS}
    folder = make_folder(tmp_path, "a", 16)
    first, second = start_ingests(env, folder, 1), start_ingests(env, folder, 3)
    reports = finish(first) + finish(second)
    for report in reports:
        assert report["skipped"] == []
    # each document was added by exactly one of the two (the other found it unchanged, or changed it later)
    assert sorted(n for r in reports for n in r["added"]) == sorted(f.name for f in folder.glob("*.txt"))
    assert_nothing_lost_nothing_leaked(settings, [folder])
    final = build_ingestor(settings, embedder=HashingEmbedder()).run([folder])  # the last changes are in
    assert final.added == [] and final.skipped == []
    assert_nothing_lost_nothing_leaked(settings, [folder])


@pytest.mark.server
def test_two_cli_ingests_through_a_chroma_server(chroma_server, tmp_path: Path) -> None:  # noqa: F811
    port, _ = chroma_server
    settings = Settings(chroma_host="127.0.0.1", chroma_port=port, chroma_path=tmp_path / "unused",
                        collection="serverconcurrent", embedding_model="fake")
    env = {"CCHC_CHROMA_HOST": "127.0.0.1", "CCHC_CHROMA_PORT": str(port), "CCHC_CHROMA_PATH": str(tmp_path / "unused"),
           "CCHC_COLLECTION": settings.collection, "CCHC_EMBEDDING_MODEL": "fake", **FAKE_IN_PROCESS}
    long, short = make_folder(tmp_path, "a", 20), make_folder(tmp_path, "b", 6)
    # different folders, and the same folder, all at once
    procs = [start_ingests(env, long, 1), start_ingests(env, short, 3), start_ingests(env, long, 2)]
    for proc in procs:
        finish(proc)
    assert not (tmp_path / "unused").exists()
    assert_nothing_lost_nothing_leaked(settings, [long, short])


def test_an_upload_during_a_cli_ingest(tmp_path: Path) -> None:
    """What the web app does (``Ingestor.run`` on one uploaded file at a time, in a thread of a long-lived
    process whose index stays open) while an `assistant ingest` process writes to the same store."""
    settings = Settings(chroma_path=tmp_path / "chroma", collection="uploadduring", embedding_model="fake")
    env = {"CCHC_CHROMA_PATH": str(settings.chroma_path), "CCHC_COLLECTION": settings.collection,
           "CCHC_EMBEDDING_MODEL": "fake", **FAKE_IN_PROCESS}
    long, uploads = make_folder(tmp_path, "a", 24), make_folder(tmp_path, "u", 8)
    app_ingestor = build_ingestor(settings, embedder=HashingEmbedder())  # the app's index, open throughout
    cli = start_ingests(env, long, 1)
    reports, errors = [], []

    def upload() -> None:
        try:
            for round_ in range(2):
                for path in sorted(uploads.glob("*.txt")):
                    if round_:
                        path.write_text(path.read_text("utf-8") + "Bản sửa đổi.\n", "utf-8")
                    reports.append(app_ingestor.run([path]))
        except Exception as exc:  # reported by the assertion below, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=upload)
    thread.start()
    thread.join(timeout=600)
    (cli_report,) = finish(cli)
    assert not errors and not thread.is_alive()
    assert len(cli_report["added"]) == 24
    assert [len(r.added) + len(r.updated) for r in reports] == [1] * 16
    assert_nothing_lost_nothing_leaked(settings, [long, uploads])


# Opens the embedded store at argv[1] once a start file (argv[2]) appears, so that every process opens it at once.
OPENER = """
import sys, time
from pathlib import Path
from vectorstore.chroma import ChromaIndex, open_client
store, go = Path(sys.argv[1]), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
ChromaIndex(open_client(store), "race", "fake")
"""


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    # two ingests started together on an empty folder both ran Chroma's schema migrations
    # ("table collections already exists"): opening the store takes turns
    store, go = tmp_path / "chroma", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(store), str(go)], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    go.touch()
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, "\n".join(e[-800:] for e in errors)
