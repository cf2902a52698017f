"""The commitments ledger: every quantified target in a document becomes one comparable row.

"tối thiểu 80% hồ sơ ... được xử lý trên môi trường mạng" → value 80, unit "%", comparator "tối thiểu",
year 2025 (from the heading "Đến năm 2025"), topic "e_office", plus the quote and its offsets.

How it works (deterministic, no model):

1. Lines of the body spans are scanned in order. A line that opens with a year phrase sets the *heading
   year*. A heading alone on its line ("* Đến năm 2025", "Đến năm 2030:", "Năm 2022:") or one that
   introduces a list (line ends with ":") holds for the following lines until the next such heading, or
   until a numbered heading at the same or a higher level than the one it sat under ("b) Nhiệm vụ và giải
   pháp" ends the "a) Chỉ tiêu → * Đến năm 2025" block). A year that opens a paragraph which then goes on
   ("Mục tiêu phấn đấu đến năm 2025: Cơ bản …; 100% …", "Đến năm 2025, tỷ lệ …") dates that paragraph
   only: in running prose it is too easy to leak it into unrelated later paragraphs.
2. Each line is cut into clauses on ";", ":", and sentence-final "." (a dot followed by a space or the end,
   so "2.000" and "0,3" stay whole).
3. In a clause, a *mention* is a number directly followed by a unit (%, điểm/năm, phút, doanh nghiệp, …)
   or a rank pattern ("tốp 5", "nhóm 40 tỉnh", "xếp thứ 30"). A bare number is never a commitment, which is
   what keeps "8 mục tiêu", "Lượt xem: 813", phone numbers, dates and document numbers out.
4. Between two mentions the text is split so each gets its own words: after the first year phrase
   ("… vào năm 2025 | và 85% …"), else before a metric head ("…, | tỷ lệ giao dịch …"), else at the last
   ", " / " và ". Words before the number give the comparator (read backwards: "đạt tối thiểu", "xuống
   bình quân còn tối đa", "trên"); "trở lên" after it means "tối thiểu".
5. Year: the first year phrase after the mention in its clause (so "50% vào năm 2025 và 55% vào năm 2030"
   gives two years, and a list ending in "… vào năm 2025" dates every item of it), else the last one
   before it, else the heading year, else None. A year earlier than the document's issue year marks a past
   result ("năm 2019 đứng ở vị trí 63/63", "Năm 2020, tỷ lệ … đạt 98%"), not a target: such mentions are
   dropped, as are values read backwards from "đã" ("đã đạt 95%"). "so với năm 2020" is a baseline and
   "ngày 31 tháng 5 năm 2020" a date; neither counts as a year phrase. "giai đoạn
   2021-2025" inside a sentence is a period, not a target year; readers can fall back to
   DocumentMetadata.period when year is None.
6. Non-percentage mentions need a target signal in their clause (a comparator, a year, or a verb such as
   "giảm", "tăng", "đạt", "xây dựng"): "Thời gian chờ: 60 giây" in a page footer is not a target.

Why regexes over clauses rather than pyvi word segmentation: the things to find are fixed multi-syllable
phrases next to a number (units, comparators, year phrases), which regexes match directly on the original
text with exact offsets. pyvi rewrites text ("hồ_sơ"), so offsets would have to be mapped back, and its
segmentation adds nothing to deciding which number belongs to which unit.

Matching runs on a length-preserving folded copy of the text (lower case, canonical tone placement), so
every position found there indexes the original text, and quotes keep the original spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.document import DocumentMetadata, Span
from ingest.errors import ConfigError
from ingest.textnorm import canonical_tones, fold, plain
from ingest.vocab import read_kinds, read_table

# The vocabularies and rules below are read from these files (each says in its header how to extend it).
_DATA = Path(__file__).parent / "data"

# The ledger's topics, in display order: key → {"vi": label, "en": label} (data/topics.tsv).
TOPICS: dict[str, dict[str, str]] = {key: {"vi": vi, "en": en} for key, vi, en in read_table(_DATA / "topics.tsv", 3)}

COMPARATORS: tuple[str, ...] = ("tối thiểu", "ít nhất", "trên", "khoảng", "tối đa", "đạt", "")


@dataclass(frozen=True)
class Commitment:
    source: str
    province: str | None
    doc_type: str | None
    number: str | None
    issue_date: str | None
    metric: str  # Vietnamese words for what is measured, e.g. "tỷ lệ hồ sơ TTHC được xử lý trên môi trường mạng"
    value: float
    value_max: float | None  # upper end of a range ("0,3 - 0,8 điểm/năm"), else None
    unit: str  # "%", "điểm/năm", "phút", "doanh nghiệp", "thứ hạng", ...
    comparator: str  # canonical, one of COMPARATORS ("" when the text states none)
    year: int | None  # target year, None when neither the sentence nor a heading gives one
    topic: str  # a key of TOPICS
    quote: str  # == text[start:end] of the document the row came from
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.topic not in TOPICS:
            raise ValueError(f"Unknown topic '{self.topic}'. Valid topics are: {', '.join(TOPICS)}")
        if self.comparator not in COMPARATORS:
            raise ValueError(f"Unknown comparator '{self.comparator}'. Valid comparators are: {COMPARATORS}")
        if not 0 <= self.start < self.end or len(self.quote) != self.end - self.start:
            raise ValueError(
                f"Commitment quote of length {len(self.quote)} does not fit its span {self.start}-{self.end}"
            )
        if self.value_max is not None and self.value_max < self.value:
            raise ValueError(f"Range upper end {self.value_max} is below its lower end {self.value}")

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------- numbers

_NUMBER = r"\d+(?:[.,]\d+)*"
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")


def parse_vn_number(token: str) -> float:
    """'2.000' → 2000.0, '0,3' → 0.3, '1.234,5' → 1234.5, '01' → 1.0.

    Vietnamese writes '.' between thousands and ',' before decimals. A single dot that does not group
    three digits ('98.5') is read as a decimal point, as some sources write it.
    """
    s = token.strip()
    if not re.fullmatch(_NUMBER, s):
        raise ValueError(f"Not a number: {token!r}. Expected digits with '.' for thousands, ',' for decimals")
    if "," in s:
        whole, _, decimals = s.rpartition(",")
        if "," in whole or ("." in whole and not _THOUSANDS.fullmatch(whole)):
            raise ValueError(f"Not a Vietnamese number: {token!r}. Expected e.g. '1.234,5'")
        return float(f"{whole.replace('.', '')}.{decimals}")
    if "." in s:
        if _THOUSANDS.fullmatch(s):
            return float(s.replace(".", ""))
        if s.count(".") == 1:
            return float(s)
        raise ValueError(f"Not a Vietnamese number: {token!r}. Dots must group thousands, e.g. '2.000.000'")
    return float(s)


# ------------------------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class _Unit:
    label: str
    pattern: str  # over folded (lower-case) text
    kind: str  # percent | score | rank | time | count | money


_UNIT_KINDS = ("percent", "score", "steps", "time", "count", "money")  # "steps": "tăng 5 bậc", a change of rank


def _unit_pattern(written: str) -> str:
    """The regex of a unit as written: spaces may surround a "/" ("điểm / năm"); a word must end where the unit
    does ("ngày" is not the start of "ngàyx")."""
    pattern = r"\s*/\s*".join(re.escape(part) for part in fold(written).split("/"))
    return pattern + r"(?!\w)" if re.search(r"\w$", written) else pattern


def _read_units() -> tuple[tuple[_Unit, ...], dict[str, str]]:
    """The units, in the order they are tried (data/commitment_units.tsv), and the count units that decide a
    row's topic on their own."""
    path = _DATA / "commitment_units.tsv"
    units, topics = [], {}
    for label, kind, written, topic in read_table(path, 4):
        if kind not in _UNIT_KINDS:
            raise ConfigError(f"{path}: unit {label!r} has kind {kind!r}. Valid kinds: {', '.join(_UNIT_KINDS)}")
        if topic != "-" and topic not in TOPICS:
            raise ConfigError(f"{path}: unit {label!r} names topic {topic!r}, which is not in topics.tsv")
        units.append(_Unit(label, "|".join(_unit_pattern(w.strip()) for w in written.split(",")), kind))
        if topic != "-":
            topics[label] = topic
    return tuple(units), topics


