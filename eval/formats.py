"""The real-document gold set in a second format: some of its markdown documents ingested as DOCX instead.

Issue 12 item 8 asks the gold set to cover markdown legal text, the same text as a Word export, and portal
pages. A province's documents arrive as .docx far more often than as portal markdown, so a fixture here turns
chosen markdown documents into the DOCX a province would export, the evaluation ingests that file *instead of*
the markdown (both would compete for every question), and the gold items of those documents are re-pointed at
the DOCX: ``gold_source`` renamed, ``gold_spans`` found again in the text the project's DOCX loader reads.

Which documents: ``docx_selection`` — a fixed rule over the gold set's document ids, never chosen by results.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DOCX_EVERY = 6  # every 6th gold document of each split (by sorted id): 3 of 17 dev, 3 of 16 held-out

# --- markdown -> blocks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str  # markdown emphasis still in it; ``_runs`` turns it into bold / italic runs
    heading: int = 0  # 1-9: a Word heading of that level; 0: body text


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[tuple[Paragraph, ...], ...], ...]  # row -> cell -> paragraphs


Block = Paragraph | Table

_HEADING = re.compile(r"^(#{1,9})\s+(\S.*)$")
_BARE_HASHES = re.compile(r"^#{1,9}\s*$")  # a "#" with no title: the portals' stray anchors hold no text
_ALIGN_ROW = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")  # "| --- | :---: |": layout only
# A line that starts a paragraph of its own: a list dash or bullet, "1." / "a)" / "I." numbering. Vietnamese
# official documents type these as text (Nghị định 30/2020/NĐ-CP), so they stay literal in the DOCX too.
_ITEM_START = re.compile(r"^\s*([-+•]\s|\*\s|\d+(\.\d+)*[.)]\s|[a-zđ]\)\s|[IVXLC]+\.\s)")


def _runs_on(before: str, line: str) -> bool:
    """Whether ``line`` continues the paragraph ``before`` (its lines so far): portals wrap at ~80 characters.

    The same test the chunker applies to markdown lines (ingest/chunk.py ``_paragraphs``): a line that does not
    end a sentence or clause followed by one in lower case, or a bold ("**") still open."""
    if _ITEM_START.match(line) or _HEADING.match(line):
        return False
    if before.count("**") % 2 == 1:
        return True
    return not before.rstrip().endswith((".", "!", "?", "…", ":", ";")) and line.lstrip("*_ ")[:1].islower()


def _paragraphs(lines: Sequence[str], in_cell: bool = False) -> list[Paragraph]:
    """Blank-line separated markdown lines as paragraphs, wrapped lines joined back into one."""
    out: list[Paragraph] = []
    current: list[str] = []

    def close() -> None:
        if current:
            out.append(Paragraph(" ".join(current)))
            current.clear()

    for raw in lines:
        line = raw.strip()
        if not line or _BARE_HASHES.match(line):
            close()
            continue
        heading = _HEADING.match(line)
        if heading and not in_cell:  # a Word cell holds no headings: its text stays, as plain text
            close()
            out.append(Paragraph(heading.group(2).strip(), heading=len(heading.group(1))))
            continue
        if heading:
            line = heading.group(2).strip()
        if current and _runs_on(" ".join(current), line):
            current.append(line)
        else:
            close()
            current.append(line)
    close()
    return out


def _inline_cells(line: str) -> list[str]:
    """'Số: 25/2025/NĐ-CP | Hà Nội, ngày … |' -> its cells (the outer pipes are borders, not empty cells)."""
    cells = [c.strip() for c in line.strip().split("|")]
    if cells and not cells[0]:
        cells = cells[1:]
    if cells and not cells[-1]:
        cells = cells[:-1]
    return cells


def parse_markdown(text: str) -> list[Block]:
    """The blocks of a legal-text portal's markdown, in order.

    Two table forms occur. Inline: a row per line, cells between "|". Flattened (most portal pages): a line
    holding only "|" separates cells whose text spans several lines, and "|" twice in a row ends a row; the table
    ends at a blank line right after a "|". Everything else is paragraphs and "#" headings."""
    blocks: list[Block] = []
    body: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0

    def flush_body() -> None:
        blocks.extend(_paragraphs(body))
        body.clear()

    while i < len(lines):
        line = lines[i].strip()
        if line == "|":
            flush_body()
            table, i = _flattened_table(lines, i)
            if table.rows:
                blocks.append(table)
            continue
        if "|" in line:
            flush_body()
            rows = []
            while i < len(lines) and "|" in lines[i] and lines[i].strip() != "|":
                if not _ALIGN_ROW.match(lines[i].strip()):
                    cells = _inline_cells(lines[i])
                    if cells:
                        rows.append(tuple(tuple(_paragraphs([c], in_cell=True)) for c in cells))
                i += 1
            if rows:
                blocks.append(Table(tuple(rows)))
            continue
        body.append(lines[i])
        i += 1
    flush_body()
    return blocks


def _flattened_table(lines: Sequence[str], i: int) -> tuple[Table, int]:
    """The flattened table starting at the "|" line ``i``; returns it and the index of the first line after it."""
    rows: list[tuple[tuple[Paragraph, ...], ...]] = []
    row: list[tuple[Paragraph, ...]] = []
    cell: list[str] = []
    i += 1  # the opening bar
    while i < len(lines):
        line = lines[i].strip()
        if line == "|":
            if cell:
                row.append(tuple(_paragraphs(cell, in_cell=True)))
                cell = []
            elif row:  # "|" right after "|": the row is complete
                rows.append(tuple(row))
                row = []
        elif not line and not cell:
            break  # a blank line straight after a bar: the table is over
        else:
            cell.append(lines[i])
        i += 1
    if cell:
        row.append(tuple(_paragraphs(cell, in_cell=True)))
    if row:
        rows.append(tuple(row))
    return Table(tuple(r for r in rows if any(r))), i


# --- blocks -> DOCX ------------------------------------------------------------------------------------

_EMPHASIS = re.compile(r"(\*\*|\*)")


def _runs(text: str) -> list[tuple[str, bool, bool]]:
    """(text, bold, italic) runs of a markdown line: "**" toggles bold, a "*" not followed by a space italics.

    A leading "* " is a bullet typed as text and stays. Unbalanced markers (the portals leave many) are
    dropped, not printed: a Word document shows no asterisks."""
    if text.startswith("* ") and text[2:].strip(" *"):  # "* *" is an empty emphasis, not a bullet
        return [("* ", False, False), *_runs(text[2:])]
    out: list[tuple[str, bool, bool]] = []
    bold = italic = False
    for piece in _EMPHASIS.split(text):
        if piece == "**":
            bold = not bold
        elif piece == "*":
            italic = not italic
        elif piece:
            out.append((piece, bold, italic))
    return out


def plain_text(text: str) -> str:
    """A markdown line's visible text (what ends up in the Word runs)."""
    return "".join(t for t, _, _ in _runs(text))


