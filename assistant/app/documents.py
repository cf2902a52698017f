"""The documents tab: what the index holds, and (only with an admin password) adding documents.

Uploads are checked by ``app_upload`` (name, type, size, destination), copied into ``<data_dir>/uploads``,
ingested one by one with progress, and searchable as soon as the ingest returns.
"""

from __future__ import annotations

import hmac
import logging
import time
from pathlib import Path

import gradio as gr

from assistant.app.context import AppContext
from assistant.app.render import format_date
from assistant.app.upload import stage_uploads
from assistant.settings import Settings
from ingest.load import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

# the long title last, so the short identifying columns stay in view
COLUMNS = ("col_file", "col_province", "col_type", "col_number", "col_date", "col_period", "col_signer",
           "col_chunks", "col_ingested", "col_title")
WRONG_PASSWORD_DELAY_S = 1.0  # slows password guessing; ingest events run one at a time anyway


def upload_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def document_rows(ctx: AppContext) -> list[list[object]]:
    rows = []
    for r in ctx.service.documents():
        m = r.metadata
        rows.append([r.source, m.province or "", m.doc_type or "", m.number or "",
                     format_date(m.issue_date or "", ctx.language), m.period or "", m.signer or "", r.n_chunks,
                     r.ingested_at[:16].replace("T", " "), m.title or ""])
    return rows


def documents_summary(ctx: AppContext) -> str:
    docs = ctx.service.documents()
    return ctx.t["documents_summary"].format(documents=len(docs), chunks=sum(r.n_chunks for r in docs))


def password_ok(settings: Settings, given: str | None) -> bool:
    """Constant-time comparison; an unset admin password never matches (the feature is off)."""
    expected = settings.admin_password
    return bool(expected) and hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def add_documents(ctx: AppContext, password: str | None, files: list[str] | None, progress=None) -> str:
    """Check, store and ingest uploaded files; returns the report shown to the admin (plain text)."""
    t = ctx.t
    if not password_ok(ctx.settings, password):
        log.warning("document upload refused: wrong admin password")
        time.sleep(WRONG_PASSWORD_DELAY_S)
        return t["bad_password"]
    if not files:
        return t["no_files"]
    staged = stage_uploads([Path(f) for f in files], upload_dir(ctx.settings), ctx.settings.max_file_bytes)

    def on_progress(done: int, total: int, name: str) -> None:
        if progress is not None:
            progress((done, total), desc=f"{t['ingest_progress']} {name}".strip(), unit="files")

    report = ctx.service.ingest(staged.accepted, on_progress) if staged.accepted else None
    lines = [t["ingest_done"].format(
        added=len(report.added) if report else 0, updated=len(report.updated) if report else 0,
        unchanged=len(report.unchanged) if report else 0,
        skipped=len(staged.rejected) + (len(report.skipped) if report else 0))]
    lines += [f"{t['rejected']}: {name}: {reason}" for name, reason in staged.rejected]
    lines += [f"{t['rejected']}: {Path(s.path).name}: {s.reason}" for s in (report.skipped if report else [])]
    return "\n".join(lines)


def build_documents_tab(ctx: AppContext) -> None:
    t = ctx.t
    with gr.Tab(t["tab_documents"], id="documents") as tab:
        gr.Markdown(f"### {t['documents_heading']}")
        summary = gr.Markdown(documents_summary(ctx), elem_id="cchc-doc-summary")
        table = gr.Dataframe(
            value=document_rows(ctx), headers=[t[c] for c in COLUMNS], interactive=False, wrap=True,
            datatype=["str"] * 7 + ["number", "str", "str"], elem_id="cchc-documents",
            column_widths=["15%", "7%", "7%", "9%", "7%", "7%", "8%", "5%", "9%", "26%"],
        )
        refresh = gr.Button(t["refresh"], size="sm")

        def _reload():
            return documents_summary(ctx), document_rows(ctx)

        for trigger in (refresh.click, tab.select, ctx.demo.load):
            trigger(_reload, None, [summary, table], api_visibility="private", queue=False)

        gr.Markdown(f"### {t['admin_heading']}")
        if not ctx.settings.admin_password:
            gr.Markdown(t["admin_disabled"], elem_id="cchc-admin-disabled")
            return
        password = gr.Textbox(label=t["admin_password"], type="password", elem_id="cchc-admin-password")
        files = gr.File(label=t["upload"].format(types=" ".join(SUPPORTED_SUFFIXES), mb=ctx.settings.max_file_mb),
                        file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), type="filepath",
                        elem_id="cchc-upload")
        ingest = gr.Button(t["ingest"], variant="primary", elem_id="cchc-ingest")
        status = gr.Textbox(show_label=False, interactive=False, lines=3, elem_id="cchc-ingest-status")

        def _add(password_given: str | None, uploaded: list[str] | None, progress=gr.Progress()) -> str:
            return add_documents(ctx, password_given, uploaded, progress)

        ingest.click(_add, [password, files], status, api_name="add_documents", concurrency_id="ingest",
                     concurrency_limit=1).then(_reload, None, [summary, table], api_visibility="private")