_UNITS, _UNIT_TOPIC = _read_units()
RANK_UNIT = "thứ hạng"

# The words looked for around a number, by kind (data/commitment_words.tsv: its header says what each does).
_WORD_KINDS = ("between", "target_verb", "metric_head", "lead_verb", "connector", "opener", "rank_top", "rank_group",
               "rank_group_of", "rank_place")


_WORDS = {kind: [canonical_tones(entry) for entry in entries]
          for kind, entries in read_kinds(_DATA / "commitment_words.tsv", _WORD_KINDS).items()}


def _any(*kinds: str) -> str:
    """The entries of the kinds as one regex alternation, in file order."""
    return "|".join(entry for kind in kinds for entry in _WORDS[kind])


# A number not glued to a letter, '/', '.' or ',' on its left (document numbers, dates, "NĐ-CP"), with an
# optional range end ("0,3 - 0,8", "30% - 50%", "từ 30 đến 50"), then a unit.
_QUANTITY = re.compile(
    rf"(?<![\w/.,])(?P<num>{_NUMBER})(?!\s*/\s*\d)"
    rf"(?:\s*%?\s*(?:-|–|—|đến|tới)\s*(?P<num2>{_NUMBER}))?"
    r"\s*(?P<unit>" + "|".join(f"(?P<u{i}>{u.pattern})" for i, u in enumerate(_UNITS)) + ")"
)
# Ranks: "tốp 5", "top 10", "nhóm 40 tỉnh", "xếp thứ 30", "đứng thứ 20". "63/63" (rank out of total) is a
# reported result, never a target, so a number followed by '/' is refused.
_RANK = re.compile(
    rf"(?<!\w)(?P<kw>{_any('rank_top')})\s+(?:đầu\s+)?(?P<num>\d+)(?![\d/.,]|\s*/)"
    rf"|(?<!\w)(?P<kw2>{_any('rank_group')})\s+(?P<num2>\d+)(?![\d/.,])(?=\s+(?:{_any('rank_group_of')}))"
    rf"|(?<!\w)(?P<kw3>{_any('rank_place')})\s+(?P<num3>\d+)(?![\d/.,]|\s*/)"
)

