"""Extract document metadata by rules: province, issuer, type, number, issue and effective dates, period,
signer and the signer's position, title.

Three layouts are read, by their structure rather than by phrases:

- the official layout of a Vietnamese administrative document: the letterhead ("ỦY BAN NHÂN DÂN" / "TỈNH X",
  left of the national motto), "Số: …", "X, ngày … tháng … năm …", the type line (**QUYẾT ĐỊNH**) and the
  trích yếu below it, the authority line ("CHỦ TỊCH ỦY BAN NHÂN DÂN …"), and at the end the signature block
  (position lines such as "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" above a personal name). Portals print it as markdown:
  bold and italic runs broken over lines, table cells one per line between "|" lines;
- a legal-text portal's properties table above it ("Số hiệu", "Loại văn bản", "Nơi ban hành", "Người ký",
  "Ngày ban hành", "Ngày hiệu lực"), trusted first where its values are values (not "Đã biết");
- a news or Q&A page: its headline, and the sentence that reports the document ("Ngày 29/7/2021, Tỉnh ủy Điện
  Biên đã ban hành Nghị quyết số 12-NQ/TU …").

The province is the issuer's (the letterhead's, the portal's "Nơi ban hành", the body that a news page says
issued the document), never a province the text merely mentions; a national body (Chính phủ, a ministry) has
none. A provincial body that the page names without its province ("UBND tỉnh vừa có Quyết định …") takes the
headline's, else the site's (the page chrome), else the one the text names most; a page that names no issuer at
all takes only the province its headline names.

Values are written as the text writes them, so that the answerer can find them again: the signer and the
position as in the signature block (one space between words), the number as printed; dates are ISO
(yyyy-mm-dd); the issuer in the stored form of data/issuer_forms.tsv and data/central_issuers.tsv; the title is
the type line and the trích yếu ("Quyết định về việc ban hành Kế hoạch …", an all-capitals trích yếu in sentence
case), else the page's headline.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ingest.document import CleanDocument, DocumentMetadata
from ingest.provinces import ProvinceMention, find_provinces, unit_kind
from ingest.textnorm import fold, plain
from ingest.vocab import read_kinds, read_lines, read_table

_DATA = Path(__file__).parent / "data"

# Document types as written (data/doc_types.txt); on a tie the earlier one wins.
DOC_TYPES: tuple[str, ...] = tuple(read_lines(_DATA / "doc_types.txt"))
_TYPE_BY_FOLD = {fold(t): t for t in DOC_TYPES}
_TYPES = "|".join(sorted((re.escape(t).replace(r"\ ", r"\s+") for t in DOC_TYPES), key=len, reverse=True))
# The code inside a document number names its type: 12-NQ/TU is a Nghị quyết of a Tỉnh ủy.
_TYPE_CODES: dict[str, str] = dict(read_table(_DATA / "doc_type_codes.tsv", 2))
# National bodies: the code in their numbers, their name, other ways a letterhead writes them.
_CENTRAL: dict[str, str] = {code: name for code, name, _ in read_table(_DATA / "central_issuers.tsv", 3)}
_CENTRAL_WRITTEN: list[tuple[str, str]] = sorted(
    [(fold(name), name) for name in _CENTRAL.values()]
    + [(fold(w.strip()), name) for _, name, other in read_table(_DATA / "central_issuers.tsv", 3)
       for w in other.split(",") if w.strip() not in ("", "-")],
    key=lambda pair: -len(pair[0]))
# Provincial bodies as written → the stored form, with {unit} ("tỉnh X") or {name} ("X") for the province.
_LOCAL_FORMS: list[tuple[str, str]] = sorted(((fold(w), stored) for w, stored in
                                              read_table(_DATA / "issuer_forms.tsv", 2)), key=lambda p: -len(p[0]))
# The provincial issuer codes of a number, and the body each stands for.
_LOCAL_CODES: dict[str, str] = dict(read_table(_DATA / "local_issuer_codes.tsv", 2))
_PORTAL_LABELS: list[tuple[str, str]] = sorted(((fold(label), field) for label, field in
                                                read_table(_DATA / "portal_fields.tsv", 2)), key=lambda p: -len(p[0]))
_CUES = read_kinds(_DATA / "metadata_cues.tsv", ("issued", "cites"))
_CAPITALS: tuple[str, ...] = tuple(read_lines(_DATA / "title_capitals.txt"))

_NUMBER = r"\d{1,5}(?:/\d{4})?(?:\s?[-/]\s?[A-ZĐ][A-Za-zĐđ]*\d*){1,3}"
_NUMBER_AT = re.compile(rf"({_NUMBER})(?![\w])")
_DATE_WORDS = r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_DATE_NUMERIC = r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})"
_PERIOD = re.compile(r"(?:giai\s+đoạn|nhiệm\s+kỳ|thời\s+kỳ|năm)\s+(\d{4})\s*[-–—]\s*(\d{4})", re.IGNORECASE)
# "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "T/M BAN THƯỜNG VỤ", "K/T CHÁNH VĂN PHÒNG": signing on behalf of a
# body or a superior, not a position
_ON_BEHALF = re.compile(r"^(?:t/m|k/t|tm|kt|q|tuq|tl|ttl)(?:\.\s*|\s+)", re.IGNORECASE)
_SIGNED = re.compile(r"^\(?\s*(?:đã ký|ký|đã ký và đóng dấu)\s*\)?$", re.IGNORECASE)


# --- the text as lines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """A logical line: raw lines joined while a bold or italic run is open ("**QUYẾT\\nĐỊNH**"), markup gone."""

    text: str  # markup removed, whitespace collapsed
    bold: bool  # starts a bold run
    italic: bool  # starts an italic run
    heading: bool  # a markdown heading ("# …")
    dashes: bool  # a rule ("-----", "___"): it closes a header block
    blank: bool  # nothing but markup and table pipes

    @property
    def upper(self) -> bool:
        return _in_capitals(self.text)


def _in_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _strip(raw: str) -> str:
    text = re.sub(r"\*+|_{2,}|^\s*#+\s|\|", " ", raw)
    return re.sub(r"\s+", " ", text).strip()


def _lines(text: str) -> list[_Line]:
    pieces: list[str] = []
    for line in text.split("\n"):
        pieces.extend(re.split(r"(?<=\*\*)(?=\*\*)", _mend_words(line)))
    out: list[_Line] = []
    i = 0
    while i < len(pieces):
        first = pieces[i].strip()
        joined, j = first, i
        while j + 1 < len(pieces) and j - i < 3 and _open_run(joined):
            j += 1
            joined = f"{joined}\n{pieces[j].strip()}"
        stripped = _strip(joined)
        out.append(_Line(text=stripped, bold=first.startswith("**"), italic=first.startswith("*") and
                         not first.startswith("**"), heading=first.startswith("#"),
                         dashes=bool(re.fullmatch(r"[-_=–—]{3,}\s*\|?", first)), blank=not stripped))
        i = j + 1
    return out


def _mend_words(line: str) -> str:
    """ "**NGHỊ ĐỊNH****Về …**" is two bold runs; "**Lê Hải H****òa**" one word that the portal's markup broke."""
    return re.sub(r"(?<=\w)\*{4}(?=\w)", lambda m: "" if m.string[m.end()].islower() else m.group(0), line)


