"""A document's text as the units an answer can quote: sentences, list items, table rows, and the headings
above them.

Portal markdown wraps lines in the middle of sentences, puts each table cell on lines of its own between
``|`` lines, and wraps headings in ``**``. Units are read from that layout, not from the lines:

- a paragraph (lines up to a blank line) is one text, its line breaks are spaces; a line that starts with a
  list marker ("- ", "+ ", "a)", "1.", "II.") starts a new item;
- a paragraph that is a short heading ("**4.2. Nguồn nhân lực**", "II. CHỈ TIÊU", "Điều 5. Hiệu lực") is
  not an answer but the context of what follows it;
- a table whose first rows are bold is a data table: its bold rows are the column headers, a row with only
  a number and a label ("1 | Cà Phê") names the rows below it, and every other row is one unit whose cells
  are shown side by side; a table without a bold header is layout (letterhead, signature block) and its
  cells are read as paragraphs;
- emphasis marks never begin or end a unit, so a quote is never "nhân lực**".

Offsets are the document text's: ``text[unit.start:unit.end]`` is the quote. ``Unit.text`` is how the unit
is shown (one line, emphasis removed, a row's cells joined by " | ").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.textnorm import expand_abbreviations, fold, plain


@dataclass(frozen=True)
class Unit:
    start: int  # offsets into the document text: the quote is text[start:end]
    end: int
    kind: str  # "sentence", "item", "row", "heading"
    text: str  # shown: one line, no emphasis; a row's cells joined by " | "
    headings: tuple[str, ...] = ()  # the headings above it, outermost first (shown form)
    cells: tuple[str, ...] = ()  # a row: its cells (shown form)
    columns: tuple[str, ...] = ()  # a row: its column headers, aligned with ``cells`` when known
    label: str = ""  # a row: the group row above it ("1 | Cà Phê")
    block: int = 0  # units of one paragraph, list or table share it (a list's items are siblings)
    index: int = 0  # position in the document's units
    # the units of one long sentence (cut at ";"), or of one list item of several sentences, share the index of
    # the first (-1: the unit is whole)
    sentence: int = -1

    @property
    def context(self) -> str:
        """What the unit is about beyond its own words: its headings, its table's headers and group label."""
        return " ".join((*self.headings, self.label, *self.columns))


@dataclass(frozen=True)
class Forms:
    """A text in the forms coverage compares: accent-less tokens and folded (diacritics kept) tokens, each
    space-padded so a phrase is found by ``f" {phrase} " in form``."""

    plain: str
    folded: str

    @classmethod
    def of(cls, text: str) -> Forms:
        return cls(" " + " ".join(re.findall(r"[a-z0-9%]+", expand_abbreviations(plain(text)))) + " ",
                   " " + " ".join(re.findall(r"[\w%]+", fold(text))) + " ")


# --- shown form -----------------------------------------------------------------------------------------

_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)|(?<=\S)_(?!\w)")
_RULE = re.compile(r"^[\s|*_\-=+:.]*$")  # "--------", "** **": no text


