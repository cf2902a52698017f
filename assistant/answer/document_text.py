"""What a document's text says of its own structure: its preamble, its title block, its outline, its
signature block, the numbered things it names, the lists its units open."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.answer.evidence import Unit, units_of
from ingest.textnorm import fold, plain
from ingest.vocab import read_lines
from vectorstore.chroma import DocumentRecord

_DATA = Path(__file__).parent / "data"


# The openings of a document's preamble: its legal bases and the proposals it answers ("Căn cứ Luật …", "Theo
# đề nghị của Giám đốc Sở …"), full of other documents' dates and numbers (data/extractive_preamble_openings.txt)
PREAMBLE = re.compile(r"[\W\d]*(?:" + "|".join(
    re.escape(plain(cue)) for cue in read_lines(_DATA / "extractive_preamble_openings.txt")) + r")(?!\w)")


PREAMBLE_WORDS = re.compile(r"(?<!\w)(?:" + "|".join(
    re.escape(plain(cue)) for cue in read_lines(_DATA / "extractive_preamble_openings.txt")) + r")(?!\w)")


# "lần thứ sáu", "kỳ họp thứ 10": which one of a numbered thing (data/extractive_ordinal_heads.txt)
ORDINAL = re.compile(r"(?<!\w)(" + "|".join(
    re.escape(fold(w)) for w in read_lines(_DATA / "extractive_ordinal_heads.txt")) + r")(?:\s+họp)?\s+thứ\s+(\w+)")


# A numbered part of a document's outline: "I.", "1.", "A.", "Điều 3", "Chương II", "Phần"
OUTLINE = re.compile(r"^(?:[IVXLC]{1,5}[.)]|\d{1,2}[.)]|[A-Z][.)]|(?:Điều|Chương|Phần|Mục)\s+[\dIVXLC]+)\s*",
                      re.IGNORECASE)


# The position line of a signature block: "PHÓ CHỦ TỊCH", "KT. BỘ TRƯỞNG" (all capitals, two words or more)
POSITION_LINE = re.compile(r"(?<!\w)(?:[A-ZĐÀ-Ỹ]{2,}\.?\s+){1,5}[A-ZĐÀ-Ỹ]{2,}(?!\w)")


_STARTS: dict[tuple[str, str], list[int]] = {}


def unit_starts(source: str, version: str, units: tuple[Unit, ...]) -> list[int]:
    key = (source, version)
    if key not in _STARTS:
        if len(_STARTS) > 512:
            _STARTS.clear()
        _STARTS[key] = [u.start for u in units]
    return _STARTS[key]


@lru_cache(maxsize=256)
def _name_of(source: str, version: str, text: str, metadata: str) -> str:
    """A document's name: its metadata, and its title block (the headings and capitalised lines before its
    first ordinary sentence: "QUYẾT ĐỊNH / VỀ VIỆC BAN HÀNH QUY CHẾ …")."""
    parts = [metadata]
    titled = False
    for unit in units_of(source, version, text)[:_TITLE_UNITS]:
        letters = [c for c in unit.text if c.isalpha()]
        capitals = letters and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
        if unit.kind == "heading" or capitals:
            parts.append(unit.text)
            titled = titled or unit.kind == "heading"
        elif (titled or PREAMBLE.match(plain(unit.text))) and len(unit.text.split()) > _TITLE_LINE_WORDS:
            break  # the text begins: its legal bases, or its first sentence after the title
    return " ".join(parts)


# The title block is among a document's first units (letterhead, number, date, type, title); a unit of more
# words than this that is neither a heading nor in capitals is its text beginning.
_TITLE_UNITS = 20


_TITLE_LINE_WORDS = 5


def document_name(record: DocumentRecord, text: str) -> str:
    m = record.metadata
    metadata = " ".join(x for x in (m.title, m.doc_type, m.number) if x)
    return _name_of(record.source, record.version, text, metadata)


@lru_cache(maxsize=256)
def _ordinals(source: str, version: str, text: str) -> frozenset[tuple[str, str]]:
    return frozenset(ORDINAL.findall(fold(text)))


def numbers_it(record: DocumentRecord, text: str, asked: set[tuple[str, str]]) -> bool:
    """Whether a document is about the numbered thing asked: it names it with the asked number."""
    written = _ordinals(record.source, record.version, text)
    return asked <= written


def list_after(units: tuple[Unit, ...], intro: Unit) -> list[Unit]:
    """The items (or rows) of the list a unit opens ("… cụ thể như sau:"), up to the next heading or text."""
    items: list[Unit] = []
    for unit in units[intro.index + 1:]:
        if unit.kind not in ("item", "row"):
            break
        if unit.sentence >= 0 and items and items[-1].sentence == unit.sentence:
            continue  # another clause of the same item
        items.append(unit)
    return items