def _open_run(text: str) -> bool:
    """A bold or italic run opened and not closed: the next raw line continues it."""
    bolds = len(re.findall(r"\*\*", text))
    singles = len(re.findall(r"(?<!\*)\*(?!\*)", text))
    return bolds % 2 == 1 or singles % 2 == 1


def _flat(text: str) -> str:
    """The text without markup, all whitespace one space: for sentences that a layout breaks over lines."""
    return re.sub(r"\s+", " ", re.sub(r"\*+|_{2,}|\|", " ", text))


def _iso(d: str, m: str, y: str) -> str | None:
    day, month, year = int(d), int(m), int(y)
    if not (1 <= day <= 31 and 1 <= month <= 12 and 1900 <= year <= 2100):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_in(text: str) -> str | None:
    """The first date written in ``text`` ("ngày 5 tháng 3 năm 2022" or "05/3/2022")."""
    m = re.search(_DATE_WORDS, text, re.IGNORECASE) or re.search(_DATE_NUMERIC, text)
    return _iso(*m.groups()) if m else None


def _is_name(text: str) -> bool:
    """A personal name: two to five capitalised words ("Nguyễn Văn A", "Hồ Thị Nguyên Thảo")."""
    words = text.split()
    return 2 <= len(words) <= 5 and all(w.isalpha() and w[0].isupper() and (len(w) == 1 or w[1:].islower())
                                        for w in words)


