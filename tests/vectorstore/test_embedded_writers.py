"""Several processes on one embedded Chroma store: writers taking turns under the lease, and a reader that
sees another process's commits (vectorstore/chroma.py, "Several processes on one embedded store").

Without the reload, two processes writing a few thousand chunks each, in turns, leave a store whose next
filtered search fails with Chroma's "Error finding id", and a reader opened before a commit misses it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import chromadb
import pytest

from assistant.settings import PROJECT_ROOT
from tests.fakes import HashingEmbedder
from tests.vectorstore.test_chroma import make_doc
from vectorstore.chroma import ChromaIndex, open_client

# Writes ROUNDS documents of CHUNKS chunks under the lease, one at a time; every third round it also deletes
# its own document of the round before (deletes are where a stale copy loses most).
WRITER = """
import sys
from pathlib import Path
from tests.fakes import HashingEmbedder
from tests.vectorstore.test_chroma import make_doc
from vectorstore.chroma import ChromaIndex, open_client
store, name, rounds, size = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
index = ChromaIndex(open_client(store), "turns", "fake")
embedder = HashingEmbedder(dimension=32)
for r in range(rounds):
    chunks, record = make_doc(f"{name}-{r}.txt", f"{name}{r}", [f"{name} vòng {r} đoạn {i}." for i in range(size)])
    with index.lease():
        index.put_chunks(chunks, embedder.embed_documents([c.chunk.text for c in chunks]))
        index.commit_document(record)
        if r % 3 == 2:
            index.delete_document(f"{name}-{r - 1}.txt")
"""


def run_writers(store: Path, names: list[str], rounds: int, size: int) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(store), name, str(rounds), str(size)],
                              cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True) for name in names]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]


@pytest.mark.slow
def test_two_processes_writing_in_turns_leave_a_store_every_search_can_read(tmp_path: Path) -> None:
    store = tmp_path / "chroma"
    run_writers(store, ["a", "b"], rounds=30, size=200)
    index = ChromaIndex(open_client(store), "turns", "fake")  # a fresh process's view is this one's first
    versions = {source: record.version for source, record in index.documents().items()}
    assert len(versions) == 2 * (30 - 10)  # 30 rounds each, 10 of them deleted
    served = index.count_chunks()
    assert served == 2 * 20 * 200  # deleted documents' chunks are gone too
    # every stored chunk is in the vector index: a search filtered to any one document answers (a stale copy's
    # index fails with "Error finding id"), from that document
    query = HashingEmbedder(dimension=32).embed_query("vòng 3 đoạn 7")
    for source, version in versions.items():
        hits = index.search(query, n=5, versions={source: version})
        assert len(hits) == 5 and all(cid.startswith(f"{source}::") for cid, _ in hits), source


@pytest.mark.slow
def test_a_reader_sees_another_process_commit_without_restarting(tmp_path: Path) -> None:
    store = tmp_path / "chroma"
    run_writers(store, ["a"], rounds=1, size=50)
    reader = ChromaIndex(open_client(store), "turns", "fake")
    query = HashingEmbedder(dimension=32).embed_query("b vòng 0 đoạn 7")
    first = {s: r.version for s, r in reader.documents().items()}
    assert len(reader.search(query, n=5, versions=first)) == 5

    run_writers(store, ["b"], rounds=1, size=2000)  # another process commits while the reader is open
    now = {s: r.version for s, r in reader.documents().items()}
    assert set(now) == {"a-0.txt", "b-0.txt"}
    hits = reader.search(query, n=5, versions=now)
    assert hits and all(cid.startswith("b-0.txt::") for cid, _ in hits)  # the nearest passages are the new ones
    assert len(reader.search(query, n=5, versions={"b-0.txt": now["b-0.txt"]})) == 5


def test_a_reload_keeps_the_collection_handles_working(tmp_path: Path) -> None:
    index = ChromaIndex(chromadb.PersistentClient(path=str(tmp_path / "r")), "reload", "fake")
    chunks, record = make_doc("a.txt", "v1", ["Cắt giảm 20% chi phí.", "Đến năm 2030."])
    embedder = HashingEmbedder(dimension=32)
    with index.lease():
        index.put_chunks(chunks, embedder.embed_documents([c.chunk.text for c in chunks]))
        index.commit_document(record)
    from vectorstore.chroma import _reload_from_disk

    _reload_from_disk(index._client)
    assert index.count_chunks() == 2
    assert len(index.search(embedder.embed_query("chi phí"), n=2, versions={"a.txt": "v1"})) == 2
