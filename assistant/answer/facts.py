"""Spotting answer-bearing facts in Vietnamese clauses: figures with comparators, dates, document
numbers, years, person names. Positions are offsets into the clause string given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import ConfigError
from ingest.textnorm import fold, plain, strip_accents
from ingest.vocab import read_lines, read_table

_DATA = Path(__file__).parent / "data"

# Comparators before a figure, and their English (data/facts_comparators.tsv; "-" there: none).
COMPARATORS_EN = {vi: "" if en == "-" else en for vi, en in read_table(_DATA / "facts_comparators.tsv", 2)}
COMPARATORS_VI = tuple(COMPARATORS_EN)
_COMPARATOR = "|".join(re.escape(c) for c in COMPARATORS_VI)

# Units a figure may have, in the order they are tried, and the kind of quantity each is (data/facts_units.tsv).
_UNITS = read_table(_DATA / "facts_units.tsv", 2)
if any(kind not in ("percent", "money", "time", "count") for _, kind in _UNITS):
    raise ConfigError(f"{_DATA / 'facts_units.tsv'}: a unit's kind must be percent, money, time or count")
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_UNIT = "|".join(re.escape(unit) for unit, _ in _UNITS)
_FIGURE = re.compile(
    rf"(?:(?P<cmp>{_COMPARATOR})\s+(?:(?:là|đạt|mức)\s+)?)?"
    rf"(?P<num>{_NUM})(?:\s*[-–]\s*(?P<num2>{_NUM}))?\s*(?P<unit>{_UNIT})?(?P<more>\s+trở lên)?",
    re.IGNORECASE,
)
_DATE = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}/\d{4}(?![\d/])|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}",
                   re.IGNORECASE)
_DOC_NUMBER = re.compile(r"(?<![\w/])\d{1,5}(?:/\d{4})?(?:\s?[-/]\s?[A-ZĐ][A-Za-zĐđ]*){1,3}(?!\w)")
_YEAR = re.compile(r"(?<![\d/.,])((?:19|20)\d{2})(?![\d/])")
_YEAR_CONTEXT = re.compile(r"(?:đến|tới|vào|trong)\s+năm\s+((?:19|20)\d{2})\s*[:*]?", re.IGNORECASE)
_NAME = re.compile(r"(?<!\w)(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+\s){1,3}[A-ZĐÀ-Ỹ][a-zà-ỹđ]+(?!\w)")


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    text: str  # as written: "tối thiểu 20%"
    comparator: str
    value: str
    unit: str
    year: int | None = None  # "50% vào năm 2025": the year written right after the figure


# Rankings: "vị trí 63/63", "xếp thứ 30", "tốp 5 tỉnh", "nhóm 40 tỉnh" (data/facts_rank_words.txt).
_RANK_WORDS = "|".join(re.escape(w) for w in read_lines(_DATA / "facts_rank_words.txt"))
_RANK = re.compile(rf"(?:{_RANK_WORDS})\s+(\d{{1,3}}(?:/\d{{1,3}})?)(?:\s+tỉnh)?", re.IGNORECASE)


UNIT_KINDS = {unit: kind for unit, kind in _UNITS if kind != "count"} | {"thứ hạng": "rank"}  # the unit of _ranks


def unit_kind(unit: str) -> str:
    """'percent', 'money', 'time' or 'count' (people, documents, provinces, ranks …)."""
    return UNIT_KINDS.get(unit.lower(), "count")


def figures(clause: str) -> list[Figure]:
    out = _ranks(clause)
    taken = [(f.start, f.end) for f in out]
    for m in _FIGURE.finditer(clause):
        if any(s <= m.start() < e for s, e in taken):
            continue
        num = m.group("num")
        unit = (m.group("unit") or "").strip()
        before = clause[max(0, m.start() - 1) : m.start()]
        if before in ("/", "-") or _is_part_of_date_or_number(clause, m):
            continue
        if not unit and not m.group("cmp"):
            continue  # a bare number ("Nghị định số 130", "3 cấp") is rarely what a target question asks
        if not unit and re.fullmatch(r"(?:19|20)\d{2}", num) and not m.group("num2"):
            continue  # "từ 2021 đến 2025", "đạt 2025": a year, not a quantity
        text = clause[m.start() : m.end()].strip()
        out.append(Figure(m.start(), m.start() + len(text), text, (m.group("cmp") or "").lower(), num, unit))
    out.sort(key=lambda f: f.start)
    return _pair_years(clause, out)


def _ranks(clause: str) -> list[Figure]:
    return [Figure(m.start(), m.end(), clause[m.start() : m.end()], "", m.group(1), "thứ hạng")
            for m in _RANK.finditer(clause)]


def _pair_years(clause: str, figs: list[Figure]) -> list[Figure]:
    """"50% vào năm 2025 và 55% vào năm 2030": a figure's year is the first "năm YYYY" after it and
    before the next figure (within 80 characters)."""
    out = []
    for i, f in enumerate(figs):
        stop = figs[i + 1].start if i + 1 < len(figs) else len(clause)
        window = clause[f.end : min(stop, f.end + 80)]
        y = re.search(r"năm\s+((?:19|20)\d{2})", window)
        out.append(Figure(f.start, f.end, f.text, f.comparator, f.value, f.unit, int(y.group(1)) if y else None))
    return out


def _is_part_of_date_or_number(clause: str, m: re.Match[str]) -> bool:
    around = clause[max(0, m.start() - 6) : m.end() + 6]
    number_end = m.end("num2") if m.group("num2") else m.end("num")
    return bool(_DATE.search(around) and "/" in clause[m.start() : number_end + 1]) or (
        clause[number_end : number_end + 1] == "/"
    )


_NUMBER_WORDS = "|".join([_NUM, *(re.escape(w) for w in read_lines(_DATA / "facts_number_words.txt"))])


def counts(clause: str, noun: str) -> list[Figure]:
    """Counts of a noun the question names (folded, a few syllables): "giữa 3 cấp" for "mấy cấp chính
    quyền", "khoảng 2.000 doanh nghiệp" for "bao nhiêu doanh nghiệp". The first syllable must follow the
    number; the next ones are taken along as far as they are there."""
    first, *rest = noun.split()
    tail = ""
    for syllable in reversed(rest):  # "cấp chính quyền": (?:\s+chính(?:\s+quyền)?)?
        tail = rf"(?:\s+{re.escape(syllable)}{tail})?"
    accented = plain(noun) != noun  # an accent-less noun is matched accent-less
    words = rf"(?<![\w/.,])(?:(?P<cmp>{_COMPARATOR})\s+)?(?P<num>{_NUMBER_WORDS})"
    pattern = re.compile(rf"{words if accented else strip_accents(words)}\s+{re.escape(first)}{tail}(?!\w)",
                         re.IGNORECASE)
    folded = fold(clause) if accented else plain(clause)
    folded = folded if len(folded) == len(clause) else plain(clause)  # offsets must carry over
    return _pair_years(clause, [Figure(m.start(), m.end(), clause[m.start() : m.end()], m.group("cmp") or "",
                                       m.group("num"), noun) for m in pattern.finditer(folded)])


_FREQUENCY = re.compile(r"(?<!\w)(?:định kỳ\s+)?(?:hàng|hằng|mỗi)\s+(?:năm|quý|tháng|tuần|ngày)(?!\w)|"
                        r"(?<!\w)định kỳ(?:\s+\d+\s+tháng)?(?!\w)|(?<!\w)\d+\s+tháng\s+(?:một|1)\s+lần(?!\w)",
                        re.IGNORECASE)


def frequencies(clause: str) -> list[tuple[int, int]]:
    """How often something is done: "định kỳ hàng năm", "hằng quý", "6 tháng một lần"."""
    return [(m.start(), m.end()) for m in _FREQUENCY.finditer(clause)]


# Dates as deadlines and schedules write them, beyond a full date: "ngày 15 hằng tháng", "trước ngày 15/12",
# "31/3", "Quý IV/2026", "tháng 3 năm 2026", "kể từ ngày ký".
_PARTIAL_DATE = re.compile(
    r"ngày\s+\d{1,2}(?:\s*/\s*\d{1,2}(?:\s*/\s*\d{4})?|\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)?"
    r"(?:\s+(?:hằng|hàng|mỗi)\s+(?:tháng|năm|quý|tuần))?"
    r"|(?<![\d/.,])\d{1,2}/\d{1,2}(?:/\d{4})?(?![\d/%])"
    r"|\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?"
    r"|(?:quý|tháng)\s+(?:[IV]{1,4}|\d{1,2})(?:\s*/\s*|\s+năm\s+)\d{4}"
    r"|(?:kể\s+)?từ\s+ngày\s+(?:ký|ban hành)",
    re.IGNORECASE)


def dates(clause: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _DATE.finditer(clause)]


def schedule_dates(clause: str) -> list[tuple[int, int]]:
    """Full dates, and the partial ones deadlines use ("ngày 15 hằng tháng", "Quý IV/2026", "31/3"); the
    longest match at each place."""
    spans = dates(clause)
    for m in _PARTIAL_DATE.finditer(clause):
        if not any(s <= m.start() < e or m.start() <= s < m.end() for s, e in spans):
            spans.append((m.start(), m.end()))
    return sorted(spans)


_BODY_HEADS = read_lines(_DATA / "facts_body_heads.txt")
_BODY = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(h) for h in _BODY_HEADS) + r")(?!\w)")


_BODY_STOP = re.compile(r"\s(?:" + "|".join(re.escape(w) for w in read_lines(_DATA / "facts_body_stop_words.txt"))
                        + r")(?!\w)|[,.;:|()\[\]“”\"\n]")
_BODY_MAX_WORDS = 8


def bodies(clause: str) -> list[tuple[int, int]]:
    """Where a body is named ("Sở Tài chính", "Công an Thành phố", "UBND xã"): its head word as written and
    the words after it, up to punctuation, a word that ends a name (a verb, a preposition) or eight words."""
    out = []
    for m in _BODY.finditer(clause):
        stop = _BODY_STOP.search(clause, m.end())
        end = stop.start() if stop else len(clause)
        words = list(re.finditer(r"\S+", clause[m.start():end]))[:_BODY_MAX_WORDS]
        out.append((m.start(), m.start() + words[-1].end()))
    return out


def doc_numbers(clause: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _DOC_NUMBER.finditer(clause)
            if re.search(r"[A-ZĐ]{2}", m.group(0))]


def years(text: str) -> list[int]:
    return [int(y) for y in _YEAR.findall(text)]


def context_year(paragraph_prefix: str, heading_path: tuple[str, ...]) -> int | None:
    """The year a clause's section is about: "* Đến năm 2025" above it, or "đến năm 2025:" earlier in its
    paragraph."""
    for heading in reversed(heading_path):
        found = years(heading)
        if found:
            return found[-1]
    found = [m for m in _YEAR_CONTEXT.finditer(paragraph_prefix) if m.group(0).rstrip().endswith((":", "*"))]
    return int(found[-1].group(1)) if found else None


# First syllables of capitalised titles, bodies and places, not names (data/facts_not_name_words.txt).
_NOT_NAMES = frozenset(plain(w) for w in read_lines(_DATA / "facts_not_name_words.txt"))
# Family names (data/facts_surnames.txt): a personal name starts with one.
_SURNAMES = frozenset(fold(w) for w in read_lines(_DATA / "facts_surnames.txt"))


def names(clause: str) -> list[tuple[int, int]]:
    """Personal names: 2–4 capitalised syllables starting with a family name ("Nguyễn Lộc Hà"), not a
    province ("Hà Nội"), and not all capitals."""
    from ingest.provinces import find_provinces  # the province tables load on first use

    out = []
    for m in _NAME.finditer(clause):
        words = m.group(0).split()
        if fold(words[0]) not in _SURNAMES or plain(words[0]) in _NOT_NAMES - {plain(s) for s in _SURNAMES}:
            continue
        if any(p.start == 0 and p.end >= len(m.group(0)) - 1 for p in find_provinces(m.group(0))):
            continue
        out.append((m.start(), m.end()))
    return out
