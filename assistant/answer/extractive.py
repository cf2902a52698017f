"""Extractive answering (the default): pick the clause that answers, lead with its key fact, cite it.

Deterministic and LLM-free. Abstention is decided here, in code: an unknown province, a clause that
does not cover the question's terms, or a year that the evidence does not cover all lead to "the
documents don't say" — with the closest passages shown as related, never as support.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer import facts
from assistant.question.asked import Ask, AskedFor, ask_of, asks_which_provinces
from assistant.types import Answer, Citation, Query, ScoredChunk
from assistant.question.understand import blank_provinces, paraphrase_matches
from ingest.document import Chunk
from ingest.textnorm import expand_abbreviations, fold, has_diacritics, plain
from vectorstore.keyword import segment_words

from assistant.retrieve import CorpusView

# Question words and fillers: they say how something is asked, not what (accent-less forms).
_FILLER = set(
    "bao nhieu phan tram gi nao la co khong duoc dat ra cua thi sao con vay nhu the ai khi bao gio may "
    "hay cho biet xin hoi toi muon biet ve theo tai trong voi va cac nhung mot nay do ha a nhe oi o dau "
    "nam tinh so den vao lau muc tieu chi cam ket phan dau yeu cau se lam gi ong ay ba no do moi ngoai phai lan".split()
)
# Phrases that frame a question ("đặt mục tiêu … bao nhiêu phần trăm") rather than name its subject.
_FILLER_PHRASES = re.compile(
    r"\b(dat muc tieu|dat chi tieu|muc tieu|chi tieu|cam ket|phan dau|bao nhieu phan tram|bao nhieu|phan tram|"
    r"nhu the nao|the nao|la gi|cho hoi|xin hoi|cho biet|co phai|hay khong|duoc khong|co khong|thi sao|"
    r"con gi|gom nhung|nhung gi)\b"
)
# "xếp thứ bao nhiêu" asks for a rank; the passage says "vị trí 63/63" (the rank figure decides, facts._RANK)
_RANK_FRAMING = re.compile(r"(?<!\w)(?:(?:xếp|xep|đứng|dung)\s+(?:thứ|thu|hạng|hang)|(?:vị trí|vi tri)\s+(?:thứ|thu))(?!\w)",
                           re.IGNORECASE)
# English words that frame a question ("what share", "the target") rather than name its subject: they help
# keyword search but a passage need not contain them.
from assistant.question.understand import EN_FRAMING as _EN_FRAMING  # noqa: E402
_EN_STOP = set(
    "what which who whom when where why how is are was were be been does do did the a an of in on for by to "
    "and or its their it this that these those with from as at set sets aim aims plan plans "
    "according under have has had will would should must can could any there main mentioned".split()
)


@dataclass(frozen=True)
class _Term:
    """One thing the question asks about; any alternative (a syllable sequence) matching counts."""

    alternatives: tuple[tuple[str, ...], ...]
    weight: float
    accented: bool = False  # compare with diacritics: "phở" is not "phố"
_DOC_LEVEL = re.compile(r"\b(ban hanh|ky|issued|sign|signed|signer|signatory|hieu luc|effective|so hieu|ky hieu|"
                        r"number|(?<!co )so may|so bao nhieu|adopted|promulgated)\b")
_ASKS_PERIOD = re.compile(r"\b(giai doan nao|thoi ky nao|what period|which period|time frame|timeframe|"
                          r"period covered|(?:what|which) is the period|covers? (?:what|which) (?:period|years))\b")


@dataclass(frozen=True)
class ExtractiveSettings:
    min_coverage: float = 0.4  # share of the question's (IDF-weighted) terms the evidence must contain
    max_clause_words: int = 70
    # Weight of an English word the glossary cannot translate, relative to the translated terms' mean:
    # it cannot match a Vietnamese passage, so it counts as evidence the passage lacks.
    untranslated_weight: float = 1.0


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
            spellings = _issuer_spellings(value, m.province) if value else []
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
            wanted = {_norm(n) for n in query.doc_numbers}
            named = [r for r in docs.values() if _norm(r.metadata.number or "") in wanted]
            return named[0] if named else None
        if query.focus and not query.provinces:
            return docs.get(query.focus[0])
        return docs.get(passages[0].chunk.source) if passages else None

    def related(self, passages: list[ScoredChunk], n: int = 3) -> tuple[Citation, ...]:
        return tuple(self._chunk_citation(i + 1, p.chunk) for i, p in enumerate(passages[:n]))

    # --- candidate clauses -----------------------------------------------------------------------
    def _clauses(self, query: Query, passages: list[ScoredChunk], ask: Ask) -> list[_Clause]:
        terms = self._query_terms(query)
        # a list or an explanation: keep the whole sentence ("Nghị định số 130/…, số 117/… và số 16/…")
        sentences_only = ask.want in (AskedFor.TEXT, AskedFor.FREQUENCY) or ask.is_list
        out = []
        for rank, scored in enumerate(passages):
            chunk = scored.chunk
            doc = self.view.documents.get(chunk.source)
            full = doc.text if doc and doc.text else None
            for start, end in split_clauses(chunk, self.settings.max_clause_words, sentences_only):
                text = chunk.text[start - chunk.start : end - chunk.start]
                m = chunk.metadata
                context = " ".join([*chunk.heading_path, m.title or "", m.doc_type or "", m.number or "",
                                    m.issuing_body or "", m.province or ""])
                coverage = self._coverage(terms, text, context)
                prefix = _paragraph_prefix(full, start) if full else chunk.text[: start - chunk.start]
                ctx_year = facts.context_year(prefix, chunk.heading_path)
                year_ok = _year_ok(query, text, ctx_year, chunk.metadata.period)
                score = coverage + 0.15 / (rank + 1) + 0.3 * _has(ask, text) + 0.2 * year_ok
                if sentences_only and full:  # a long list goes on in the next chunk: scored as is, quoted whole
                    end = _sentence_end(full, end, chunk.end)
                    text = full[start:end]
                out.append(_Clause(chunk, rank, start, end, text, coverage, score, year_ok, ctx_year))
        return out

    def _query_terms(self, query: Query) -> list[_Term]:
        if query.language == "en":
            return self._english_terms(query)
        text = _RANK_FRAMING.sub(" | ", blank_provinces(query.keywords_vi or query.text))
        found, rest = paraphrase_matches(text)
        terms = self._word_terms(rest) if has_diacritics(text) else self._syllable_terms(rest)
        # a citizen phrasing is one term, present when the passage has it or any of its document terms
        return terms + [self._alternatives_term([said, *written]) for said, written in found]

    def _alternatives_term(self, phrasings: list[str]) -> _Term:
        alternatives = tuple(dict.fromkeys(tuple(re.findall(r"[a-z0-9%]+", plain(t))) for t in phrasings))
        alternatives = tuple(a for a in alternatives if a)
        return _Term(alternatives, max(self._phrase_idf(a) for a in alternatives))

    def _phrase_idf(self, syllables: tuple[str, ...]) -> float:
        """A phrase is as specific as its rarest pair of syllables ("phí tuân" in "chi phí tuân thủ"), as in
        _word_terms: the mean of its syllables would rank "cắt giảm" above "chi phí tuân thủ"."""
        if len(syllables) == 1:
            return self._idf(syllables[0])
        return max(self._idf(f"{a}_{b}") for a, b in zip(syllables, syllables[1:]))

    def _word_terms(self, text: str) -> list[_Term]:
        """Terms from pyvi's word segmentation: "thời tiết" is one word that must appear as a whole (not
        "tiết" out of "tiết kiệm"); a word the corpus never writes counts as missing evidence."""
        terms: dict[tuple[str, ...], _Term] = {}
        for segment in re.split(r"[|?.,;:!()]", text):
            for word in segment_words(segment):
                spaced = word.replace("_", " ")
                syllables = tuple(re.findall(r"[a-z0-9]+", expand_abbreviations(plain(spaced))))
                content = tuple(x for x in syllables if x not in _FILLER)
                if not content or all(x.isdigit() for x in content) or _FILLER_PHRASES.fullmatch(" ".join(syllables)):
                    continue
                accented = has_diacritics(spaced)
                surface = tuple(re.findall(r"\w+", fold(spaced))) if accented else syllables
                if len(syllables) == 1:
                    terms.setdefault(surface, _Term((surface,), self._idf(syllables[0]), accented))
                    continue
                attested = self._attested(syllables)
                if not attested and len(syllables) > 2:
                    # pyvi joins phrases too ("công_khai_thông_tin"): the words it is made of are the terms
                    for part in self._word_terms(" ".join(spaced.split()[:2])) + self._word_terms(" ".join(spaced.split()[2:])):
                        terms.setdefault(part.alternatives[0], part)
                    continue
                weight = max(self._idf(f"{a}_{b}") for a, b in zip(syllables, syllables[1:]))
                terms.setdefault(surface, _Term((surface,), weight if attested else self._idf("\u0000"), accented))
        return list(terms.values())

    def _syllable_terms(self, text: str) -> list[_Term]:
        """Accent-less questions cannot be segmented reliably: syllables plus attested syllable pairs."""
        text = _FILLER_PHRASES.sub(" | ", expand_abbreviations(plain(text)))
        terms: dict[tuple[str, ...], _Term] = {}
        for segment in re.split(r"[|?.,;:!()]", text):
            syllables = [w for w in re.findall(r"[a-z0-9]+", segment)]
            for a in syllables:
                if a not in _FILLER and not a.isdigit():
                    terms.setdefault((a,), _Term(((a,),), self._idf(a)))
            for a, b in zip(syllables, syllables[1:]):
                # A pair of known words that the corpus never writes together is weak evidence of
                # absence when we cannot tell words apart: only attested pairs count.
                if a in _FILLER or b in _FILLER or a.isdigit() or b.isdigit() or not self._knows(f"{a}_{b}"):
                    continue
                terms.setdefault((a, b), _Term(((a, b),), self._idf(f"{a}_{b}")))
        return list(terms.values())

    def _english_terms(self, query: Query) -> list[_Term]:
        """Glossary entries become one term each (their Vietnamese renderings are alternatives); other
        English content words count a little, so a question about something the documents never name
        does not ride on one generic term."""
        from assistant.question.understand import glossary_matches

        terms = []
        matches, rest = glossary_matches(blank_provinces(query.text))
        for en, vi_terms in matches:
            usable = [t for t in vi_terms if re.search(r"[^\W%]", t)]
            if en not in _EN_FRAMING and usable:
                terms.append(self._alternatives_term(usable))
        leftover = [w for w in re.findall(r"[a-z]+", rest.lower()) if w not in _EN_STOP and len(w) > 2]
        if terms:
            mean = sum(t.weight for t in terms) / len(terms)
            terms += [_Term(((w,),), self.settings.untranslated_weight * mean) for w in dict.fromkeys(leftover)]
        if query.inherited:  # a follow-up: the carried-over Vietnamese topic words count too
            terms += [t for t in self._vi_terms_of(query.keywords_vi) if t not in terms]
        return terms

    def _vi_terms_of(self, text: str) -> list[_Term]:
        return self._query_terms(Query(text=text, language="vi", keywords_vi=text))

    def _idf(self, token: str) -> float:
        return self.view.keyword.idf("plain", token)

    def _knows(self, token: str) -> bool:
        return self.view.keyword.knows("plain", token)

    def _attested(self, syllables: tuple[str, ...]) -> bool:
        """Whether the corpus writes this word or phrase (every adjacent pair of a phrase occurs)."""
        if len(syllables) == 1:
            return self._knows(syllables[0])
        return all(self._knows(f"{a}_{b}") for a, b in zip(syllables, syllables[1:]))

    def _coverage(self, terms: list[_Term], text: str, context: str) -> float:
        if not terms:
            return 0.0
        both = text + " " + context
        have = " " + " ".join(re.findall(r"[a-z0-9%]+", expand_abbreviations(plain(both)))) + " "
        have_accented = " " + " ".join(re.findall(r"[\w%]+", fold(both))) + " "
        matched = [t for t in terms
                   if any(f" {' '.join(a)} " in (have_accented if t.accented else have) for a in t.alternatives)]
        total = sum(t.weight for t in terms)
        coverage = sum(t.weight for t in matched) / total if total else 0.0
        # The question's most specific word (rarest in the corpus, yet present in it) must be there:
        # "mức độ hài lòng" in a Sơn La question is not answered by a Sơn La clause about time limits.
        known = [t for t in terms if any(self._attested(tuple(plain(x) for x in a)) for a in t.alternatives)]
        # Phrases name a subject better than single syllables ("hài lòng" vs a rare "đi").
        phrases = [t for t in known if any(len(a) > 1 for a in t.alternatives)]
        below = min(coverage, self.settings.min_coverage - 0.01)
        if known and coverage < 0.7:
            # Every word of the top weight too: with a few hundred chunks rarities tie often, and "cắt giảm …
            # thời gian" is not answered by a clause with "cắt giảm" but no "thời gian". Accent-less syllable
            # pairs tie by accident (a pair across two words): they do not count here.
            pool = phrases or known
            key = max(pool, key=lambda t: t.weight)
            tied = [t for t in pool if t.weight >= key.weight - 1e-9 and (t.accented or len(t.alternatives) > 1)]
            if key not in matched or any(t not in matched for t in tied):
                return below
        return coverage

    # --- the key fact ----------------------------------------------------------------------------
    def _lead(self, query: Query, ask: Ask, clause: _Clause) -> str:
        text = clause.text
        anchor = self._anchor(query, text)
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
                known = {_norm(n) for n in (*query.doc_numbers, clause.chunk.metadata.number or "")}
                found = [(s, e) for s, e in found if _norm(text[s:e]) not in known] or found
            if found and ask.is_list and want == AskedFor.DOC_NUMBER:
                return "; ".join(dict.fromkeys(text[s:e] for s, e in found))
            if found:
                s, e = min(found, key=lambda se: abs(se[0] - anchor))
                return text[s:e]
        return ""

    def _anchor(self, query: Query, text: str) -> int:
        """Where in the clause the question's rarest terms are: the fact nearest to them is the answer."""
        low, folded = plain(text), fold(text)
        best_pos, best_w = len(text) // 2, -1.0
        for term in self._query_terms(query):
            for alternative in term.alternatives:
                phrase = " ".join(alternative)
                m = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded if term.accented else low)
                score = term.weight * len(alternative)
                if m and score > best_w:
                    best_pos, best_w = m.start(), score
        return best_pos

    # --- output ----------------------------------------------------------------------------------
    def _cite(self, n: int, clause: _Clause) -> Citation:
        return _citation(n, clause.chunk, clause.start, clause.end, clause.text)

    def _chunk_citation(self, n: int, chunk: Chunk) -> Citation:
        return _citation(n, chunk, chunk.start, chunk.end, chunk.text)

    def _compose(self, query: Query, clause: _Clause, lead: str, citation: Citation, ask: Ask) -> str:
        m = clause.chunk.metadata
        year = next((y for y in query.years), None) or _clause_year(clause)
        doc = m.label() or clause.chunk.source
        # a list is the answer itself: quoted whole (up to a sentence's limit), not cut around one item
        words = 4 * self.settings.max_clause_words if ask.is_list else (45 if lead else 90)
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
        chosen = [c for c in best_per_province.values() if c.score >= top - 0.35]
        lines, citations = [], []
        for n, clause in enumerate(chosen, start=1):
            citation = self._cite(n, clause)
            citations.append(citation)
            lead = self._lead(query, ask, clause)
            doc = clause.chunk.metadata.label() or clause.chunk.source
            label = clause.chunk.metadata.province or doc
            lines.append(f"- {label}: {(_english_lead(lead) if query.language == 'en' else lead) or ''} — {doc}: "
                         f"“{_shorten(clause.text, lead)}” [{n}]")
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


