"""Extract document metadata (province, issuer, type, number, date, period, signer, title) by rules.

Sources, in order of trust: a properties table ("Số hiệu", "Ngày ban hành", "Người ký"), the official
header ("Số: …", "Lai Châu, ngày 20 tháng 9 năm 2021"), the page title, then the body. The province may
come from the removed page chrome (a site footer) when the body never names it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ingest.document import CleanDocument, DocumentMetadata
from ingest.provinces import find_provinces
from ingest.textnorm import fold, plain
from ingest.vocab import read_lines, read_table

_DATA = Path(__file__).parent / "data"

# Document types as written (data/doc_types.txt); on a tie the earlier one wins.
DOC_TYPES: tuple[str, ...] = tuple(read_lines(_DATA / "doc_types.txt"))
# The code inside a document number names its type: 12-NQ/TU is a Nghị quyết of a Tỉnh ủy.
_TYPE_CODES: dict[str, str] = dict(read_table(_DATA / "doc_type_codes.tsv", 2))
# Issuers of central documents: a provincial document cites these, it is not one of them.
_CENTRAL_ISSUERS = frozenset(read_lines(_DATA / "central_issuer_codes.txt"))

_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,5}(?:/\d{4})?(?:\s?[-/]\s?[A-ZĐ][A-Za-zĐđ]*){1,3})(?![\w])"
)
_NUMBER_FIELD = re.compile(r"(?:^|\n)\s*(?:Số hiệu|Số)\s*:?\s*(\d{1,5}(?:/\d{4})?(?:\s?[-/]\s?[A-ZĐ][A-Za-zĐđ]*){1,3})")
_DATE_NUMERIC = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_ISSUE_DATE_FIELD = re.compile(r"Ngày ban hành\s*:?\s*(\d{1,2}/\d{1,2}/\d{4})")
_SIGNER_FIELD = re.compile(r"Người ký\s*:?\s*([^\n]+)")
_ISSUER_FIELD = re.compile(r"Cơ quan ban hành\s*:?\s*([^\n]+)")
_PERIOD = re.compile(r"giai đoạn\s+(\d{4})\s*[-–]\s*(\d{4})", re.IGNORECASE)
# Issuers as written (folded: lower case, canonical tones) → the form stored (data/issuer_forms.tsv). An
# official header breaks "ỦY BAN NHÂN DÂN" / "TỈNH LAI CHÂU" over two lines, so any whitespace may separate
# the words.
_ISSUER_FORMS: dict[str, str] = {fold(written): stored for written, stored in read_table(_DATA / "issuer_forms.tsv", 2)}
_ISSUERS = re.compile(
    "(" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_ISSUER_FORMS, key=len, reverse=True)) + ")"
)
# Lines of an official header that come before the title: the national motto and "Place, ngày … tháng …".
_NOT_TITLE = re.compile(
    r"^(cong hoa xa hoi chu nghia viet nam|doc lap\s*-\s*tu do\s*-\s*hanh phuc)|^[^,]{2,40},\s*ngay\s+\d")
_NAME = re.compile(r"^[A-ZÀ-Ỹ][a-zà-ỹ]+(?:\s+[A-ZÀ-Ỹ][a-zà-ỹ]+){1,4}$")


class MetadataExtractor:
    """Rules over the cleaned text. ``extract`` never raises: unknown fields stay None."""

    def extract(self, doc: CleanDocument) -> DocumentMetadata:
        text = doc.source.text
        body = doc.body_text()
        head = body[:3000]
        title = _title(doc)
        number = _number(text, head, title)
        doc_type = _doc_type(title, number, head)
        province = _province(doc, title)
        return DocumentMetadata(
            province=province,
            issuing_body=_issuer(text, title, head, number, province),
            doc_type=doc_type,
            number=number,
            issue_date=_issue_date(text, head, number),
            period=_period(title, head),
            signer=_signer(doc),
            signer_title=_signer_title(doc),
            title=title,
        )


def _title(doc: CleanDocument) -> str | None:
    """The page headline: the first body line of at least five words that is not official-header furniture."""
    for span in doc.body:
        line = doc.source.text[span.start : span.end].strip(" |")
        if len(line.split()) >= 5 and not _NOT_TITLE.match(plain(line)):
            return re.sub(r"\s+", " ", line)[:300]
    return None


def _local_numbers(text: str) -> list[str]:
    found = []
    for m in _NUMBER.finditer(text):
        number = re.sub(r"\s+", "", m.group(1))
        parts = re.split(r"[-/]", number)
        if not any(p in _TYPE_CODES for p in parts):
            continue  # "5/2020" or "6T1": not a document number
        if any(p in _CENTRAL_ISSUERS for p in parts):
            continue
        found.append(number)
    return found


def _number(text: str, head: str, title: str | None) -> str | None:
    field = _NUMBER_FIELD.search(text)
    if field:
        return re.sub(r"\s+", "", field.group(1))
    # "… ban hành Nghị quyết số 12-NQ/TU": the first local number near a type word.
    for source in (title or "", head):
        for m in re.finditer(r"(?:" + "|".join(DOC_TYPES) + r")\s+(?:số\s+)?", source, re.IGNORECASE):
            near = _local_numbers(source[m.end() : m.end() + 40])
            if near and source[m.end() : m.end() + 40].lstrip().startswith(near[0][:2]):
                return near[0]
    numbers = _local_numbers(head)
    return numbers[0] if numbers else None


def _doc_type(title: str | None, number: str | None, head: str) -> str | None:
    if title:
        first = _first_type(title)
        if first:
            return first
    if number:
        for part in re.split(r"[-/]", number):
            if part in _TYPE_CODES:
                return _TYPE_CODES[part]
    return _first_type(head[:500])


def _first_type(text: str) -> str | None:
    best: tuple[int, str] | None = None
    for t in DOC_TYPES:
        m = re.search(rf"(?<!\w){t}(?!\w)", text, re.IGNORECASE)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), t)
    return best[1] if best else None


def _province(doc: CleanDocument, title: str | None) -> str | None:
    """Most-mentioned province in the body (title counts triple); else the page chrome's."""
    text = doc.source.text
    votes: Counter[str] = Counter()
    for span in doc.body:
        for m in find_provinces(text[span.start : span.end]):
            votes[m.province] += 1
    for m in find_provinces(title or ""):
        votes[m.province] += 2
    if not votes:
        for span in doc.removed:
            for m in find_provinces(text[span.start : span.end]):
                votes[m.province] += 1
    if not votes:
        return None
    ranked = votes.most_common()
    return ranked[0][0]