# --- portal properties -----------------------------------------------------------------------------------


def _portal_properties(lines: list[_Line]) -> dict[str, str]:
    """The portal's properties above the letterhead: {field: value}, values checked for their field's shape."""
    found: dict[str, str] = {}
    for i, line in enumerate(lines[:120]):
        if line.blank:
            continue
        folded = fold(line.text)
        label = next(((lab, field) for lab, field in _PORTAL_LABELS
                      if re.match(rf"{re.escape(lab)}(?:\s*:|\s|$)", folded)), None)
        if label is None:
            continue
        value = line.text[len(label[0]):].lstrip(" :")
        if not value:
            value = next((x.text for x in lines[i + 1 : i + 4] if not x.blank), "")
            if any(re.match(rf"{re.escape(lab)}(?:\s*:|$)", fold(value)) for lab, _ in _PORTAL_LABELS):
                value = ""
        field = label[1]
        if field == "number" and re.fullmatch(_NUMBER, value):
            found.setdefault(field, re.sub(r"\s+", "", value))
        elif field in ("issue_date", "effective_date") and re.fullmatch(_DATE_NUMERIC, value):
            iso = _iso(*re.fullmatch(_DATE_NUMERIC, value).groups())
            if iso:
                found.setdefault(field, iso)
        elif field == "signer" and _is_name(value):
            found.setdefault(field, value)
        elif field in ("doc_type", "issuer") and value and re.search(r"\w", value):
            found.setdefault(field, value)
    return found


# --- the official header -------------------------------------------------------------------------------


@dataclass
class _Header:
    letterhead: list[str]  # the issuer's lines left of the motto, as written
    number: str | None = None
    issue_date: str | None = None
    place: str | None = None  # "Hà Giang" in "Hà Giang, ngày 15 tháng 4 năm 2022"
    doc_type: str | None = None
    abstract: str | None = None  # the trích yếu as written (lines joined)
    authority: str | None = None  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA"
    end: int = 0  # the first line after the header

    @property
    def found(self) -> bool:
        return bool(self.letterhead or self.number or self.doc_type)


def _motto_at(lines: list[_Line]) -> int | None:
    """The national motto (or the Party's "ĐẢNG CỘNG SẢN VIỆT NAM"), in capitals, near the top."""
    for i, line in enumerate(lines[:300]):
        p = plain(line.text)
        if line.upper and ("cong hoa xa hoi chu nghia viet nam" in p or p.startswith("dang cong san viet nam")):
            return i
        if re.fullmatch(r"doc lap\s*-\s*tu do\s*-\s*hanh phuc", p):
            return i
    return None


def _official_header(lines: list[_Line]) -> _Header:
    motto = _motto_at(lines)
    header = _Header(letterhead=[])
    if motto is not None:
        header.letterhead = _lines_above(lines, motto)
    start = motto if motto is not None else 0
    window = range(max(0, start - 2), min(len(lines), start + (16 if motto is not None else 12)))
    # "Số: 210/2025/QĐ-UBND", "Số:" / "44/2025/QĐ-UBND", "Số 2696/QĐ-UBND"
    at = start
    for i in window:
        m = re.match(r"Số(?!\s*(?:hiệu|công báo))\s*:?\s*(.*)$", lines[i].text)
        if not m:
            continue
        value = m.group(1) or next((x.text for x in lines[i + 1 : i + 3] if not x.blank), "")
        number = _NUMBER_AT.match(value)
        if number:
            header.number, at = re.sub(r"\s+", "", number.group(1)), i
            if motto is None:  # a letterhead without the motto: the lines in capitals above the number
                header.letterhead = _lines_above(lines, i)
            break
    # the type line: a line that is a document type, in capitals (maybe a markdown heading)
    type_at = None
    for i in range(at, min(len(lines), at + 14)):
        t = _TYPE_BY_FOLD.get(fold(lines[i].text))
        if t and lines[i].upper and (header.number or motto is not None):
            header.doc_type, type_at = t, i
            break
    stop = type_at if type_at is not None else min(len(lines), at + 6)
    head_text = " ".join(x.text for x in lines[max(0, start - 1) : stop + 1])
    date = re.search(r"([^\d,|]{2,40}),\s*" + _DATE_WORDS, head_text, re.IGNORECASE)
    if date:
        header.issue_date = _iso(*date.groups()[1:])
        header.place = date.group(1).strip()
    if type_at is not None:
        header.abstract, header.end = _abstract(lines, type_at + 1)
    elif header.number:
        # a letter (công văn) has no type line: its trích yếu ("V/v …", "Về …") sits under the number
        for i in range(at + 1, min(len(lines), at + 4)):
            m = re.match(r"(?:V/v|Về)\b.*", lines[i].text)
            if m:
                header.abstract, header.end = re.sub(r"^V/v\s*", "", m.group(0)), i + 1
                break
    if header.abstract:
        for line in lines[header.end : header.end + 3]:
            if line.blank or line.dashes:
                continue
            if line.upper and _issuer_match(line.text) is not None:
                header.authority = line.text
            break
    return header