def _issuer_spellings(body: str, province: str | None) -> list[str]:
    """"Ban Thường vụ Tỉnh ủy Lai Châu" is written "Ban Thường vụ Tỉnh ủy" in its own text, "UBND tỉnh X"
    as "ỦY BAN NHÂN DÂN / TỈNH X" in its header. A short form must keep at least three words: "UBND tỉnh"
    alone is any mention of the province's committee ("báo cáo UBND tỉnh")."""
    short = body[: -len(province)].strip() if province and body.endswith(province) else body
    spellings = [body, body.replace("UBND", "Ủy ban nhân dân"), short, short.replace("UBND", "Ủy ban nhân dân")]
    return list(dict.fromkeys(s for s in spellings if len(s.split()) >= 3))


def _loose(phrase: str) -> str:
    """A phrase as a pattern that lets line breaks and spaces vary ("ỦY BAN NHÂN DÂN\nTỈNH HÀ GIANG")."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def written_at(view: CorpusView, source: str, pattern: str, n: int, max_clause_words: int) -> tuple[Citation, str] | None:
    """Citation ``n`` of the first clause of ``source`` where ``pattern`` is written, and what it matched."""
    chunks = sorted((s.chunk for s in view.chunks.values() if s.chunk.source == source), key=lambda c: c.index)
    for chunk in chunks:
        hit = re.search(pattern, chunk.text)
        if hit:
            start = chunk.start + hit.start()
            clause = next(((s, e) for s, e in split_clauses(chunk, max_clause_words) if s <= start < e),
                          (chunk.start, chunk.end))
            clause = (clause[0], max(clause[1], chunk.start + hit.end()))  # a match over a line break, whole
            quote = chunk.text[clause[0] - chunk.start : clause[1] - chunk.start]
            return _citation(n, chunk, clause[0], clause[1], quote), hit.group(0)
    return None


_ABSTAIN_TEXT = {
    ("en", "province"): "The documents don't cover {unknown}. Provinces in the collection: {known}.",
    ("en", "year"): "The documents don't state this for {years}.",
    ("en", "nothing"): "The documents don't say this.",
    ("vi", "province"): "Kho tài liệu không có văn bản nào của tỉnh {unknown}. Các tỉnh hiện có: {known}.",
    ("vi", "year"): "Các tài liệu không nêu nội dung này cho năm {years}.",
    ("vi", "nothing"): "Các tài liệu hiện có không nêu thông tin này.",
}


def _citation(n: int, chunk: Chunk, start: int, end: int, quote: str) -> Citation:
    m = chunk.metadata
    return Citation(n=n, source=chunk.source, title=m.title or m.label() or chunk.source, province=m.province or "",
                    quote=quote, start=start, end=end, number=m.number or "", doc_type=m.doc_type or "",
                    issue_date=m.issue_date or "", heading=" > ".join(chunk.heading_path))


_CLAUSE_BOUNDARY = re.compile(r"[.;!?](?=\s|$)|\n")
_SENTENCE_BOUNDARY = re.compile(r"[.!?](?=\s|$)|\n")


def split_clauses(chunk: Chunk, max_words: int, sentences_only: bool = False) -> list[tuple[int, int]]:
    """Sentences and ';' clauses of the chunk as absolute (start, end) offsets. "2.000" and "0,3" have no
    space after the mark, so they stay whole; a clause over ``max_words`` is cut at commas."""
    out, pos = [], 0
    boundary = _SENTENCE_BOUNDARY if sentences_only else _CLAUSE_BOUNDARY
    if sentences_only:
        max_words *= 2
    bounds = [m.end() for m in boundary.finditer(chunk.text)] + [len(chunk.text)]
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


def _norm(number: str) -> str:
    return re.sub(r"[\s\-/]", "", number).upper().replace("Đ", "D")


def _date_pattern(iso: str) -> str:
    y, m, d = iso.split("-")
    d, m = str(int(d)), str(int(m))
    return rf"(?<!\d)0?{d}/0?{m}/{y}(?!\d)|ngày\s+0?{d}\s+tháng\s+0?{m}\s+năm\s+{y}"


_MAX_CONTINUATION = 1200  # characters a sentence is followed into the next chunk, at most


def _sentence_end(full: str, end: int, chunk_end: int) -> int:
    """Where a clause that runs to its chunk's end ("…; tập trung nâng cao chỉ số PCI;") ends in the
    document: the chunker splits long sentences at ';', and a list is answered whole."""
    if full[end:chunk_end].strip(" \n;,:") or not full[:chunk_end].rstrip().endswith((";", ",", ":")):
        return end
    stop = _SENTENCE_BOUNDARY.search(full, chunk_end, min(len(full), chunk_end + _MAX_CONTINUATION))
    if stop is None:
        return end
    return stop.end() if full[stop.start()] != "\n" else len(full[: stop.start()].rstrip(" ;,"))


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


_FREQUENCY_EN = {"năm": "annually", "quý": "quarterly", "tháng": "monthly", "tuần": "weekly", "ngày": "daily"}


def _english_lead(lead: str) -> str:
    if not lead:
        return ""
    every = re.search(r"(?:hàng|hằng|mỗi)\s+(năm|quý|tháng|tuần|ngày)$", lead.lower())
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