_CLAUSE_END = re.compile(r";|:(?=\s|$)|(?:\.{1,3}|[!?…])(?=\s|$|[\"”’)\]])")
_YEAR = re.compile(
    r"(?<![\w/])(?:(?:từ nay |phấn đấu )?"
    r"(?:đến hết|đến cuối|đến|vào|tới|trong|trước|cuối|hết|chậm nhất là|chậm nhất)\s+)?"
    r"năm\s+(?P<y>(?:19|20)\d{2})(?![\d/])"
)
_DATE_BEFORE = re.compile(r"tháng\s+\d{1,2}\s*$")
_BASELINE_BEFORE = re.compile(r"so với\s*$")

_HEADING_YEAR = (
    re.compile(
        r"^(?:(?:mục tiêu|chỉ tiêu|phấn đấu)(?:\s+\S+){0,3}?\s+)?(?:(?:đến|vào|trong|tới)\s+(?:hết\s+|cuối\s+)?)?"
        r"năm\s+(?P<y>\d{4})\s*(?:[:,]|$)"
    ),
    re.compile(r"^(?:(?:mục tiêu|chỉ tiêu)\s+)?giai đoạn\s+\d{4}\s*[-–]\s*(?P<y>\d{4})\s*(?::|$)"),
)
_BULLET = re.compile(r"^[\s|]*[-*+•·–]+\s*")
_STRUCTURE = (
    ("roman", re.compile(r"^[\s|]*(?:[ivxlc]{2,}|[ivx])\.\s+")),
    ("letter", re.compile(r"^[\s|]*[a-zđ][).]\s+")),
    ("arabic", re.compile(r"^[\s|]*\d{1,2}(?:\.\d{1,2})*[.)]\s+")),
)