def _issuer(text: str, title: str | None, head: str, number: str | None, province: str | None) -> str | None:
    field = _ISSUER_FIELD.search(text)
    if field:
        value = field.group(1).strip()
        if plain(value).startswith("tinh ") and number and "UBND" in number:
            return f"UBND tỉnh {value[5:].strip()}"
        return value
    for source in (title or "", head):
        m = _ISSUERS.search(fold(source))  # fold() keeps positions: m indexes ``source`` too
        if m:
            issuer = _ISSUER_FORMS[re.sub(r"\s+", " ", m.group(1))]
            after = source[m.end() : m.end() + 25]
            if province and plain(province) in plain(after[:len(province) + 2]):
                return f"{issuer} {province}"
            return f"{issuer} {province}" if province else issuer
    if number and province:
        if number.endswith("/TU"):
            return f"Tỉnh ủy {province}"
        if "UBND" in number:
            return f"UBND tỉnh {province}"
    return None


def _iso(d: str, m: str, y: str) -> str | None:
    day, month, year = int(d), int(m), int(y)
    if not (1 <= day <= 31 and 1 <= month <= 12 and 1900 <= year <= 2100):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _issue_date(text: str, head: str, number: str | None) -> str | None:
    field = _ISSUE_DATE_FIELD.search(text)
    if field:
        return _iso(*field.group(1).split("/"))
    # The official header: "Lai Châu, ngày 20 tháng 9 năm 2021" on a line of its own.
    header = re.search(r"^[^\n]{2,40},\s*" + _DATE_WORDS.pattern, text, re.IGNORECASE | re.MULTILINE)
    if header:
        return _iso(*header.groups()[-3:])
    if number:
        # "số 03-NQ/TU ngày 21 tháng 01 năm 2021" or "Ngày 29/7/2021, … ban hành … số 12-NQ/TU"
        at = head.find(number)
        if at >= 0:
            after = head[at + len(number) : at + len(number) + 40]
            m = re.match(r"\s*,?\s*ngày\s+", after, re.IGNORECASE)
            if m:
                rest = after[m.start():]
                words = _DATE_WORDS.search(rest)
                numeric = _DATE_NUMERIC.search(rest)
                if words:
                    return _iso(*words.groups())
                if numeric:
                    return _iso(*numeric.groups())
            sentence_start = max(head.rfind(". ", 0, at), head.rfind("\n", 0, at)) + 1
            before = head[sentence_start:at]
            m = re.search(r"[Nn]gày\s+(\d{1,2})/(\d{1,2})/(\d{4})", before)
            if m and "ban hành" in before:
                return _iso(*m.groups())
    return None


def _period(title: str | None, head: str) -> str | None:
    for source in (title or "", head):
        m = _PERIOD.search(source)
        if m:
            return f"{m.group(1)}-{m.group(2)}"
    return None


def _signer(doc: CleanDocument) -> str | None:
    text = doc.source.text
    field = _SIGNER_FIELD.search(text)
    if field:
        return field.group(1).strip()
    # A signature block: "(Đã ký)" or a title line (CHỦ TỊCH, PHÓ BÍ THƯ …) followed by a personal name.
    lines = [text[s.start : s.end].strip() for s in doc.body]
    for i, line in enumerate(lines):
        if plain(line).strip("() ") in ("da ky", "ky", "da ky va dong dau"):
            for candidate in lines[i + 1 : i + 3]:
                if _NAME.match(candidate):
                    return candidate
    return None


_SIGNED = ("da ky", "ky", "da ky va dong dau")
# "T/M BAN THƯỜNG VỤ", "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH": on behalf of the body, not a position
_ON_BEHALF = re.compile(r"^(?:t/m|tm\.?|kt\.?|q\.?|tuq\.?|ttl\.?)\s", re.IGNORECASE)


def _signer_title(doc: CleanDocument) -> str | None:
    """The signer's position in a signature block: the capitalised line just above "(Đã ký)" or the name
    ("PHÓ BÍ THƯ" under "T/M BAN THƯỜNG VỤ"); lines that sign on behalf of a body are passed over."""
    text = doc.source.text
    lines = [text[s.start : s.end].strip() for s in doc.body]
    for i, line in enumerate(lines):
        if plain(line).strip("() ") in _SIGNED or _NAME.match(line):
            above = [x for x in lines[max(0, i - 3) : i] if x and plain(x).strip("() ") not in _SIGNED]
            for candidate in reversed(above):
                if candidate.isupper() and 1 <= len(candidate.split()) <= 6 and not _ON_BEHALF.match(candidate):
                    return candidate
    return None
