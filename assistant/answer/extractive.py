"""Extractive answering (the default): pick the clause that answers, lead with its key fact, cite it.

Deterministic and LLM-free. Abstention is decided here, in code: an unknown province, a clause that
does not cover the question's terms, or a year that the evidence does not cover all lead to "the
documents don't say" — with the closest passages shown as related, never as support. How clauses are
scored, and every weight and threshold, is in scoring.py; splitting and citing clauses in clauses.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.answer import facts
from assistant.answer.clauses import cite_span, paragraph_prefix, sentence_end, split_clauses, written_at
from assistant.answer.scoring import ExtractiveSettings, TermScorer, clause_score
from assistant.question.asked import Ask, AskedFor, ask_of, asks_which_provinces
from assistant.retrieve import CorpusView
from assistant.types import Answer, Citation, Query, ScoredChunk
from ingest.document import Chunk
from ingest.textnorm import norm_number, plain
from ingest.vocab import read_lines, read_table

# Imported from here by other modules (documents, generative) and kept public.
__all__ = ["ExtractiveAnswerer", "ExtractiveSettings", "split_clauses", "written_at"]

_DATA = Path(__file__).parent / "data"


def _cue_pattern(cue: str, not_after: str) -> str:
    unless = "" if not_after == "-" else f"(?<!{re.escape(plain(not_after))} )"
    return unless + re.escape(plain(cue))


# Questions about a document itself ("ban hành ngày nào", "who signed", "số mấy"), compared without diacritics:
# data/extractive_document_cues.tsv
_DOC_LEVEL = re.compile(r"\b(" + "|".join(
    _cue_pattern(cue, not_after) for cue, not_after in read_table(_DATA / "extractive_document_cues.tsv", 2)
) + r")\b")
# Questions for the period a document covers: data/extractive_period_cues.txt
_ASKS_PERIOD = re.compile(r"\b(" + "|".join(
    re.escape(plain(cue)) for cue in read_lines(_DATA / "extractive_period_cues.txt")) + r")\b")


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
        self.settings = settings = settings or ExtractiveSettings()
        self.scorer = TermScorer(view.keyword, settings)

    # --- public ----------------------------------------------------------------------------------
    def answer(self, query: Query, passages: list[ScoredChunk]) -> Answer:
        if query.unknown_provinces and not query.provinces:
            return self._abstain(query, passages, reason="province")
        if not passages:
            return self._abstain(query, passages, reason="nothing")
        ask = ask_of(query)
        document_fact = self._document_fact(query, ask.want, passages)
        if document_fact is not None:
            return document_fact
        clauses = self._clauses(query, passages, ask)
        supported = [c for c in clauses if c.coverage >= self.settings.min_coverage and c.year_ok
                     and _has(ask, c.text)]
        if not supported:
            year_missing = query.years and any(c.coverage >= self.settings.min_coverage for c in clauses)
            return self._abstain(query, passages, reason="year" if year_missing else "nothing")
        if asks_which_provinces(query):  # "tỉnh nào …?" (provinces the question names: answer_compare)
            return self._cross_answer(query, supported, ask)
        best = max(supported, key=lambda c: c.score)
        lead = self._lead(query, ask, best)
        citation = self._cite(1, best)
        return Answer(question=query.text, text=self._compose(query, best, lead, citation, ask), abstained=False,
                      mode="extractive", citations=(citation,), language=query.language)

    def _document_fact(self, query: Query, want: str, passages: list[ScoredChunk]) -> Answer | None:
        """Questions about a document itself (when issued, who signed, its number, its period) are answered
        from the extracted metadata, cited at the place in the text where the value is written."""
        q = plain(query.text)
        period = bool(_ASKS_PERIOD.search(q))
        document_level = (AskedFor.DATE, AskedFor.PERSON, AskedFor.POSITION, AskedFor.DOC_NUMBER)
        if not (period or want == AskedFor.ISSUER or (want in document_level and _DOC_LEVEL.search(q))):
            return None
        record = self._target_document(query, passages)
        if record is None:
            return None
        m = record.metadata
        if want == AskedFor.DOC_NUMBER and not period and query.doc_numbers:
            return None  # "Kế hoạch 2943/KH-UBND căn cứ công văn số mấy?" asks about another document
        if period:
            value, pattern = m.period, m.period and re.escape(m.period).replace(r"\-", r"\s*[-–]\s*")
        elif want == AskedFor.DATE:
            value, pattern = m.issue_date, m.issue_date and _date_pattern(m.issue_date)
        elif want == AskedFor.PERSON:
            value, pattern = m.signer, m.signer and re.escape(m.signer)
        elif want == AskedFor.POSITION:
            value, pattern = m.signer_title, m.signer_title and re.escape(m.signer_title)
        elif want == AskedFor.ISSUER:  # as written in the text ("Ban Thường vụ Tỉnh ủy"), else in the title
            value = m.issuing_body
            spellings = _issuer_spellings(value, m.province, self.settings.min_issuer_words) if value else []
            pattern = spellings and "(?i:" + "|".join(_loose(v) for v in spellings) + ")"
        else:
            value, pattern = m.number, m.number and re.escape(m.number)
        if not value:
            return None  # unknown: the clause search below decides, and abstains when nothing supports
        found = written_at(self.view, record.source, pattern, 1, self.settings.max_clause_words)
        if found is None and want == AskedFor.ISSUER and m.title:  # the text never names its issuer: the title
            found = written_at(self.view, record.source, re.escape(m.title), 1, self.settings.max_clause_words)
        if found is None:
            return None
        citation, written = found
        if want == AskedFor.ISSUER and not period:
            written = value  # the body's full name ("UBND tỉnh Quảng Bình"); the quote shows how the text puts it
        doc = m.label() or record.source
        if query.language == "en":
            text = f"{written} — {doc} [1].\nSource: “{citation.quote}” [1]"
        else:
            text = f"{written[:1].upper()}{written[1:]} — {doc} [1].\nNguồn: “{citation.quote}” [1]"
        return Answer(question=query.text, text=text, abstained=False, mode="extractive",
                      citations=(citation,), language=query.language)

    def _target_document(self, query: Query, passages: list[ScoredChunk]):
        docs = self.view.documents
        if query.doc_numbers:
            wanted = {norm_number(n) for n in query.doc_numbers}
            named = [r for r in docs.values() if norm_number(r.metadata.number or "") in wanted]
            return named[0] if named else None
        if query.focus and not query.provinces:
            return docs.get(query.focus[0])
        return docs.get(passages[0].chunk.source) if passages else None

    def related(self, passages: list[ScoredChunk], n: int | None = None) -> tuple[Citation, ...]:
        """The first ``n`` passages (default: settings.related_passages) as citations, shown as related."""
        n = self.settings.related_passages if n is None else n
        return tuple(self._chunk_citation(i + 1, p.chunk) for i, p in enumerate(passages[:n]))

    # --- candidate clauses -----------------------------------------------------------------------
    def _clauses(self, query: Query, passages: list[ScoredChunk], ask: Ask) -> list[_Clause]:
        terms = self.scorer.terms(query)
        # a list or an explanation: keep the whole sentence ("Nghị định số 130/…, số 117/… và số 16/…")
        sentences_only = ask.want in (AskedFor.TEXT, AskedFor.FREQUENCY) or ask.is_list
        out = []
        for rank, scored in enumerate(passages):
            chunk = scored.chunk
            full = self.view.text(chunk.source) or None
            for start, end in split_clauses(chunk, self.settings.max_clause_words, sentences_only):
                text = chunk.text[start - chunk.start : end - chunk.start]
                m = chunk.metadata
                context = " ".join([*chunk.heading_path, m.title or "", m.doc_type or "", m.number or "",
                                    m.issuing_body or "", m.province or ""])
                coverage = self.scorer.coverage(terms, text, context)
                prefix = paragraph_prefix(full, start) if full else chunk.text[: start - chunk.start]
                ctx_year = facts.context_year(prefix, chunk.heading_path)
                year_ok = _year_ok(query, text, ctx_year, chunk.metadata.period)
                score = clause_score(self.settings, coverage, rank, _has(ask, text), year_ok)
                if sentences_only and full:  # a long list goes on in the next chunk: scored as is, quoted whole
                    end = sentence_end(full, end, chunk.end, self.settings.max_continuation_chars)
                    text = full[start:end]
                out.append(_Clause(chunk, rank, start, end, text, coverage, score, year_ok, ctx_year))
        return out

    # --- the key fact ----------------------------------------------------------------------------
    def _lead(self, query: Query, ask: Ask, clause: _Clause) -> str:
        text = clause.text
        anchor = self.scorer.anchor(query, text)
        want = ask.want
        if want == AskedFor.NUMBER:
            figs = _figures_of(text, ask) or facts.figures(text)
            if query.years:
                dated = [f for f in figs if f.year in query.years]
                if len({f.year for f in dated}) > 1:
                    return "; ".join(f"{f.text} ({f.year})" for f in dated)
                figs = dated or figs
            elif len({f.year for f in figs if f.year}) > 1:
                return "; ".join(f"{f.text} ({f.year})" for f in figs if f.year)
            best = min(figs, key=lambda f: abs(f.start - anchor))
            return best.text
        spans = _SPANS.get(want)
        if spans:
            found = spans(text)
            if want == AskedFor.DOC_NUMBER:
                known = {norm_number(n) for n in (*query.doc_numbers, clause.chunk.metadata.number or "")}
                found = [(s, e) for s, e in found if norm_number(text[s:e]) not in known] or found
            if found and ask.is_list and want == AskedFor.DOC_NUMBER:
                return "; ".join(dict.fromkeys(text[s:e] for s, e in found))
            if found:
                s, e = min(found, key=lambda se: abs(se[0] - anchor))
                return text[s:e]
        return ""

    # --- output ----------------------------------------------------------------------------------
    def _cite(self, n: int, clause: _Clause) -> Citation:
        return cite_span(n, clause.chunk, clause.start, clause.end, clause.text)

    def _chunk_citation(self, n: int, chunk: Chunk) -> Citation:
        return cite_span(n, chunk, chunk.start, chunk.end, chunk.text)

    def _compose(self, query: Query, clause: _Clause, lead: str, citation: Citation, ask: Ask) -> str:
        m = clause.chunk.metadata
        year = next((y for y in query.years), None) or _clause_year(clause)
        doc = m.label() or clause.chunk.source
        # a list is the answer itself: quoted whole (up to a sentence's limit), not cut around one item
        if ask.is_list:
            words = self.settings.list_quote_clauses * self.settings.max_clause_words
        else:
            words = self.settings.quote_words if lead else self.settings.quote_words_without_lead
        quote = _shorten(clause.text, lead, max_words=words)
        if query.language == "en":
            head = _english_lead(lead)
            where = ", ".join(x for x in (m.province, f"by {year}" if year else "") if x)
            place = f" ({where})" if where else ""
            first = f"{head}{place} [{citation.n}]." if head else f"According to {doc} [{citation.n}]:"
            return f"{first}\nSource: {doc}: “{quote}” [{citation.n}]"
        where = ", ".join(x for x in (m.province, f"năm {year}" if year else "") if x)
        place = f" ({where})" if where else ""
        first = f"{lead[:1].upper()}{lead[1:]}{place} [{citation.n}]." if lead else f"Theo {doc} [{citation.n}]:"
        return f"{first}\nNguồn: {doc}: “{quote}” [{citation.n}]"

    def _cross_answer(self, query: Query, supported: list[_Clause], ask: Ask) -> Answer:
        best_per_province: dict[str, _Clause] = {}
        for c in sorted(supported, key=lambda c: -c.score):
            province = c.chunk.metadata.province or c.chunk.source
            best_per_province.setdefault(province, c)
        top = max(c.score for c in best_per_province.values())
        chosen = [c for c in best_per_province.values() if c.score >= top - self.settings.province_score_margin]
        lines, citations = [], []
        for n, clause in enumerate(chosen, start=1):
            citation = self._cite(n, clause)
            citations.append(citation)
            lead = self._lead(query, ask, clause)
            doc = clause.chunk.metadata.label() or clause.chunk.source
            label = clause.chunk.metadata.province or doc
            lines.append(f"- {label}: {(_english_lead(lead) if query.language == 'en' else lead) or ''} — {doc}: "
                         f"“{_shorten(clause.text, lead, self.settings.quote_words)}” [{n}]")
        head = "Provinces whose documents say so:" if query.language == "en" else "Các tỉnh có nội dung này:"
        return Answer(question=query.text, text="\n".join([head, *lines]), abstained=False, mode="extractive",
                      citations=tuple(citations), language=query.language)

    def _abstain(self, query: Query, passages: list[ScoredChunk], reason: str) -> Answer:
        text = _ABSTAIN_TEXT[(query.language, reason)].format(
            unknown=", ".join(query.unknown_provinces), known=", ".join(sorted(self.view.provinces)),
            years=", ".join(map(str, query.years)))
        related = () if reason == "province" else self.related(passages)
        return Answer(question=query.text, text=text, abstained=True, mode="extractive", related=related,
                      language=query.language)


def _issuer_spellings(body: str, province: str | None, min_words: int) -> list[str]:
    """"Ban Thường vụ Tỉnh ủy Lai Châu" is written "Ban Thường vụ Tỉnh ủy" in its own text, "UBND tỉnh X"
    as "ỦY BAN NHÂN DÂN / TỈNH X" in its header. A short form must keep at least ``min_words`` words (3):
    "UBND tỉnh" alone is any mention of the province's committee ("báo cáo UBND tỉnh")."""
    short = body[: -len(province)].strip() if province and body.endswith(province) else body
    spellings = [body, body.replace("UBND", "Ủy ban nhân dân"), short, short.replace("UBND", "Ủy ban nhân dân")]
    return list(dict.fromkeys(s for s in spellings if len(s.split()) >= min_words))