def shown(raw: str) -> str:
    """One line without emphasis marks: "**4.2. Nguồn\\nnhân lực**" → "4.2. Nguồn nhân lực"."""
    text = _EMPHASIS.sub("", raw)
    text = "\n".join(line for line in text.split("\n") if not _RULE.match(line))
    return re.sub(r"\s+", " ", text).strip()


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) without surrounding spaces, table bars, emphasis marks or rule lines."""
    junk = " \t\r\n*_|"
    while start < end and text[start] in junk:
        start += 1
    while end > start and text[end - 1] in junk:
        end -= 1
    return start, end


# --- headings and list items ------------------------------------------------------------------------------

_ITEM = re.compile(r"^(?:[-+•–]\s|\*\s|\(?\d{1,3}(?:\.\d{1,3})*[.)]\s|\(?[a-zđ][).]\s|[IVXLC]{1,5}[.)]\s)")
_NUMBERED = (
    (1, re.compile(r"^(?:chương|phần|mục)\s+[\dIVXLC]+\b", re.IGNORECASE)),
    (1, re.compile(r"^(?:phụ lục)\b", re.IGNORECASE)),
    (1, re.compile(r"^[IVXLC]{1,5}[.)]\s")),
    (1, re.compile(r"^[A-Z][.)]\s")),
    (2, re.compile(r"^điều\s+\d+", re.IGNORECASE)),
    (4, re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.?\s")),
    (3, re.compile(r"^\d{1,3}\.\d{1,3}\.?\s")),
    (2, re.compile(r"^\d{1,3}[.)]\s")),
    (5, re.compile(r"^[a-zđ][).]\s")),
)
HEADING_MAX_WORDS = 25  # longer than this, a bold or numbered line is text, not a heading


def heading_level(raw: str) -> int | None:
    """The level of a heading block (1 outermost), or None for text. A heading is short, does not end a
    sentence, and is numbered ("2.", "II.", "a)", "Điều 3") or wholly in bold or capitals."""
    text = shown(raw)
    if not text or len(text.split()) > HEADING_MAX_WORDS or text.endswith((".", ";", ",")) and not _roman_only(text):
        return None
    for level, pattern in _NUMBERED:
        if pattern.match(text):
            return level
    stripped = raw.strip().strip("|").strip()
    bold = stripped.startswith(("**", "__")) and stripped.endswith(("**", "__"))
    letters = [c for c in text if c.isalpha()]
    capitals = len(letters) >= 4 and all(c.isupper() for c in letters)
    return 1 if bold or capitals else None


def _roman_only(text: str) -> bool:
    return bool(re.fullmatch(r"[IVXLC]{1,5}\.", text))


# --- sentences ---------------------------------------------------------------------------------------------

# A sentence ends at . ! ? … followed by space and a capital, digit, bullet or quote ("2.000" and "0,3" have
# no space after the mark). ";" ends a clause: used to cut a sentence that is too long to quote whole.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[*_]*\s+(?=[*_\"“(\[\-•+\dA-ZÀ-ỸĐ])")
_CLAUSE_END = re.compile(r"(?<=;)[*_]*\s+")
MAX_UNIT_WORDS = 90  # a sentence longer than this is cut at ";" into clauses (a clause stays whole)
MIN_UNIT_WORDS = 2


def _pieces(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in pattern.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return out


_MARKER_ONLY = re.compile(r"^[\s*_(]*(?:(?:Điều|Khoản|Mục|Chương|Phần)\s+)?"
                          r"(?:\d{1,3}(?:\.\d{1,3})*|[a-zđ]|[IVXLC]{1,5})[.)][\s*_]*$")


def _sentences(text: str, start: int, end: int) -> list[list[tuple[int, int]]]:
    pieces: list[tuple[int, int]] = []
    for s, e in _pieces(text, start, end, _SENTENCE_END):
        if pieces and _MARKER_ONLY.match(text[pieces[-1][0]:pieces[-1][1]]):
            pieces[-1] = (pieces[-1][0], e)  # "**8.** Thời gian …": the number starts the sentence
        else:
            pieces.append((s, e))
    out = []
    for s, e in pieces:
        if len(text[s:e].split()) > MAX_UNIT_WORDS:
            out.append(_pieces(text, s, e, _CLAUSE_END))
        else:
            out.append([(s, e)])
    return out


# --- the document ------------------------------------------------------------------------------------------

_BAR = re.compile(r"^\s*\|\s*$")


@dataclass
class _Reader:
    text: str

    def __post_init__(self) -> None:
        self.units: list[Unit] = []
        self.stack: list[tuple[int, str]] = []  # (level, heading shown)
        self.block = 0

    # headings
    def heading(self, level: int, start: int, end: int) -> None:
        """A heading: a unit of its own (a document's outline, never an answer by itself) and the context
        of what follows until a heading of its level or above."""
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.add(start, end, "heading")
        self.stack.append((level, shown(self.text[start:end])))

    def headings(self) -> tuple[str, ...]:
        return tuple(h for _, h in self.stack)

    def add(self, start: int, end: int, kind: str, **extra) -> None:
        start, end = trim(self.text, start, end)
        if end <= start:
            return
        text = extra.pop("text", None) or shown(self.text[start:end])
        if len(text.split()) < MIN_UNIT_WORDS and not re.search(r"\d", text):
            return
        self.units.append(Unit(start, end, kind, text, self.headings(), block=self.block, index=len(self.units),
                               **extra))

    # running text
    def paragraph(self, lines: list[tuple[int, int]]) -> None:
        """Lines of one paragraph: items start at list markers; a short bold or numbered block is a heading."""
        blocks: list[list[tuple[int, int]]] = []
        for s, e in lines:
            line = shown(self.text[s:e])
            if not line:
                continue
            if not blocks or _new_item(self.text, blocks[-1], line) or _starts_block(self.text, blocks[-1], s, e):
                blocks.append([(s, e)])
            else:
                blocks[-1].append((s, e))
        for block in blocks:
            s, e = block[0][0], block[-1][1]
            raw = self.text[s:e]
            level = heading_level(raw)
            if level is not None:
                self.block += 1
                self.heading(level, s, e)
                continue
            item = bool(_ITEM.match(shown(raw)))
            if not item:
                self.block += 1
            sentences = _sentences(self.text, s, e)
            item_first = len(self.units)  # an item's sentences are one group: the item is quoted whole
            for clauses in sentences:
                first = item_first if item else len(self.units)
                grouped = len(clauses) > 1 or (item and len(sentences) > 1)
                for a, b in clauses:
                    self.add(a, b, "item" if item else "sentence", sentence=first if grouped else -1)

    # tables
    def table(self, tokens: list[tuple[str, int, int]]) -> None:
        """``tokens``: ("bar", s, e) and ("cell", s, e) in order. A first reading takes runs of k >= 2 bars as
        the end of a row after k - 2 empty cells ("| a | b |" one cell per line: the row's last bar and the next
        row's first); once the header gives the table's width, its body is read again so that every row has
        that many cells (``_exact_rows``: two bars may also be one empty cell inside a row)."""
        rows: list[list[tuple[int, int] | None]] = []
        starts: list[int] = []  # the token each row's first cell is
        row: list[tuple[int, int] | None] = []
        i = 0
        while i < len(tokens):
            kind, s, e = tokens[i]
            if kind == "cell":
                if not row:
                    starts.append(i)
                row.append((s, e))
                i += 1
                continue
            run = 0
            while i < len(tokens) and tokens[i][0] == "bar":
                run, i = run + 1, i + 1
            if run >= 2 or i >= len(tokens):
                row.extend([None] * max(0, run - 2))
                if any(c is not None for c in row):
                    rows.append(row)
                else:
                    starts.pop() if len(starts) > len(rows) else None
                row = []
        if any(c is not None for c in row):
            rows.append(row)
        self._rows_starts = starts
        self._tokens = tokens
        # The data table starts at the first row ending in two or more bold cells (its header); cells before
        # them, and rows before it, are layout (a table of the signature block may run on into an appendix's).
        start = next((i for i, r in enumerate(rows) if self._trailing_bold(r) >= 2
                      and any(not self._bold_row(later) for later in rows[i + 1:])), None)
        if start is None:
            self.layout(rows)
            return
        first = rows[start]
        rest = _leading(rows[start + 1:], lambda r: self._bold_row(r) and all(
            c is not None and shown(self.text[c[0]:c[1]]) for c in r))
        body = rows[start + 1 + len(rest):]
        # The table's width: its first rows' (rows further on may be misread around empty cells).
        width = max((len(r) for r in body[:3]), default=0)
        lead = len(first) - min(self._trailing_bold(first), max(width, 2))
        if body and len(self._rows_starts) == len(rows):
            # the width: the header's, or the body's usual row length (a header may span cells in its middle);
            # the one the bars fit best
            lengths = [len(r) for r in body]
            usual = max(set(lengths), key=lengths.count)
            tokens = self._tokens[self._rows_starts[start + 1 + len(rest)]:]
            header_width = _header_width([first[lead:], *rest])
            readings = [(*_exact_rows(tokens, w), w) for w in dict.fromkeys((header_width, usual)) if w >= 2]
            readings.append((sum(abs(n - usual) for n in lengths), body, usual))  # the first reading
            # the reading whose rows are on average nearest their width; the header's width first on a tie
            _, body, width = min(readings, key=lambda r: (r[0] / max(1, len(r[1])), r[2] != header_width))
        self.layout([*rows[:start], first[:lead]])
        header = [first[lead:], *rest]
        self.block += 1
        columns = _columns([[shown(self.text[c[0]:c[1]]) if c else "" for c in r] for r in header], width)
        label = ""
        for r in body:
            cells = [shown(self.text[c[0]:c[1]]) if c else "" for c in r]
            filled = [c for c in cells if c]
            if not filled:
                continue
            spans = [c for c in r if c is not None]
            if len(filled) <= 2 and len(filled) < width and self._bold_row(r):
                label = " ".join(filled)  # "I | CÂY CÔNG NGHIỆP", "1 | Cà Phê": names the rows below it
                continue
            self.add(spans[0][0], spans[-1][1], "row", text=" | ".join(filled), cells=tuple(cells),
                     columns=tuple(columns[: len(cells)]) if len(columns) >= len(cells) else tuple(columns),
                     label=label)

    def layout(self, rows: list[list[tuple[int, int] | None]]) -> None:
        """Cells of a layout table, each text of its own; a short one (a letterhead, a signature) is one unit."""
        for r in rows:
            for cell in r:
                if cell is None:
                    continue
                if len(shown(self.text[cell[0]:cell[1]]).split()) <= HEADING_MAX_WORDS:
                    self.block += 1
                    self.add(cell[0], cell[1], "sentence")
                else:
                    self.paragraph(_lines(self.text, *cell))

    def _trailing_bold(self, row: list[tuple[int, int] | None]) -> int:
        n = 0
        for cell in reversed(row):
            raw = self.text[cell[0]:cell[1]].strip() if cell else ""
            if not (raw.startswith(("**", "__")) and raw.endswith(("**", "__")) and shown(raw)):
                break
            n += 1
        return n

    def _bold_row(self, row: list[tuple[int, int] | None]) -> bool:
        cells = [self.text[s:e].strip() for s, e in (c for c in row if c is not None)]
        cells = [c for c in cells if shown(c)]
        return bool(cells) and all(c.startswith(("**", "__")) and c.endswith(("**", "__")) for c in cells)


def _starts_block(text: str, block: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether a line without a list marker starts a new block. Lines wrap anywhere, so only bold spans
    are trusted as headings inside a paragraph: a block that is one closed bold span ends there
    ("**4.2. Nguồn\\nnhân lực**" then "a) …"), and a line that is one bold span starts its own block. Any
    other line goes on the block ("**Điều 3.** Chánh\\nVăn phòng …" is one sentence)."""
    raw = text[block[0][0]:block[-1][1]].strip()
    if raw.count("**") % 2:  # a bold span is open
        return False
    line = text[start:end].strip()
    return _bold_span(raw) or _bold_span(line) or bool(_ARTICLE.match(shown(line)))


# An article, chapter or part starts a block wherever its line is: "**Điều 2.** Quyết định này có hiệu lực …"
_ARTICLE = re.compile(r"^(?:Điều|Chương|Mục|Phần)\s+[\dIVXLC]+\b")


def _new_item(text: str, block: list[tuple[int, int]], line: str) -> bool:
    """Whether a line that starts with a list marker starts an item: after a line that ends a clause, or in a
    list of items with the same marker. Lines wrap anywhere: "… thành phố Đồng Hới\\n- Quảng Bình;" goes on."""
    marker = _ITEM.match(line)
    if not marker:
        return False
    before = shown(text[block[-1][0]:block[-1][1]])
    if before.endswith((".", ";", ":", "!", "?", ")")) or not before:
        return True
    first = shown(text[block[0][0]:block[0][1]])
    return first[:1] == line[:1] and not first[:1].isalnum()


def _bold_span(raw: str) -> bool:
    return len(raw) > 4 and raw.startswith("**") and raw.endswith("**") and raw.count("**") == 2


def _header_width(header: list[list]) -> int:
    """The number of columns a header of one or more rows gives: a row with fewer cells than the table spans
    the last cell of the row above ("GIAI ĐOẠN 2026 - 2030" over "Năm 2026" … "Năm 2030")."""
    width = len(header[0]) if header else 0
    for row in header[1:]:
        width += len(row) - 1
    return width


def _exact_rows(tokens: list[tuple[str, int, int]], width: int) -> tuple[int, list[list[tuple[int, int] | None]]]:
    """The body of a table of ``width`` columns, one cell per line between bars: rows of ``width`` cells as
    far as the bars allow. Between two cells, k bars are k - 1 empty cells inside a row, or a row's end and
    the next one's start with k - 2 empty cells shared between them; the reading whose rows are the fewest
    cells away from ``width`` is chosen (dynamic programming over the cells), and returned with that cost."""
    cells: list[tuple[int, int]] = []
    runs: list[int] = [0]  # runs[t]: bars after cell t - 1 (runs[0]: before the first cell)
    for kind, s, e in tokens:
        if kind == "cell":
            cells.append((s, e))
            runs.append(0)
        else:
            runs[-1] += 1
    n = len(cells)
    if not n:
        return 0, []
    inner = [0] * (n + 1)  # inner[j]: empty cells inside a row between cell 0 and cell j
    for t in range(1, n):
        inner[t] = inner[t - 1] + runs[t] - 1
    best: dict[tuple[int, int], tuple[int, list]] = {}

    def solve(i: int, lead: int) -> tuple[int, list]:
        key = (i, lead)
        if key in best:
            return best[key]
        result: tuple[int, list] | None = None
        for j in range(i, n):
            length = lead + (j - i + 1) + inner[j] - inner[i]
            if length > width + 2 and result is not None:
                break  # longer rows only when no row of about the width ends here
            if j == n - 1:
                trail = max(0, runs[n] - 1)
                cost = abs(length + trail - width)
                cand = (cost, [(i, j, lead, trail)])
            else:
                if runs[j + 1] < 2:
                    continue
                spare = runs[j + 1] - 2
                trail = min(max(0, width - length), spare)
                rest_cost, rest = solve(j + 1, spare - trail)
                cand = (abs(length + trail - width) + rest_cost, [(i, j, lead, trail), *rest])
            if result is None or cand[0] < result[0]:
                result = cand
        best[key] = result or (abs(lead - width), [])
        return best[key]

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * n + 100))
    try:
        cost, plan = solve(0, 0)
    finally:
        sys.setrecursionlimit(limit)
    out = []
    for i, j, lead, trail in plan:
        row: list[tuple[int, int] | None] = [None] * lead
        for t in range(i, j + 1):
            row.append(cells[t])
            if t < j:
                row.extend([None] * (runs[t + 1] - 1))
        row.extend([None] * trail)
        out.append(row)
    return cost, out


