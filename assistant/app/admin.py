"""The admin page (``/admin/``): adding documents, behind a login. Served only when ``CCHC_ADMIN_PASSWORD`` is
set; the public pages have no upload at all.

The login is Gradio's (``auth=`` of ``mount_gradio_app``): user name ``admin``, the admin password; a wrong
one costs a second. Every route of the page, its upload route included, needs the login cookie, and
``app/guard.py`` refuses uploads anywhere else. An ingest takes only files uploaded in the request (Gradio
refuses a server path, see ``server.enforce_uploaded_files``): they are checked by ``app/upload.py``
(name, type, size, storage cap), copied into ``<data_dir>/uploads``, ingested with progress, and
searchable as soon as the ingest returns. The temporary uploads are deleted once processed, and copies
the ingester rejected are removed from the uploads folder.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import gradio as gr

from assistant.app.context import AppContext
from assistant.app.documents import COLUMN_WIDTHS, COLUMNS, document_rows, documents_summary
from assistant.app.render import text_html
from assistant.app.upload import UploadRejected, discard_temporary, stage_uploads
from assistant.settings import Settings
from ingest.errors import AssistantError
from ingest.load import SUPPORTED_SUFFIXES, Skipped
from vectorstore.ingestor import IngestReport

log = logging.getLogger(__name__)

ADMIN_USER = "admin"
_DUPLICATE = re.compile(r"same content as (\S+), already ingested")  # the ingester's words for a twin file
WRONG_PASSWORD_DELAY_S = 1.0  # slows password guessing (without holding up the server: an async sleep)


def upload_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def password_ok(settings: Settings, given: str | None) -> bool:
    """Constant-time comparison; an unset admin password never matches (the feature is off)."""
    expected = settings.admin_password
    return bool(expected) and hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def login_check(settings: Settings) -> Callable:
    """Gradio's ``auth`` function for the admin page."""

    async def login(username: str, password: str) -> bool:
        if hmac.compare_digest((username or "").encode("utf-8"), ADMIN_USER.encode("utf-8")) and \
                password_ok(settings, password):
            return True
        log.warning("admin login refused")
        await asyncio.sleep(WRONG_PASSWORD_DELAY_S)
        return False

    return login


def add_documents(ctx: AppContext, files: Sequence[str] | None, progress=None, *, max_total_bytes: int | None = None,
                  temp_root: str | Path | None = None) -> str:
    """Check, store and ingest uploaded files; returns the report shown to the admin (plain text). The files
    inside ``temp_root`` (Gradio's upload folder) are deleted afterwards, whatever the outcome."""
    t = ctx.t
    files = list(files or [])
    try:
        if not files:
            return t["no_files"]
        folder = upload_dir(ctx.settings)
        staged = stage_uploads([Path(f) for f in files], folder, ctx.settings.max_file_bytes, max_total_bytes)

        def on_progress(done: int, total: int, name: str) -> None:
            if progress is not None:
                progress((done, total), desc=f"{t['ingest_progress']} {name}".strip(), unit="files")

        try:
            report = ctx.service.ingest(staged.accepted, on_progress) if staged.accepted else None
        except AssistantError:  # the index is busy or unavailable: nothing of this upload is kept
            log.warning("ingesting uploads failed", exc_info=True)
            for path in staged.accepted:
                path.unlink(missing_ok=True)
            return f"{t['rejected']}: {t['index_busy']}"
        skipped = report.skipped if report else []
        for item in skipped:  # the ingester refused it: its copy must not stay in the uploads folder
            copy = Path(item.path)
            if copy.parent.resolve() == folder.resolve():
                copy.unlink(missing_ok=True)
        return ingest_report(t, report, staged.rejected, skipped)
    finally:
        if temp_root is not None:
            discard_temporary(files, temp_root)


