"""The chat tab: streamed answers with their citations, filters, answer mode, follow-ups and feedback.

Per-browser-session state is a ``Conversation`` in ``gr.State``: the messages shown, the answered turns
(for feedback) and the previous turn's understood ``Query`` (the context of a follow-up question).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import gradio as gr

from assistant.app import render
from assistant.app.context import PIPELINE_CONCURRENCY_ID, PIPELINE_CONCURRENCY_LIMIT, AppContext
from assistant.app.feedback import Feedback
from assistant.app.text import EXAMPLES
from assistant.types import Answer, Query
from ingest.errors import AssistantError

log = logging.getLogger(__name__)

SHOWN_QUESTION_CHARS = 600  # an over-long question is refused; echoing all of it would bury the reason


@dataclass
class Turn:
    answer_id: str
    question: str
    text: str  # what the assistant showed: the answer, or the message that replaced it
    answer: Answer | None  # None when the turn ended in an error message
    first: int  # indexes of the turn's assistant messages in Conversation.messages (inclusive)
    last: int
    rating: str | None = None


@dataclass
class Conversation:
    messages: list[dict] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    previous: Query | None = None  # how the last answered question was understood

    def turn_at(self, index: int) -> Turn | None:
        return next((t for t in self.turns if t.first <= index <= t.last), None)


def _shown(question: str) -> str:
    question = question or ""
    return question if len(question) <= SHOWN_QUESTION_CHARS else question[:SHOWN_QUESTION_CHARS] + " …"


def respond(ctx: AppContext, question: str, conversation: Conversation | None, province: str | None,
            documents: list[str] | None, mode: str | None) -> Iterator[tuple[list[dict], Conversation, str]]:
    """Yields (messages, conversation, textbox value) as the answer streams in."""
    t, conv = ctx.t, conversation or Conversation()
    if (question or "").strip():  # an empty question gets the pipeline's message, but no empty bubble
        conv.messages.append(render.user_message(_shown(question)))
    first = len(conv.messages)
    conv.messages.append(render.pending_message(t["thinking"]))
    yield list(conv.messages), conv, ""
    answer: Answer | None = None
    try:
        sources = ctx.service.sources_for(province or None, documents or None)
        if sources is not None and not sources:
            raise AssistantError(t["filter_empty"])
        text = ""
        for piece in ctx.service.stream(question or "", conv.previous, mode, sources):
            if isinstance(piece, Answer):
                answer = piece
            else:
                text += piece
                conv.messages[first:] = [render.answer_message(text)]
                yield list(conv.messages), conv, ""
        if answer is None:
            raise RuntimeError("Pipeline.stream ended without an Answer")
        conv.messages[first:] = render.answer_messages(answer, ctx.service.document_texts(), t, ctx.language)
        conv.previous = answer.query
        shown = answer.text
    except AssistantError as exc:  # bad question, empty index, filter, mode: the message is for the user
        shown = str(exc)
        conv.messages[first:] = [render.notice_message(shown)]
    except Exception:  # a bug: log it for the operator, never show a traceback to the user
        log.exception("answering %r failed", question)
        shown = t["error_internal"]
        conv.messages[first:] = [render.notice_message(shown)]
    conv.turns.append(Turn(uuid.uuid4().hex, question or "", shown, answer, first, len(conv.messages) - 1))
    yield list(conv.messages), conv, ""


def rate(ctx: AppContext, conversation: Conversation | None, comment: str | None, event: gr.LikeData) -> str:
    """A thumbs click on a message: one feedback record for the turn that message belongs to."""
    conv = conversation or Conversation()
    turn = conv.turn_at(event.index if isinstance(event.index, int) else event.index[0])
    if turn is None:
        return ctx.t["feedback_nothing"]
    turn.rating = {True: "up", False: "down"}.get(event.liked) if isinstance(event.liked, bool) else None
    _log_feedback(ctx, turn, comment or "")
    return ctx.t["feedback_saved"]


def send_comment(ctx: AppContext, conversation: Conversation | None, comment: str | None) -> tuple[str, str]:
    """The comment box: a record for the last rated turn (or the last turn), with the turn's rating."""
    conv = conversation or Conversation()
    rated = [t for t in conv.turns if t.rating]
    turn = rated[-1] if rated else (conv.turns[-1] if conv.turns else None)
    if turn is None or not (comment or "").strip():
        return ctx.t["feedback_nothing"] if turn is None else "", comment or ""
    _log_feedback(ctx, turn, comment.strip())
    return ctx.t["comment_saved"], ""


def _log_feedback(ctx: AppContext, turn: Turn, comment: str) -> None:
    ctx.feedback.append(Feedback(answer_id=turn.answer_id, question=turn.question, answer_text=turn.text,
                                 answer=turn.answer, rating=turn.rating, comment=comment[:2000],
                                 ui_language=ctx.language))


def new_conversation() -> tuple[list[dict], Conversation, str, str]:
    return [], Conversation(), "", ""


