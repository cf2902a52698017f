"""Remove web-page chrome (menus, related-news lists, counters, login prompts, footers) from scraped text.

The cleaner never rewrites text: it decides, line by line, which spans of ``SourceDocument.text`` are
body. Removed spans are kept too, because a page footer can be the only place that names the province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.document import CleanDocument, SourceDocument, Span
from ingest.textnorm import plain
from ingest.vocab import read_kinds

# The phrases of each kind of chrome line, accent-less, as regex alternations in file order (data/page_chrome.tsv:
# its header says what each kind means).
_CHROME_KINDS = ("heading", "line", "button", "back", "starts", "byline", "counter", "visits", "footer", "site")
_PHRASES = {kind: "|".join(re.escape(plain(phrase)) for phrase in phrases)
            for kind, phrases in read_kinds(Path(__file__).parent / "data" / "page_chrome.tsv", _CHROME_KINDS).items()}

# A heading that starts a trailing block of links: everything after it is page furniture.
_TRAILING_BLOCK = re.compile(rf"^\s*({_PHRASES['heading']})\s*:?\s*$")

# One-line chrome: each pattern is matched against the accent-less, lower-case line.
_CHROME_LINE = [
    re.compile(p)
    for p in (
        r"^trang chu(\s+\w+){0,4}$",  # breadcrumb / menu
        rf"^({_PHRASES['line']})$",
        r"^luot xem\s*:?\s*\d",
        rf"^({_PHRASES['button']})(\s+({_PHRASES['button']}))*$",
        rf"^\[?\s*({_PHRASES['back']})\s*\]?$",
        rf"^({_PHRASES['starts']})",
        r"dang nhap.*thoi gian cho",
        rf"^({_PHRASES['counter']}|{_PHRASES['visits']})\s*:\s*[\d.,]+$",
        rf"^({_PHRASES['byline']})\s*:",
        r"^(thu (hai|ba|tu|nam|sau|bay|\d)|chu nhat)\s*[-,]\s*(ngay\s*)?\d{1,2}/\d{1,2}/\d{4}",  # posting date
        r"^\(?ngay dang\s*:",
    )
]

# Lines of a site footer: contact details and the operator's name. The label must end at a colon or the
# line: a sentence such as "Điện thoại đường dây nóng … được công khai" is body text.
_FOOTER_LINE = re.compile(rf"^({_PHRASES['footer']})\s*(:|$)")

# A list entry "Title(26/02/2021 3:38:22 SA)" in a related-news block.
_NEWS_ITEM = re.compile(r"\(\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(:\d{2})?\s*(sa|ch|am|pm)?\)\s*$")

# A bullet of a visitor counter: "• Hôm nay: 1" (a number and nothing else: "Tất cả: 100% hồ sơ …" is body).
_COUNTER = re.compile(rf"^[•·\-*]?\s*({_PHRASES['counter']})\s*:\s*[\d.,]+$")


@dataclass(frozen=True)
class CleanerSettings:
    # A trailing block starts only after this share of the page, so a "Tin liên quan" heading
    # at the top of a page cannot swallow the article below it.
    trailing_block_min_position: float = 0.3


class Cleaner:
    def __init__(self, settings: CleanerSettings | None = None) -> None:
        self.settings = settings or CleanerSettings()
        if not 0 <= self.settings.trailing_block_min_position < 1:
            raise ValueError(
                "trailing_block_min_position must be in [0, 1). "
                f"Currently it is {self.settings.trailing_block_min_position}"
            )

    def clean(self, doc: SourceDocument) -> CleanDocument:
        text = doc.text
        body: list[Span] = []
        removed: list[Span] = []
        trailing = False
        for start, end in _lines(text):
            line = text[start:end]
            if not line.strip():
                continue
            span = _strip(text, start, end)
            key = plain(line.strip())
            block_heading = bool(_TRAILING_BLOCK.match(key))
            if not trailing and block_heading and start >= len(text) * self.settings.trailing_block_min_position:
                trailing = True
            if trailing or block_heading or _is_chrome(key):
                removed.append(span)
            else:
                body.append(span)
        body = _drop_footer_run(text, body, removed)
        return CleanDocument(source=doc, body=tuple(body), removed=tuple(sorted(removed, key=lambda s: s.start)))


def _is_chrome(key: str) -> bool:
    key = key.strip(" |")
    return (
        any(p.search(key) for p in _CHROME_LINE)
        or bool(_NEWS_ITEM.search(key))
        or bool(_COUNTER.match(key))
        or bool(_FOOTER_LINE.match(key))
    )


_SITE_NAME = re.compile(rf"^({_PHRASES['site']})\b")


def _drop_footer_run(text: str, body: list[Span], removed: list[Span]) -> list[Span]:
    """Short lines after the first footer/contact line, and a site-name line, belong to the footer."""
    footer_starts = [s.start for s in removed if _FOOTER_LINE.match(plain(text[s.start : s.end]).strip(" |"))]
    first_footer = min(footer_starts) if footer_starts else len(text) + 1
    kept: list[Span] = []
    for span in body:
        line = text[span.start : span.end]
        short = len(line.split()) <= 12  # a site name or contact line, not a sentence of the article
        after_footer = span.start > first_footer and short
        if after_footer or (short and _SITE_NAME.match(plain(line).strip())):
            removed.append(span)
        else:
            kept.append(span)
    return kept


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)