def _loose(phrase: str) -> str:
    """A phrase as a pattern that lets line breaks and spaces vary ("ỦY BAN NHÂN DÂN\nTỈNH HÀ GIANG")."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


_ABSTAIN_TEXT = {
    ("en", "province"): "The documents don't cover {unknown}. Provinces in the collection: {known}.",
    ("en", "year"): "The documents don't state this for {years}.",
    ("en", "nothing"): "The documents don't say this.",
    ("vi", "province"): "Kho tài liệu không có văn bản nào của tỉnh {unknown}. Các tỉnh hiện có: {known}.",
    ("vi", "year"): "Các tài liệu không nêu nội dung này cho năm {years}.",
    ("vi", "nothing"): "Các tài liệu hiện có không nêu thông tin này.",
}


_SPANS = {AskedFor.DATE: facts.dates, AskedFor.DOC_NUMBER: facts.doc_numbers, AskedFor.PERSON: facts.names,
          AskedFor.FREQUENCY: facts.frequencies}


def _has(ask: Ask, text: str) -> bool:
    """Whether the clause holds a fact of the asked kind at all."""
    if ask.want == AskedFor.NUMBER:
        return bool(_figures_of(text, ask))
    spans = _SPANS.get(ask.want)
    return bool(spans(text)) if spans else True


def _figures_of(text: str, ask: Ask) -> list[facts.Figure]:
    """The figures of the asked unit; for "mấy cấp", also the bare counts of that noun ("3 cấp")."""
    found = facts.figures(text)
    found = [f for f in found if facts.unit_kind(f.unit) == ask.unit] if ask.unit else found
    if ask.noun:  # "bao nhiêu doanh nghiệp": only counts of enterprises, never a percentage of them
        found = [f for f in found if plain(f.unit).startswith(plain(ask.noun.split()[0]))]
        covered = [(f.start, f.end) for f in found]
        found += [f for f in facts.counts(text, ask.noun) if not any(s <= f.start < e for s, e in covered)]
    return sorted(found, key=lambda f: f.start)


def _date_pattern(iso: str) -> str:
    y, m, d = iso.split("-")
    d, m = str(int(d)), str(int(m))
    return rf"(?<!\d)0?{d}/0?{m}/{y}(?!\d)|ngày\s+0?{d}\s+tháng\s+0?{m}\s+năm\s+{y}"


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


def _shorten(text: str, lead: str, max_words: int) -> str:
    words = text.split()
    if len(words) <= max_words:
        return text
    at = text.find(lead) if lead else -1
    centre = len(text[:at].split()) if at >= 0 else 0
    lo = max(0, centre - max_words // 2)
    hi = min(len(words), lo + max_words)
    return ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")


# "hàng năm" → "annually": data/extractive_frequency_en.tsv (units of time), data/extractive_every_words.txt
_FREQUENCY_EN = dict(read_table(_DATA / "extractive_frequency_en.tsv", 2))
_EVERY = re.compile(r"(?:" + "|".join(map(re.escape, read_lines(_DATA / "extractive_every_words.txt"))) + r")\s+("
                    + "|".join(map(re.escape, _FREQUENCY_EN)) + r")$")


def _english_lead(lead: str) -> str:
    if not lead:
        return ""
    every = _EVERY.search(lead.lower())
    if every:  # "định kỳ hàng năm"
        return f"{_FREQUENCY_EN[every.group(1)].capitalize()} ({lead})"
    if "; " in lead:  # "tối thiểu đạt 50% (2025); đạt 55% (2030)"
        return "; ".join(_english_lead(part).split(" (")[0] + " (" + part.split(" (")[-1] for part in lead.split("; "))
    low = lead.lower()
    for vi, en in sorted(facts.COMPARATORS_EN.items(), key=lambda kv: -len(kv[0])):
        if low.startswith(vi):
            rest = lead[len(vi):].strip()
            rest = re.sub(r"^đạt\s+", "", rest)
            rest = rest.replace("trở lên", "or more")
            english = f"{en} {rest}".strip()
            return f"{english[:1].upper()}{english[1:]} ({lead})"
    return lead
