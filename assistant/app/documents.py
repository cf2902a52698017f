"""The documents tab: what the index holds. Adding documents is on the admin page (``app/admin.py``), behind a
login; this tab links to it when the admin password is set.

The list follows the index: opening the tab, loading the page or the reload button first re-reads the index
if another process (``assistant ingest``) changed it.
"""

from __future__ import annotations

import gradio as gr

from assistant.app.context import AppContext
from assistant.app.render import format_date, text_html

# the long title last, so the short identifying columns stay in view
COLUMNS = ("col_file", "col_province", "col_type", "col_number", "col_date", "col_period", "col_signer",
           "col_chunks", "col_ingested", "col_title")
# in pixels, not shares of the screen: on a phone the table scrolls sideways instead of one letter per line
COLUMN_WIDTHS = ["190px", "120px", "110px", "130px", "110px", "100px", "150px", "80px", "150px", "420px"]
ADMIN_PATH = "/admin"  # where the admin page is mounted (app/server.py)


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


def build_documents_tab(ctx: AppContext) -> None:
    t = ctx.t
    with gr.Tab(t["tab_documents"], id="documents") as tab:
        gr.Markdown(f"### {t['documents_heading']}")
        summary = gr.Markdown(documents_summary(ctx), elem_id="cchc-doc-summary")
        table = gr.Dataframe(
            value=document_rows(ctx), headers=[t[c] for c in COLUMNS], interactive=False, wrap=True,
            datatype=["str"] * 7 + ["number", "str", "str"], elem_id="cchc-documents",
            column_widths=COLUMN_WIDTHS,
        )
        refresh = gr.Button(t["refresh"], size="sm")

        def _reload():
            ctx.service.sync_with_index(wait=True)
            return documents_summary(ctx), document_rows(ctx)

        for trigger in (refresh.click, tab.select, ctx.demo.load):
            trigger(_reload, None, [summary, table], api_visibility="private", queue=False)

        gr.Markdown(f"### {t['admin_heading']}")
        if ctx.settings.admin_password:
            gr.HTML(f'<p>{text_html(t["admin_link"])} <a href="{ADMIN_PATH}/">{ADMIN_PATH}/</a></p>',
                    elem_id="cchc-admin-link")
        else:
            gr.Markdown(t["admin_disabled"], elem_id="cchc-admin-disabled")
