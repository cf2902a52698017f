"""The Gradio web app: `assistant serve` (and `make run`) starts it on 127.0.0.1:7860 by default.

One page per interface language, sharing one pipeline: ``/`` in ``settings.ui_language`` (Vietnamese by
default) and ``/en/`` or ``/vi/`` for the other one, linked from the page header. A page is a header
plus tabs; a tab is one function ``(AppContext) -> None`` (see ``context.py``), so adding a tab is
adding its function to ``TABS`` (or passing ``tabs=`` to ``build_app``). The programmatic API
(``/ask``, ``/documents``, see ``api.py``) lives on every page; clients use the root one.

With an admin password, ``/admin/`` is the admin page (``admin.py``: adding documents, behind Gradio's
login); without one there is no upload anywhere. ``guard.UploadGuard`` keeps Gradio's upload routes closed
except for a logged-in admin on that page, within the upload storage cap, and ``sessions.SessionJanitor``
keeps Gradio's per-session memory from growing with API traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Sequence
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from gradio.utils import get_upload_folder

from assistant.app.admin import ADMIN_USER, build_admin_page, login_check, upload_dir
from assistant.app.api import build_api
from assistant.app.assets import FONT_CSS, mount_static, page_head, theme
from assistant.app.batching import BatchingEmbedder
from assistant.app.chat import build_chat_tab
from assistant.app.commitments import build_commitments_tab
from assistant.app.context import AppContext, TabBuilder
from assistant.app.documents import ADMIN_PATH, build_documents_tab
from assistant.app.feedback import FeedbackLog
from assistant.app.fulltext import add_fulltext_route
from assistant.app.guard import UploadGuard, UploadStorage
from assistant.app.render import text_html
from assistant.app.service import AssistantService
from assistant.app.sessions import SessionJanitor
from assistant.app.text import LANGUAGES, texts
from assistant.pipeline import Pipeline
from assistant.settings import Settings

log = logging.getLogger(__name__)

TABS: tuple[TabBuilder, ...] = (build_chat_tab, build_documents_tab, build_commitments_tab)
QUEUE_MAX_SIZE = 200  # waiting events per page beyond which new ones are refused with "queue full"
ADMIN_CACHE_CLEANUP = (900, 3600)  # every 15 min, delete the admin page's temporary files older than an hour

CSS_PATH = Path(__file__).parent / "static" / "app.css"


def page_path(language: str, settings: Settings) -> str:
    """Where the page in ``language`` is served: the root for the configured language."""
    return "/" if language == settings.ui_language else f"/{language}/"


def build_app(service: AssistantService, settings: Settings, language: str | None = None,
              tabs: Sequence[TabBuilder] = TABS, feedback: FeedbackLog | None = None) -> gr.Blocks:
    language = language or settings.ui_language
    t = texts(language)
    other = next(lang for lang in LANGUAGES if lang != language)
    with gr.Blocks(title=t["page_title"], analytics_enabled=False) as demo:
        ctx = AppContext(service=service, settings=settings, feedback=feedback or FeedbackLog(settings.feedback_path),
                         language=language, demo=demo)
        # gr.HTML, not Markdown: Markdown links open a new tab, and switching language should not
        gr.HTML(f"<h1>{text_html(t['heading'])}</h1><p>{text_html(t['intro'])}<br>"
                f'<a href="{page_path(other, settings)}" lang="{other}">{text_html(t["other_language"])}</a></p>',
                elem_id="cchc-header")
        with gr.Tabs():
            for build_tab in tabs:
                build_tab(ctx)
        build_api(ctx)
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE)
    return demo


def enforce_uploaded_files(demo: gr.Blocks) -> None:
    """Make Gradio accept, as a file input, only a file uploaded to it (in its upload folder), never a path on
    the server. Gradio checks this only for apps it launched itself: ``mount_gradio_app`` leaves the flag
    unset, and a client could otherwise name any readable server file (which Gradio then copied)."""
    demo.has_launched = True


def build_admin_app(service: AssistantService, settings: Settings, max_total_bytes: int) -> gr.Blocks:
    """The admin page (mounted at ADMIN_PATH behind the login): adding documents."""
    t = texts(settings.ui_language)
    with gr.Blocks(title=t["admin_page_title"], analytics_enabled=False, delete_cache=ADMIN_CACHE_CLEANUP) as demo:
        ctx = AppContext(service=service, settings=settings, feedback=FeedbackLog(settings.feedback_path),
                         language=settings.ui_language, demo=demo)
        build_admin_page(ctx, max_total_bytes, get_upload_folder(),
                         forget_uploads=lambda paths: demo.upload_file_set.difference_update(map(str, paths)))
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE)
    return demo


def build_server(pipeline: Pipeline, settings: Settings, tabs: Sequence[TabBuilder] = TABS,
                 max_upload_storage_mb: float | None = None) -> FastAPI:
    """A FastAPI app serving both language pages over one pipeline and one feedback log, and the admin page when
    there is an admin password. ``max_upload_storage_mb``: the cap on stored uploads (default: the setting
    ``max_upload_storage_mb``)."""
    service = AssistantService(pipeline)
    feedback = FeedbackLog(settings.feedback_path)
    cap_mb = max_upload_storage_mb or settings.max_upload_storage_mb
    pages: list[gr.Blocks] = []

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        sweeping = asyncio.create_task(janitor.run())
        try:
            yield
        finally:
            sweeping.cancel()

    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    mount_static(server)
    add_fulltext_route(server, service.records, service.document_texts)
    css = FONT_CSS + CSS_PATH.read_text(encoding="utf-8")
    # no footer links: Gradio's "Use via API" page is English only; the API is documented in the README
    mount = dict(server_name=settings.host, server_port=settings.port, footer_links=[], run_history=False,
                 max_file_size=settings.max_file_bytes, ssr_mode=False, mcp_server=False, css=css,
                 theme=theme(), show_error=False)  # unexpected errors: a generic message, not Python's
    admin, storage = None, None
    if settings.admin_password:
        storage = UploadStorage(int(cap_mb * 1024 * 1024), upload_dir(settings))
        admin = build_admin_app(service, settings, storage.cap_bytes)
        storage.pending = lambda: admin.upload_file_set
        server = gr.mount_gradio_app(server, admin, path=ADMIN_PATH, auth=login_check(settings),
                                     auth_message=texts(settings.ui_language)["admin_login"],
                                     head=page_head(settings.ui_language, settings.max_question_chars), **mount)
        enforce_uploaded_files(admin)
        pages.append(admin)
    # the root page last: a mount at "/" would otherwise capture "/en/..." too
    for language in sorted(LANGUAGES, key=lambda lang: page_path(lang, settings) == "/"):
        demo = build_app(service, settings, language, tabs, feedback)
        server = gr.mount_gradio_app(server, demo, path=page_path(language, settings).rstrip("/") or "/",
                                     head=page_head(language, settings.max_question_chars), **mount)
        enforce_uploaded_files(demo)
        pages.append(demo)
    janitor = SessionJanitor(pages)
    admin_app = _mounted_app(server, ADMIN_PATH) if admin is not None else None

    def is_admin(token: str | None) -> bool:  # a session logged in on the admin page (Gradio's login tokens)
        return admin_app is not None and token is not None and admin_app.tokens.get(token) == ADMIN_USER

    def cookie_names() -> tuple[str, ...]:  # Gradio's login cookie (https) and its plain-http twin
        cookie = admin_app.cookie_id if admin_app is not None else ""
        return (f"access-token-{cookie}", f"access-token-unsecure-{cookie}") if cookie else ()

    server.add_middleware(UploadGuard, admin_prefix=ADMIN_PATH if admin is not None else None, is_admin=is_admin,
                          cookie_names=cookie_names, storage=storage)
    return server


def _mounted_app(server: FastAPI, path: str):
    """The Gradio app mounted at ``path``."""
    return next(route.app for route in server.routes if getattr(route, "path", None) == path)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings) -> None:
    """Build the pipeline once, then serve until interrupted."""
    import uvicorn

    from assistant.pipeline import build_embedder, build_pipeline

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not is_loopback(settings.host):
        log.warning("Binding to %s: the app is reachable from other machines (an explicit choice; "
                    "the default is 127.0.0.1).", settings.host)
    # answers run in parallel: their question embeddings are computed in shared batches (app/batching.py)
    pipeline = build_pipeline(settings, embedder=BatchingEmbedder(build_embedder(settings)))
    server = build_server(pipeline, settings)
    other = next(lang for lang in LANGUAGES if lang != settings.ui_language)
    base = f"http://{settings.host}:{settings.port}"
    print(f"CCHC assistant: {base}/  "
          f"({texts(settings.ui_language)['other_language']}: {base}{page_path(other, settings)})",
          flush=True)
    # open event streams (browsers, API clients) would otherwise hold a Ctrl+C / SIGTERM for minutes
    uvicorn.run(server, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=3)
