"""The whole document, as a page of its own, with one span marked and scrolled into view ("xem toàn văn").

A citation in the chat shows a few hundred characters around its quote; its "xem toàn văn" / "full text" link
(``render.fulltext_url``) opens ``/cchc/document/<file>?start=&end=&lang=``. The text is the one the index
serves (citation offsets index it), escaped like everything else (``render.text_html``); the page has no
script: the browser scrolls to ``#cchc-quote`` by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from assistant.app.assets import FONT_CSS
from assistant.app.render import FULLTEXT_PATH, document_name, text_html
from assistant.app.text import LANGUAGES, texts
from vectorstore.chroma import DocumentRecord

PAGE_CSS = """
body { font-family: "Noto Sans CCHC", sans-serif; max-width: 56rem; margin: 0 auto; padding: 1rem;
       line-height: 1.6; color: #1f2937; background: #fff; }
h1 { font-size: 1.25rem; } pre { white-space: pre-wrap; font: inherit; }
mark { background: #ffe066; color: #111; scroll-margin-top: 30vh; }
a { color: #1d4ed8; }
"""


def document_page(record: DocumentRecord, text: str, start: int | None, end: int | None, language: str) -> str:
    """The HTML page of ``record``'s ``text``, ``start``-``end`` marked when it is a span of it."""
    t = texts(language)
    m = record.metadata
    name = document_name(m.doc_type, m.number, m.issue_date, m.province, m.title, record.source, t, language)
    if start is not None and end is not None and 0 <= start < end <= len(text):
        body = (f"{text_html(text[:start])}<mark id=\"cchc-quote\">{text_html(text[start:end])}</mark>"
                f"{text_html(text[end:])}")
    else:
        body = text_html(text)
    title = f"<p>{text_html(m.title)}</p>" if m.title and m.title not in name else ""
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{text_html(name)}</title><style>{FONT_CSS}{PAGE_CSS}</style></head><body>"
            f'<h1>{text_html(name)}</h1>{title}<p><small>{text_html(t["meta_file"])}: {text_html(record.source)}'
            f"</small></p><pre>{body}</pre></body></html>")


def add_fulltext_route(server: FastAPI, documents: Callable[[], dict[str, DocumentRecord]],
                       document_texts: Callable[[], Mapping[str, str]]) -> None:
    """``GET /cchc/document/<file>``: the document page, 404 for a file the index does not hold. Texts are
    read from the index when asked (the served view holds none)."""

    @server.get(FULLTEXT_PATH + "/{source}", response_class=HTMLResponse, include_in_schema=False)
    def _document(source: str, start: int | None = None, end: int | None = None, lang: str = "vi") -> HTMLResponse:
        language = lang if lang in LANGUAGES else "vi"
        record = documents().get(source)
        if record is None:
            return HTMLResponse(f'<!doctype html><html lang="{language}"><body><p>'
                                f'{text_html(texts(language)["document_missing"])}</p></body></html>', status_code=404)
        text = document_texts().get(source) or ""
        return HTMLResponse(document_page(record, text, start, end, language),
                            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                                "font-src 'self'"})
