"""Vietnam's provinces — the 63 before 1 July 2025, the 34 after, the merger between them — and how to spot
them in text.

The units come from ``vietnamadminunits`` (MIT, on PyPI), which ships its data in the wheel (a SQLite file
and JSON tables): its province table and its converter (called with province names only: the converter geocodes
street addresses, which this module never gives it) need no network, and importing it leaves the environment
alone (tests/ingest/test_provinces.py checks both with sockets refused). It is read once, on first use (about a
second, mostly the library's own imports), so importing this module stays cheap. Only what people type that the
library does not know (English names, abbreviations, older spellings) is kept here, in
``data/province_aliases.tsv``.

Names. A province is named by its short name with diacritics, as the library writes it ("Hà Nội",
"Huế", "Bà Rịa - Vũng Tàu"). Every one of the 34 units from 1 July 2025 kept the name of one of the 63
before, so one set of 63 names covers both: "Hải Phòng" is the city before and after the merger (after
it, the city also covers the former Hải Dương).

API
  PROVINCES                   the 63 names before 1 July 2025 (province code order)
  PROVINCES_2025              the 34 names from 1 July 2025
  ALIASES                     {other spelling: name}, from data/province_aliases.tsv
  find_provinces(text, accent_insensitive=False) -> [ProvinceMention(province, start, end)]
                              every province named in ``text``, offsets into ``text``
  canonical(name) -> str | None
                              the name of a province typed any way ("thanh hoa", "TP.HCM", "Thua Thien Hue")
  merged_into(name) -> str | None
                              the 2025 province a pre-2025 province became part of
                              ("Hải Dương" → "Hải Phòng", "Hà Nội" → "Hà Nội"); None for an unknown name
  merged_from(name) -> tuple[str, ...]
                              the pre-2025 provinces a 2025 province was formed from, itself included when
                              it kept its territory ("Hải Phòng" → ("Hải Dương", "Hải Phòng"));
                              () for a name that is not one of the 34
  MERGED_INTO / MERGED_FROM   the same two maps as dicts, for all 63 / all 34
  unit_kind(name) -> "tỉnh" | "thành phố"
                              the kind of unit: the centrally run cities are "thành phố"
  with_kind(name) -> str      the name with its kind, as written in running text: "thành phố Hà Nội",
                              "tỉnh Lai Châu" (start a sentence with ``s[:1].upper() + s[1:]``)

Names that are also ordinary words need care in running text: "hòa bình" (peace) counts only written with
a capital or after "tỉnh" (data/provinces_needing_capital.txt), and a name right after words that make it
something else is not a mention: "tư tưởng Hồ Chí Minh" names a person (data/province_not_after.tsv).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.textnorm import fold, plain
from ingest.vocab import read_lines, read_table

_DATA = Path(__file__).parent / "data"

# "hòa bình" means "peace": only the capitalised form, or one after "tỉnh", names the province.
_NEEDS_CAPITAL = frozenset(read_lines(_DATA / "provinces_needing_capital.txt"))
_LAZY = ("PROVINCES", "PROVINCES_2025", "ALIASES", "MERGED_INTO", "MERGED_FROM")


@dataclass(frozen=True)
class ProvinceMention:
    province: str  # canonical name
    start: int
    end: int


@dataclass(frozen=True)
class _Units:
    legacy: tuple[str, ...]  # the 63, in province code order
    current: tuple[str, ...]  # the 34
    cities: frozenset[str]  # names that are a "thành phố" (in either set)
    merged_into: dict[str, str]
    merged_from: dict[str, tuple[str, ...]]
    aliases: dict[str, str]


@lru_cache(maxsize=1)
def _units() -> _Units:
    """The units as vietnamadminunits ships them (its SQLite table and its converter; no network)."""
    from vietnamadminunits import convert_address
    from vietnamadminunits.database import get_data

    def rows(table: str) -> list[dict[str, Any]]:
        found = get_data(fields=["province", "provinceShort", "provinceCode"], table=table)
        return sorted(found, key=lambda r: r["provinceCode"])

    legacy, current = rows("admin_units_legacy"), rows("admin_units")
    cities = frozenset(r["provinceShort"] for r in legacy + current if plain(r["province"]).startswith("thanh pho"))
    merged_into = {r["provinceShort"]: convert_address(r["province"]).short_province for r in legacy}
    names = tuple(r["provinceShort"] for r in legacy)
    merged_from = {new: tuple(old for old in names if merged_into[old] == new) for new in
                   (r["provinceShort"] for r in current)}
    aliases = dict(read_table(_DATA / "province_aliases.tsv", 2))
    unknown = sorted(set(aliases.values()) - set(names))
    if len(names) != 63 or len(current) != 34 or unknown or set(merged_into.values()) != set(merged_from):
        raise RuntimeError(f"vietnamadminunits gave {len(names)} provinces before 2025 and {len(current)} after; "
                           f"expected 63 and 34 (aliases pointing nowhere: {unknown})")
    return _Units(names, tuple(merged_from), cities, merged_into, merged_from, aliases)


def __getattr__(name: str) -> Any:
    """PROVINCES, PROVINCES_2025, ALIASES, MERGED_INTO, MERGED_FROM: read from the library on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    units = _units()
    return {"PROVINCES": units.legacy, "PROVINCES_2025": units.current, "ALIASES": dict(units.aliases),
            "MERGED_INTO": dict(units.merged_into), "MERGED_FROM": dict(units.merged_from)}[name]


