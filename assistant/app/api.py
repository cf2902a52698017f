"""The app's programmatic API (``gradio_client``): ``/ask`` and ``/documents``.

``/ask`` returns the CLI's JSON answer record plus ``context``: pass that back as ``context`` with the
next question to ask a follow-up in the same conversation. Domain errors (empty question, unknown mode,
...) reach the client as ``gradio_client`` ``AppError`` with the message, never a traceback.
"""

from __future__ import annotations

from dataclasses import asdict, fields

import gradio as gr

from assistant.app.context import PIPELINE_CONCURRENCY_ID, PIPELINE_CONCURRENCY_LIMIT, AppContext
from ingest.errors import AssistantError
from assistant.types import Query

_QUERY_FIELDS = {f.name for f in fields(Query)}


def query_to_context(query: Query | None) -> dict:
    """The Query as plain JSON values (tuples become lists), exactly what a client receives."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(query).items()} if query else {}


def query_from_context(context: dict | None) -> Query | None:
    """The ``context`` of an earlier ``/ask`` result back into a Query; a malformed one is an error."""
    if not context:
        return None
    if not isinstance(context, dict):
        raise AssistantError(f"context must be the 'context' object of an earlier answer. Currently it is {context!r}")
    unknown = sorted(set(context) - _QUERY_FIELDS)
    if unknown or "text" not in context or "language" not in context:
        raise AssistantError(f"context has unknown or missing fields ({', '.join(unknown) or 'text/language'}); "
                             f"valid fields are: {', '.join(sorted(_QUERY_FIELDS))}")
    try:
        return Query(**{k: tuple(v) if isinstance(v, list) else v for k, v in context.items()})
    except (TypeError, ValueError) as exc:
        raise AssistantError(f"context is not a valid question context: {exc}") from None


def ask(ctx: AppContext, question: str, mode: str = "", province: str = "", documents: list[str] | None = None,
        context: dict | None = None) -> dict:
    try:
        sources = ctx.service.sources_for(province or None, documents or None)
        if sources is not None and not sources:
            raise AssistantError(ctx.t["filter_empty"])
        answer = ctx.service.answer(question, query_from_context(context), mode or None, sources)
    except AssistantError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    return {**answer.to_record(), "context": query_to_context(answer.query)}


def list_documents(ctx: AppContext) -> list[dict]:
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
