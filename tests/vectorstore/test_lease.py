"""The writer lease (vectorstore/lease.py): one writer at a time, a clear wait, a killed holder's lease free
at once, a frozen holder waited for (file lock) or taken over after its heartbeat stops (Chroma server), and
a taken-over holder that notices before it commits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.pipeline import build_index
from assistant.settings import PROJECT_ROOT, Settings
from ingest.errors import IndexBusy
from tests.vectorstore.test_chroma_server import chroma_server  # noqa: F401  (a fixture)
from vectorstore.chroma import ChromaIndex
from vectorstore.lease import ChromaLease, FileLease

HOLDER = """
import sys
import vectorstore.lease as lease_module
if sys.argv[1] != "-":
    lease_module.socket.gethostname = lambda: sys.argv[1]  # a writer on another machine
from assistant.pipeline import build_index
from assistant.settings import Settings
index = build_index(Settings.from_env())
lease = index.lease(what="ingest", **({"beat_s": 0.2} if index._lock_path is None else {}))
lease.acquire()
print("held", flush=True)
sys.stdin.readline()
try:
    lease.verify()
    print("verified", flush=True)
except Exception as exc:
    print(type(exc).__name__, exc, flush=True)
"""


@pytest.fixture(params=["file", pytest.param("chroma", marks=pytest.mark.server)])
def store(request, tmp_path: Path) -> dict[str, str]:
    """CCHC_* settings of an embedded store (a file lock) or of a `chroma run` server (lease records)."""
    env = {"CCHC_CHROMA_PATH": str(tmp_path / "chroma"), "CCHC_COLLECTION": "leasetest", "CCHC_EMBEDDING_MODEL": "fake"}
    if request.param == "chroma":
        port, _ = request.getfixturevalue("chroma_server")
        env.update(CCHC_CHROMA_HOST="127.0.0.1", CCHC_CHROMA_PORT=str(port))
    return env


def open_index(env: dict[str, str]) -> ChromaIndex:
    return build_index(Settings.from_env(env))


def start_holder(env: dict[str, str], host: str = "-") -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, host], cwd=PROJECT_ROOT, env={**os.environ, **env},
                            text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline()
    assert line == "held\n", (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc


def test_the_kind_follows_the_store(store: dict[str, str]) -> None:
    lease = open_index(store).lease()
    assert isinstance(lease, ChromaLease if "CCHC_CHROMA_HOST" in store else FileLease)


def test_one_writer_at_a_time_across_threads(store: dict[str, str]) -> None:
    index = open_index(store)
    inside, most, done = [0], [0], []

    def writer(name: str) -> None:
        for i in range(10):
            with index.lease(what=name, poll_s=0.01):
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0.002)
                done.append((name, i))
                inside[0] -= 1

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(done) == 30 and most[0] == 1


def test_a_waiter_says_who_holds_the_index(store: dict[str, str]) -> None:
    index = open_index(store)
    held = threading.Event()

    def hold() -> None:
        with index.lease(since="2025-01-02T03:04:05+07:00"):
            held.set()
            time.sleep(1.0)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(30)
    said: list[str] = []
    with index.lease(on_wait=said.append, notice_after_s=0.2):
        pass
    thread.join()
    assert said == [f"another ingest is running (pid {os.getpid()} on {socket.gethostname()}, "
                    "since 2025-01-02T03:04:05+07:00); waiting…"]


def test_the_lease_of_a_killed_writer_is_free_at_once(store: dict[str, str]) -> None:
    index = open_index(store)
    proc = start_holder(store)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    started = time.monotonic()
    with index.lease(wait_s=20):  # a server lease's ttl is 30 s: only the dead pid explains a quick take-over
        assert time.monotonic() - started < 10


def test_a_live_holder_keeps_the_lease_and_the_waiter_gives_up_with_a_clear_message(store: dict[str, str]) -> None:
    index = open_index(store)
    proc = start_holder(store, host="another-machine")
    try:
        proc.send_signal(signal.SIGSTOP)  # frozen: a file lock stays held (its process lives); see below for a server
        timing = {"ttl_s": 30.0} if "CCHC_CHROMA_HOST" in store else {}
        with pytest.raises(IndexBusy, match=rf"^another ingest is running \(pid {proc.pid} on another-machine, "
                                            r"since .*\) and has held the index for more than 1 s; this run wrote "
                                            r"nothing more\. Try again when it has finished \(or raise "
                                            r"CCHC_INGEST_WAIT_S\)\.$"):
            with index.lease(wait_s=1.0, **timing):
                pass
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(timeout=30)


@pytest.mark.server
def test_a_server_lease_whose_heartbeat_stops_is_taken_over_and_its_holder_notices(chroma_server,  # noqa: F811
                                                                                    tmp_path: Path) -> None:
    port, _ = chroma_server
    env = {"CCHC_CHROMA_HOST": "127.0.0.1", "CCHC_CHROMA_PORT": str(port), "CCHC_COLLECTION": "leasetest",
           "CCHC_CHROMA_PATH": str(tmp_path / "unused"), "CCHC_EMBEDDING_MODEL": "fake"}
    index = open_index(env)
    proc = start_holder(env, host="another-machine")
    try:
        # beating every 0.2 s, it is alive for a waiter with a 1.5 s ttl: that waiter gives up after 1 s
        with pytest.raises(IndexBusy, match=rf"another ingest is running \(pid {proc.pid} on another-machine"):
            with index.lease(wait_s=1.0, ttl_s=1.5):
                pass
        proc.send_signal(signal.SIGSTOP)  # a frozen machine: its heartbeat stops
        started = time.monotonic()
        with index.lease(wait_s=30, ttl_s=1.5):
            assert 1.5 <= time.monotonic() - started < 15
            proc.send_signal(signal.SIGCONT)
            proc.stdin.write("\n")
            proc.stdin.flush()
            answer = proc.stdout.readline()
        # the old holder learns it lost the lease before it could commit anything
        assert answer.startswith("IndexBusy This ingest was paused or cut off long enough for another writer to "
                                 f"take over the index (pid {os.getpid()} on {socket.gethostname()} holds it now)"), \
            answer
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(timeout=30)
