"""Gradio's per-session and per-event bookkeeping stays bounded: sessions that hold nothing are dropped once
idle, sessions holding a conversation are kept, new sessions do not copy every component's configuration,
and the monitoring record is short. The app runs in this process (uvicorn in a thread, fake embedder)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

import httpx
import pytest

from assistant.app.chat import Conversation
from assistant.app.sessions import ANALYTICS_EVENTS, SESSION_CAPACITY, LeanSessionState, SessionJanitor
from tests.assistant.app.test_guard import Running, gradio_temp_dir, run_app

LAI_CHAU_Q = "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Running]:
    with gradio_temp_dir(tmp_path_factory.mktemp("gradio_temp")) as temp:
        yield from run_app(tmp_path_factory.mktemp("sessions"), "", temp)


def root_page(app: Running):
    """The Gradio Blocks of the root page, from the running server."""
    return app.server_app_for("/")


def ask_plain(client: httpx.Client, question: str) -> dict:
    """One /ask over plain HTTP: a new Gradio session each time, as one-off API clients are."""
    event = client.post("gradio_api/call/ask", json={"data": [question, "extractive", "", None, None]}).json()
    stream = client.get(f"gradio_api/call/ask/{event['event_id']}").text
    data = [line[5:] for line in stream.splitlines() if line.startswith("data:")]
    return json.loads(data[-1])[0]


def test_api_sessions_are_dropped_once_idle_and_conversations_are_kept(app: Running) -> None:
    page = root_page(app)
    holder, queue = page.state_holder, page._queue
    janitor = SessionJanitor([page], empty_idle_s=0.0)
    janitor.sweep()
    with httpx.Client(base_url=app.url, timeout=60) as client:
        for _ in range(30):
            assert "20%" in ask_plain(client, LAI_CHAU_Q)["answer"]
    assert len(holder.session_data) >= 30 and len(queue.pending_event_ids_session) >= 30
    # a browser session with a conversation in its gr.State: kept
    conversation_state = next(k for k, b in page.default_config.blocks.items() if type(b).__name__ == "State")
    holder["browser"][conversation_state] = Conversation()
    # a session nobody used for longer than the maximum: dropped even with a conversation
    holder["abandoned"][conversation_state] = Conversation()
    holder.time_last_used["abandoned"] = datetime.datetime.now() - datetime.timedelta(days=1)
    janitor.sweep()
    assert set(holder.session_data) == {"browser"}
    assert not [s for s, ids in queue.pending_event_ids_session.items() if not ids]


def test_new_sessions_do_not_copy_every_component_configuration(app: Running) -> None:
    page = root_page(app)
    with httpx.Client(base_url=app.url, timeout=60) as client:
        ask_plain(client, LAI_CHAU_Q)
    sessions = list(page.state_holder.session_data.values())
    assert sessions and all(isinstance(s, LeanSessionState) for s in sessions), [type(s) for s in sessions]
    sizes = [len(s.config_values) for s in sessions]
    assert max(sizes) <= 10 < len(page.blocks) / 4, sizes  # /ask's own inputs and output; Gradio's: every one


def test_gradio_keeps_bounded_records(app: Running) -> None:
    page = root_page(app)
    with httpx.Client(base_url=app.url, timeout=60) as client:
        for _ in range(ANALYTICS_EVENTS + 20):
            client.post("gradio_api/call/documents", json={"data": []})
    assert len(page._queue.event_analytics) <= ANALYTICS_EVENTS
    assert page.state_holder.capacity == SESSION_CAPACITY