def merged_into(name: str) -> str | None:
    """The province (of the 34) that ``name`` (one of the 63, typed any way) is part of from 1 July 2025."""
    found = canonical(name)
    return _units().merged_into.get(found) if found else None


def merged_from(name: str) -> tuple[str, ...]:
    """The provinces (of the 63) that ``name`` (one of the 34, typed any way) was formed from."""
    found = canonical(name)
    return _units().merged_from.get(found, ()) if found else ()


def unit_kind(name: str) -> str:
    """ "thành phố" for a centrally run city, else "tỉnh"; ``name`` is typed any way."""
    found = canonical(name) or name
    return "thành phố" if found in _units().cities else "tỉnh"


def with_kind(name: str) -> str:
    """ "thành phố Hà Nội", "tỉnh Lai Châu": the name as running text writes it."""
    found = canonical(name) or name
    return f"{unit_kind(found)} {found}"


# --- finding names in text ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _not_after() -> dict[str, re.Pattern[str]]:
    """Per province, the words that, right before its name, make it something else (accent-less)."""
    words: dict[str, list[str]] = {}
    for name, before in read_table(_DATA / "province_not_after.tsv", 2):
        words.setdefault(name, []).append(r"\s+".join(re.escape(w) for w in plain(before).split()))
    return {name: re.compile(rf"(?:^|\W)(?:{'|'.join(ws)})\W*$") for name, ws in words.items()}


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str], re.Pattern[str]]]:
    """(canonical, pattern over folded text, pattern over accent-less text), longest names first."""
    units = _units()
    names = [(p, p) for p in units.legacy] + list(units.aliases.items())
    names.sort(key=lambda pair: -len(pair[0]))
    out = []
    for surface, canon in names:
        folded = re.escape(fold(surface)).replace(r"\ ", r"\s+").replace(r"\-", r"\s*-?\s*")
        plained = re.escape(plain(surface)).replace(r"\ ", r"\s*").replace(r"\-", r"\s*-?\s*")
        out.append((canon, re.compile(rf"(?<!\w){folded}(?!\w)"), re.compile(rf"(?<!\w){plained}(?!\w)")))
    return out


def find_provinces(text: str, accent_insensitive: bool = False) -> list[ProvinceMention]:
    """Every province named in ``text``, in order; overlapping matches keep the longest name."""
    folded = fold(text)
    haystack = plain(text) if accent_insensitive else folded
    taken: list[tuple[int, int]] = []
    found: list[ProvinceMention] = []
    not_after = _not_after()
    for canon, folded_pat, plain_pat in _patterns():
        pattern = plain_pat if accent_insensitive else folded_pat
        for m in pattern.finditer(haystack):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))  # "tư tưởng Hồ Chí Minh": no shorter name inside it either
            if canon in _NEEDS_CAPITAL and not _capitalised_or_after_tinh(text, m.start()):
                continue
            guard = not_after.get(canon)
            if guard and guard.search(plain(text[max(0, m.start() - 40) : m.start()])):
                continue
            found.append(ProvinceMention(canon, m.start(), m.end()))
    return sorted(found, key=lambda pm: pm.start)


def _capitalised_or_after_tinh(text: str, start: int) -> bool:
    if text[start : start + 1].isupper():
        return True
    before = plain(text[max(0, start - 12) : start])
    return bool(re.search(r"(tinh|province of|province)\s*$", before))


def canonical(name: str) -> str | None:
    """The canonical province for a name typed any way, or None."""
    mentions = find_provinces(name) or find_provinces(name, accent_insensitive=True)
    return mentions[0].province if mentions else None