def province_choices(ctx: AppContext) -> list[tuple[str, str]]:
    return [(ctx.t["all_provinces"], "")] + [(p, p) for p in ctx.service.provinces()]


def document_choices(ctx: AppContext, province: str | None) -> list[tuple[str, str]]:
    records = [r for r in ctx.service.documents() if not province or r.metadata.province == province]
    return [(f"{r.metadata.label() or r.metadata.title or r.source} — {r.source}", r.source) for r in records]


def mode_choices(ctx: AppContext) -> list[tuple[str, str]]:
    choices = [(ctx.t["mode_extractive"], "extractive")]
    return choices + [(ctx.t["mode_llm"], "llm")] if ctx.service.llm_available else choices


def build_chat_tab(ctx: AppContext) -> None:
    t = ctx.t
    with gr.Tab(t["tab_chat"], id="chat") as tab:
        conversation = gr.State(Conversation())
        with gr.Row():
            province = gr.Dropdown(province_choices(ctx), value="", label=t["province"], scale=1)
            documents = gr.Dropdown(document_choices(ctx, None), value=[], multiselect=True,
                                    label=t["documents_filter"], scale=3)
            default_mode = ctx.settings.mode if ctx.service.llm_available else "extractive"
            mode = gr.Radio(mode_choices(ctx), value=default_mode, label=t["mode"], scale=1,
                            info=None if ctx.service.llm_available else t["mode_llm_missing"])
        chatbot = gr.Chatbot(
            label=t["chat_label"], elem_id="cchc-chat", height=560, resizable=True,
            examples=[{"text": q} for q in EXAMPLES],
            render_markdown=False,  # content is escaped HTML built by app_render: shown as text
            sanitize_html=True, latex_delimiters=[], allow_tags=False,
            feedback_options=("Like", "Dislike"), buttons=["copy"],
        )
        with gr.Row():
            question = gr.Textbox(placeholder=t["question_placeholder"], show_label=False, lines=1, scale=5,
                                  elem_id="cchc-question", autofocus=True)
            send = gr.Button(t["send"], variant="primary", scale=1, elem_id="cchc-send")
            clear = gr.Button(t["new_conversation"], scale=1, elem_id="cchc-new")
        feedback_status = gr.Markdown(elem_id="cchc-feedback-status")
        with gr.Accordion(t["feedback_heading"], open=False) as feedback_box:
            gr.Markdown(t["feedback_hint"])
            with gr.Row():
                comment = gr.Textbox(label=t["comment"], lines=2, scale=5, max_length=2000, elem_id="cchc-comment")
                send_comment_btn = gr.Button(t["send_comment"], scale=1)

        def _respond(q: str, conv: Conversation | None, prov: str | None, docs: list[str] | None, m: str | None):
            yield from respond(ctx, q, conv, prov, docs, m)

        def _pick_example(evt: gr.SelectData) -> str:
            return evt.value["text"]

        def _rate(conv: Conversation | None, text: str | None, evt: gr.LikeData):
            return rate(ctx, conv, text, evt), gr.Accordion(open=True)  # invite a comment

        answer_event = dict(fn=_respond, inputs=[question, conversation, province, documents, mode],
                            outputs=[chatbot, conversation, question], api_visibility="private",
                            concurrency_id=PIPELINE_CONCURRENCY_ID, concurrency_limit=PIPELINE_CONCURRENCY_LIMIT)
        asked = gr.on([question.submit, send.click], **answer_event)
        example_asked = chatbot.example_select(_pick_example, None, question, api_visibility="private",
                                               queue=False).then(**answer_event)
        chatbot.like(_rate, [conversation, comment], [feedback_status, feedback_box], api_visibility="private")
        send_comment_btn.click(lambda conv, text: send_comment(ctx, conv, text), [conversation, comment],
                               [feedback_status, comment], api_visibility="private")
        # a new conversation also stops an answer still streaming into the old one
        clear.click(new_conversation, None, [chatbot, conversation, question, feedback_status],
                    api_visibility="private", queue=False, cancels=[asked, example_asked])
        # the chatbot's own trash button clears the messages: the follow-up context must go with them
        chatbot.clear(Conversation, None, conversation, api_visibility="private", queue=False)

        def _refresh_filters(prov):
            ctx.service.sync_with_index(wait=True)  # documents another process ingested show up here too
            prov = prov if prov in ctx.service.provinces() else ""
            return (gr.Dropdown(choices=province_choices(ctx), value=prov),
                    gr.Dropdown(choices=document_choices(ctx, prov or None)))

        province.change(lambda p: gr.Dropdown(choices=document_choices(ctx, p or None), value=[]), province,
                        documents, api_visibility="private", queue=False)
        # documents added meanwhile (admin page, `assistant ingest`) show up when the user comes back here
        for trigger in (tab.select, ctx.demo.load):
            trigger(_refresh_filters, province, [province, documents], api_visibility="private", queue=False)
