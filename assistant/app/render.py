"""Chat messages and passages as HTML in which every piece of document or user text is escaped.

The only markup here is ours (``<mark>``, ``<b>``, ``<a>``, ``<div>``); document text, questions and metadata go
through ``text_html`` first, so a document containing ``<script>`` or ``<img onerror=…>`` shows those
characters instead of running them. The chatbot renders message content as HTML without Markdown
(``render_markdown=False``), so Markdown syntax in a document is shown as typed too; thought titles do
go through Markdown, which is why ``text_html`` also turns Markdown punctuation into entities.

An answer is shown with its key fact in bold (the lead of each answer line, which the answerers write
figure first) and its ``[n]`` markers as links; ``app/static/app.js`` opens and scrolls to the source
``n`` of the same answer when one is clicked (the chatbot's sanitizer keeps no inline handlers).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from assistant.types import Answer, Citation
from ingest.provinces import with_kind

PASSAGE_CONTEXT_CHARS = 300  # shown on each side of a quoted span, cut back to a line break when possible
MAX_LEAD_CHARS = 80  # a longer lead is prose (an LLM's sentence), not a key fact: nothing is bolded
FULLTEXT_PATH = "/cchc/document"  # the whole document with a span marked (app/fulltext.py)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_MARKER = re.compile(r"\[(\d{1,3})\]")
# an answer line's lead ends where its qualifications start: "Tối thiểu 20% (Lai Châu, năm 2025) [1]."
_LEAD_END = re.compile(r" \(| — | \[|\.$|\.\s")
# "- Lai Châu: " opens one province's line in a comparison
_ITEM = re.compile(r"^(\s*-\s+[^:\n]{1,60}:\s+)")

# HTML specials, plus Markdown/LaTeX punctuation, as numeric entities in one pass (a second pass would
# re-escape the first one's "&" and "#"): displayed as typed, never read as markup or syntax.
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]{}()#+!|~$"})


def text_html(text: str) -> str:
    """Any text as inert HTML: tags, attributes and Markdown syntax are shown, not interpreted."""
    return text.translate(_INERT)


def user_message(question: str) -> dict:
    return {"role": "user", "content": text_html(question)}


def notice_message(text: str) -> dict:
    """An assistant message that is not an answer (errors, friendly refusals)."""
    return {"role": "assistant", "content": f'<div class="cchc-notice">{text_html(text)}</div>'}


def pending_message(text: str) -> dict:
    return {"role": "assistant", "content": text_html(text)}


def answer_message(text: str) -> dict:
    """A streamed (partial) answer: plain escaped text, markers not yet linked."""
    return {"role": "assistant", "content": text_html(text)}


def format_date(iso: str, language: str) -> str:
    """dd/mm/yyyy for Vietnamese readers; ISO (unambiguous) in English."""
    if language == "vi" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso or ""):
        y, m, d = iso.split("-")
        return f"{d}/{m}/{y}"
    return iso or ""


def province_name(province: str, language: str) -> str:
    """"tỉnh Lai Châu", "thành phố Hà Nội" in Vietnamese running text; the bare name in English."""
    if not province:
        return ""
    return with_kind(province) if language == "vi" else province


def document_name(doc_type: str | None, number: str | None, issue_date: str | None, province: str | None,
                  title: str | None, source: str, t: dict[str, str], language: str) -> str:
    """A document as a reader names it: "Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu"; the title when
    it has no type and number, the file name only when nothing else is known."""
    head = " ".join(p for p in (doc_type, number) if p) or (title or "") or source
    if issue_date:
        head += " " + t["doc_dated"].format(date=format_date(issue_date, language))
    place = province_name(province or "", language)
    return f"{head} — {place}" if place else head


def citation_name(c: Citation, t: dict[str, str], language: str) -> str:
    return document_name(c.doc_type, c.number, c.issue_date, c.province, c.title, c.source, t, language)


def citation_title(c: Citation, t: dict[str, str], language: str = "vi", related: bool = False) -> str:
    """The collapsed source's one line: "Nguồn [1] · Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu"."""
    label = t["related"] if related else t["citation"]
    return text_html(f"{label} [{c.n}] · {citation_name(c, t, language)}")


