"""Chat messages and passages as HTML in which every piece of document or user text is escaped.

The only markup here is ours (``<mark>``, ``<b>``, ``<div>``); document text, questions and metadata go
through ``text_html`` first, so a document containing ``<script>`` or ``<img onerror=…>`` shows those
characters instead of running them. The chatbot renders message content as HTML without Markdown
(``render_markdown=False``), so Markdown syntax in a document is shown as typed too; thought titles do
go through Markdown, which is why ``text_html`` also turns Markdown punctuation into entities.
"""

from __future__ import annotations

import re

from assistant.types import Answer, Citation

PASSAGE_CONTEXT_CHARS = 300  # shown on each side of a quoted span, cut back to a line break when possible
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")

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
    return {"role": "assistant", "content": text_html(text)}


def format_date(iso: str, language: str) -> str:
    """dd/mm/yyyy for Vietnamese readers; ISO (unambiguous) in English."""
    if language == "vi" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso or ""):
        y, m, d = iso.split("-")
        return f"{d}/{m}/{y}"
    return iso or ""


def citation_title(c: Citation, t: dict[str, str], related: bool = False) -> str:
    head = " ".join(p for p in (c.doc_type, c.number) if p) or c.title or c.source
    parts = [f"[{c.n}] {head}"]
    if c.province:
        parts.append(c.province)
    label = t["related"] if related else t["citation"]
    return text_html(f"{label} " + " · ".join(parts))


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


def citation_html(c: Citation, document_text: str, t: dict[str, str], language: str) -> str:
    """What opening a citation shows: the document's identity, then the passage with the quote marked."""
    rows = [
        (t["meta_title"], c.title),
        (t["meta_number"], " ".join(p for p in (c.doc_type, c.number) if p)),
        (t["meta_province"], c.province),
        (t["meta_date"], format_date(c.issue_date, language)),
        (t["meta_file"], c.source),
        (t["meta_heading"], c.heading),
    ]
    meta = "<br>".join(f"<b>{text_html(k)}:</b> {text_html(v or t['unknown'])}" for k, v in rows
                       if v or k != t["meta_heading"])
    if 0 <= c.start < c.end <= len(document_text):
        passage = passage_html(document_text, c.start, c.end)
    else:  # the document changed or left the index since the answer: the quote is all we still have
        passage = f'<div class="cchc-passage"><mark class="cchc-quote">{text_html(c.quote)}</mark></div>'
    return f'<div class="cchc-meta">{meta}</div>{passage}'


def answer_messages(answer: Answer, documents: dict[str, str], t: dict[str, str], language: str) -> list[dict]:
    """The answer, then one collapsed message per citation (or per related passage when abstaining).

    ``documents`` maps a source file name to its full text (what citation offsets index)."""
    text = answer.text + (f"\n\n{t['note']}: {answer.note}" if answer.note else "")
    messages = [answer_message(text)]
    for c, related in [(c, False) for c in answer.citations] + [(c, True) for c in answer.related]:
        messages.append({
            "role": "assistant",
            "content": citation_html(c, documents.get(c.source, ""), t, language),
            # status "done" makes the chatbot show the citation collapsed: one click opens it
            "metadata": {"title": citation_title(c, t, related), "status": "done"},
        })
    return messages
