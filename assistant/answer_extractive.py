"""Extractive answering (the default): pick the clause that answers, lead with its key fact, cite it.

Deterministic and LLM-free. Abstention is decided here, in code: an unknown province, a clause that
does not cover the question's terms, or a year that the evidence does not cover all lead to "the
documents don't say" — with the closest passages shown as related, never as support.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant import facts
from assistant.types import Answer, Citation, Query, ScoredChunk
from ingest.document import Chunk
from ingest.textnorm import plain
from vectorstore.keyword import plain_tokens

from assistant.retrieve import CorpusView

# Question words and fillers: they say how something is asked, not what (accent-less forms).
_FILLER = set(
    "bao nhieu phan tram gi nao la co khong duoc dat ra cua thi sao con vay nhu the ai khi bao gio may "
    "hay cho biet xin hoi toi muon biet ve theo tai trong voi va cac nhung mot nay do ha a nhe oi o dau "
    "nam tinh so den vao".split()
)
_CROSS = re.compile(r"\b(tinh nao|nhung tinh|cac tinh|which provinces?|what provinces?|dia phuong nao)\b")


class AskedFor:
    NUMBER = "number"
    DATE = "date"
    DOC_NUMBER = "doc_number"
    PERSON = "person"
    TEXT = "text"


def asked_for(query: Query) -> str:
    q = plain(query.text)
    if re.search(r"\b(ai ky|nguoi ky|who signed|signer|signatory|ky boi|signed by|ai la nguoi ky)\b", q):
        return AskedFor.PERSON
    if re.search(r"\b(ngay nao|khi nao|bao gio|ngay ban hanh|when|what date|which date|thoi gian ban hanh)\b", q):
        return AskedFor.DATE
    if re.search(r"\b(so hieu|so may|so bao nhieu|document number|what number|ky hieu|so van ban|so nghi quyet|so ke hoach|so quyet dinh)\b", q):
        return AskedFor.DOC_NUMBER
    if re.search(r"\b(bao nhieu|may|ty le|phan tram|how much|how many|what percentage|what percent|what share|"
                 r"target|chi tieu|muc tieu|percent|rate|cat giam|toi thieu|toi da|dat)\b", q):
        return AskedFor.NUMBER
    return AskedFor.TEXT


@dataclass(frozen=True)
class ExtractiveSettings:
    min_coverage: float = 0.5  # share of the question's (IDF-weighted) terms the evidence must contain
    max_clause_words: int = 70


@dataclass(frozen=True)
class _Clause:
    chunk: Chunk
    rank: int
    start: int  # absolute offsets in the document text
    end: int
    text: str
    coverage: float
    score: float
    year_ok: bool
    context_year: int | None


class ExtractiveAnswerer:
    def __init__(self, view: CorpusView, settings: ExtractiveSettings | None = None) -> None:
        self.view = view
        self.settings = settings or ExtractiveSettings()

    # --- public ----------------------------------------------------------------------------------
    def answer(self, query: Query, passages: list[ScoredChunk]) -> Answer:
        if query.unknown_provinces and not query.provinces:
            return self._abstain(query, passages, reason="province")
        if not passages:
            return self._abstain(query, passages, reason="nothing")
        want = asked_for(query)
        clauses = self._clauses(query, passages, want)
        supported = [c for c in clauses if c.coverage >= self.settings.min_coverage and c.year_ok
                     and self._has(want, c.text)]
        if not supported:
            year_missing = query.years and any(c.coverage >= self.settings.min_coverage for c in clauses)
            return self._abstain(query, passages, reason="year" if year_missing else "nothing")
        if _CROSS.search(plain(query.text)) and not query.provinces:
            return self._cross_answer(query, supported, want)
        best = max(supported, key=lambda c: c.score)
        lead = self._lead(query, want, best)
        citation = self._cite(1, best)
        return Answer(question=query.text, text=self._compose(query, best, lead, citation), abstained=False,
                      mode="extractive", citations=(citation,), language=query.language)

    def related(self, passages: list[ScoredChunk], n: int = 3) -> tuple[Citation, ...]:
        return tuple(self._chunk_citation(i + 1, p.chunk) for i, p in enumerate(passages[:n]))

    # --- candidate clauses -----------------------------------------------------------------------
    def _clauses(self, query: Query, passages: list[ScoredChunk], want: str) -> list[_Clause]:
        terms = self._query_terms(query)
        out = []
        for rank, scored in enumerate(passages):
            chunk = scored.chunk
            doc = self.view.documents.get(chunk.source)
            full = doc.text if doc and doc.text else None
            for start, end in _split_clauses(chunk, self.settings.max_clause_words):
                text = chunk.text[start - chunk.start : end - chunk.start]
                context = " ".join(chunk.heading_path) + " " + (chunk.metadata.title or "")
                coverage = self._coverage(terms, text, context)
                prefix = _paragraph_prefix(full, start) if full else chunk.text[: start - chunk.start]
                ctx_year = facts.context_year(prefix, chunk.heading_path)
                year_ok = _year_ok(query, text, ctx_year, chunk.metadata.period)
                score = coverage + 0.15 / (rank + 1) + 0.3 * self._has(want, text) + 0.2 * year_ok
                out.append(_Clause(chunk, rank, start, end, text, coverage, score, year_ok, ctx_year))
        return out

    def _query_terms(self, query: Query) -> dict[str, float]:
        text = query.keywords_vi or query.text
        for p in query.provinces + query.unknown_provinces:
            text = re.sub(re.escape(plain(p)), " ", plain(text))
        tokens = [t for t in plain_tokens(text) if not _is_filler(t)]
        return {t: self.view.keyword.idf("plain", t) for t in dict.fromkeys(tokens)}

    def _coverage(self, terms: dict[str, float], text: str, context: str) -> float:
        if not terms:
            return 0.0
        have = set(plain_tokens(text)) | set(plain_tokens(context))
        total = sum(terms.values())
        return sum(w for t, w in terms.items() if t in have) / total if total else 0.0

    @staticmethod
    def _has(want: str, text: str) -> bool:
        if want == AskedFor.NUMBER:
            return bool(facts.figures(text))
        if want == AskedFor.DATE:
            return bool(facts.dates(text))
        if want == AskedFor.DOC_NUMBER:
            return bool(facts.doc_numbers(text))
        if want == AskedFor.PERSON:
            return bool(facts.names(text))
        return True

    # --- the key fact ----------------------------------------------------------------------------
    def _lead(self, query: Query, want: str, clause: _Clause) -> str:
        text = clause.text
        anchor = self._anchor(query, text)
        if want == AskedFor.NUMBER:
            figs = facts.figures(text)
            if query.years:
                dated = [f for f in figs if f.year in query.years]
                figs = dated or figs
            elif len({f.year for f in figs if f.year}) > 1:
                return "; ".join(f"{f.text} ({f.year})" for f in figs if f.year)
            best = min(figs, key=lambda f: abs(f.start - anchor))
            return best.text
        spans = {AskedFor.DATE: facts.dates, AskedFor.DOC_NUMBER: facts.doc_numbers,
                 AskedFor.PERSON: facts.names}.get(want)
        if spans:
            found = spans(text)
            if found:
                s, e = min(found, key=lambda se: abs(se[0] - anchor))
                return text[s:e]
        return ""

    def _anchor(self, query: Query, text: str) -> int:
        """Where in the clause the question's rarest terms are: the fact nearest to them is the answer."""
        terms = self._query_terms(query)
        low = plain(text)
        best_pos, best_w = len(text) // 2, -1.0
        for t, w in terms.items():
            phrase = t.replace("_", " ")
            pos = low.find(phrase)
            if pos >= 0 and w * (1 + phrase.count(" ")) > best_w:
                best_pos, best_w = pos, w * (1 + phrase.count(" "))
        return best_pos

    # --- output ----------------------------------------------------------------------------------
    def _cite(self, n: int, clause: _Clause) -> Citation:
        return _citation(n, clause.chunk, clause.start, clause.end, clause.text)

    def _chunk_citation(self, n: int, chunk: Chunk) -> Citation:
        return _citation(n, chunk, chunk.start, chunk.end, chunk.text)

    def _compose(self, query: Query, clause: _Clause, lead: str, citation: Citation) -> str:
        m = clause.chunk.metadata
        year = next((y for y in query.years), None) or _clause_year(clause)
        doc = m.label() or clause.chunk.source
        quote = _shorten(clause.text, lead)
        if query.language == "en":
            head = _english_lead(lead)
            where = ", ".join(x for x in (m.province, f"by {year}" if year else "") if x)
            first = f"{head} ({where}) [{citation.n}]." if head else f"According to {doc} [{citation.n}]:"
            return f"{first}\nSource: {doc}: “{quote}” [{citation.n}]"
        where = ", ".join(x for x in (m.province, f"năm {year}" if year else "") if x)
        first = f"{lead[:1].upper()}{lead[1:]} ({where}) [{citation.n}]." if lead else f"Theo {doc} [{citation.n}]:"
        return f"{first}\nNguồn: {doc}: “{quote}” [{citation.n}]"

    def _cross_answer(self, query: Query, supported: list[_Clause], want: str) -> Answer:
        best_per_province: dict[str, _Clause] = {}
        for c in sorted(supported, key=lambda c: -c.score):
            province = c.chunk.metadata.province or c.chunk.source
            best_per_province.setdefault(province, c)
        top = max(c.score for c in best_per_province.values())
        chosen = [c for c in best_per_province.values() if c.score >= top - 0.35]
        lines, citations = [], []
        for n, clause in enumerate(chosen, start=1):
            citation = self._cite(n, clause)
            citations.append(citation)
            lead = self._lead(query, want, clause)
            doc = clause.chunk.metadata.label() or clause.chunk.source
            label = clause.chunk.metadata.province or doc
            lines.append(f"- {label}: {(_english_lead(lead) if query.language == 'en' else lead) or ''} — {doc}: "
                         f"“{_shorten(clause.text, lead)}” [{n}]")
        head = "Provinces whose documents say so:" if query.language == "en" else "Các tỉnh có nội dung này:"
        return Answer(question=query.text, text="\n".join([head, *lines]), abstained=False, mode="extractive",
                      citations=tuple(citations), language=query.language)

    def _abstain(self, query: Query, passages: list[ScoredChunk], reason: str) -> Answer:
        known = ", ".join(sorted(self.view.provinces))
        if query.language == "en":
            if reason == "province":
                text = (f"The documents don't cover {', '.join(query.unknown_provinces)}. "
                        f"Provinces in the collection: {known}.")
            elif reason == "year":
                text = f"The documents don't state this for {', '.join(map(str, query.years))}."
            else:
                text = "The documents don't say this."
        else:
            if reason == "province":
                text = (f"Kho tài liệu không có văn bản nào của tỉnh {', '.join(query.unknown_provinces)}. "
                        f"Các tỉnh hiện có: {known}.")
            elif reason == "year":
                text = f"Các tài liệu không nêu nội dung này cho năm {', '.join(map(str, query.years))}."
            else:
                text = "Các tài liệu hiện có không nêu thông tin này."
        related = () if reason == "province" else self.related(passages)
        return Answer(question=query.text, text=text, abstained=True, mode="extractive", related=related,
                      language=query.language)