def _read_comparators() -> dict[str, str]:
    """Comparator words as written (folded) → the comparator stored (data/commitment_comparators.tsv)."""
    path = _DATA / "commitment_comparators.tsv"
    words = {fold(written): comparator for written, comparator in read_table(path, 2)}
    wrong = sorted({c for c in words.values() if not c or c not in COMPARATORS})
    if wrong:
        raise ConfigError(f"{path}: {', '.join(wrong)} is not a comparator. Valid: {', '.join(COMPARATORS[:-1])}")
    return words


_COMPARATOR_WORDS: dict[str, str] = _read_comparators()
# Words that may sit between a comparator and its number; skipped when reading backwards.
_NEUTRAL_WORDS = tuple(fold(w) for w in _WORDS["between"])
_PAST_WORD = "đã"
_TAIL = re.compile(
    r"(?:^|(?<=\s))(?P<w>"
    + "|".join(sorted([*_COMPARATOR_WORDS, *_NEUTRAL_WORDS, _PAST_WORD], key=len, reverse=True))
    + r")\s*$"
)
_COMPARATOR_PRIORITY = ("tối thiểu", "ít nhất", "tối đa", "trên", "khoảng", "đạt")
_AFTER_BOUND = re.compile(r"\s*(?P<w>trở lên|trở xuống)(?!\w)")

_TARGET_VERB = re.compile(rf"(?<!\w)(?:{_any('target_verb')})(?!\w)")
# Words that open a metric ("…, tỷ lệ giao dịch …"): a gap between two mentions is split before them.
_METRIC_HEAD = re.compile(
    r"(?:,\s*|\s+và\s+|trong (?:số )?đó,?\s*|đồng thời,?\s*)"
    rf"(?P<h>{_any('metric_head')})(?!\w)"
)
_SEPARATOR = re.compile(r",\s+|\s+và\s+|\s+hoặc\s+")
# "…, bảo đảm 100% …": lead-in verbs that open a sub-clause; the metric starts after them. Longest first: the
# match is used for where it ends ("phấn đấu đạt" before "phấn đấu").
_LEAD_WORDS = "(?:" + "|".join(sorted(_WORDS["lead_verb"], key=len, reverse=True)) + r")(?!\w)"
_LEAD_VERB_FIRST = re.compile(_LEAD_WORDS)
_LEAD_VERB_LATER = re.compile(r"(?:,\s*|\s+và\s+)" + _LEAD_WORDS)
_LEADING_JUNK = re.compile(  # used with .match, which anchors at its pos
    rf"(?:[\s,;:.\-*+•|]|\d{{1,2}}[.)]\s|(?:{_any('connector', 'opener')})(?!\w))+"
)
_TRAILING_JUNK = re.compile(rf"(?:[\s,;:.]|(?<!\w)(?:{_any('connector')})(?!\w))+$")


def _read_topic_rules() -> tuple[tuple[str, str], ...]:
    """(topic, pattern) in order (data/topic_rules.tsv); consecutive rows of one topic become one pattern."""
    path = _DATA / "topic_rules.tsv"
    rules: list[tuple[str, list[str]]] = []
    for topic, pattern in read_table(path, 2):
        if topic not in TOPICS:
            raise ConfigError(f"{path}: topic {topic!r} (rule {pattern!r}) is not in topics.tsv")
        if rules and rules[-1][0] == topic:
            rules[-1][1].append(canonical_tones(pattern))
        else:
            rules.append((topic, [canonical_tones(pattern)]))
    return tuple((topic, "|".join(patterns)) for topic, patterns in rules)


# Ordered: the first rule whose pattern is found in the folded metric decides the topic.
_TOPIC_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern)) for topic, pattern in _read_topic_rules()
)
# The same rules over accent-less text, for questions typed without diacritics ("chi phi tuan thu").
_PLAIN_TOPIC_RULES = tuple((topic, re.compile(plain(pattern.pattern))) for topic, pattern in _TOPIC_RULES)


