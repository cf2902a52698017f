"""How an extractive answer is worded: documents' labels, quotes shortened around their fact, English leads
for Vietnamese facts, the "documents don't say" texts."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.answer import facts
from assistant.answer.evidence import Unit
from ingest.vocab import read_lines, read_table
from vectorstore.chroma import DocumentRecord

_DATA = Path(__file__).parent / "data"


def doc_label(record: DocumentRecord) -> str:
    return record.metadata.label() or record.source


def one_line(quote: str) -> str:
    return re.sub(r"\s+", " ", quote).strip()


def valid_name(value: str | None) -> str | None:
    """A signer read from the metadata, when it is a personal name ("**" or a sentence is not)."""
    if not value:
        return None
    found = facts.names(value)
    return value if found and found[0][1] - found[0][0] >= len(value.strip()) - 1 else None


def issuer_spellings(body: str, province: str | None, min_words: int) -> list[str]:
    """"Ban Thường vụ Tỉnh ủy Lai Châu" is written "Ban Thường vụ Tỉnh ủy" in its own text, "UBND tỉnh X"
    as "ỦY BAN NHÂN DÂN / TỈNH X" in its header. A short form must keep at least ``min_words`` words (3):
    "UBND tỉnh" alone is any mention of the province's committee ("báo cáo UBND tỉnh")."""
    short = body[: -len(province)].strip() if province and body.endswith(province) else body
    spellings = [body, body.replace("UBND", "Ủy ban nhân dân"), short, short.replace("UBND", "Ủy ban nhân dân")]
    return list(dict.fromkeys(s for s in spellings if len(s.split()) >= min_words))


def loose_pattern(phrase: str) -> str:
    """A phrase as a pattern that lets line breaks, spaces and emphasis vary ("ỦY BAN NHÂN DÂN\\nTỈNH X")."""
    return r"[\s*_]+".join(re.escape(word) for word in phrase.split())


ABSTAIN_TEXT = {
    ("en", "province"): "The documents don't cover {unknown}. Provinces in the collection: {known}.",
    ("en", "year"): "The documents don't state this for {years}.",
    ("en", "nothing"): "The documents don't say this.",
    # "thành phố Hà Nội", "tỉnh Hà Giang": the unit as Vietnamese names it (ingest.provinces.with_kind)
    ("vi", "province"): "Kho tài liệu không có văn bản nào của {unknown_with_kind}. Các tỉnh, thành phố hiện có: "
                        "{known}.",
    ("vi", "year"): "Các tài liệu không nêu nội dung này cho năm {years}.",
    ("vi", "nothing"): "Các tài liệu hiện có không nêu thông tin này.",
}


def figure_key(lead: str) -> str:
    return re.sub(r"\s+", "", lead.lower())


def quote_unit(unit: Unit, lead: str, max_words: int) -> str:
    """How a unit is quoted in an answer: a sentence shortened around its lead fact; a table row with every
    cell, each cut to ROW_CELL_WORDS words, so a deadline at the row's end is not cut off by a long task."""
    if unit.kind == "row":
        return " | ".join(shorten(cell, "", ROW_CELL_WORDS) for cell in unit.cells if cell)
    return shorten(unit.text, lead, max_words)


# Words of one cell in a quoted row, at most: a task's description is long, the body and the date are short.
ROW_CELL_WORDS = 25


def shorten(text: str, lead: str, max_words: int) -> str:
    words = text.split()
    if len(words) <= max_words:
        return text
    at = text.find(lead) if lead else -1
    centre = len(text[:at].split()) if at >= 0 else 0
    lo = max(0, centre - max_words // 2)
    hi = min(len(words), lo + max_words)
    return ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")


# "hàng năm" → "annually": data/extractive_frequency_en.tsv (units of time), data/extractive_every_words.txt
_FREQUENCY_EN = dict(read_table(_DATA / "extractive_frequency_en.tsv", 2))


_EVERY = re.compile(r"(?:" + "|".join(map(re.escape, read_lines(_DATA / "extractive_every_words.txt"))) + r")\s+("
                    + "|".join(map(re.escape, _FREQUENCY_EN)) + r")$")


def english_lead(lead: str) -> str:
    if not lead:
        return ""
    every = _EVERY.search(lead.lower())
    if every:  # "định kỳ hàng năm"
        return f"{_FREQUENCY_EN[every.group(1)].capitalize()} ({lead})"
    if "; " in lead:  # "tối thiểu đạt 50% (2025); đạt 55% (2030)"
        return "; ".join(english_lead(part).split(" (")[0] + " (" + part.split(" (")[-1] for part in lead.split("; "))
    low = lead.lower()
    for vi, en in sorted(facts.COMPARATORS_EN.items(), key=lambda kv: -len(kv[0])):
        if low.startswith(vi):
            rest = lead[len(vi):].strip()
            rest = re.sub(r"^đạt\s+", "", rest)
            rest = rest.replace("trở lên", "or more")
            english = f"{en} {rest}".strip()
            return f"{english[:1].upper()}{english[1:]} ({lead})"
    return lead
