"""The writer lease of an index: one writer at a time changes the store, in any process, on any machine.

Writers (ingests, repairs) hold it only while they change the store — one document's put → commit →
delete-stale, or an orphan cleanup — and embed outside it, so two ingests still progress side by side.
Uncommitted chunks therefore exist only inside a live lease, and under the lease every chunk of no
registered version was left by a dead writer: cleaning them never deletes another writer's work.

Two kinds, one behaviour (wait with a sentence naming the holder, give up with ``IndexBusy`` when one
holder keeps it longer than ``wait_s``):

- ``FileLease``, for the embedded store (a folder: its writers share one machine): an OS lock on a file in
  that folder. The kernel frees it when its holder dies, even by kill -9. Taking turns is not all the
  embedded store needs: each process keeps its own copy of a collection's vector index and writes it back
  to the folder, so a writer must first reload what the others wrote (``on_acquire``: ChromaIndex's reload;
  see vectorstore/chroma.py).
- ``ChromaLease``, for a Chroma server (its writers may be on several machines, so no file lock spans them):
  lease records in the index's state collection. Chroma ignores an ``add`` of an existing id, so of two
  writers adding the same next record the first wins, and both read the winner back. A holder heartbeats
  from a thread; a waiter takes over a lease whose holder's process is gone (same host) or whose heartbeat
  has not moved for ``LEASE_TTL_S`` by the waiter's own clock (any host: no clock is compared to another),
  so a killed ingest never blocks the next one. ``verify()`` before a commit catches the rare holder that
  was frozen long enough to be taken over.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from ingest.errors import IndexBusy, IndexUnavailable

LEASE_TTL_S = 30.0  # a holder whose heartbeat has not moved for this long (as a waiter sees it) is presumed dead
LEASE_BEAT_S = 2.0  # how often a ChromaLease holder heartbeats
_PREFIX = "lease-"  # ChromaLease records: lease-<epoch>, in the state collection
_VECTOR = [1.0]  # the state collection holds no vectors worth searching; Chroma stores one per record


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class LeaseHolder:
    token: str
    what: str
    pid: int
    host: str
    since: str
    epoch: int = 0
    beat: int = 0
    released: bool = False
    pid_start: str = ""

    @classmethod
    def from_row(cls, row: dict) -> LeaseHolder:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in row.items() if k in names})

    def describe(self) -> str:
        return f"another {self.what} is running (pid {self.pid} on {self.host}, since {self.since})"


class Lease:
    """``with lease:`` waits for the lease, holds it, frees it. Subclasses say how to take it and who has it."""

    def __init__(self, *, what: str, wait_s: float, on_wait: Callable[[str], None] | None = None, since: str = "",
                 poll_s: float = 0.05, notice_after_s: float = 1.0, depth: threading.local | None = None,
                 on_acquire: Callable[[], None] | None = None) -> None:
        self.what = what
        self.wait_s = wait_s
        self.on_wait = on_wait
        self.since = since or now_iso()
        self.poll_s, self.notice_after_s = poll_s, notice_after_s
        self.token = uuid.uuid4().hex
        self._depth = depth  # the index's per-thread count of held leases (see ChromaIndex.holding)
        self._on_acquire = on_acquire  # run once the lease is taken, before the holder's first change

    def __enter__(self) -> Lease:
        self.acquire()
        if self._depth is not None:
            self._depth.n = getattr(self._depth, "n", 0) + 1
        if self._on_acquire is not None:
            try:
                self._on_acquire()
            except BaseException:
                self.__exit__(*sys.exc_info())
                raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self._depth is not None:
            self._depth.n -= 1
        self.release(quiet=exc_info[0] is not None)

    def me(self) -> LeaseHolder:
        pid = os.getpid()
        return LeaseHolder(token=self.token, what=self.what, pid=pid, host=socket.gethostname(), since=self.since,
                           pid_start=process_start(pid))

    def acquire(self) -> None:
        try:
            self._wait_and_take()
        except BaseException:
            self.release(quiet=True)  # nothing held; what was opened to wait is closed
            raise

    def _wait_and_take(self) -> None:
        started = waited_since = time.monotonic()
        waiting_on = ""  # the holder we wait for: when it changes, the other writer made progress
        notified = False
        while not self._try_take():
            holder = self.holder()
            now = time.monotonic()
            key = holder.token if holder else ""
            if key != waiting_on:
                waiting_on, waited_since = key, now
            if self.on_wait and not notified and now - started >= self.notice_after_s:
                self.on_wait(f"{describe(holder, self.what)}; waiting…")
                notified = True
            if now - waited_since > self.wait_s:
                raise IndexBusy(f"{describe(holder, self.what)} and has held the index for more than "
                                f"{self.wait_s:g} s; this run wrote nothing more. Try again when it has finished "
                                "(or raise CCHC_INGEST_WAIT_S).")
            time.sleep(self.poll_s)

    def _try_take(self) -> bool:
        raise NotImplementedError

    def holder(self) -> LeaseHolder | None:
        """Who holds (or last held) the lease, as far as can be read."""
        raise NotImplementedError

    def verify(self) -> None:
        """Raise ``IndexBusy`` unless this lease is still held (call it right before a commit)."""

    def release(self, quiet: bool = False) -> None:
        raise NotImplementedError


def describe(holder: LeaseHolder | None, what: str) -> str:
    return holder.describe() if holder else f"another writer holds the index (this {what} cannot tell which)"


# --- the embedded store: a file lock -----------------------------------------------------------------


class FileLease(Lease):
    def __init__(self, path: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)
        self._fd: int | None = None

    def _try_take(self) -> bool:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        # who holds it, for the waiters' message; the lock itself is the kernel's
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(asdict(self.me())).encode(), 0)
        return True

    def holder(self) -> LeaseHolder | None:
        try:
            return LeaseHolder.from_row(json.loads(self.path.read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            return None  # being rewritten by a new holder

    def release(self, quiet: bool = False) -> None:
        if self._fd is None:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


# --- a Chroma server: lease records --------------------------------------------------------------------


def process_start(pid: int) -> str:
    """The start time of process ``pid`` (Linux /proc), to tell a live holder from a reused pid; "" if unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return "" if fields[0] in ("Z", "X") else fields[19]  # a zombie is gone; field 22 of stat is the start time