def _citation(n: int, chunk: Chunk, start: int, end: int, quote: str) -> Citation:
    m = chunk.metadata
    return Citation(n=n, source=chunk.source, title=m.title or m.label() or chunk.source, province=m.province or "",
                    quote=quote, start=start, end=end, number=m.number or "", doc_type=m.doc_type or "",
                    issue_date=m.issue_date or "", heading=" > ".join(chunk.heading_path))


def _is_filler(token: str) -> bool:
    parts = token.split("_")
    return all(p in _FILLER or p.isdigit() for p in parts)


_CLAUSE_BOUNDARY = re.compile(r"[.;!?](?=\s|$)|\n")


def _split_clauses(chunk: Chunk, max_words: int) -> list[tuple[int, int]]:
    """Sentences and ';' clauses of the chunk as absolute (start, end) offsets. "2.000" and "0,3" have no
    space after the mark, so they stay whole; a clause over ``max_words`` is cut at commas."""
    out, pos = [], 0
    bounds = [m.end() for m in _CLAUSE_BOUNDARY.finditer(chunk.text)] + [len(chunk.text)]
    for b in bounds:
        piece = chunk.text[pos:b]
        s = pos + len(piece) - len(piece.lstrip())
        e = pos + len(piece.rstrip(" \n;"))
        pos = b
        if e > s and len(chunk.text[s:e].split()) >= 2:
            out.extend(_cut_long(chunk.text, s, e, max_words))
    return [(chunk.start + s, chunk.start + e) for s, e in out] or [(chunk.start, chunk.end)]