def ingest_report(t: dict[str, str], report: IngestReport | None, rejected: Sequence[tuple[str, UploadRejected]],
                  skipped: Sequence[Skipped]) -> str:
    """What the admin reads after an ingest, in the page's language: counts, whether there is anything new to
    ask about, and why each refused file was refused (file names only: never a server path or an exception)."""
    added, updated = (len(report.added), len(report.updated)) if report else (0, 0)
    lines = [t["ingest_done"].format(added=added, updated=updated, unchanged=len(report.unchanged) if report else 0,
                                     skipped=len(rejected) + len(skipped)),
             t["ingest_new"] if added or updated else t["ingest_nothing_new"]]
    lines += [f"{t['rejected']}: {name}: {t[why.key].format(**why.params)}" for name, why in rejected]
    for s in skipped:
        log.info("ingest skipped %s: %s", s.path, s.reason)  # the operator's detail; the admin gets the gist
        twin = _DUPLICATE.match(s.reason)
        why = t["upload_duplicate"].format(source=twin.group(1)) if twin else t["upload_unreadable"]
        lines.append(f"{t['rejected']}: {Path(s.path).name}: {why}")
    return "\n".join(lines)


def build_admin_page(ctx: AppContext, max_total_bytes: int, temp_root: str | Path,
                     forget_uploads: Callable[[Sequence[str]], None] = lambda paths: None) -> None:
    """The admin page's content, inside ``ctx.demo``: the documents, and the upload with its ``/add_documents``
    API (``gradio_client.Client(url + "admin/", auth=("admin", password))``)."""
    t = ctx.t
    gr.HTML(f"<h1>{text_html(t['admin_heading'])}</h1>"
            f"<p>{text_html(t['admin_intro'].format(cap=max_total_bytes / 1048576))}<br>"
            f'<a href="/">{text_html(t["back_to_app"])}</a></p>', elem_id="cchc-header")
    files = gr.File(label=t["upload"].format(types=" ".join(SUPPORTED_SUFFIXES), mb=ctx.settings.max_file_mb),
                    file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), type="filepath", elem_id="cchc-upload")
    ingest = gr.Button(t["ingest"], variant="primary", elem_id="cchc-ingest")
    status = gr.Textbox(show_label=False, interactive=False, lines=3, elem_id="cchc-ingest-status")
    gr.Markdown(f"### {t['documents_heading']}")
    summary = gr.Markdown(documents_summary(ctx), elem_id="cchc-doc-summary")
    table = gr.Dataframe(value=document_rows(ctx), headers=[t[c] for c in COLUMNS], interactive=False, wrap=True,
                         datatype=["str"] * 7 + ["number", "str", "str"], column_widths=COLUMN_WIDTHS,
                         elem_id="cchc-documents")

    def _reload():
        ctx.service.sync_with_index(wait=True)
        return documents_summary(ctx), document_rows(ctx)

    # Gradio injects the request and progress tracking through these parameters, so the calls stay here.
    def _add(uploaded: list[str] | None, request: gr.Request, progress=gr.Progress()) -> str:  # noqa: B008
        if request is None or not request.username:  # the page's login is checked by Gradio; this is a second look
            discard_temporary(uploaded or [], temp_root)
            return t["not_admin"]
        try:
            return add_documents(ctx, uploaded, progress, max_total_bytes=max_total_bytes, temp_root=temp_root)
        finally:
            forget_uploads(uploaded or [])

    ctx.demo.load(_reload, None, [summary, table], api_visibility="private", queue=False)
    # the cleared upload box: its files are gone from the server too
    def _starting(uploaded: list[str] | None) -> str:
        """The status as soon as the button is pressed: the previous ingest's report must not stand meanwhile."""
        return t["ingest_running"].format(n=len(uploaded or [])) if uploaded else ""

    started = ingest.click(_starting, [files], status, api_visibility="private", queue=False)
    started.then(_add, [files], status, api_name="add_documents", concurrency_id="ingest",
                 concurrency_limit=1).then(_reload, None, [summary, table], api_visibility="private").then(
        lambda: None, None, files, api_visibility="private", queue=False)