def _lines_above(lines: list[_Line], at: int) -> list[str]:
    """The issuer's lines of a letterhead: the lines in capitals right above line ``at`` (the motto's, or the
    number's when the motto is missing), up to a line that is not in capitals (a portal's property value)."""
    found: list[str] = []
    k = at - 1
    while k >= 0 and len(found) < 5:
        line = lines[k]
        if line.blank or line.dashes or re.fullmatch(r"[\W_]*", line.text):
            k -= 1
            continue
        if not line.upper or any(fold(line.text).startswith(lab) for lab, _ in _PORTAL_LABELS):
            break
        found.insert(0, line.text)
        k -= 1
    return found


def _abstract(lines: list[_Line], first: int) -> tuple[str | None, int]:
    """The trích yếu under the type line, and the line after it. In capitals it runs over blank lines until a
    line that is not in capitals or starts a new bold or italic run (the authority line, "Căn cứ …"); in
    ordinary case it is one line, and the lines that continue its sentence."""
    parts: list[str] = []
    upper = False
    i = first
    while i < min(len(lines), first + 14):
        line = lines[i]
        if line.blank:
            if parts and not upper:
                break
            i += 1
            continue
        if line.dashes:
            if parts:
                break
            i += 1
            continue
        if not parts:
            if re.match(r"(?:căn cứ|điều\s+\d|chương\s+[ivx\d])", fold(line.text)):
                return None, first
            parts.append(line.text)
            upper = line.upper
        elif upper:
            if not line.upper or line.bold or line.italic or line.heading:
                break
            parts.append(line.text)
        else:
            if line.bold or line.italic or line.heading or not line.text[:1].islower():
                break
            parts.append(line.text)
        i += 1
    return (" ".join(parts) or None), i


