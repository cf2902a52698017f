"""The app's programmatic API (``gradio_client``): ``/ask`` and ``/documents``.

``/ask`` returns the CLI's JSON answer record plus ``context``: pass that back as ``context`` with the
next question to ask a follow-up in the same conversation. Domain errors (empty question, unknown mode,
an argument of the wrong type ...) reach the client as ``gradio_client`` ``AppError`` with a one-line
message naming the argument and what is valid, never a traceback.
"""

from __future__ import annotations

import typing
from dataclasses import asdict, fields

import gradio as gr

from assistant.app.context import PIPELINE_CONCURRENCY_ID, PIPELINE_CONCURRENCY_LIMIT, AppContext
from assistant.app.service import MODES
from assistant.types import Query
from ingest.errors import AssistantError

_QUERY_FIELDS = {f.name for f in fields(Query)}
_QUERY_TYPES = typing.get_type_hints(Query)
_SHOWN_CHARS = 60  # how much of a wrong argument an error message repeats


def _shown(value: object) -> str:
    """A wrong value as the client sent it (JSON-ish), with its type, cut short."""
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", tuple: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{text[:_SHOWN_CHARS]}{' …' if len(text) > _SHOWN_CHARS else ''} ({kind})"


def check_arguments(question: object, mode: object, province: object, documents: object,
                    context: object) -> tuple[str, str, str, list[str], dict | None]:
    """The ``/ask`` arguments with their types checked; AssistantError names the first wrong one."""
    if not isinstance(question, str):
        raise AssistantError(f"Argument 'question' must be a string (the question's text); got {_shown(question)}")
    if mode is not None and not isinstance(mode, str):
        raise AssistantError(f"Argument 'mode' must be one of {', '.join(map(repr, MODES))}, or empty for the "
                             f"server's default; got {_shown(mode)}")
    if province is not None and not isinstance(province, str):
        raise AssistantError("Argument 'province' must be a province name (a string, see /documents), or empty "
                             f"for all provinces; got {_shown(province)}")
    if documents is not None and not (isinstance(documents, list | tuple)
                                      and all(isinstance(d, str) for d in documents)):
        raise AssistantError("Argument 'documents' must be a list of document file names (strings, see "
                             f"/documents), or null for all documents; got {_shown(documents)}")
    if context is not None and not isinstance(context, dict):
        raise AssistantError("Argument 'context' must be the 'context' object of an earlier answer, or null; "
                             f"got {_shown(context)}")
    return question, mode or "", province or "", list(documents or ()), context


def query_to_context(query: Query | None) -> dict:
    """The Query as plain JSON values (tuples become lists), exactly what a client receives."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(query).items()} if query else {}


def query_from_context(context: dict | None) -> Query | None:
    """The ``context`` of an earlier ``/ask`` result back into a Query; a malformed one is an error."""
    if not context:
        return None
    if not isinstance(context, dict):
        raise AssistantError("Argument 'context' must be the 'context' object of an earlier answer, or null; "
                             f"got {_shown(context)}")
    unknown = sorted(set(context) - _QUERY_FIELDS)
    if unknown or "text" not in context or "language" not in context:
        raise AssistantError(f"context has unknown or missing fields ({', '.join(unknown) or 'text/language'}); "
                             f"valid fields are: {', '.join(sorted(_QUERY_FIELDS))}")
    values = {}
    for name, value in context.items():
        expected = _QUERY_TYPES[name]
        if expected is str:
            ok, what = isinstance(value, str), "a string"
        else:  # tuple[str, ...] or tuple[int, ...]: a JSON list
            item = typing.get_args(expected)[0]
            ok = isinstance(value, list | tuple) and all(isinstance(v, item) and not isinstance(v, bool) for v in value)
            what = f"a list of {'strings' if item is str else 'whole numbers'}"
            value = tuple(value) if ok else value
        if not ok:
            raise AssistantError(f"context field {name!r} must be {what}, as an earlier answer returned it; "
                                 f"got {_shown(value)}")
        values[name] = value
    try:
        return Query(**values)
    except (TypeError, ValueError) as exc:
        raise AssistantError(f"context is not a valid question context: {exc}") from None


def ask(ctx: AppContext, question: object, mode: object = "", province: object = "", documents: object = None,
        context: object = None) -> dict:
    try:
        question, mode, province, documents, context = check_arguments(question, mode, province, documents, context)
        sources = ctx.service.sources_for(province or None, documents or None)
        if sources is not None and not sources:
            raise AssistantError(ctx.t["filter_empty"])
        answer = ctx.service.answer(question, query_from_context(context), mode or None, sources)
    except AssistantError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    return {**answer.to_record(), "context": query_to_context(answer.query)}


def list_documents(ctx: AppContext) -> list[dict]:
    ctx.service.sync_with_index()
    return [{"source": r.source, "chunks": r.n_chunks, **r.metadata.to_dict(), "ingested_at": r.ingested_at}
            for r in ctx.service.documents()]


def build_api(ctx: AppContext) -> None:
    """Registers the endpoints on the page being built (no visible components)."""

    def ask_endpoint(question: str, mode: str = "", province: str = "", documents: list[str] | None = None,
                     context: dict | None = None) -> dict:
        """Answer one question with citations. mode: "extractive" or "llm" (default: the server's setting).
        province / documents: restrict the search. context: the "context" of the previous answer (follow-up)."""
        return ask(ctx, question, mode, province, documents, context)

    def documents_endpoint() -> list[dict]:
        """The ingested documents with their metadata and chunk counts."""
        return list_documents(ctx)

    gr.api(ask_endpoint, api_name="ask", concurrency_id=PIPELINE_CONCURRENCY_ID,
           concurrency_limit=PIPELINE_CONCURRENCY_LIMIT)
    gr.api(documents_endpoint, api_name="documents", concurrency_limit=None)
