"""Forgetting Gradio sessions that hold nothing, so the app's memory stays flat under API traffic.

Gradio keeps, for every session it has seen, a copy of the configuration of every component of the page
(~100 KB here) until 10,000 sessions are stored, and an entry in its queue's per-session table that it
never removes. A browser tab is one session; an API call without a session of its own (plain HTTP to
``/gradio_api/call/ask``, a new ``gradio_client.Client``) is a new one every time, so memory grew by
~100-140 KB per API request and never came back.

``SessionJanitor.sweep`` (run every few seconds on the server's event loop) drops a session's state
when nothing of it is pending and either it holds nothing (no ``gr.State`` value, no component changed
by an event: recreated empty if the session comes back) and has been idle a few seconds, or it was
closed (the browser left) some time ago, or it has been idle for hours. ``SESSION_CAPACITY`` bounds the
rest: Gradio itself then forgets the least recently used.

Creating that copy is also the largest cost of an API call from a new session (~3 ms, on the server's
event loop, where it holds up every other request): ``LeanSessionState`` leaves it out, and Gradio
computes a component's entry when an event needs it (the full copy only serves deep links, unused here).

Gradio also records every event for its monitoring dashboard (up to 10,000, which this app does not show)
and, after each event, rebuilds a pandas summary of all of them: a cost that grew with the number of
requests served (~20% of the server's CPU after a few thousand). The record is kept short and the summary
is not rebuilt (``limit_bookkeeping``).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Sequence

import gradio as gr
from gradio.state_holder import SessionState, StateHolder

log = logging.getLogger(__name__)

SESSION_CAPACITY = 1000  # sessions kept per page at most (Gradio's default: 10,000, ~1 GB here)
EMPTY_IDLE_S = 5.0  # a session that holds nothing is dropped once idle this long
CLOSED_IDLE_S = 600.0  # a session whose page was closed (Gradio keeps its state for an hour)
MAX_IDLE_S = 6 * 3600.0  # any session idle this long: its conversation is forgotten
SWEEP_INTERVAL_S = 5.0
ANALYTICS_EVENTS = 100  # events Gradio keeps for its monitoring summary (its default: 10,000)


class _PageWithoutComponents:
    """What ``SessionState.__init__`` reads of a page, minus the components whose configurations it copies."""

    def __init__(self, page: gr.Blocks) -> None:
        self.default_config = page.default_config
        self.blocks: dict = {}


class LeanSessionState(SessionState):
    """Gradio's per-session state without the up-front copy of every component's configuration: Gradio adds a
    component's entry when an event reads or changes it (``_update_value_in_config``, ``__setitem__``)."""

    def __init__(self, blocks: gr.Blocks) -> None:
        super().__init__(_PageWithoutComponents(blocks))  # type: ignore[arg-type]


class LeanStateHolder(StateHolder):
    """Gradio's session store, creating ``LeanSessionState``s."""

    def __getitem__(self, session_id: str) -> SessionState:
        if session_id not in self.session_data:
            self.session_data[session_id] = LeanSessionState(self.blocks)
        return super().__getitem__(session_id)


def limit_bookkeeping(page: gr.Blocks) -> None:
    """Bound what Gradio keeps per session and per event for ``page`` (after it is mounted)."""
    page.state_session_capacity = SESSION_CAPACITY
    holder = getattr(page, "state_holder", None)  # the mounted app's (it read the capacity when mounted)
    if holder is not None:
        holder.capacity = SESSION_CAPACITY
        if type(holder) is StateHolder:  # the same object stays shared by the page and its app
            holder.__class__ = LeanStateHolder
    queue = getattr(page, "_queue", None)
    if queue is not None:
        queue.ANALYTICS_MAX_EVENTS = ANALYTICS_EVENTS
        queue.ANAYLTICS_CACHE_FREQUENCY = 2**62  # (sic, Gradio's name) the summary is never rebuilt


class SessionJanitor:
    def __init__(self, pages: Sequence[gr.Blocks], empty_idle_s: float = EMPTY_IDLE_S,
                 closed_idle_s: float = CLOSED_IDLE_S, max_idle_s: float = MAX_IDLE_S) -> None:
        self.pages = list(pages)
        self.empty_idle_s = empty_idle_s
        self.closed_idle_s = closed_idle_s
        self.max_idle_s = max_idle_s
        for page in self.pages:
            limit_bookkeeping(page)

    def sweep(self) -> int:
        """Drop what may be dropped now; returns how many sessions were dropped. Call on the event loop."""
        return sum(self._sweep_page(page) for page in self.pages)

    def _sweep_page(self, page: gr.Blocks) -> int:
        holder = getattr(page, "state_holder", None)  # set when the page is mounted
        queue = getattr(page, "_queue", None)
        if holder is None or queue is None:
            return 0
        now = datetime.datetime.now()
        defaults = page.default_config.blocks
        dropped = 0
        with holder.lock:
            for session_id in list(holder.session_data):
                if queue.pending_event_ids_session.get(session_id):
                    continue  # an event of it is queued, running or not yet delivered
                session = holder.session_data[session_id]
                last_used = holder.time_last_used.get(session_id, now)
                idle = (now - last_used).total_seconds()
                holds_nothing = not session.state_data and all(
                    session.blocks_config.blocks.get(key) is block for key, block in defaults.items())
                if ((holds_nothing and idle >= self.empty_idle_s) or (session.is_closed and idle >= self.closed_idle_s)
                        or idle >= self.max_idle_s):
                    del holder.session_data[session_id]
                    holder.time_last_used.pop(session_id, None)
                    dropped += 1
        # the queue's per-session tables: entries with nothing pending, for sessions no longer held
        for session_id in list(queue.pending_event_ids_session):
            if not queue.pending_event_ids_session.get(session_id) and session_id not in holder.session_data:
                queue.pending_event_ids_session.pop(session_id, None)
                messages = queue.pending_messages_per_session.get(session_id)
                if messages is not None and messages.empty():
                    queue.pending_messages_per_session.pop(session_id, None)
        return dropped

    async def run(self, interval_s: float = SWEEP_INTERVAL_S) -> None:
        """Sweep every ``interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.sweep()
            except Exception:  # Gradio's internals moved: log, keep serving
                log.exception("sweeping Gradio sessions failed")
