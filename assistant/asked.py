"""What kind of answer a question wants: a figure, a date, a document number, a person, a frequency or
text; the unit of the figure; the noun it counts; whether it asks for a list.

Cues are matched with diacritics when the question has them: without accents "đạt" (reach) is "đất"
(land) and "mấy" (how many) is "máy" (machine), so "thông tin gì về đất đai" is no figure question.
Patterns are written with diacritics and compared accent-less for questions typed without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.types import Query
from ingest.textnorm import fold, has_diacritics, plain


class AskedFor:
    NUMBER = "number"
    DATE = "date"
    DOC_NUMBER = "doc_number"
    PERSON = "person"
    POSITION = "position"  # the signer's position: "ký với chức vụ gì"
    FREQUENCY = "frequency"
    TEXT = "text"


_POSITION = r"chức vụ|chức danh|cương vị|what position|which position|what title|in what capacity|what capacity"
_PERSON = r"ai ký|người ký|ký bởi|ai là người ký|who signed|signer|signatory|signed by"
_DATE = r"ngày nào|khi nào|bao giờ|ngày ban hành|thời gian ban hành|đăng ngày|ngày đăng|when|what date|which date"
_DOC_NUMBER = (r"(?:nghị quyết|nghị định|văn bản|công văn|quyết định|chỉ thị|kế hoạch|thông tư) (?:nào|số mấy)|"
               r"(?:which|what) (?:resolution|decree|document|directive|decision|official letter)s?|"
               r"số hiệu|(?<!có )số mấy|số bao nhiêu|document number|what number|ký hiệu|số văn bản|"
               r"số nghị quyết|số kế hoạch|số quyết định")
_FREQUENCY = r"how often|how frequently|bao lâu một lần|mấy lần|định kỳ|thường xuyên đến mức nào"
# Asks for a quantity outright.
_NUMBER = (r"bao nhiêu|mấy|tỷ lệ|phần trăm|how much|how many|what percentage|what percent|what share|"
           r"what proportion|percent|bao lâu|how long|xếp thứ|xếp hạng|đứng thứ|vị trí thứ|ranking|ranked|rank")
# Asks for things named in words: "cơ quan nào chủ trì", "những giải pháp nào", "what measures".
_TEXT = (r"(?:cơ quan|đơn vị|sở|ngành|giải pháp|nhiệm vụ|nội dung|lĩnh vực|thông tin|vấn đề|hình thức|biện pháp|"
         r"chương trình|đề án|khâu|đột phá|trọng tâm|phương thức|yêu cầu|cấp|ai) nào|những gì|những ai|gồm những|"
         r"bao gồm|liệt kê|kể tên|chủ trì|thông tin gì|what are|which (?:agency|agencies|body|bodies|unit|units|"
         r"measures|solutions|tasks|areas|fields|breakthroughs)|what (?:measures|solutions|tasks|information|areas)|"
         r"who (?:is|are) responsible|who leads|who chairs")
# Words that mark a target question but also come with text answers ("để đạt mục tiêu", "mục tiêu là gì").
_TARGET = r"target|chỉ tiêu|mục tiêu|cắt giảm|tối thiểu|tối đa|đạt"
_LIST = r"những|gồm|liệt kê|kể tên|các \w+ nào|list|which \w+s\b|what are"

_UNITS = (
    ("money", r"bao nhiêu tiền|hết bao nhiêu tiền|kinh phí|tỷ đồng|triệu đồng|nghìn đồng|how much money|budget|"
              r"funding|vnd"),
    ("percent", r"phần trăm|tỷ lệ|percent|percentage|what share|what proportion"),
    ("time", r"bao lâu|mấy phút|bao nhiêu phút|how long|how many minutes|minutes"),
    ("rank", r"xếp thứ|xếp hạng|đứng thứ|vị trí thứ|ranking|ranked|rank"),
)
# "mấy cấp chính quyền", "bao nhiêu nhiệm vụ": the noun a bare number must stand before ("3 cấp").
_COUNTED = re.compile(r"(?:mấy|bao nhiêu)\s+(\w+)")
_NOT_COUNTED = {"phần", "tiền", "lần", "phút", "ngày", "giờ", "năm", "tháng"}


@lru_cache(maxsize=None)
def _cue(pattern: str, accented: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern if accented else plain(pattern)})(?!\w)")


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


def _kind(query: Query, own: bool) -> str | None:
    for kind, pattern in ((AskedFor.POSITION, _POSITION), (AskedFor.PERSON, _PERSON), (AskedFor.DATE, _DATE), (AskedFor.DOC_NUMBER, _DOC_NUMBER),
                          (AskedFor.FREQUENCY, _FREQUENCY), (AskedFor.NUMBER, _NUMBER), (AskedFor.TEXT, _TEXT),
                          (AskedFor.NUMBER, _TARGET)):
        if has_cue(pattern, query, own):
            return kind
    return None


def asked_unit(query: Query) -> str | None:
    """The kind of quantity asked for, when the question says: a percentage is no answer to "how much money"."""
    return next((kind for kind, pattern in _UNITS if has_cue(pattern, query)), None)


def asks_list(query: Query) -> bool:
    """"Những nghị định nào", "kể tên", "which decrees": every item of the sentence is the answer."""
    return has_cue(_LIST, query)


def counted_noun(query: Query) -> str | None:
    """The noun of "mấy cấp", "bao nhiêu nhiệm vụ" (folded), when the question counts things."""
    if not has_diacritics(query.text):
        return None  # accent-less "may" is also "máy"; the noun alone would match too loosely
    m = _COUNTED.search(fold(query.text))
    return m.group(1) if m and m.group(1) not in _NOT_COUNTED else None


@dataclass(frozen=True)
class Ask:
    """Everything the answerer needs to know about the form of the answer, read once per question."""

    want: str
    unit: str | None = None  # "percent", "money", "time", "rank"
    noun: str | None = None  # counted noun, folded: "cấp"
    is_list: bool = False


def ask_of(query: Query) -> Ask:
    return Ask(asked_for(query), asked_unit(query), counted_noun(query), asks_list(query))
