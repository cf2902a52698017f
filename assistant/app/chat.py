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
from assistant.app.followups import MAX_SUGGESTIONS, suggestions
from assistant.app.text import EXAMPLES, in_language
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


@dataclass(frozen=True)
class Step:
    """What one update of the chat shows: the messages, the session's state, and under the last answer the
    suggested next questions and whether to offer searching all documents (the filter hid the answer)."""

    messages: list[dict]
    conversation: Conversation
    suggestions: tuple[str, ...] = ()
    search_all: bool = False


def respond(ctx: AppContext, question: str, conversation: Conversation | None, province: str | None,
            documents: list[str] | None, mode: str | None) -> Iterator[Step]:
    """The chat's updates as the answer streams in. The question box is not among them: what the user types
    meanwhile is never overwritten (the box is cleared once, when the question is sent)."""
    t, conv = ctx.t, conversation or Conversation()
    if (question or "").strip():  # an empty question gets the pipeline's message, but no empty bubble
        conv.messages.append(render.user_message(_shown(question)))
    first = len(conv.messages)
    conv.messages.append(render.pending_message(t["thinking"]))
    yield Step(list(conv.messages), conv)
    answer: Answer | None = None
    suggested: tuple[str, ...] = ()
    excluded = False
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
                yield Step(list(conv.messages), conv)
        if answer is None:
            raise RuntimeError("Pipeline.stream ended without an Answer")
        conv.messages[first:] = render.answer_messages(answer, ctx.service.document_texts(), t, ctx.language)
        hidden = hidden_by_filter(ctx, answer, conv.previous, sources)
        if hidden:
            conv.messages.append(render.notice_message(t["filter_excludes"].format(documents="; ".join(hidden))))
            excluded = True
        conv.previous = answer.query
        shown = answer.text
        suggested = tuple(suggestions(answer, ctx.service.records(), ctx.language))
    except AssistantError as exc:  # bad question, empty index, filter, mode: the message is for the user
        shown = in_language(str(exc), ctx.language)
        conv.messages[first:] = [render.notice_message(shown)]
    except Exception:  # a bug: log it for the operator, never show a traceback to the user
        log.exception("answering %r failed", question)
        shown = t["error_internal"]
        conv.messages[first:] = [render.notice_message(shown)]
    conv.turns.append(Turn(uuid.uuid4().hex, question or "", shown, answer, first, len(conv.messages) - 1))
    yield Step(list(conv.messages), conv, suggested, excluded)


def hidden_by_filter(ctx: AppContext, answer: Answer, previous: Query | None, sources: set[str] | None) -> list[str]:
    """When a filtered question found nothing: the documents outside the filter that answer it (their readable
    names), found by asking again without the filter (extractive: fast, and enough to know who answers)."""
    if sources is None or not answer.abstained:
        return []
    try:
        unfiltered = ctx.service.answer(answer.question, previous, "extractive", None)
    except AssistantError:
        return []
    if unfiltered.abstained:
        return []
    names = [render.citation_name(c, ctx.t, ctx.language) for c in unfiltered.citations if c.source not in sources]
    return list(dict.fromkeys(names))


def stop_answer(ctx: AppContext, conversation: Conversation | None) -> list[dict]:
    """The user stopped a streaming answer: what it had written stays, marked as stopped."""
    conv = conversation or Conversation()
    answered = conv.turns[-1].last if conv.turns else -1
    if len(conv.messages) - 1 > answered:  # the stopped turn's messages are after the last finished turn
        conv.messages.append(render.notice_message(ctx.t["stopped"]))
    return list(conv.messages)


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


def new_conversation() -> tuple[list[dict], Conversation, str]:
    """The chat, its state and the feedback status, emptied (the question box keeps what is typed)."""
    return [], Conversation(), ""


def province_choices(ctx: AppContext) -> list[tuple[str, str]]:
    return [(ctx.t["all_provinces"], "")] + [(p, p) for p in ctx.service.provinces()]