def _sentence_case(text: str) -> str:
    """An all-capitals trích yếu as a title writes it: lower case, but for province names, documents named
    (a type before a number or after "ban hành"), departments ("Sở Tài chính") and data/title_capitals.txt;
    words with digits and Roman numerals as written."""
    if not _in_capitals(text):  # as written, but for the capital a title's first word has ("Về hợp đồng …")
        proper = re.match(r"\w+\s*\d|[A-ZĐ]{2,}\b", text) or any(m.start == 0 for m in find_provinces(text))
        return text if proper else text[:1].lower() + text[1:]
    low = text.lower()
    if len(low) != len(text):
        return low
    chars = list(low)

    def put(start: int, value: str) -> None:
        chars[start : start + len(value)] = list(value)

    for m in re.finditer(r"\S*\d\S*|(?<!\w)[IVXLC]+(?!\w)", text):  # numbers, codes, Roman numerals as written
        put(m.start(), m.group(0))
    # a department ("sở tài chính", "sở khoa học và công nghệ") is a name: its fields start with a capital
    for m in re.finditer(r"(?<!cơ )(?<!\w)sở(\s+\w+)(?:(\s+\w+)?\s+và(\s+\w+))?", low):
        put(m.start(), "S")
        for g in (1, 3):
            if m.group(g):
                put(m.start(g) + 1, m.group(g)[1].upper())
    for mention in find_provinces(low):
        words = low[mention.start : mention.end]
        put(mention.start, re.sub(r"(?<![\w])\w", lambda w: w.group(0).upper(), words))
    for t in DOC_TYPES:  # a document named: "Nghị quyết số 214/NQ-CP", "ban hành Kế hoạch …"
        for m in re.finditer(rf"(?<!\w){re.escape(t.lower())}(?=\s+(?:số\s+)?\d)|(?<=ban hành )"
                             rf"{re.escape(t.lower())}(?!\w)", low):
            put(m.start(), t)
    for phrase in _CAPITALS:
        for m in re.finditer(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", low):
            put(m.start(), phrase)
    return "".join(chars)


# --- issuers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Issuer:
    form: str  # the stored form; for a provincial body with {unit} / {name} still to fill
    national: bool
    province: str | None = None
    kind: str | None = None  # "tỉnh" / "thành phố" as written before the province
    start: int = 0
    end: int = 0

    def name(self, province: str | None = None) -> str:
        if self.national:
            return self.form
        province = self.province or province
        if province is None:
            unit = self.kind or ""
            return re.sub(r"\s+", " ", self.form.replace("{unit}", unit).replace("{name}", "")).strip()
        kind = self.kind or unit_kind(province)
        return self.form.replace("{unit}", f"{kind} {province}").replace("{name}", province)


_UNIT_WORD = re.compile(r"\s*(tỉnh|thành\s+phố|tp\.?)\s*", re.IGNORECASE)


def _issuer_match(text: str, last: bool = False) -> _Issuer | None:
    """The issuing body named in ``text`` (the first, or the ``last``): a national body of
    data/central_issuers.tsv, or a provincial one of data/issuer_forms.tsv with the province after it."""
    folded = fold(text)
    matches: list[_Issuer] = []
    taken: list[tuple[int, int]] = []
    for written, name in _CENTRAL_WRITTEN:
        for m in re.finditer(_phrase(written), folded):
            if not any(m.start() < e and s < m.end() for s, e in taken):
                taken.append((m.start(), m.end()))
                matches.append(_Issuer(name, True, start=m.start(), end=m.end()))
    for written, form in _LOCAL_FORMS:
        for m in re.finditer(_phrase(written), folded):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            after = text[m.end() : m.end() + 60]
            unit = _UNIT_WORD.match(after)
            kind = None
            offset = 0
            if unit:
                kind = "tỉnh" if plain(unit.group(1)).startswith("tinh") else "thành phố"
                offset = unit.end()
            mention = _province_at(after, offset)
            province = mention.province if mention else None
            end = m.end() + (mention.end if mention else offset)
            matches.append(_Issuer(form, False, province, kind, m.start(), end))
    if not matches:
        return None
    matches.sort(key=lambda x: (x.start, -(x.end - x.start)))
    return matches[-1] if last else matches[0]


def _phrase(written: str) -> str:
    """A folded phrase as a whole-word pattern that lets any whitespace separate its words (not inside a
    document number: "KH-UBND" does not name a committee)."""
    words = r"\s+".join(re.escape(w) for w in written.split())
    return rf"(?<![\w/-]){words}(?!\w)"


def _province_at(text: str, offset: int) -> ProvinceMention | None:
    """The province named right at ``offset`` of ``text`` (spaces allowed before it)."""
    for mention in find_provinces(text):
        if mention.start >= offset and not text[offset : mention.start].strip():
            return mention
    return None


def _letterhead_issuer(lines: list[str]) -> _Issuer | None:
    """The body of a letterhead: the lowest unit ("ỦY BAN NHÂN DÂN / THÀNH PHỐ HỒ CHÍ MINH / SỞ GIÁO DỤC VÀ ĐÀO
    TẠO" is the Sở of that city), a national body, or a provincial one."""
    joined = " ".join(lines)
    if len(lines) > 1 and fold(lines[-1]).startswith("sở "):
        parent = _issuer_match(" ".join(lines[:-1]))
        province = parent.province if parent else None
        kind = parent.kind if parent else None
        name = _agency_case(lines[-1][3:].strip())
        return _Issuer(f"Sở {name} {{unit}}", False, province, kind)
    return _issuer_match(joined, last=True)


def _agency_case(name: str) -> str:
    """ "GIÁO DỤC VÀ ĐÀO TẠO" → "Giáo dục và Đào tạo": an agency's fields each start with a capital."""
    if not name.isupper():
        return name
    words = name.lower().split()
    out = []
    for i, w in enumerate(words):
        after_joint = i == 0 or words[i - 1] in ("và", "-") or words[i - 1].endswith(",")
        out.append(w[:1].upper() + w[1:] if after_joint else w)
    return " ".join(out)


def _code_issuer(number: str | None) -> _Issuer | None:
    """The body a number's issuer code stands for: 173/2025/NĐ-CP is the Government's; 12-NQ/TU a Tỉnh ủy's."""
    if not number:
        return None
    for part in reversed(re.split(r"[-/]", number)):
        code = re.sub(r"\d+$", "", part)
        if code in _CENTRAL:
            return _Issuer(_CENTRAL[code], True)
        if code in _LOCAL_CODES:
            return _Issuer(_LOCAL_CODES[code], False)
    return None


# --- news pages ----------------------------------------------------------------------------------------


@dataclass
class _Report:
    """The document a news page reports: "<issuer> ban hành <type> số <number> ngày …"."""

    doc_type: str | None = None
    number: str | None = None
    issue_date: str | None = None
    issuer: _Issuer | None = None


_ISSUED = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_CUES["issued"], key=len, reverse=True))
_CITES = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_CUES["cites"], key=len, reverse=True))
_MENTION = rf"(?P<type>(?i:{_TYPES}))\s+(?:(?i:số)\s+)?(?P<number>{_NUMBER})(?![\w])"