def _cut_long(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    if len(text[start:end].split()) <= max_words:
        return [(start, end)]
    out, piece_start = [], start
    for m in re.finditer(r",\s", text[start:end]):
        cut = start + m.start()
        if len(text[piece_start:cut].split()) >= max_words // 2:
            out.append((piece_start, cut))
            piece_start = start + m.end()
    out.append((piece_start, end))
    return out


def _paragraph_prefix(full: str, start: int) -> str:
    line_start = full.rfind("\n", 0, start) + 1
    return full[line_start:start]


def _year_ok(query: Query, text: str, ctx_year: int | None, period: str | None) -> bool:
    if not query.years:
        return True
    mentioned = set(facts.years(text))
    targets = {f.year for f in facts.figures(text) if f.year}
    if any(y in mentioned or y == ctx_year for y in query.years):
        return True
    if targets or ctx_year:
        return False  # the clause is about another year
    if period and re.fullmatch(r"\d{4}-\d{4}", period):
        lo, hi = map(int, period.split("-"))
        return any(lo <= y <= hi for y in query.years)
    return False


def _clause_year(clause: _Clause) -> int | None:
    targets = [f.year for f in facts.figures(clause.text) if f.year]
    return targets[0] if len(set(targets)) == 1 else clause.context_year


def _shorten(text: str, lead: str, max_words: int = 45) -> str:
    words = text.split()
    if len(words) <= max_words:
        return text
    at = text.find(lead) if lead else -1
    centre = len(text[:at].split()) if at >= 0 else 0
    lo = max(0, centre - max_words // 2)
    hi = min(len(words), lo + max_words)
    return ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")


def _english_lead(lead: str) -> str:
    if not lead:
        return ""
    low = lead.lower()
    for vi, en in sorted(facts.COMPARATORS_EN.items(), key=lambda kv: -len(kv[0])):
        if low.startswith(vi):
            rest = lead[len(vi):].strip()
            rest = re.sub(r"^đạt\s+", "", rest)
            rest = rest.replace("trở lên", "or more")
            english = f"{en} {rest}".strip()
            return f"{english[:1].upper()}{english[1:]} ({lead})"
    return lead
