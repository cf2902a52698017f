"""What kind of answer a question wants: a figure, a date, a document number, a person, a frequency or
text; the unit of the figure; the noun it counts; whether it asks for a list.

Cues are matched with diacritics when the question has them: without accents "đạt" (reach) is "đất"
(land) and "mấy" (how many) is "máy" (machine), so "thông tin gì về đất đai" is no figure question.
Patterns are written with diacritics and compared accent-less for questions typed without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.question.understand import glossary_matches
from assistant.types import Query
from ingest.textnorm import canonical_tones, fold, has_diacritics, plain, strip_accents
from ingest.vocab import read_kinds


class AskedFor:
    NUMBER = "number"
    DATE = "date"
    DOC_NUMBER = "doc_number"
    PERSON = "person"
    POSITION = "position"  # the signer's position: "ký với chức vụ gì"
    ISSUER = "issuer"  # the body that issued the document: "cơ quan nào ban hành", "who issued"
    BODY = "body"  # a body that does something: "cơ quan nào chủ trì", "which department"
    FREQUENCY = "frequency"
    TEXT = "text"


# The cues of each kind of answer, as regex alternations (data/answer_cues.tsv: its header says what each
# kind means). Matched with diacritics, or accent-less for questions typed without them (``_cue``).
_CUE_KINDS = ("position", "issuer", "person", "body", "date", "doc_number", "frequency", "rank", "number", "text",
              "target", "list", "which_provinces", "money", "percent", "time", "describe", "summary")
_CUES = {kind: "|".join(canonical_tones(cue) for cue in cues)
         for kind, cues in read_kinds(Path(__file__).parent / "data" / "answer_cues.tsv", _CUE_KINDS).items()}

_POSITION = _CUES["position"]
_ISSUER = _CUES["issuer"]
_PERSON = _CUES["person"]
_DATE = _CUES["date"]
_DOC_NUMBER = _CUES["doc_number"]
_FREQUENCY = _CUES["frequency"]
_RANK = _CUES["rank"]
# Asks for a quantity outright.
_NUMBER = f"{_CUES['number']}|{_RANK}"
# Asks for things named in words: "cơ quan nào chủ trì", "những giải pháp nào", "what measures".
_TEXT = _CUES["text"]
_BODY = _CUES["body"]
# Asks for an explanation or a description (a few sentences or items), or a document's summary.
_DESCRIBE = _CUES["describe"]
_SUMMARY = _CUES["summary"]
# Words that mark a target question but also come with text answers ("để đạt mục tiêu", "mục tiêu là gì").
_TARGET = _CUES["target"]
_LIST = _CUES["list"]

# In order: the first unit whose cue the question has is the unit asked for.
_UNITS = (("money", _CUES["money"]), ("percent", _CUES["percent"]), ("time", _CUES["time"]), ("rank", _RANK))
# "mấy cấp chính quyền", "bao nhiêu nhiệm vụ": the noun a bare number must stand before ("3 cấp").
_COUNTED = re.compile(r"(?:mấy|bao nhiêu)\s+(\w+(?:\s+\w+){0,2})")
# Not nouns that are counted: units the unit check covers, and words that follow "bao nhiêu" in "xếp thứ
# bao nhiêu trong cả nước", "mức bao nhiêu cho năm 2025"; in English, adjectives before the noun
# (data/not_counted_words.tsv).
_NOT_COUNTED_WORDS = read_kinds(Path(__file__).parent / "data" / "not_counted_words.tsv", ("vi", "en"))
_NOT_COUNTED = {fold(w) for w in _NOT_COUNTED_WORDS["vi"]}
_NOT_COUNTED_PLAIN = _NOT_COUNTED | {plain(w) for w in _NOT_COUNTED}
_EN_NOT_COUNTED = {w.lower() for w in _NOT_COUNTED_WORDS["en"]}


@cache
def _cue(pattern: str, accented: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern if accented else strip_accents(pattern).lower()})(?!\w)")


def has_cue(pattern: str, query: Query, own: bool = False) -> bool:
    """Whether the question (and, for a follow-up, the topic it carries over, unless ``own``) has the cue."""
    text = query.text if own or not query.inherited else f"{query.keywords_vi} {query.text}"
    accented = has_diacritics(query.text)
    return bool(_cue(pattern, accented).search(fold(text) if accented else plain(text)))


def asked_for(query: Query) -> str:
    """A follow-up's own words decide first ("Ông ấy ký với chức vụ gì?" after "Ai ký …?" asks for text);
    "còn năm 2030 thì sao?" has none, and asks what the previous question asked."""
    return _kind(query, own=True) or _kind(query, own=False) or (
        AskedFor.NUMBER if query.years and not has_cue(_LIST, query) else AskedFor.TEXT)  # "… năm 2030?": a figure


# In order: the first kind whose cue the question has wins ("bao nhiêu" before "mục tiêu").
_KINDS = ((AskedFor.POSITION, _POSITION), (AskedFor.ISSUER, _ISSUER), (AskedFor.PERSON, _PERSON),
          (AskedFor.DATE, _DATE), (AskedFor.DOC_NUMBER, _DOC_NUMBER), (AskedFor.FREQUENCY, _FREQUENCY),
          (AskedFor.NUMBER, _NUMBER), (AskedFor.BODY, _BODY), (AskedFor.TEXT, _TEXT), (AskedFor.NUMBER, _TARGET))


def _kind(query: Query, own: bool) -> str | None:
    for kind, pattern in _KINDS:
        if has_cue(pattern, query, own):
            return kind
    return None


def asked_kinds(query: Query) -> tuple[str, ...]:
    """Every kind the question's own words ask for, in the order of ``_KINDS`` ("do cơ quan nào chủ trì và
    hạn hoàn thành khi nào?": a date and a body)."""
    return tuple(dict.fromkeys(kind for kind, pattern in _KINDS[:-1] if has_cue(pattern, query, own=True)))