def _read_indexes() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(topic, name, pattern) of the indexes that rank provinces (data/commitment_indexes.tsv), recognised by
    their topic's rules."""
    path = _DATA / "commitment_indexes.tsv"
    patterns: dict[str, list[str]] = {}
    for topic, pattern in _read_topic_rules():
        patterns.setdefault(topic, []).append(pattern)
    indexes = []
    for topic, name in read_table(path, 2):
        if topic not in patterns:
            raise ConfigError(f"{path}: index topic {topic!r} has no rules in topic_rules.tsv")
        indexes.append((topic, name, re.compile("|".join(patterns[topic]))))
    return tuple(indexes)


_INDEXES = _read_indexes()


def _fold(text: str) -> str:
    """Lower case with canonical tones, one character per input character (so offsets carry over)."""
    if not unicodedata.is_normalized("NFC", text):
        raise ValueError("Commitment extraction needs NFC text (offsets index SourceDocument.text, which is NFC)")
    toned = canonical_tones(text)  # length-preserving on NFC input
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in toned).replace("\xa0", " ")


def _fold_phrase(words: str) -> str:
    """Fold a metric phrase built from slices (offsets no longer matter, so normalise first)."""
    return _fold(unicodedata.normalize("NFC", words))


# ------------------------------------------------------------------------------------------ extraction


@dataclass(frozen=True)
class _Mention:
    start: int  # of the number (or of the rank keyword)
    end: int  # after the unit (or the rank number)
    value: float
    value_max: float | None
    unit: str
    kind: str
    rank_word: str = ""  # "tốp", "nhóm", ... as written


@dataclass(frozen=True)
class _YearRef:
    start: int
    end: int
    year: int


class _HeadingYear:
    """The year set by the last year heading, and the numbered levels that end its scope.

    A heading on its own line ("* Đến năm 2025", "Năm 2022:") or one that opens a list ("Mục tiêu đến năm
    2025: phấn đấu đạt các chỉ tiêu sau:") dates the following lines. A year that opens a paragraph and
    goes on ("Đến năm 2030: Đồng bộ …; 100% …", "Đến năm 2025, tỷ lệ …") dates that paragraph only.
    """

    def __init__(self) -> None:
        self.year: int | None = None
        self._scope: frozenset[str] = frozenset()
        self._levels: list[str] = []

    def see_line(self, line: str) -> int | None:
        """Update the context with this line; return the heading year that applies to the line itself."""
        style, rest = _structure(line)
        body = _BULLET.sub("", rest).strip()
        found = _heading_year(body)
        if style is not None:
            if style in self._levels:
                del self._levels[self._levels.index(style):]
            if found is None and style in self._scope:
                self.year, self._scope = None, frozenset()
            self._levels.append(style)
        if found is None:
            return self.year
        year, heading_end = found
        if heading_end >= len(body) or body.endswith(":"):
            self.year, self._scope = year, frozenset(self._levels)
        return year


def _structure(line: str) -> tuple[str | None, str]:
    for style, pattern in _STRUCTURE:
        m = pattern.match(line)
        if m:
            return style, line[m.end():]
    return None, line


def _heading_year(body: str) -> tuple[int, int] | None:
    """(year, where the heading ends) when the line opens with a year heading."""
    for pattern in _HEADING_YEAR:
        m = pattern.match(body)
        if m:
            return int(m.group("y")), m.end()
    return None


def extract_commitments(
    text: str, body: Sequence[Span], metadata: DocumentMetadata, source: str
) -> list[Commitment]:
    """All quantified commitments in the body spans of ``text``, in document order."""
    for span in body:
        if span.end > len(text):
            raise ValueError(f"Body span {span.start}-{span.end} runs past the text (length {len(text)})")
    folded = _fold(text)
    issue_year = _year_of(metadata.issue_date)
    heading = _HeadingYear()
    rows: list[Commitment] = []
    for span in sorted(body, key=lambda s: s.start):
        line_start = span.start
        while line_start < span.end:
            newline = folded.find("\n", line_start, span.end)
            line_end = span.end if newline < 0 else newline
            line = folded[line_start:line_end]
            if line.strip():
                line_year = heading.see_line(line)
                is_bullet = bool(_BULLET.match(line))
                previous: _Found | None = None  # a value with no words of its own borrows the last metric
                for c_start, c_end in _clauses(folded, line_start, line_end):
                    for found in _clause_commitments(text, folded, c_start, c_end, line_year, is_bullet,
                                                     issue_year, previous):
                        rows.append(_row(found, metadata, source, text))
                        previous = found
            line_start = line_end + 1
    return rows