def _reported(head: str, title: str | None) -> _Report:
    report = _Report()
    issued = re.search(rf"(?i:{_ISSUED})\s+{_MENTION}", head)
    if issued:
        report.doc_type = _TYPE_BY_FOLD.get(fold(re.sub(r"\s+", " ", issued.group("type"))))
        report.number = re.sub(r"\s+", "", issued.group("number"))
        sentence = max(head.rfind(". ", 0, issued.start()), head.rfind("\n", 0, issued.start())) + 1
        subject = head[sentence : issued.start()]
        after = head[issued.end() : issued.end() + 40]
        when = re.match(rf"\s*,?\s*(?:{_DATE_WORDS}|ngày\s+{_DATE_NUMERIC})", after, re.IGNORECASE)
        report.issue_date = _date_in(when.group(0)) if when else None
        if report.issue_date is None:
            lead = re.search(rf"[Nn]gày\s+(?:{_DATE_NUMERIC}|(\d{{1,2}})\s+tháng\s+(\d{{1,2}})\s+năm\s+(\d{{4}}))",
                             subject)
            if lead:
                report.issue_date = _iso(*[g for g in lead.groups() if g])
        report.issuer = _issuer_match(subject, last=True)
    if title and report.number is None:
        for m in re.finditer(_MENTION, title):
            if re.search(rf"(?i:{_CITES})\b", title[max(0, m.start() - 60) : m.start()]):
                continue
            report.doc_type = _TYPE_BY_FOLD.get(fold(re.sub(r"\s+", " ", m.group("type"))))
            report.number = re.sub(r"\s+", "", m.group("number"))
            break
    return report


def _lead(doc: CleanDocument, paragraphs: int = 3) -> str:
    """A page's lead: its first paragraphs of running text (not headings, table rows, bold-only lines, short
    lines), where a news page says what it reports. A document cited further down is not the page's."""
    found: list[str] = []
    for span in doc.body:
        raw = doc.source.text[span.start : span.end].strip()
        if raw.startswith(("#", "|", "[")) or re.fullmatch(r"\*\*.*\*\*\W*", raw) or len(raw.split()) < 8:
            continue
        found.append(raw)
        if len(found) == paragraphs:
            break
    return "\n".join(found)


def _headline(doc: CleanDocument) -> str | None:
    """A page's headline: its first markdown heading, else its first line of at least five words that is not
    in capitals (a banner, a letterhead) nor a date line."""
    for span in doc.body[:40]:
        raw = doc.source.text[span.start : span.end].strip()
        line = _strip(raw)
        if not line:
            continue
        if raw.startswith("#"):
            return line[:300]
        if len(line.split()) < 5 or _in_capitals(line):
            continue
        p = plain(line)
        if re.match(r"(cong hoa xa hoi chu nghia viet nam|doc lap\s*-\s*tu do\s*-\s*hanh phuc)", p):
            continue
        if re.match(r"[^,]{2,40},\s*ngay\s+\d", p):
            continue
        return line[:300]
    return None


# --- the signature block ---------------------------------------------------------------------------------