def asks_description(query: Query) -> bool:
    """"Những giải pháp nào", "vì sao", "như thế nào", "what does … require": a few sentences or items."""
    return has_cue(_DESCRIBE, query, own=True)


def asks_summary(query: Query) -> bool:
    """"Tóm tắt kế hoạch …", "summarize": the document's parts and objectives."""
    return has_cue(_SUMMARY, query, own=True)


def asked_unit(query: Query) -> str | None:
    """The kind of quantity asked for, when the question says: a percentage is no answer to "how much money"."""
    return next((kind for kind, pattern in _UNITS if has_cue(pattern, query)), None)


_WHICH_PROVINCES = _CUES["which_provinces"]


def asks_which_provinces(query: Query) -> bool:
    """"Tỉnh nào đặt mục tiêu …?": the answer is a list of provinces (when the question names none)."""
    return not query.provinces and has_cue(_WHICH_PROVINCES, query, own=True)


def asked_quantities(query: Query) -> int:
    """How many quantities the question's own words ask for: "bao nhiêu trạm BTS, trong đó bao nhiêu trạm
    5G?" asks for two."""
    accented = has_diacritics(query.text)
    return len(_cue(_CUES["number"], accented).findall(fold(query.text) if accented else plain(query.text)))


def asks_quantity(query: Query) -> bool:
    """"bao nhiêu", "how much", "tỷ lệ": one figure is asked for, of something the question must name."""
    return has_cue(_NUMBER, query)


def asks_list(query: Query) -> bool:
    """"Những nghị định nào", "kể tên", "which decrees": every item of the sentence is the answer."""
    return has_cue(_LIST, query)


def counted_noun(query: Query) -> str | None:
    """The noun (folded, up to three syllables) a question counts: "mấy cấp chính quyền" → "cấp chính quyền",
    "bao nhiêu doanh nghiệp" → "doanh nghiệp", "how many enterprises" → "doanh nghiệp" (the glossary)."""
    if query.language == "en":  # "how many main tasks": the first word the glossary knows, past adjectives
        m = re.search(r"\bhow many ((?:\w+\s+){0,2}\w+)", query.text.lower())
        words = [w for w in (m.group(1).split() if m else []) if w not in _EN_NOT_COUNTED]
        found, _ = glossary_matches(words[0]) if words else ([], "")
        noun = fold(found[0][1][0]) if found else None
    elif has_diacritics(query.text):
        m = _COUNTED.search(fold(query.text))
        noun = m.group(1) if m else None
    else:  # accent-less "may" is also "máy" (machine): only "bao nhieu" counts; the noun stays accent-less
        m = re.search(r"\bbao nhieu\s+(\w+(?:\s+\w+){0,2})", plain(query.text))
        noun = m.group(1) if m else None
    return noun if noun and noun.split()[0] not in _NOT_COUNTED_PLAIN else None


@dataclass(frozen=True)
class Ask:
    """Everything the answerer needs to know about the form of the answer, read once per question."""

    want: str
    unit: str | None = None  # "percent", "money", "time", "rank"
    noun: str | None = None  # counted noun, folded: "cấp"
    is_list: bool = False
    also: tuple[str, ...] = ()  # the other kinds the question asks for ("… và hạn hoàn thành khi nào?")
    describe: bool = False  # an explanation or description: a few sentences or items
    summary: bool = False  # a summary of a document


def ask_of(query: Query) -> Ask:
    unit = asked_unit(query)  # a unit says what kind of figure; then no noun is counted
    want = asked_for(query)
    also = tuple(k for k in asked_kinds(query) if k != want)
    return Ask(want, unit, None if unit else counted_noun(query), asks_list(query), also,
               asks_description(query), asks_summary(query))