def write_docx(blocks: Sequence[Block], path: Path) -> Path:
    """A .docx of ``blocks``: headings in Word heading styles, tables as Word tables, the rest as paragraphs."""
    import docx  # imported here, like the loader does: only a DOCX evaluation pays for it

    document = docx.Document()
    for block in blocks:
        if isinstance(block, Paragraph):
            text = plain_text(block.text).strip()
            if not text:
                continue
            if block.heading:
                document.add_heading(text, level=min(block.heading, 9))
            else:
                _fill(document.add_paragraph(), block.text)
        else:
            _add_table(document, block)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _fill(paragraph, markdown: str) -> None:
    for text, bold, italic in _runs(markdown.strip()):
        run = paragraph.add_run(text)
        run.bold, run.italic = bold or None, italic or None


def _add_table(document, table: Table) -> None:
    columns = max(len(row) for row in table.rows)
    word = document.add_table(rows=len(table.rows), cols=columns)
    word.style = "Table Grid"
    for row, cells in zip(word.rows, table.rows):
        for position, paragraphs in enumerate(cells):
            cell = row.cells[position]
            visible = [p for p in paragraphs if plain_text(p.text).strip()]
            for n, paragraph in enumerate(visible):
                _fill(cell.paragraphs[0] if n == 0 else cell.add_paragraph(), paragraph.text)
        if 0 < len(cells) < columns:
            # A short row (a merged header cell in the original): its last cell spans the rest, as Word would
            # show it, instead of empty cells that would add empty tab-separated fields to the text.
            row.cells[len(cells) - 1].merge(row.cells[columns - 1])


def markdown_to_docx(markdown: Path, target: Path) -> Path:
    """Convert the markdown file ``markdown`` to the Word file ``target``."""
    return write_docx(parse_markdown(Path(markdown).read_text("utf-8")), Path(target))


def docx_name(source: str) -> str:
    return str(Path(source).with_suffix(".docx"))


# --- which documents -----------------------------------------------------------------------------------


def item_sources(item: Mapping) -> list[str]:
    sources = list(item.get("gold_sources") or [])
    return sources or ([item["gold_source"]] if item.get("gold_source") else [])