def passage_window(text: str, start: int, end: int, context: int = PASSAGE_CONTEXT_CHARS) -> tuple[int, int]:
    """The range shown around a quoted span: ``context`` characters each side, trimmed to whole lines."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"Span {start}-{end} is outside a text of {len(text)} characters")
    left = max(0, start - context)
    if left > 0:
        newline = text.find("\n", left, start)
        left = newline + 1 if newline != -1 else left
    right = min(len(text), end + context)
    if right < len(text):
        newline = text.rfind("\n", end, right)
        right = newline if newline != -1 else right
    return left, right


def passage_html(text: str, start: int, end: int, context: int = PASSAGE_CONTEXT_CHARS) -> str:
    """The passage around ``text[start:end]`` with that span in ``<mark>``, every piece escaped."""
    left, right = passage_window(text, start, end, context)
    before = ("… " if left > 0 else "") + _compact(text[left:start])
    after = _compact(text[end:right]) + (" …" if right < len(text) else "")
    return (f'<div class="cchc-passage">{text_html(before)}<mark class="cchc-quote">{text_html(text[start:end])}'
            f"</mark>{text_html(after)}</div>")


def _compact(text: str) -> str:
    """Runs of blank lines as one line break: web pages space paragraphs out, the chat has little room."""
    return _BLANK_LINES.sub("\n", text)


def fulltext_url(source: str, start: int, end: int, language: str) -> str:
    """Where the whole document is shown with ``start``-``end`` marked (app/fulltext.py)."""
    query = urlencode({"start": start, "end": end, "lang": language})
    return f"{FULLTEXT_PATH}/{quote(source, safe='')}?{query}#cchc-quote"  # the browser scrolls to the mark


def citation_html(c: Citation, document_text: str, t: dict[str, str], language: str) -> str:
    """What opening a citation shows: the document's readable name and identity, the passage with the quote
    marked, and a link to the whole document scrolled to the quote."""
    rows = [
        (t["meta_title"], c.title),
        (t["meta_province"], province_name(c.province, language)),
        (t["meta_date"], format_date(c.issue_date, language)),
        (t["meta_heading"], c.heading),
        (t["meta_file"], c.source),
    ]
    meta = "<br>".join(f"<b>{text_html(k)}:</b> {text_html(v)}" for k, v in rows if v)
    name = f'<div class="cchc-docname">{text_html(citation_name(c, t, language))}</div>'
    if 0 <= c.start < c.end <= len(document_text):
        passage = passage_html(document_text, c.start, c.end)
        link = (f'<a class="cchc-fulltext" href="{fulltext_url(c.source, c.start, c.end, language)}" '
                f'target="_blank" rel="noopener">{text_html(t["full_text"])}</a>')
    else:  # the document changed or left the index since the answer: the quote is all we still have
        passage = f'<div class="cchc-passage"><mark class="cchc-quote">{text_html(c.quote)}</mark></div>'
        link = ""
    return f'{name}{passage}<div class="cchc-meta">{meta}</div>{link}'


def answer_html(text: str, abstained: bool, markers: set[int]) -> str:
    """The final answer: escaped, the lead of each answer line in bold (the key figure, date or name), and the
    ``[n]`` markers that have a source as links to it. A line that quotes the source ("Nguồn: …") is left as is."""
    lines = []
    for line in text.split("\n"):
        item = _ITEM.match(line)
        prefix = item.group(1) if item else ""
        rest = line[len(prefix):]
        quoting = rest.lstrip().startswith(("Nguồn", "Source", "“"))
        if abstained or quoting or not rest.strip() or rest.rstrip().endswith(":"):  # ":": a heading
            lines.append(_linked(line, markers))
            continue
        stop = _LEAD_END.search(rest)
        lead, tail = (rest[:stop.start()], rest[stop.start():]) if stop else (rest, "")
        if not any(ch.isalnum() for ch in lead) or len(lead) > MAX_LEAD_CHARS:  # a heading, or running prose
            lines.append(_linked(line, markers))
            continue
        lines.append(f'{_linked(prefix, markers)}<b class="cchc-key">{_linked(lead, markers)}</b>'
                     f"{_linked(tail, markers)}")
    return f'<div class="cchc-answer">{"<br>".join(lines)}</div>'


def _linked(text: str, markers: set[int]) -> str:
    """Escaped text whose ``[n]`` markers (for a known source n) are links the page script opens."""
    out, at = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in markers:
            continue
        out.append(text_html(text[at:m.start()]))
        out.append(f'<a class="cchc-ref" href="#cchc-source-{n}">[{n}]</a>')
        at = m.end()
    out.append(text_html(text[at:]))
    return "".join(out)


def answer_messages(answer: Answer, documents: dict[str, str], t: dict[str, str], language: str) -> list[dict]:
    """The answer, then one collapsed message per citation (or per related passage when abstaining).

    ``documents`` maps a source file name to its full text (what citation offsets index)."""
    body = answer_html(answer.text, answer.abstained, {c.n for c in answer.citations})
    if answer.note:
        body += f'<div class="cchc-note">{text_html(t["note"])}: {text_html(answer.note)}</div>'
    messages = [{"role": "assistant", "content": body}]
    for c, related in [(c, False) for c in answer.citations] + [(c, True) for c in answer.related]:
        messages.append({
            "role": "assistant",
            "content": citation_html(c, documents.get(c.source, ""), t, language),
            # status "done" makes the chatbot show the citation collapsed: one click opens it
            "metadata": {"title": citation_title(c, t, language, related), "status": "done"},
        })
    return messages