def _signature(lines: list[_Line], after: int) -> tuple[str | None, str | None]:
    """(signer, position) from the signature block: position lines in capitals ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
    maybe "(Đã ký)", then a personal name. With a "Nơi nhận" list, the block nearest to it; else the first
    after the header."""
    blocks: list[tuple[int, str, list[str]]] = []
    for j in range(after, len(lines)):
        if not _is_name(lines[j].text):
            continue
        positions: list[str] = []
        k = j - 1
        while k >= after and len(positions) < 4 and j - k <= 14:
            line = lines[k]
            if line.blank or line.dashes or _SIGNED.match(line.text):
                k -= 1
                continue
            if not _is_position(line):
                break
            positions.insert(0, line.text)
            k -= 1
        if positions:
            blocks.append((k + 1, lines[j].text, positions))
    if not blocks:
        return None, None
    receivers = [i for i, line in enumerate(lines) if i >= after and re.match(r"nơi nhận\b", fold(line.text))]
    if receivers:
        near = [b for b in blocks if abs(b[0] - receivers[0]) <= 80]
        blocks = sorted(near, key=lambda b: abs(b[0] - receivers[0])) or blocks
    _, name, positions = blocks[0]
    own = [p for p in positions if not _ON_BEHALF.match(p)]
    return name, (own[-1] if own else None)


def _is_position(line: _Line) -> bool:
    words = line.text.split()
    return (line.upper and 1 <= len(words) <= 10 and not re.search(r"\d|:", line.text)
            and not re.match(r"[IVXLC]+\.", line.text))


# --- the other fields ------------------------------------------------------------------------------------


# "<type> [số <number>] [năm <year>] [này …] có hiệu lực [thi hành] [kể] từ <ngày ký | a date>", over folded text
_EFFECTIVE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(fold(t)).replace(r"\ ", r"\s+") for t in DOC_TYPES) + r")"
    r"(?:\s+(?:số\s+)?(?P<num>\d[\w/.\-đ]*))?(?:\s+năm\s+\d{4})?(?:\s+này(?:[^.;:]{0,160}?))?"
    r"\s+(?:(?:đã\s+)?có\s+hiệu\s+lực|(?:được\s+)?áp\s+dụng)(?:\s+thi\s+hành)?\s+(?:kể\s+)?từ\s+"
    rf"(?P<when>ngày\s+ký|ngày\s+ban\s+hành|{_DATE_WORDS}|(?:ngày\s+)?{_DATE_NUMERIC})")


def _effective(flat: str, own_number: str | None, issue_date: str | None, official: bool) -> str | None:
    """ "Quyết định này có hiệu lực (thi hành) kể từ ngày ký" (the issue date) / "… từ ngày 05/12/2025" /
    "Thông tư 20/2025/TT-BYT có hiệu lực từ 1/7/2025" / "… được áp dụng từ …": the document's own clause. A page
    that reports a document must name its number there: the other documents it names have their own dates."""
    for m in _EFFECTIVE.finditer(fold(flat)):
        num = m.group("num")
        if (num and own_number and fold(num).rstrip(".") != fold(own_number)) or (not official and not (
                num and own_number)):
            continue
        w = m.group("when")
        if re.match(r"ngày\s+(ký|ban\s+hành)", w):
            if issue_date:
                return issue_date
            continue
        found = _date_in(w)
        if found:
            return found
    return None


def _period(title: str | None) -> str | None:
    m = _PERIOD.search(title or "")
    if m and int(m.group(1)) < int(m.group(2)):
        return f"{m.group(1)}-{m.group(2)}"
    return None


def _first_type(text: str) -> str | None:
    """The first document type a headline names, capitalised as a name ("Nghị quyết", not the verb "quy định")."""
    best: tuple[int, str] | None = None
    for t in DOC_TYPES:
        for m in re.finditer(rf"(?<!\w){t}(?!\w)", text, re.IGNORECASE):
            if m.group(0)[:1].isupper():
                if best is None or m.start() < best[0]:
                    best = (m.start(), t)
                break
    return best[1] if best else None


def _named_province(doc: CleanDocument, title: str | None, issuer_given: bool) -> str | None:
    """A province for a page whose issuer does not name one: the headline's. For a provincial body ("Ban
    Thường vụ Tỉnh ủy", "UBND tỉnh"), else the site's (the page chrome: a provincial portal publishes its own
    documents), else the one the body names most. A page with no issuer at all is not given a province for the
    provinces its text mentions."""
    in_title = find_provinces(title or "")
    if in_title:
        return in_title[0].province
    if not issuer_given:
        return None
    text = doc.source.text
    for spans in (doc.removed, doc.body):
        votes: Counter[str] = Counter()
        for span in spans:
            for m in find_provinces(text[span.start : span.end]):
                votes[m.province] += 1
        if votes:
            return votes.most_common(1)[0][0]
    return None


