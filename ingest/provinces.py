"""Vietnam's 63 provincial units (as the 2020–2021 documents name them) and how to spot them in text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.textnorm import fold, plain
from ingest.vocab import read_lines, read_table

_DATA = Path(__file__).parent / "data"

# The canonical names (data/provinces.txt) and other spellings people type: English, abbreviations, older
# forms (data/province_aliases.tsv). Aliases are matched like names.
PROVINCES: tuple[str, ...] = tuple(read_lines(_DATA / "provinces.txt"))
ALIASES: dict[str, str] = dict(read_table(_DATA / "province_aliases.tsv", 2))

# Names that are also ordinary words or a larger name's prefix; they need care in running text.
# A name followed by one of these tails is not a mention (regex over the folded / accent-less text).
# None is needed now: "Điện Biên Phủ" is a city of Điện Biên, so it counts as the province, typed with or
# without accents alike.
_NOT_FOLLOWED_BY: dict[str, str] = {}
# "hòa bình" means "peace": only the capitalised form, or one after "tỉnh", names the province.
_NEEDS_CAPITAL = frozenset(read_lines(_DATA / "provinces_needing_capital.txt"))


@dataclass(frozen=True)
class ProvinceMention:
    province: str  # canonical name
    start: int
    end: int


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str], re.Pattern[str]]]:
    """(canonical, pattern over folded text, pattern over accent-less text), longest names first."""
    names = [(p, p) for p in PROVINCES] + [(alias, canon) for alias, canon in ALIASES.items()]
    names.sort(key=lambda pair: -len(pair[0]))
    out = []
    for surface, canon in names:
        tail = _NOT_FOLLOWED_BY.get(surface, "")
        guard = f"(?!{fold(tail)})" if tail else ""
        folded = re.escape(fold(surface)).replace(r"\ ", r"\s+").replace(r"\-", r"\s*-?\s*")
        plained = re.escape(plain(surface)).replace(r"\ ", r"\s*").replace(r"\-", r"\s*-?\s*")
        out.append(
            (
                canon,
                re.compile(rf"(?<!\w){folded}(?!\w){guard}"),
                re.compile(rf"(?<!\w){plained}(?!\w){guard and plain(guard)}"),
            )
        )
    return out


def find_provinces(text: str, accent_insensitive: bool = False) -> list[ProvinceMention]:
    """Every province named in ``text``, in order; overlapping matches keep the longest name."""
    folded = fold(text)
    haystack = plain(text) if accent_insensitive else folded
    taken: list[tuple[int, int]] = []
    found: list[ProvinceMention] = []
    for canon, folded_pat, plain_pat in _patterns():
        pattern = plain_pat if accent_insensitive else folded_pat
        for m in pattern.finditer(haystack):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if canon in _NEEDS_CAPITAL and not _capitalised_or_after_tinh(text, m.start()):
                continue
            taken.append((m.start(), m.end()))
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