def document_choices(ctx: AppContext, province: str | None) -> list[tuple[str, str]]:
    records = [r for r in ctx.service.documents() if not province or r.metadata.province == province]
    return [(render.document_name(r.metadata.doc_type, r.metadata.number, r.metadata.issue_date, r.metadata.province,
                                  r.metadata.title, r.source, ctx.t, ctx.language), r.source) for r in records]


def mode_choices(ctx: AppContext) -> list[tuple[str, str]]:
    choices = [(ctx.t["mode_extractive"], "extractive")]
    return choices + [(ctx.t["mode_llm"], "llm")] if ctx.service.llm_available else choices


def take_question_js(max_chars: int) -> str:
    """The browser's part of sending: [box, question to answer]. The page script (``static/app.js``
    ``cchcTake``) has already taken the question and emptied the box when Enter was pressed, keeping what was typed
    since; a question over the limit stays in the box to be shortened (the answer then says why it was refused).
    The fallback, for a page without the script, does the same without the typing guard."""
    return (f"(q) => {{ if (window.cchcTake) return window.cchcTake(q); q = q || ''; "
            f"return [q.trim().length > {int(max_chars)} ? q : '', q]; }}")


def build_chat_tab(ctx: AppContext) -> None:
    t = ctx.t
    with gr.Tab(t["tab_chat"], id="chat") as tab:
        conversation = gr.State(Conversation())
        # the question being answered (the box is free for the next one meanwhile): a hidden box, not a State, so
        # that the browser itself can fill it when the question is sent (take_question_js)
        asked = gr.Textbox(visible=False, elem_id="cchc-asked")
        # collapsed: on a phone the filters would otherwise take the whole first screen
        with gr.Accordion(t["filters"], open=False, elem_id="cchc-filters"):
            with gr.Row():
                province = gr.Dropdown(province_choices(ctx), value="", label=t["province"], scale=1,
                                       elem_id="cchc-province", min_width=200)
                documents = gr.Dropdown(document_choices(ctx, None), value=[], multiselect=True,
                                        label=t["documents_filter"], scale=3, elem_id="cchc-documents-filter",
                                        min_width=240)
                default_mode = ctx.settings.mode if ctx.service.llm_available else "extractive"
                mode = gr.Radio(mode_choices(ctx), value=default_mode, label=t["mode"], scale=1, min_width=200,
                                info=None if ctx.service.llm_available else t["mode_llm_missing"],
                                elem_id="cchc-mode")
        chatbot = gr.Chatbot(
            label=t["chat_label"], show_label=False, elem_id="cchc-chat", height="50vh", min_height=300,
            resizable=True, examples=[{"text": q} for q in EXAMPLES],
            render_markdown=False,  # content is escaped HTML built by app_render: shown as text
            sanitize_html=True, latex_delimiters=[], allow_tags=False,
            feedback_options=("Like", "Dislike"), buttons=["copy"],
        )
        with gr.Row(elem_id="cchc-suggestions"):
            search_all = gr.Button(t["search_all"], visible=False, size="sm", variant="primary",
                                   elem_id="cchc-search-all")
            suggested = [gr.Button(visible=False, size="sm", elem_classes=["cchc-suggestion"])
                         for _ in range(MAX_SUGGESTIONS)]
        with gr.Row(elem_id="cchc-ask-row"):
            # no autofocus: it scrolls a phone's page past the heading to the box
            question = gr.Textbox(placeholder=t["question_placeholder"], label=t["question_label"], show_label=False,
                                  lines=1, max_lines=6, scale=5, min_width=300, elem_id="cchc-question")
            send = gr.Button(t["send"], variant="primary", scale=1, min_width=80, elem_id="cchc-send")
            stop = gr.Button(t["stop"], variant="stop", scale=1, min_width=80, visible=False, elem_id="cchc-stop")
            clear = gr.Button(t["new_conversation"], scale=1, min_width=120, elem_id="cchc-new")
        gr.HTML('<div id="cchc-counter" aria-live="polite"></div>', elem_id="cchc-counter-box")
        feedback_status = gr.Markdown(elem_id="cchc-feedback-status")
        with gr.Accordion(t["feedback_heading"], open=False) as feedback_box:
            gr.Markdown(t["feedback_hint"])
            with gr.Row():
                comment = gr.Textbox(label=t["comment"], lines=2, scale=5, max_length=2000, elem_id="cchc-comment")
                send_comment_btn = gr.Button(t["send_comment"], scale=1)

        def _respond(q: str, conv: Conversation | None, prov: str | None, docs: list[str] | None, m: str | None):
            for step in respond(ctx, q, conv, prov, docs, m):
                labels = list(step.suggestions) + [""] * (MAX_SUGGESTIONS - len(step.suggestions))
                yield (step.messages, step.conversation, gr.Button(visible=step.search_all),
                       *[gr.Button(value=label or " ", visible=bool(label)) for label in labels])

        def _rate(conv: Conversation | None, text: str | None, evt: gr.LikeData):
            return rate(ctx, conv, text, evt), gr.Accordion(open=True)  # invite a comment

        answer_outputs = [chatbot, conversation, search_all, *suggested]
        answer_event = dict(fn=_respond, inputs=[asked, conversation, province, documents, mode],
                            outputs=answer_outputs, api_visibility="private",
                            concurrency_id=PIPELINE_CONCURRENCY_ID, concurrency_limit=PIPELINE_CONCURRENCY_LIMIT)
        answering = []  # the events that stream an answer: the stop and new-conversation buttons cancel them

        def answer_after(asking) -> None:
            """Once ``asking`` has set the question: the stop button (LLM answers take seconds), the answer, then
            the stop button hidden again."""
            shown = asking.then(lambda m: gr.Button(visible=m == "llm"), mode, stop, api_visibility="private",
                                queue=False)
            answering.append(shown.then(**answer_event))
            answering[-1].then(lambda: gr.Button(visible=False), None, stop, api_visibility="private", queue=False)

        # in the browser, at once: a round trip to the server would let the next keystrokes land before the box is
        # cleared, and be cleared with it
        answer_after(gr.on([question.submit, send.click], None, question, [question, asked],
                           js=take_question_js(ctx.settings.max_question_chars), api_visibility="private",
                           queue=False))

        def _pick_example(evt: gr.SelectData) -> str:
            return evt.value["text"]

        answer_after(chatbot.example_select(_pick_example, None, asked, api_visibility="private", queue=False))
        for button in suggested:
            answer_after(button.click(lambda label: label, button, asked, api_visibility="private", queue=False))

        def _search_all(conv: Conversation | None):
            last = conv.turns[-1].question if conv and conv.turns else ""
            return "", [], last

        answer_after(search_all.click(_search_all, conversation, [province, documents, asked],
                                      api_visibility="private", queue=False))
        chatbot.like(_rate, [conversation, comment], [feedback_status, feedback_box], api_visibility="private")
        send_comment_btn.click(lambda conv, text: send_comment(ctx, conv, text), [conversation, comment],
                               [feedback_status, comment], api_visibility="private")
        stop.click(lambda conv: (stop_answer(ctx, conv), gr.Button(visible=False)), conversation, [chatbot, stop],
                   api_visibility="private", queue=False, cancels=answering)
        # a new conversation also stops an answer still streaming into the old one
        clear.click(lambda: (*new_conversation(), gr.Button(visible=False),
                             *[gr.Button(visible=False) for _ in suggested], gr.Button(visible=False)),
                    None, [chatbot, conversation, feedback_status, search_all, *suggested, stop],
                    api_visibility="private", queue=False, cancels=answering)
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
