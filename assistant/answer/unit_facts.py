"""What a unit of evidence holds, whatever the question: facts of each kind (figures with their units — in
a table row, read from its cells and columns —, dates, names, bodies), the year it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer import facts
from assistant.answer.evidence import Forms, Unit, forms_of
from assistant.answer.scoring import Term
from assistant.question.asked import Ask, AskedFor
from assistant.types import Query
from ingest.textnorm import norm_number, plain
from vectorstore.chroma import DocumentRecord

# The kinds of fact read as spans of a unit's text, and their readers.
SPANS = {AskedFor.DATE: facts.schedule_dates, AskedFor.DOC_NUMBER: facts.doc_numbers, AskedFor.PERSON: facts.names,
         AskedFor.FREQUENCY: facts.frequencies, AskedFor.BODY: facts.bodies}


# Kinds whose answer is a fact a unit holds or lacks (a figure, a date …); text answers have none.
FACTS = frozenset((AskedFor.NUMBER, *SPANS))


@dataclass(frozen=True)
class StaticFacts:
    forms: Forms
    context: Forms
    context_year: int | None
    safe: bool
    spans: dict[str, tuple[tuple[int, int], ...]]
    figures: tuple[facts.Figure, ...]
    preamble: bool  # a legal basis or a proposal cited before the operative text ("Căn cứ …", "Theo đề nghị …")


def holds(kind: str, ask: Ask, unit: Unit, query: Query | None, record: DocumentRecord, static: StaticFacts) -> bool:
    """Whether the unit holds a fact of ``kind`` at all."""
    text = unit.text
    if kind == AskedFor.NUMBER:
        return bool(figures_of(text, ask, unit, static.figures))
    if kind == AskedFor.DOC_NUMBER:  # another document than the one asked about
        known = {norm_number(n) for n in (*(query.doc_numbers if query else ()), record.metadata.number or "")}
        return any(norm_number(text[s:e]) not in known for s, e in static.spans[kind])
    return bool(static.spans.get(kind, True))


_NUMERIC_CELL = re.compile(r"^(?:[<>≤≥~]\s*)?\d{1,3}(?:[.,]\d{3})*(?:[.,]\d+)?\s*%?$")


def figures_of(text: str, ask: Ask, unit: Unit | None = None,
                figures: tuple[facts.Figure, ...] | None = None) -> list[facts.Figure]:
    """The figures of the asked unit; for "mấy cấp", also the bare counts of that noun ("3 cấp"); in a table
    row, the numbers in its cells, with the row's or the column's unit ("Ha", "Mức thu phí (đồng)")."""
    found = list(facts.figures(text) if figures is None else figures)
    if unit is not None and unit.kind == "row":
        found += row_figures(unit, found)
    found = [f for f in found if facts.unit_kind(f.unit) == ask.unit] if ask.unit else found
    if ask.noun:  # "bao nhiêu doanh nghiệp": only counts of enterprises, never a percentage of them
        noun = plain(ask.noun.split()[0])
        found = [f for f in found if plain(f.unit).startswith(noun)]
        covered = [(f.start, f.end) for f in found]
        found += [f for f in facts.counts(text, ask.noun) if not any(s <= f.start < e for s, e in covered)]
    return sorted(found, key=lambda f: f.start)


def row_figures(unit: Unit, found: list[facts.Figure]) -> list[facts.Figure]:
    text = unit.text
    words = [c for c in unit.cells if c and not _NUMERIC_CELL.match(c)]
    # a row's unit is a short cell after its label ("Diện tích | Ha | 26.120 …"): "Ha"
    units = [c for c in words[1:] if not re.search(r"\d", c) and len(c.split()) <= 3]
    taken = [(f.start, f.end) for f in found]
    out, pos = [], 0
    for i, cell in enumerate(unit.cells):
        if not cell:
            continue
        at = text.find(cell, pos)
        if at < 0:
            continue
        pos = at + len(cell)
        if not _NUMERIC_CELL.match(cell) or any(s <= at < e for s, e in taken):
            continue
        column = unit.columns[i] if i < len(unit.columns) else ""
        from_column = re.search(r"\(([^)]+)\)", column)
        cell_unit = ("%" if cell.endswith("%") else from_column.group(1) if from_column
                     else units[0] if units else "")
        years = facts.years(column)
        out.append(facts.Figure(at, at + len(cell), cell, "", cell.rstrip("%").strip(), cell_unit,
                                years[-1] if years else None))
    return out


def matching_cells(terms: list[Term], unit: Unit, query: Query) -> list[str]:
    """A table row's cells whose column header names what the question asks ("Cơ quan chủ trì" for "cơ quan
    nào chủ trì", "Năm 2030" for "năm 2030"), as "header: cell"."""
    out = []
    for header, cell in zip(unit.columns, unit.cells):
        if not header or not cell:
            continue
        forms = forms_of(header)
        named = any(f" {' '.join(a)} " in (forms.folded if t.accented else forms.plain)
                    for t in terms for a in t.alternatives)
        dated = any(str(y) in header for y in query.years)
        if named or dated:
            out.append(f"{header}: {cell}")
    return out if len(out) < len([c for c in unit.cells if c]) else []


def date_pattern(iso: str) -> str:
    y, m, d = iso.split("-")
    d, m = str(int(d)), str(int(m))
    return rf"(?<!\d)0?{d}/0?{m}/{y}(?!\d)|ngày[\s*_]+0?{d}[\s*_]+tháng[\s*_]+0?{m}[\s*_]+năm[\s*_]+{y}"


def paragraph_before(full: str, start: int) -> str:
    """The text of ``start``'s paragraph before it (where "Đến năm 2025, …" gives a sentence its year)."""
    at = max(full.rfind("\n\n", 0, start), full.rfind("\n \n", 0, start))
    line = full.rfind("\n", 0, start)
    begin = at + 1 if at >= 0 else 0
    if full[line + 1 : line + 3].lstrip()[:1] in "-+•":
        begin = max(begin, line + 1)  # a list item starts its own paragraph
    return full[begin:start]


def unit_in_year(query: Query, unit: Unit, ctx_year: int | None, period: str | None) -> bool:
    if not query.years:
        return True
    text = unit.text
    mentioned = set(facts.years(text)) | set(facts.years(" ".join(unit.columns)))
    targets = {f.year for f in facts.figures(text) if f.year}
    if any(y in mentioned or y == ctx_year for y in query.years):
        return True
    if targets or ctx_year:
        return False  # the unit is about another year
    if period and re.fullmatch(r"\d{4}-\d{4}", period):
        lo, hi = map(int, period.split("-"))
        return any(lo <= y <= hi for y in query.years)
    return False