def _leading(rows, test) -> list:
    out = []
    for r in rows:
        if not test(r):
            break
        out.append(r)
    return out


def _columns(header: list[list[str]], width: int) -> list[str]:
    """Column headers for rows of ``width`` cells. A header row with fewer cells than that has spanning cells:
    when the next header row fills the last one's span ("GIAI ĐOẠN 2026 - 2030" over "Năm 2026" … "Năm
    2030"), the spanning header is joined to each of them."""
    if not header:
        return []
    columns = header[0]
    for row in header[1:]:
        if columns and len(columns) - 1 + len(row) == width:
            columns = columns[:-1] + [f"{columns[-1]} {c}".strip() for c in row]
        elif len(row) == width:
            columns = row
    return columns


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for line in text[start:end].split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def read_units(text: str) -> tuple[Unit, ...]:
    """The units of a document text, in order."""
    reader = _Reader(text)
    lines = _lines(text, 0, len(text))
    i = 0
    paragraph: list[tuple[int, int]] = []
    while i < len(lines):
        s, e = lines[i]
        if _BAR.match(text[s:e]):
            reader.paragraph(paragraph)
            paragraph = []
            tokens: list[tuple[str, int, int]] = []
            cell: list[tuple[int, int]] = []
            while i < len(lines):
                s, e = lines[i]
                line = text[s:e]
                if _BAR.match(line):
                    if cell:
                        tokens.append(("cell", cell[0][0], cell[-1][1]))
                        cell = []
                    tokens.append(("bar", s, e))
                    if i + 1 < len(lines) and not text[lines[i + 1][0]:lines[i + 1][1]].strip():
                        i += 1
                        break  # a blank line after a bar ends the table
                elif line.strip() or cell:
                    cell.append((s, e))
                i += 1
            if cell:
                tokens.append(("cell", cell[0][0], cell[-1][1]))
            reader.table(tokens)
            continue
        if not text[s:e].strip():
            reader.paragraph(paragraph)
            paragraph = []
        else:
            paragraph.append((s, e))
        i += 1
    reader.paragraph(paragraph)
    return tuple(reader.units)


@lru_cache(maxsize=256)
def units_of(source: str, version: str, text: str) -> tuple[Unit, ...]:
    """``read_units`` once per document version (``text`` is the version's text)."""
    return read_units(text)


@lru_cache(maxsize=65536)
def forms_of(text: str) -> Forms:
    return Forms.of(text)
