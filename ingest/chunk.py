"""Structure-aware chunking with token-measured sizes.

Units are headings ("I.", "1.", "a)", "* Đến năm 2025") and sentences. A chunk never crosses a heading or
a removed (chrome) span, never cuts a sentence unless that sentence alone is over the limit (then it is
split at clause boundaries ";" / ",", and only as a last resort between words), and records the heading
path that puts a bare "Cắt giảm … 20% …" back into its section, year and document.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.document import Chunk, CleanDocument, DocumentMetadata, Span

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class ChunkerSettings:
    max_tokens: int = 220
    overlap_sentences: int = 0
    heading_max_words: int = 20

    def __post_init__(self) -> None:
        if self.max_tokens < 32:
            raise ValueError(f"max_tokens must be at least 32. Currently it is {self.max_tokens}")
        if self.overlap_sentences < 0:
            raise ValueError(f"overlap_sentences must be >= 0. Currently it is {self.overlap_sentences}")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    heading_level: int | None = None  # None: a sentence


_HEADING_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"^[IVXLC]+\.\s+\S")),
    (3, re.compile(r"^\d+\.\d+\.?\s+\S")),
    (2, re.compile(r"^\d+\.\s+\S")),
    (3, re.compile(r"^[a-zđ]\)\s+\S")),
    (4, re.compile(r"^\*\s+\S")),  # "* Đến năm 2025"; "*text*" with no space is emphasis, not a bullet
)
# Markdown emphasis around a heading's number or words ("**1**. **Mục đích**", "**I. MỤC TIÊU**") is not part of
# its shape; a single "*" glued to a word ("*Đơn vị chủ trì: *Sở Nội vụ") is emphasis too.
_EMPHASIS = re.compile(r"\*\*|__|^\*(?=\S)")
# A line of table borders or rules ("|", "-------", "| --- |", "** **") separates nothing and holds no text.
_RULE_ONLY = re.compile(r"^[\s|*_\-=+:]*$")

# A sentence ends at . ! ? … followed by space and a capital letter, digit, bullet or quote. "2.000" and
# "0,3" have no space after the mark, so numbers are never split.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“(\[\-•*\dA-ZÀ-Ỹ])")
_CLAUSE_END = re.compile(r"(?<=[;:])\s+")
_COMMA = re.compile(r"(?<=,)\s+")


def heading_level(line: str, max_words: int = 20) -> int | None:
    stripped = _EMPHASIS.sub("", line.strip(" |\t")).strip()
    if len(stripped.split()) > max_words or stripped.endswith((".", ";")):
        return None
    for level, pattern in _HEADING_PATTERNS:
        if pattern.match(stripped):
            return level
    return None


class Chunker:
    def __init__(self, count_tokens: TokenCounter, settings: ChunkerSettings | None = None) -> None:
        self.count_tokens = count_tokens
        self.settings = settings or ChunkerSettings()

    def chunk(self, doc: CleanDocument, metadata: DocumentMetadata) -> list[Chunk]:
        text = doc.source.text
        removed_starts = sorted(s.start for s in doc.removed)
        chunks: list[Chunk] = []
        stack: list[tuple[int, str]] = []  # (level, heading text)
        current: list[_Unit] = []
        path_at_start: tuple[str, ...] = ()

        def flush(keep_overlap: bool) -> None:
            nonlocal current, path_at_start
            content = [u for u in current if u.heading_level is None]
            if content:
                chunks.append(self._make_chunk(doc, metadata, current, path_at_start, len(chunks)))
            if keep_overlap and self.settings.overlap_sentences and content:
                tail = content[-self.settings.overlap_sentences :]
                if sum(u.tokens for u in tail) <= self.settings.max_tokens // 2:
                    current = list(tail)
                    return
            current = []

        for span in _paragraphs(text, doc.body, removed_starts, self.settings.heading_max_words):
            line = text[span.start : span.end]
            if _RULE_ONLY.match(line):
                continue
            level = heading_level(line, self.settings.heading_max_words)
            if current and _chrome_between(removed_starts, current[-1].end, span.start):
                flush(keep_overlap=False)
            if level is not None:
                if any(u.heading_level is None for u in current):
                    flush(keep_overlap=False)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, re.sub(r"\s+", " ", line.strip(" |"))))
                current.append(_Unit(span.start, span.end, self.count_tokens(line), level))
                continue
            for unit in self._sentences(text, span.start, span.end):
                if not any(u.heading_level is None for u in current):
                    path_at_start = tuple(h for _, h in stack)
                if current and self._size_with(text, current, unit) > self.settings.max_tokens:
                    flush(keep_overlap=True)
                    if current and self._size_with(text, current, unit) > self.settings.max_tokens:
                        current = []  # the overlap and this sentence do not fit together: no overlap
                    path_at_start = tuple(h for _, h in stack)
                current.append(unit)
        flush(keep_overlap=False)
        return chunks

    def _size_with(self, text: str, current: list[_Unit], unit: _Unit) -> int:
        """Tokens of the chunk if ``unit`` joins it; the exact count only when the estimate is close."""
        # Gaps between units (line breaks, indentation) count at up to one token per character.
        gaps = sum(b.start - a.end for a, b in zip(current, current[1:] + [unit]))
        estimate = sum(u.tokens for u in current) + unit.tokens + gaps
        if estimate < 0.8 * self.settings.max_tokens:
            return estimate
        return self.count_tokens(text[current[0].start : unit.end])

    def _sentences(self, text: str, start: int, end: int) -> list[_Unit]:
        units: list[_Unit] = []
        for s, e in _split(text, start, end, _SENTENCE_END):
            tokens = self.count_tokens(text[s:e])
            if tokens <= self.settings.max_tokens:
                units.append(_Unit(s, e, tokens))
            else:
                units.extend(self._split_long(text, s, e))
        return units

    def _split_long(self, text: str, start: int, end: int) -> list[_Unit]:
        """A sentence over the limit: pack its ';' clauses; a clause still over the limit is split at
        commas, and a comma phrase still over it between words."""
        pieces: list[tuple[int, int]] = []
        for s, e in _split(text, start, end, _CLAUSE_END):
            if self.count_tokens(text[s:e]) <= self.settings.max_tokens:
                pieces.append((s, e))
                continue
            for cs, ce in _split(text, s, e, _COMMA):
                if self.count_tokens(text[cs:ce]) <= self.settings.max_tokens:
                    pieces.append((cs, ce))
                else:
                    pieces.extend(self._split_words(text, cs, ce))
        units: list[_Unit] = []
        group_start, group_end = pieces[0]
        for s, e in pieces[1:]:
            if self.count_tokens(text[group_start:e]) <= self.settings.max_tokens:
                group_end = e
            else:
                units.append(_Unit(group_start, group_end, self.count_tokens(text[group_start:group_end])))
                group_start, group_end = s, e
        units.append(_Unit(group_start, group_end, self.count_tokens(text[group_start:group_end])))
        return units

    def _split_words(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        piece_start = start
        last_ok = None
        for m in re.finditer(r"\S+", text[start:end]):
            word_end = start + m.end()
            if self.count_tokens(text[piece_start:word_end]) > self.settings.max_tokens and last_ok:
                out.append((piece_start, last_ok))
                piece_start = start + m.start()
            last_ok = word_end
        out.append((piece_start, end))
        return out

    def _make_chunk(
        self, doc: CleanDocument, metadata: DocumentMetadata, units: list[_Unit], path: tuple[str, ...], index: int
    ) -> Chunk:
        start, end = units[0].start, units[-1].end
        body = doc.source.text[start:end]
        return Chunk(
            source=doc.source.source,
            doc_version=doc.source.content_hash,
            index=index,
            start=start,
            end=end,
            text=body,
            heading_path=path,
            metadata=metadata,
            n_tokens=self.count_tokens(body),
        )


# "1." / "| 2." / "a)" / "-" alone is a list marker, not a sentence: it joins what follows.
_MARKER_ONLY = re.compile(r"^[|\s]*([\dIVXLC]{1,4}[.)]|[a-zđ]\)|[-*•+])$")


def _split(text: str, start: int, end: int, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    segment = text[start:end]
    out: list[tuple[int, int]] = []
    pos = 0
    pending_start: int | None = None
    for m in boundary.finditer(segment):
        if m.start() > pos:
            piece_start = start + pos if pending_start is None else pending_start
            if _MARKER_ONLY.match(segment[pos : m.start()]):
                pending_start = piece_start
            else:
                out.append((piece_start, start + m.start()))
                pending_start = None
        pos = m.end()
    if pos < len(segment):
        out.append((start + pos if pending_start is None else pending_start, end))
    elif pending_start is not None:
        out.append((pending_start, end))
    return out


def _paragraphs(text: str, body: tuple[Span, ...], removed_starts: list[int], max_words: int) -> list[Span]:
    """Body lines, joined where a sentence runs on over a line break ("… nắm bắt tình" / "hình hoạt động …").

    Scraped pages break sentences at the original's page ends, and portal markdown wraps every paragraph at
    ~80 characters. A line that does not end a sentence or clause, followed by one that starts in lower case,
    is the same sentence; so is a line whose bold ("**…") is still open. A line that looks like a heading starts
    its own paragraph, and a heading-like line joins what follows only when together they are too long to be a
    heading (a numbered paragraph that wraps). Chrome still separates.
    """
    out: list[Span] = []
    for span in body:
        if out:
            prev = out[-1]
            before, line = text[prev.start : prev.end], text[span.start : span.end]
            runs_on = not before.rstrip().endswith((".", "!", "?", "…", ":", ";")) and line.lstrip("*_ ")[:1].islower()
            open_bold = before.count("**") % 2 == 1
            if (
                (runs_on or open_bold)
                and (heading_level(before, max_words) is None or heading_level(f"{before} {line}", max_words) is None
                     or open_bold)
                and heading_level(line, max_words) is None
                and not _RULE_ONLY.match(line)
                and not _chrome_between(removed_starts, prev.end, span.start)
            ):
                out[-1] = Span(prev.start, span.end)
                continue
        out.append(span)
    return out


def _chrome_between(removed_starts: list[int], left: int, right: int) -> bool:
    i = bisect.bisect_right(removed_starts, left)
    return i < len(removed_starts) and removed_starts[i] < right