def pid_alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists: another user's
    if os.path.exists("/proc/self/stat"):  # Linux: a zombie, or a new process under a reused pid, holds nothing
        now = process_start(pid)
        return bool(now) and (not started or now == started)
    return True


class ChromaLease(Lease):
    def __init__(self, state, ttl_s: float = LEASE_TTL_S, beat_s: float = LEASE_BEAT_S, **kwargs) -> None:
        super().__init__(**kwargs)
        self._state = state
        self.ttl_s, self.beat_s = ttl_s, beat_s
        self.epoch = 0
        self._row: dict = {}
        self._last: LeaseHolder | None = None
        self._seen: dict[tuple[int, int], float] = {}  # (epoch, beat) → when this waiter first saw it
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None
        self._beat_error: BaseException | None = None

    def current(self) -> LeaseHolder | None:
        rows = self._state.get(where={"kind": "lease"}, include=["metadatas"])
        return max((LeaseHolder.from_row(m) for m in rows["metadatas"]), key=lambda h: h.epoch, default=None)

    def holder(self) -> LeaseHolder | None:
        return self._last

    def _dead(self, holder: LeaseHolder) -> bool:
        if holder.host == socket.gethostname() and holder.pid != os.getpid():
            if not pid_alive(holder.pid, holder.pid_start):
                return True
        first_seen = self._seen.setdefault((holder.epoch, holder.beat), time.monotonic())
        return time.monotonic() - first_seen > self.ttl_s

    def _try_take(self) -> bool:
        holder = self._last = self.current()
        if holder is not None and not holder.released and not self._dead(holder):
            return False
        epoch = holder.epoch + 1 if holder else 1
        row = {**asdict(self.me()), "kind": "lease", "epoch": epoch, "beat": 0, "released": False}
        lease_id = f"{_PREFIX}{epoch:012d}"
        self._state.add(ids=[lease_id], embeddings=[_VECTOR], metadatas=[row])  # ignored when the id exists
        won = self._state.get(ids=[lease_id], include=["metadatas"])
        if not won["ids"] or won["metadatas"][0].get("token") != self.token:
            self._last = LeaseHolder.from_row(won["metadatas"][0]) if won["ids"] else holder
            return False  # another writer added it first: it is the live holder now
        self.epoch, self._row = epoch, row
        older = [i for i in self._state.get(where={"kind": "lease"}, include=[])["ids"] if i < lease_id]
        if older:
            self._state.delete(ids=older)
        self._stop.clear()
        self._beater = threading.Thread(target=self._beat, name=lease_id, daemon=True)
        self._beater.start()
        return True

    def _beat(self) -> None:
        while not self._stop.wait(self.beat_s):
            try:
                self._row = {**self._row, "beat": self._row["beat"] + 1}
                self._state.upsert(ids=[f"{_PREFIX}{self.epoch:012d}"], embeddings=[_VECTOR], metadatas=[self._row])
            except Exception as exc:  # a lost server: the holder's own next call reports it
                self._beat_error = exc
                return

    def verify(self) -> None:
        if isinstance(self._beat_error, IndexUnavailable):
            raise self._beat_error
        holder = self.current()
        if holder is None or holder.token != self.token or holder.released:
            taker = f" (pid {holder.pid} on {holder.host} holds it now)" if holder and not holder.released else ""
            raise IndexBusy(f"This {self.what} was paused or cut off long enough for another writer to take over "
                            f"the index{taker}; the document being written was not committed. Run it again.")

    def release(self, quiet: bool = False) -> None:
        self._stop.set()
        if self._beater is not None:
            self._beater.join(timeout=self.beat_s + 5)
            self._beater = None
        if not self.epoch:
            return
        try:
            holder = self.current()
            if holder is not None and holder.token == self.token:
                self._state.upsert(ids=[f"{_PREFIX}{self.epoch:012d}"], embeddings=[_VECTOR],
                                   metadatas=[{**self._row, "released": True}])
        except Exception:
            if not quiet:
                raise
            # already leaving with an error: a lease not marked released is taken over when it goes stale
        finally:
            self.epoch = 0
