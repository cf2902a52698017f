"""Check a generated answer against the passages it was given (issue 3 §6).

A small model writes fluent text and, now and then, a figure that is in no passage (DESIGN §1: it
invented an answer for an unanswerable question). Two rules catch what matters most to a staff member
who quotes the answer in a report:

- every ``[n]`` marker points to a passage that was given, and there is at least one marker;
- every number, percentage and date in the answer occurs in a passage that the answer cites;
- the figures that the extractive reading leads with are in the answer (a fluent answer that talks
  around the figure, or states another one of the passage's figures, is no answer).

Numbers are compared by value, not by spelling, so that "2.000" (Vietnamese) and "2,000" (English),
"0,3" and "0.3", "20/09/2021", "20/9/2021" and "ngày 20 tháng 9 năm 2021" count as the same. Numbers
spelled out in words are not checked. The check is strict on purpose: a wrong rejection costs only a
switch to the extractive answer, a wrong acceptance puts an invented figure in front of a user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

# [1], [2, 3], [1; 4]
_MARKER = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
# "1. " / "2) " at the start of a line is list numbering written by the model, not a figure.
_ENUMERATOR = re.compile(r"^(\s*)\d{1,2}[.)](?=\s)", re.MULTILINE)

_MENTION = re.compile(
    r"""
      (?:ngày|ngay)\s+(?P<wd>\d{1,2})\s+(?:tháng|thang)\s+(?P<wm>\d{1,2})\s+(?:năm|nam)\s+(?P<wy>\d{4})
    | (?:tháng|thang)\s+(?P<wmm>\d{1,2})\s+(?:năm|nam)\s+(?P<wmy>\d{4})
    | (?<![\d/.,])(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})(?![\d/])
    | (?<![\d/.,])(?P<mm>\d{1,2})/(?P<my>\d{4})(?![\d/])
    | (?<![\d/.,])(?P<dd>\d{1,2})/(?P<dm>\d{1,2})(?![\d/])
    | (?<![\d.,])(?P<num>\d+(?:[.,]\d+)*)(?P<pct>\s?%|\s+(?:phần\ trăm|percent|per\ cent))?
    """,
    re.VERBOSE | re.IGNORECASE,
)

Key = tuple


@dataclass(frozen=True)
class Mention:
    """One figure as written, with the values it may stand for."""

    text: str
    claims: frozenset[Key]  # what the answer asserts: any one of these found in a passage supports it
    implies: frozenset[Key]  # what a passage containing this mention supports (claims + its parts)


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    problems: list[str] = field(default_factory=list)
    markers: tuple[int, ...] = ()  # the passage numbers the answer cites, in order of first use

    def summary(self) -> str:
        return "; ".join(self.problems)


def find_markers(text: str) -> list[int]:
    """Passage numbers cited in ``text``, in order of first appearance, without repeats."""
    seen: list[int] = []
    for match in _MARKER.finditer(text):
        for piece in re.split(r"[,;]", match.group(1)):
            n = int(piece)
            if n not in seen:
                seen.append(n)
    return seen


def find_mentions(text: str) -> list[Mention]:
    """Numbers, percentages and dates in ``text`` (markers and list numbering excluded)."""
    text = _ENUMERATOR.sub(r"\1", _MARKER.sub(" ", text))
    return [_mention(m) for m in _MENTION.finditer(text)]


def supported_by(text: str) -> set[Key]:
    """Every value that a text containing these figures supports (what ``Mention.implies`` says)."""
    return set().union(*(m.implies for m in find_mentions(text)))


def claimed_by(text: str) -> set[Key]:
    """Every value the figures of ``text`` may stand for (what ``Mention.claims`` says)."""
    return set().union(*(m.claims for m in find_mentions(text)))


def keep_markers(text: str, kept: set[int]) -> str:
    """``text`` with only the passage numbers in ``kept`` left in its markers ("[1][2]" → "[1]")."""
    def keep(match: re.Match[str]) -> str:
        numbers = [n.strip() for n in re.split(r"[,;]", match.group(1)) if int(n) in kept]
        return f"[{', '.join(numbers)}]" if numbers else ""

    return _MARKER.sub(keep, text)


def verify_answer(text: str, cited_passages: dict[int, str], required: tuple[Mention, ...] = ()) -> VerificationResult:
    """``cited_passages`` maps each passage number given to the model to that passage's text; ``required``
    are figures the answer must state (the ones the extractive reading found for the question)."""
    problems: list[str] = []
    markers = find_markers(text)
    if not markers:
        problems.append("the answer cites no passage (no [n] marker)")
    unknown = [n for n in markers if n not in cited_passages]
    if unknown:
        given = ", ".join(str(n) for n in sorted(cited_passages)) or "none"
        problems.append(f"marker(s) {_brackets(unknown)} point to no given passage (given: {given})")

    cited = [n for n in markers if n in cited_passages]
    supported = set().union(*(supported_by(cited_passages[n]) for n in cited))
    if cited:
        missing = [m.text for m in find_mentions(text) if not (m.claims & supported)]
        for figure in dict.fromkeys(missing):  # once each, in order
            problems.append(f"{figure!r} is not in the cited passages {_brackets(cited)}")
    stated = supported_by(text)
    for mention in required:
        if not mention.claims & stated:
            problems.append(f"the answer leaves out {mention.text!r}, which the passages state for this question")
    return VerificationResult(ok=not problems, problems=problems, markers=tuple(markers))


def _brackets(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _mention(match: re.Match[str]) -> Mention:
    g = match.groupdict()
    written = match.group(0).strip()
    day, month, year = g["wd"] or g["d"], g["wm"] or g["m"], g["wy"] or g["y"]
    if day and _is_day_month(day, month):
        d, m, y = int(day), int(month), int(year)
        claim = ("date", d, m, y)
        return Mention(written, frozenset({claim}),
                       frozenset({claim, ("dm", d, m), ("my", m, y),
                                  ("num", Decimal(d)), ("num", Decimal(m)), ("num", Decimal(y))}))
    month, year = g["wmm"] or g["mm"], g["wmy"] or g["my"]
    if month and 1 <= int(month) <= 12:
        m, y = int(month), int(year)
        claim = ("my", m, y)
        return Mention(written, frozenset({claim}), frozenset({claim, ("num", Decimal(m)), ("num", Decimal(y))}))
    if g["dd"] and _is_day_month(g["dd"], g["dm"]):
        d, m = int(g["dd"]), int(g["dm"])
        claim = ("dm", d, m)
        return Mention(written, frozenset({claim}), frozenset({claim, ("num", Decimal(d)), ("num", Decimal(m))}))
    if g["num"] is None:
        # A date-shaped match that is not a real date (e.g. 45/10): keep its numbers, as written.
        parts = re.findall(r"\d+", written)
        keys = frozenset(("num", Decimal(p)) for p in parts)
        return Mention(written, keys if len(keys) == 1 else frozenset({("lit", written)}), keys | {("lit", written)})
    return _number(written, g["num"], bool(g["pct"]))


def _number(written: str, digits: str, percent: bool) -> Mention:
    kind = "pct" if percent else "num"
    literal = ("lit", digits + ("%" if percent else ""))
    vietnamese = _parse(digits, thousands=".", decimal=",")
    english = _parse(digits, thousands=",", decimal=".")
    # The answer may be written in either convention; the passages are Vietnamese documents.
    claims = {literal} | {(kind, v) for v in (vietnamese, english) if v is not None}
    implies = {literal} | ({(kind, vietnamese)} if vietnamese is not None else set())
    if percent and vietnamese is not None:
        implies.add(("num", vietnamese))  # "20%" in a passage supports a bare "20" in the answer
    return Mention(written, frozenset(claims), frozenset(implies))


def _parse(digits: str, thousands: str, decimal: str) -> Decimal | None:
    """The value of ``digits`` under one convention, or None when it is not well-formed in it."""
    whole, _, fraction = digits.partition(decimal)
    if decimal in fraction or thousands in fraction:
        return None
    groups = whole.split(thousands)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        return None
    try:
        return Decimal("".join(groups) + ("." + fraction if fraction else "")).normalize()
    except InvalidOperation:
        return None


def _is_day_month(day: str, month: str) -> bool:
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12