def docx_selection(items: Sequence[Mapping], every: int = DOCX_EVERY) -> list[str]:
    """The markdown documents evaluated as DOCX: per split, the gold documents (those a gold item points to)
    sorted by name, and of them positions 0, ``every``, 2·``every`` … Fixed by the ids, so it cannot be tuned
    by results; both halves get some, so dev and held-out each measure the format."""
    if every < 1:
        raise ValueError(f"every must be at least 1. Currently it is {every}")
    by_split: dict[str, set[str]] = {}
    for item in items:
        for source in item_sources(item):
            if source.endswith(".md"):
                by_split.setdefault(str(item.get("split")), set()).add(source)
    chosen = set()
    for sources in by_split.values():
        chosen.update(s for n, s in enumerate(sorted(sources)) if n % every == 0)
    return sorted(chosen)


# --- gold spans in the DOCX text -----------------------------------------------------------------------

_IGNORED = set("*#|_`>")  # markup, and the table borders a Word table turns into tabs


def _squeezed(text: str) -> tuple[str, list[int]]:
    """``text`` without markup characters, every whitespace run one space, lower case; and for each character
    kept its position in ``text``."""
    chars: list[str] = []
    where: list[int] = []
    for pos, ch in enumerate(text):
        if ch in _IGNORED:
            continue
        if ch.isspace():
            if chars and chars[-1] == " ":
                continue
            ch = " "
        chars.append(ch.lower())
        where.append(pos)
    return "".join(chars), where


def relocate_span(source_text: str, start: int, end: int, target_text: str) -> tuple[int, int] | None:
    """The range of ``target_text`` holding what ``source_text[start:end]`` says, ignoring markup and
    whitespace; None when it is not there. Of several occurrences, the one at the nearest relative position."""
    needle, _ = _squeezed(source_text[start:end])
    needle = needle.strip()
    if not needle:
        return None
    hay, where = _squeezed(target_text)
    hits = [m.start() for m in re.finditer(re.escape(needle), hay)]
    if not hits:
        return None
    wanted = start / max(len(source_text), 1) * len(hay)
    best = min(hits, key=lambda h: abs(h - wanted))
    return where[best], where[best + len(needle) - 1] + 1


@dataclass
class Remapped:
    items: list[dict]
    notes: list[str] = field(default_factory=list)  # one per span that could not be found in the DOCX text


def remap_items(items: Sequence[Mapping], texts: Mapping[str, tuple[str, str]]) -> Remapped:
    """Gold items re-pointed at the DOCX substitutes. ``texts``: markdown name -> (markdown text, DOCX text).

    A span whose text is not in the DOCX text is dropped from that item (its retrieval is scored on the spans
    left; with none left, not at all) and named in ``notes``: never silently."""
    out, notes = [], []
    for item in items:
        sources = item_sources(item)
        if not any(s in texts for s in sources):
            out.append(dict(item))
            continue
        new = dict(item)
        spans = item.get("gold_spans") or []
        parallel = bool(item.get("gold_sources"))
        kept_spans, kept_sources = [], []
        for n, span in enumerate(spans):
            source = item["gold_sources"][n] if parallel else item["gold_source"]
            if source not in texts:
                kept_spans.append(list(span))
                kept_sources.append(source)
                continue
            markdown, docx_text = texts[source]
            found = relocate_span(markdown, int(span[0]), int(span[1]), docx_text)
            if found is None:
                notes.append(f"{item.get('id')}: gold span {span[0]}-{span[1]} of {source} not found in "
                             f"{docx_name(source)}; dropped from its retrieval scores")
                continue
            kept_spans.append(list(found))
            kept_sources.append(docx_name(source))
        renamed = [docx_name(s) if s in texts else s for s in sources]
        new["gold_spans"] = kept_spans
        if not parallel:
            new["gold_source"] = renamed[0]
        elif kept_spans:
            new["gold_sources"] = kept_sources  # stays parallel to the spans kept
        else:  # no span left to pair with a source: the first document stays the one to cite
            del new["gold_sources"]
            new["gold_source"] = renamed[0]
        out.append(new)
    return Remapped(out, notes)


# --- the evaluation's corpus ---------------------------------------------------------------------------


def substitute(corpora: Sequence[Path], selection: Sequence[str], folder: Path) -> list[Path]:
    """The paths to ingest: ``corpora`` with each selected markdown file replaced by its DOCX, written into
    ``folder``. A corpus folder holding none of them is passed whole; one that does is passed file by file,
    without the selected files."""
    from ingest.load import discover

    chosen = set(selection)
    paths: list[Path] = []
    for corpus in map(Path, corpora):
        files, _ = discover([corpus]) if corpus.is_dir() else ([corpus], [])
        if not any(f.name in chosen for f in files):
            paths.append(corpus)
            continue
        for f in files:
            if f.name in chosen:
                paths.append(markdown_to_docx(f, Path(folder) / docx_name(f.name)))
            else:
                paths.append(f)
    return paths