class MetadataExtractor:
    """Rules over the document's text and its cleaned body. ``extract`` never raises: unknown fields stay None."""

    def extract(self, doc: CleanDocument) -> DocumentMetadata:
        text = doc.source.text
        lines = _lines(text)
        props = _portal_properties(lines)
        header = _official_header(lines)
        official = header.found

        number = props.get("number") or header.number
        doc_type = header.doc_type or _TYPE_BY_FOLD.get(fold(props.get("doc_type", "")))
        issue_date = props.get("issue_date") or header.issue_date

        title: str | None = None
        if header.abstract:
            abstract = _sentence_case(header.abstract)
            title = f"{doc_type} {abstract}" if doc_type else abstract[:1].upper() + abstract[1:]
        elif props and number:
            own = f"{doc_type} {number}" if doc_type else number
            title = next((x.text for x in lines if x.text.startswith(own) and len(x.text) > len(own) + 10), None)
        if title is None and not official:
            title = _headline(doc)

        report = _Report() if official else _reported(_lead(doc), title)
        number = number or report.number
        if doc_type is None and not official:
            # a headline that opens with a type names the page's document ("Kế hoạch cải cách hành chính …", even
            # when the sentence that reports it names the decision that issued it); else the reported one
            starts = _first_type(title or "")
            opens = bool(starts and fold(title or "").startswith(fold(starts)))
            doc_type = (starts if opens else None) or report.doc_type or starts
        if doc_type is None and number:
            doc_type = next((_TYPE_CODES[p] for p in re.split(r"[-/]", number) if p in _TYPE_CODES), None)
        issue_date = issue_date or report.issue_date

        issuer = self._issuer(header, props, report, title, number, doc_type)
        if issuer is None:
            province = _named_province(doc, title, issuer_given=False)
        elif issuer.national:
            province = None
        else:
            province = issuer.province
            if province is None and header.place:
                province = next((m.province for m in find_provinces(header.place)), None)
            if province is None:
                province = _named_province(doc, title, issuer_given=True)
        issuing_body = issuer.name(province) if issuer else None
        if header.authority and issuing_body and fold(header.authority).startswith("chủ tịch") \
                and issuing_body.startswith("UBND"):
            issuing_body = f"Chủ tịch {issuing_body}"

        signer, signer_title = _signature(lines, header.end if official else 0)
        signer = signer or props.get("signer")
        return DocumentMetadata(
            province=province,
            issuing_body=issuing_body or None,
            doc_type=doc_type,
            number=number,
            issue_date=issue_date,
            effective_date=props.get("effective_date") or _effective(_flat(text), number, issue_date, official),
            period=_period(title),
            signer=signer,
            signer_title=signer_title,
            title=re.sub(r"\s+", " ", title).strip()[:600] if title else None,
        )

    @staticmethod
    def _issuer(header: _Header, props: dict[str, str], report: _Report, title: str | None,
                number: str | None, doc_type: str | None) -> _Issuer | None:
        """The letterhead's body; else the portal's "Nơi ban hành"; else, for an official text, the number's code;
        for a page about a document, the national body its number names, else the body the page names (in its
        headline, or in the sentence that reports the document), else the number's local code."""
        if header.letterhead:
            found = _letterhead_issuer(header.letterhead)
            if found is not None:
                return found
        if "issuer" in props:
            value = props["issuer"]
            found = _issuer_match(value)
            if found is not None:
                return found
            named = find_provinces(value)
            coded = _code_issuer(number)
            if named:  # "Tỉnh Bắc Ninh": the body is the number's (UBND, HĐND, TU), else the committee
                form = coded.form if coded and not coded.national else "UBND {unit}"
                unit = _UNIT_WORD.match(value)
                kind = ("tỉnh" if plain(unit.group(1)).startswith("tinh") else "thành phố") if unit else None
                return _Issuer(form, False, named[0].province, kind)
        if header.found:
            return _code_issuer(number)
        if number is None and doc_type is None:  # a page about no document: a body it names is its subject
            return None
        by_code = _code_issuer(number)
        if by_code is not None and by_code.national:  # 20/2025/TT-BYT is the ministry's, whatever the page says
            return by_code
        in_title = _issuer_match(title or "")
        if in_title is not None:
            return in_title
        if report.issuer is not None:
            return report.issuer
        return by_code if report.number else None