def _year_of(iso_date: str | None) -> int | None:
    if iso_date is None:
        return None
    m = re.match(r"(\d{4})-\d{2}-\d{2}$", iso_date)
    if not m:
        raise ValueError(f"DocumentMetadata.issue_date must be ISO yyyy-mm-dd or None. Currently {iso_date!r}")
    return int(m.group(1))


def _clauses(folded: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces, cursor = [], start
    for m in _CLAUSE_END.finditer(folded, start, end):
        pieces.append((cursor, m.start()))
        cursor = m.end()
    pieces.append((cursor, end))
    out = []
    for s, e in pieces:
        while s < e and folded[s].isspace():
            s += 1
        while e > s and folded[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def _mentions(folded: str, start: int, end: int) -> list[_Mention]:
    found: list[_Mention] = []
    for m in _QUANTITY.finditer(folded, start, end):
        unit = next(_UNITS[i] for i in range(len(_UNITS)) if m.group(f"u{i}") is not None)
        value = parse_vn_number(m.group("num"))
        value_max = parse_vn_number(m.group("num2")) if m.group("num2") else None
        if value_max is not None and value_max < value:
            continue  # "2021 - 2020 ..." is not a range of a target
        found.append(_Mention(m.start(), m.end(), value, value_max, unit.label, unit.kind))
    for m in _RANK.finditer(folded, start, end):
        kw = m.group("kw") or m.group("kw2") or m.group("kw3")
        num = m.group("num") or m.group("num2") or m.group("num3")
        found.append(_Mention(m.start(), m.end(), float(num), None, RANK_UNIT, "rank", kw))
    found.sort(key=lambda x: (x.start, -x.end))
    kept: list[_Mention] = []
    for mention in found:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return kept


def _year_refs(folded: str, start: int, end: int) -> list[_YearRef]:
    refs = []
    for m in _YEAR.finditer(folded, start, end):
        before = folded[max(start, m.start() - 12):m.start()]
        if _DATE_BEFORE.search(before) or _BASELINE_BEFORE.search(before):
            continue  # "ngày 31 tháng 5 năm 2020" is a date; "so với năm 2020" is a baseline
        refs.append(_YearRef(m.start(), m.end(), int(m.group("y"))))
    return refs


@dataclass(frozen=True)
class _Found:
    mention: _Mention
    comparator: str
    year: int | None
    metric: str
    topic: str
    start: int
    end: int


def _split_gap(folded: str, start: int, end: int, years: list[_YearRef]) -> int:
    """Where one mention's trailing words end and the next mention's leading words begin."""
    for ref in years:
        if start <= ref.start and ref.end <= end:
            return ref.end
    head = _METRIC_HEAD.search(folded, start, end)
    if head:
        return head.start("h")
    separators = list(_SEPARATOR.finditer(folded, start, end))
    return separators[-1].end() if separators else end


def _clause_commitments(
    text: str, folded: str, c_start: int, c_end: int, heading_year: int | None, is_bullet: bool,
    issue_year: int | None, previous: _Found | None,
) -> list[_Found]:
    mentions = _mentions(folded, c_start, c_end)
    if not mentions:
        return []
    years = _year_refs(folded, c_start, c_end)
    cuts = [c_start]
    for left, right in zip(mentions, mentions[1:]):
        cuts.append(_split_gap(folded, left.end, right.start, years))
    cuts.append(c_end)
    clause = folded[c_start:c_end]
    index = next((ix for ix in _INDEXES if ix[2].search(clause)), None)

    out: list[_Found] = []
    for i, mention in enumerate(mentions):
        pre_start, after_end = cuts[i], cuts[i + 1]
        comparator, comp_start, past = _comparator(folded, pre_start, mention.start)
        bound = _AFTER_BOUND.match(folded, mention.end, after_end)
        if bound:
            comparator = _strongest([comparator, "tối thiểu" if bound.group("w") == "trở lên" else "tối đa"])
        after_start = bound.end() if bound else mention.end
        year_ref = next((r for r in years if r.start >= mention.end), None) or next(
            (r for r in reversed(years) if r.end <= mention.start), None
        )
        year = year_ref.year if year_ref else heading_year
        if past or (year and issue_year and year < issue_year):
            continue  # a reported result ("đã đạt 95%", "năm 2019 đứng thứ …"), not a target
        if mention.kind != "percent" and not (
            comparator or year_ref or _TARGET_VERB.search(clause) or (heading_year and is_bullet)
        ):
            continue  # "Thời gian chờ: 60 giây" on a web page is no target

        pre_s, pre_e = _trim(folded, _after_lead_verb(folded, pre_start, comp_start), comp_start)
        holes = [(r.start, r.end) for r in years]  # year phrases are the year field, not metric words
        pre = _clean_words(_words(text, pre_s, pre_e, holes))
        after = _clean_words(_words(text, after_start, after_end, holes))
        metric = _metric(mention, pre, after, index)
        quote_start = pre_s if pre_s < pre_e else (comp_start if comp_start < mention.start else mention.start)
        if not pre and (not after or _fold_phrase(after).startswith(("so với", "trên tổng số"))) and previous:
            # "… đạt 50% vào năm 2025 và đạt 55% vào năm 2030": the second value shares the first's metric
            metric = previous.metric + (f" {after}" if after else "")
            if previous.start >= c_start:  # same clause: quote both; from an earlier clause: quote this one
                quote_start = previous.start
        _, quote_end = _trim(folded, mention.start, after_end)
        topic = _topic(metric, mention, index[0] if index else None)
        found = _Found(mention, comparator, year, metric, topic, quote_start, max(quote_end, mention.end))
        out.append(found)
        previous = found
    return _share_predicates(text, folded, out, index[0] if index else None)


_PREDICATE = re.compile(r"(?<!\w)được(?!\w)")


def _share_predicates(text: str, folded: str, found: list[_Found], index_topic: str | None) -> list[_Found]:
    """'100% hồ sơ tại cấp tỉnh và 80% hồ sơ tại cấp xã được xử lý trên mạng': both share 'được xử lý …'."""
    out = list(found)
    for i in range(len(out) - 2, -1, -1):
        here, nxt = out[i], out[i + 1]
        gap = folded[here.end:nxt.mention.start]
        if _PREDICATE.search(_fold_phrase(here.metric)) or not re.fullmatch(r"\s*(?:,|và|hoặc)[\s\w]*", gap):
            continue
        predicate = _PREDICATE.search(folded, nxt.mention.end, nxt.end)
        if predicate is None:
            continue
        metric = f"{here.metric} {_words(text, predicate.start(), nxt.end)}"
        out[i] = _Found(here.mention, here.comparator, here.year, metric, _topic(metric, here.mention, index_topic),
                        here.start, nxt.end)
    return out


def _comparator(folded: str, pre_start: int, number_start: int) -> tuple[str, int, bool]:
    """Read comparator words backwards from the number: (canonical comparator, where they start, past?)."""
    pos, found, past = number_start, [], False
    window_start = max(pre_start, number_start - 60)
    while pos > pre_start:
        m = _TAIL.search(folded, window_start, pos)
        if not m:
            break
        word = m.group("w")
        if word == _PAST_WORD:
            past = True
        elif word in _COMPARATOR_WORDS:
            found.append(_COMPARATOR_WORDS[word])
        pos = m.start("w")
    return _strongest(found), pos, past


def _strongest(comparators: list[str]) -> str:
    for c in _COMPARATOR_PRIORITY:
        if c in comparators:
            return c
    return ""


def _after_lead_verb(folded: str, start: int, end: int) -> int:
    """'Nâng cao chất lượng …, bảo đảm 100% văn bản …': the metric starts after the lead-in verb."""
    start, _ = _trim(folded, start, end)
    first = _LEAD_VERB_FIRST.match(folded, start, end)
    if first:
        start = first.end()
    verbs = list(_LEAD_VERB_LATER.finditer(folded, start, end))
    return verbs[-1].end() if verbs else start


def _trim(folded: str, start: int, end: int) -> tuple[int, int]:
    m = _LEADING_JUNK.match(folded, start, end)
    if m:
        start = m.end()
    m = _TRAILING_JUNK.search(folded, start, end)
    if m and m.end() == end:
        end = m.start()
    return start, max(start, end)


def _words(text: str, start: int, end: int, holes: Sequence[tuple[int, int]] = ()) -> str:
    """text[start:end] without the holes that fall inside it, whitespace collapsed."""
    parts, cursor = [], start
    for h_start, h_end in sorted(holes):
        h_start, h_end = max(h_start, cursor), min(h_end, end)
        if h_start < h_end:
            parts.append(text[cursor:h_start])
            cursor = h_end
    parts.append(text[cursor:end])
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def _clean_words(words: str) -> str:
    words = re.sub(r"^/\s*0?1\s+", "mỗi ", words)  # "15 phút/01 lượt giao dịch"
    folded = _fold_phrase(words)
    m = _LEADING_JUNK.match(folded)
    if m:
        words, folded = words[m.end():], folded[m.end():]
    m = _TRAILING_JUNK.search(folded)
    if m and m.end() == len(folded):
        words = words[: m.start()]
    return words.strip()


def _metric(mention: _Mention, pre: str, after: str, index: tuple[str, str, re.Pattern[str]] | None) -> str:
    named = index is not None and bool(index[2].search(_fold_phrase(f"{pre} {after}")))
    if mention.kind == "rank":
        tail = " ".join(p for p in (mention.rank_word, after) if p)
        return f"xếp hạng {index[1]}: {tail}" if index else f"{pre} {tail}".strip()
    if mention.kind == "count" and mention.unit not in _fold_phrase(pre):
        after = f"{mention.unit} {after}".strip()
    metric = " ".join(p for p in (pre, after) if p)
    if mention.kind == "percent" and not pre and after and not _fold_phrase(after).startswith("tỷ lệ"):
        metric = f"tỷ lệ {after}"
    if mention.kind in ("score", "steps") and index and not named:
        metric = f"{index[1]}: {metric}"
    if len(metric) > 1 and metric[0].isupper() and metric[1].islower():
        metric = metric[0].lower() + metric[1:]  # "Số lượng …" at a sentence start; keep "TTHC", "PCI"
    return metric


def _topic(metric: str, mention: _Mention, index_topic: str | None) -> str:
    if mention.kind in ("score", "rank", "steps") and index_topic:
        return index_topic  # "tăng 0,3 điểm/năm", "tốp 5": the index named in the sentence decides
    if mention.unit in _UNIT_TOPIC:
        return _UNIT_TOPIC[mention.unit]
    topic = topic_of_words(metric)
    if topic is not None:
        return topic
    if mention.kind == "time":
        return "processing_time"
    return "other"


def topic_of_words(words: str, accent_insensitive: bool = False) -> str | None:
    """The topic that a phrase names by the rules that classify metrics, or None when no rule matches.

    Shared with the readers of the ledger (a question's topic must be decided the way a row's was).
    ``accent_insensitive`` matches the rules without diacritics, for text typed without them."""
    if accent_insensitive:
        text, rules = plain(words), _PLAIN_TOPIC_RULES
    else:
        text, rules = _fold_phrase(words), _TOPIC_RULES
    for topic, pattern in rules:
        if pattern.search(text):
            return topic
    return None


def unit_topics() -> dict[str, str]:
    """The count units that decide a row's topic on their own ("doanh nghiệp" → "enterprises")."""
    return dict(_UNIT_TOPIC)


def _row(found: _Found, metadata: DocumentMetadata, source: str, text: str) -> Commitment:
    m = found.mention
    return Commitment(
        source=source,
        province=metadata.province,
        doc_type=metadata.doc_type,
        number=metadata.number,
        issue_date=metadata.issue_date,
        metric=found.metric,
        value=m.value,
        value_max=m.value_max,
        unit=m.unit,
        comparator=found.comparator,
        year=found.year,
        topic=found.topic,
        quote=text[found.start:found.end],
        start=found.start,
        end=found.end,
    )
