"""Extractive answering (the default): the best-supported unit of the evidence answers, cited at its exact
offsets, led by the fact of the asked kind.

Deterministic and LLM-free. The retrieved passages are read as units of their documents (sentences, list
items, table rows: evidence.py); each unit is scored on how much of the question it covers, with and
without diacritics (scoring.py), on how close it is in meaning to the question (the embedder, when one is
given), on holding a fact of the kind asked for (a figure with its unit, a date, a person, a body …), and
on its passage's retrieval rank. The best unit answers when its score reaches ``min_support`` (calibrated on
the real-document dev questions); otherwise the documents "don't say", with the closest passages shown as
related, never as support. Descriptions and lists are answered with a few units, each cited. A province
the collection lacks, a year the evidence does not cover and text that addresses the assistant are never
answered from.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.answer import facts
from assistant.answer.clauses import cite_span, split_clauses, written_at
from assistant.answer.document_text import (
    ORDINAL,
    OUTLINE,
    POSITION_LINE,
    PREAMBLE,
    PREAMBLE_WORDS,
    document_name,
    list_after,
    numbers_it,
    unit_starts,
)
from assistant.answer.evidence import Unit, forms_of, units_of
from assistant.answer.scoring import ExtractiveSettings, Term, TermScorer
from assistant.answer.similarity import SentenceVectors
from assistant.answer.unit_facts import (
    FACTS,
    SPANS,
    StaticFacts,
    date_pattern,
    figures_of,
    holds,
    matching_cells,
    paragraph_before,
    unit_in_year,
)
from assistant.answer.wording import (
    ABSTAIN_TEXT,
    doc_label,
    english_lead,
    figure_key,
    issuer_spellings,
    loose_pattern,
    one_line,
    quote_unit,
    valid_name,
)
from assistant.question.asked import Ask, AskedFor, ask_of, asked_quantities, asks_which_provinces
from assistant.question.understand import addresses_assistant
from assistant.retrieve import CorpusView
from assistant.types import Answer, Citation, Query, ScoredChunk
from ingest.document import Chunk
from ingest.provinces import with_kind
from ingest.textnorm import fold, norm_number, plain
from ingest.vocab import read_lines, read_table
from vectorstore.chroma import DocumentRecord
from vectorstore.embeddings import Embedder

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
# Questions for when a document takes effect, not when it was issued: data/extractive_effective_cues.txt
_ASKS_EFFECT = re.compile(r"\b(" + "|".join(
    re.escape(plain(cue)) for cue in read_lines(_DATA / "extractive_effective_cues.txt")) + r")\b")
# Questions for the period a document covers: data/extractive_period_cues.txt
_ASKS_PERIOD = re.compile(r"\b(" + "|".join(
    re.escape(plain(cue)) for cue in read_lines(_DATA / "extractive_period_cues.txt")) + r")\b")


@dataclass(frozen=True)
class _Candidate:
    record: DocumentRecord
    unit: Unit
    rank: int  # retrieval rank of the best passage it lies in
    chunk: Chunk  # that passage (its metadata and headings for the citation)
    coverage: float  # share of the question's terms in the unit and its context
    own: float  # the same, in the unit's own words only
    key_ok: bool  # the question's key term is there (scoring.TermScorer.match)
    has_fact: bool  # holds a fact of the asked kind
    also: int  # how many of the question's other asked kinds it holds a fact of
    year_ok: bool
    safe: bool  # does not address the assistant
    context_year: int | None
    score: float = 0.0
    dense: float | None = None
    kinds: frozenset[str] = frozenset()  # the asked kinds it holds a fact of
    partner: Unit | None = None  # a unit of its section that holds the asked fact it lacks
    on_subject: bool = True  # holds the question's key term, or most of its words (ExtractiveSettings.key_waive_own)
    count: int | None = None  # the number of items of the list it opens, when that is the asked count

    @property
    def supported(self) -> bool:
        return self.has_fact and self.year_ok and self.safe and self.on_subject

    @property
    def source(self) -> str:
        return self.record.source








class ExtractiveAnswerer:
    def __init__(self, view: CorpusView, settings: ExtractiveSettings | None = None,
                 embedder: Embedder | None = None) -> None:
        self.view = view
        self.settings = settings = settings or ExtractiveSettings()
        self.scorer = TermScorer(view.keyword, settings)
        self.vectors = (SentenceVectors(embedder, settings.sentence_cache)
                        if embedder is not None and max(settings.dense_candidates, settings.dense_candidates_en) > 0
                        else None)
        self._statics: dict[tuple[str, str, int], StaticFacts] = {}

    # --- public ----------------------------------------------------------------------------------
    def answer(self, query: Query, passages: list[ScoredChunk]) -> Answer:
        if query.unknown_provinces and not query.provinces and not self._named_without_province(query):
            return self._abstain(query, passages, reason="province")
        if not passages:
            return self._abstain(query, passages, reason="nothing")
        ask = ask_of(query)
        if ask.summary:  # "tóm tắt …": the named document, else the one the search found first
            record = self._target_document(query, passages)
            summary = self._summary(query, record) if record is not None else None
            if summary is not None:
                return summary
        document_fact = self._document_fact(query, ask, passages)
        terms = self.scorer.terms(query)
        if document_fact is None and not query.inherited and not terms:
            # nothing but framing, a place or a year ("còn năm 2030 thì sao?" with no earlier turn): no subject
            # to match, and any figure of that year would be a guess
            return self._abstain(query, passages, reason="nothing")
        candidates = self._candidates(query, passages, ask, terms)
        if document_fact is not None:  # "… do ai ký và có hiệu lực từ khi nào?": the other part from the text
            return self._with_parts(query, ask, document_fact, candidates)
        supported = [c for c in candidates if c.supported and c.score >= self.settings.min_support]
        if not supported:
            year_missing = query.years and any(c.has_fact and c.safe and not c.year_ok
                                               and c.score >= self.settings.min_support for c in candidates)
            return self._abstain(query, passages, reason="year" if year_missing else "nothing")
        if asks_which_provinces(query):  # "tỉnh nào …?" (provinces the question names: answer_compare)
            return self._cross_answer(query, supported, ask)
        best = max(supported, key=lambda c: c.score)
        if ask.describe or ask.is_list:
            section = self._section(query, ask, best)
            if section is not None:
                return section
            return self._several(query, ask, best, supported)
        rival = self._rival(query, ask, best, supported)
        return self._single(query, ask, best, rival, candidates)

    def _named_without_province(self, query: Query) -> bool:
        """The question names a document by number whose metadata has no province ("Quyết định 2820/QĐ-UBND
        của TP.HCM" where the text never names its city): that document answers, whatever the province."""
        named = self.view.named_documents(query.doc_numbers)
        return bool(named) and all(not self.view.documents[s].metadata.province for s in named)

    def related(self, passages: list[ScoredChunk], n: int | None = None) -> tuple[Citation, ...]:
        """The first ``n`` passages (default: settings.related_passages) as citations, shown as related."""
        n = self.settings.related_passages if n is None else n
        return tuple(self._chunk_citation(i + 1, p.chunk) for i, p in enumerate(passages[:n]))

    # --- facts about the document itself -------------------------------------------------------------
    def _document_fact(self, query: Query, ask: Ask, passages: list[ScoredChunk]) -> Answer | None:
        """Questions about a document itself (when issued or in force, who signed, its number, its period)
        are answered from the extracted metadata, cited at the place in the text where the value is written;
        a signer the metadata lacks, from the document's signature block."""
        q = plain(query.text)
        want = ask.want
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
        if want == AskedFor.DATE and _ASKS_EFFECT.search(q) and not period:
            return None  # when it takes effect is written in its text ("có hiệu lực từ ngày …"): the units
        if period:
            value, pattern = m.period, m.period and re.escape(m.period).replace(r"\-", r"\s*[-–]\s*")
        elif want == AskedFor.DATE:
            value, pattern = m.issue_date, m.issue_date and date_pattern(m.issue_date)
        elif want == AskedFor.PERSON:
            value, pattern = valid_name(m.signer), valid_name(m.signer) and loose_pattern(m.signer or "")
            if not value:
                return self._signature(query, record, want)
        elif want == AskedFor.POSITION:
            title = m.signer_title if m.signer_title and re.search(r"\w{2}", m.signer_title) else None
            value, pattern = title, title and loose_pattern(title)
            if not value:
                return self._signature(query, record, want)
        elif want == AskedFor.ISSUER:  # as written in the text ("Ban Thường vụ Tỉnh ủy"), else in the title
            value = m.issuing_body
            spellings = issuer_spellings(value, m.province, self.settings.min_issuer_words) if value else []
            pattern = spellings and "(?i:" + "|".join(loose_pattern(v) for v in spellings) + ")"
        else:
            value, pattern = m.number, m.number and re.escape(m.number)
        if not value:
            return None  # unknown: the unit search below decides, and abstains when nothing supports
        found = written_at(self.view, record.source, pattern, 1, self.settings.max_clause_words)
        if found is None and want == AskedFor.ISSUER and m.title:  # the text never names its issuer: the title
            found = written_at(self.view, record.source, re.escape(m.title), 1, self.settings.max_clause_words)
        if found is None:
            return None
        citation, written = found
        if want == AskedFor.ISSUER and not period:
            written = value  # the body's full name ("UBND tỉnh Quảng Bình"); the quote shows how the text puts it
        return self._fact_answer(query, record, re.sub(r"\s+", " ", written), citation)

    def _fact_answer(self, query: Query, record: DocumentRecord, written: str, citation: Citation) -> Answer:
        doc = record.metadata.label() or record.source
        quote = one_line(citation.quote)
        if query.language == "en":
            text = f"{written} — {doc} [1].\nSource: “{quote}” [1]"
        else:
            text = f"{written[:1].upper()}{written[1:]} — {doc} [1].\nNguồn: “{quote}” [1]"
        return Answer(question=query.text, text=text, abstained=False, mode="extractive",
                      citations=(citation,), language=query.language)

    def _signature(self, query: Query, record: DocumentRecord, want: str) -> Answer | None:
        """The signer (or the signer's position) read from the document's signature block: the last unit that
        is a position line in capitals followed by a personal name ("KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Lộc Hà")."""
        for unit in reversed(self._units(record)):
            if unit.kind == "heading" or len(unit.text.split()) > self.settings.signature_words:
                continue
            names = facts.names(unit.text)
            positions = [m for m in POSITION_LINE.finditer(unit.text) if not names or m.start() < names[-1][0]]
            if not names or not positions:
                continue
            if want == AskedFor.PERSON:
                written = unit.text[names[-1][0]:names[-1][1]]
            else:
                written = positions[-1].group(0)
            citation = self._unit_citation(1, record, unit)
            return self._fact_answer(query, record, written, citation)
        return None

    def _target_document(self, query: Query, passages: list[ScoredChunk]) -> DocumentRecord | None:
        docs = self.view.documents
        if query.doc_numbers:
            wanted = {norm_number(n) for n in query.doc_numbers}
            named = [r for r in docs.values() if norm_number(r.metadata.number or "") in wanted
                     and (not query.provinces or not r.metadata.province or r.metadata.province in query.provinces)]
            return named[0] if named else None
        if query.focus and not query.provinces:
            return docs.get(query.focus[0])
        return docs.get(passages[0].chunk.source) if passages else None

    # --- candidate units -------------------------------------------------------------------------------
    def _candidates(self, query: Query, passages: list[ScoredChunk], ask: Ask, terms: list[Term]) -> list[_Candidate]:
        """The units of the retrieved passages; every unit of a document the question names (by number, or
        as the one the conversation is about), wherever the search found it."""
        passages = passages[: self.settings.evidence_passages]
        searched = {p.chunk.source for p in passages}
        whole = searched & (self.view.named_documents(query.doc_numbers) | set(query.focus if query.inherited else ()))
        top = passages[: self.settings.dominant_passages]
        counts = {source: sum(p.chunk.source == source for p in top) for source in searched}
        # a document that holds most of the best passages is the one the question is about, whatever it names
        whole |= {source for source, n in counts.items() if n * 2 > len(top)}
        found: dict[tuple[str, int], _Candidate] = {}
        for rank, scored in enumerate(passages):
            chunk = scored.chunk
            record = self.view.documents.get(chunk.source)
            if record is None or not self.view.text(record.source):
                continue
            units = self._units(record)
            starts = unit_starts(record.source, record.version, units)
            first = max(0, bisect.bisect_right(starts, chunk.start) - 1)
            for unit in units[first:]:
                if unit.start >= chunk.end:
                    break
                if unit.end <= chunk.start or unit.kind == "heading" or (record.source, unit.index) in found:
                    continue
                found[(record.source, unit.index)] = self._candidate(query, ask, terms, record, unit, rank, chunk,
                                                                     self._residual(terms, record))
        for source in sorted(whole):
            record = self.view.documents[source]
            chunk = next(p.chunk for p in passages if p.chunk.source == source)
            residual = self._residual(terms, record)
            for unit in self._units(record):
                if unit.kind != "heading" and (source, unit.index) not in found:
                    found[(source, unit.index)] = self._candidate(query, ask, terms, record, unit, len(passages),
                                                                  chunk, residual)
        asked = set(ORDINAL.findall(fold(query.text)))
        if asked:  # "phiên họp lần thứ sáu": only a document that names it (not one about "lần thứ năm")
            found = {k: c for k, c in found.items() if numbers_it(c.record, self.view.text(c.source), asked)}
        candidates = self._with_partners(ask, terms, list(found.values()))
        return self._with_similarity(query, candidates)

    def _candidate(self, query: Query, ask: Ask, terms: list[Term], record: DocumentRecord, unit: Unit, rank: int,
                   chunk: Chunk, residual: list[Term]) -> _Candidate:
        """``residual``: the terms the document's metadata does not hold. Words that name the document ("Nghị
        định … quy định chức năng, nhiệm vụ …") are in every unit's context; a unit that quotes them (another
        decree's title) is no better for it: the unit's own share and the key term are of the other terms."""
        s = self.settings
        static = self._static(record, unit)
        coverage, _ = self.scorer.match(terms, static.forms, static.context, self._meta_forms(record))
        own, _ = self.scorer.match(residual, static.forms)
        _, key_ok = self.scorer.match(residual, static.forms, static.context) if residual else (0.0, True)
        kinds = frozenset(k for k in (ask.want, *ask.also) if k in FACTS and holds(k, ask, unit, query, record, static))
        has_fact = ask.want in kinds or ask.want not in FACTS
        also = len(kinds - {ask.want})
        year_ok = unit_in_year(query, unit, static.context_year, record.metadata.period)
        # "theo đề nghị của ai?", "căn cứ văn bản nào?": the preamble is what is asked
        asks_basis = bool(PREAMBLE_WORDS.search(plain(f"{query.text} {query.keywords_vi}")))
        score = (s.coverage_weight * coverage + s.own_weight * own + s.rank_weight / (rank + 1)
                 + s.fact_weight * (has_fact and ask.want in FACTS) + s.also_weight * also
                 - s.gate_penalty * (not key_ok) - s.preamble_penalty * (static.preamble and not asks_basis)
                 + s.type_weight * (record.metadata.doc_type in query.doc_types))
        # English words the glossary lacks cannot be found in a Vietnamese unit: the key term is no test there;
        # the similarity in meaning decides (_with_similarity), else enough of the glossary's terms
        on_subject = (coverage >= s.min_coverage if query.language == "en"
                      else key_ok or own >= s.key_waive_own)
        return _Candidate(record, unit, rank, chunk, coverage, own, key_ok, has_fact, also, year_ok, static.safe,
                          static.context_year, score, kinds=kinds, on_subject=on_subject)

    def _static(self, record: DocumentRecord, unit: Unit) -> StaticFacts:
        """What a unit is, whatever the question: its forms, its facts, its year, whether it is safe."""
        key = (record.source, record.version, unit.index)
        found = self._statics.get(key)
        if found is None:
            if len(self._statics) > self.settings.sentence_cache:
                self._statics.clear()
            text = unit.text
            found = StaticFacts(
                forms_of(text), forms_of(unit.context),
                facts.context_year(paragraph_before(self.view.text(record.source), unit.start),
                                   (*unit.headings, unit.label)),
                not addresses_assistant(text),
                {kind: tuple(spans(text)) for kind, spans in SPANS.items()},
                tuple(facts.figures(text)),
                bool(PREAMBLE.match(plain(text))))
            self._statics[key] = found
        return found

    def _units(self, record: DocumentRecord) -> tuple[Unit, ...]:
        return units_of(record.source, record.version, self.view.text(record.source))

    def _meta_forms(self, record: DocumentRecord):
        m = record.metadata
        return forms_of(" ".join(x for x in (m.title, m.doc_type, m.number, m.issuing_body, m.province) if x))

    def _residual(self, terms: list[Term], record: DocumentRecord) -> list[Term]:
        """The terms the document's own title does not hold (its metadata and the opening of its text, up to its
        legal bases): those say what the question asks of the document, the others which document it is."""
        names = forms_of(document_name(record, self.view.text(record.source)))
        rest = [t for t in terms if not self.scorer.match([t], names)[0]]
        return rest or terms

    def _with_partners(self, ask: Ask, terms: list[Term], candidates: list[_Candidate]) -> list[_Candidate]:
        """A unit on the question's subject that lacks the asked fact, paired with the first unit after it in its
        section that holds it ("a) Nhiệm vụ: Bảo đảm an toàn thông tin …" then "- Đơn vị chủ trì: Công an Thành
        phố"), scored on the words of both, less ``partner_penalty``. A count asked of a unit that opens a list
        ("Bãi bỏ các văn bản … sau:") is the number of its items, cited at its last item."""
        if ask.want not in FACTS:
            return candidates
        s = self.settings
        by_key = {(c.source, c.unit.index): c for c in candidates}
        topical = sorted((c for c in candidates if not c.has_fact and c.safe and c.year_ok and c.on_subject),
                         key=lambda c: -c.score)[: s.partner_candidates]
        out = list(candidates)
        for c in topical:
            units = self._units(c.record)
            if ask.want == AskedFor.NUMBER and ask.unit is None and c.unit.text.rstrip().endswith(":"):
                items = list_after(units, c.unit)
                if len(items) >= s.min_list_items:
                    out.append(replace(c, has_fact=True, partner=items[-1], count=len(items),
                                       kinds=c.kinds | {ask.want}, score=c.score + s.fact_weight - s.partner_penalty))
                    continue
            parent = c.unit.headings[:-1] if c.unit.kind != "row" else c.unit.headings
            residual = self._residual(terms, c.record)
            own_forms = self._static(c.record, c.unit).forms
            holders = []  # (words of both, unit) for each unit of the section after it that holds the fact
            for unit in units[c.unit.index + 1 : c.unit.index + 1 + s.partner_reach]:
                if unit.headings[: len(parent)] != parent or (unit.kind == "heading" and len(unit.headings) < len(
                        parent)):
                    break
                if unit.kind == "heading":
                    continue
                other = by_key.get((c.source, unit.index))
                static = self._static(c.record, unit)
                if not static.safe:
                    break
                if other is not None and other.has_fact or holds(ask.want, ask, unit, None, c.record, static):
                    holders.append((self.scorer.match(residual, own_forms, static.forms)[0], -unit.index, unit))
            if holders:
                both, _, unit = max(holders, key=lambda h: h[:2])
                out.append(replace(c, has_fact=True, partner=unit, kinds=c.kinds | {ask.want},
                                   score=c.score + s.own_weight * (both - c.own) + s.fact_weight - s.partner_penalty))
        return out

    def _with_similarity(self, query: Query, candidates: list[_Candidate]) -> list[_Candidate]:
        """The closest in meaning among the best candidates by words: the question's and the unit's vectors
        (the first ``dense_candidates`` supported ones; the others keep their lexical score)."""
        n = self.settings.dense_candidates_en if query.language == "en" else self.settings.dense_candidates
        if self.vectors is None or not candidates or n <= 0:
            return candidates
        ranked = sorted((c for c in candidates if c.has_fact and c.year_ok and c.safe), key=lambda c: -c.score)[:n]
        if not ranked:
            return candidates
        texts = [_embedded_text(c) for c in ranked]
        sims = self.vectors.similarities(query.text, texts)
        s = self.settings
        english = query.language == "en"
        scored = {id(c): replace(c, dense=sim, score=c.score + s.dense_weight * (sim - s.dense_floor),
                                 on_subject=(sim >= s.en_min_dense or c.on_subject) if english else c.on_subject)
                  for c, sim in zip(ranked, sims)}
        return [scored.get(id(c), replace(c, on_subject=False) if english else c) for c in candidates]

    # --- composing ------------------------------------------------------------------------------------
    def _single(self, query: Query, ask: Ask, best: _Candidate, rival: _Candidate | None,
                candidates: list[_Candidate]) -> Answer:
        lead = self._lead(query, ask, best)
        doc = doc_label(best.record)
        english = query.language == "en"
        if rival is not None:
            return self._rivals(query, ask, best, lead, rival)
        year = next(iter(query.years), None) or _candidate_year(best)
        province = best.record.metadata.province
        units = [best.unit] + ([best.partner] if best.partner is not None else [])
        units += [u for u in self._more_units(query, ask, best, candidates) if u not in units]
        units.sort(key=lambda u: u.start)
        citations = [self._unit_citation(n, best.record, u) for n, u in enumerate(units, start=1)]
        fact_at = units.index(best.partner or best.unit) + 1
        words = self.settings.quote_words if lead else self.settings.quote_words_without_lead
        quotes = [(n, quote_unit(u, lead, words)) for n, u in enumerate(units, start=1)]
        markers = "".join(f"[{n}]" for n, _ in quotes) if not lead else f"[{fact_at}]"
        label = "Source" if english else "Nguồn"
        sources = [f"{label}: {doc}: “{quote}” [{n}]" for n, quote in quotes]
        if english:
            head = english_lead(lead)
            where = ", ".join(x for x in (province, f"by {year}" if year else "") if x)
            first = f"{head}{f' ({where})' if where else ''} {markers}." if head else f"According to {doc} {markers}:"
        else:
            where = ", ".join(x for x in (province, f"năm {year}" if year else "") if x)
            first = (f"{lead[:1].upper()}{lead[1:]}{f' ({where})' if where else ''} {markers}." if lead
                     else f"Theo {doc} {markers}:")
        return self._answer(query, "\n".join([first, *sources]), citations)

    def _more_units(self, query: Query, ask: Ask, best: _Candidate, candidates: list[_Candidate]) -> list[Unit]:
        """Units that hold what the best one leaves out: another kind the question asks for ("… và hạn hoàn
        thành khi nào?"), or a second figure when it asks for several ("bao nhiêu trạm BTS, trong đó bao
        nhiêu trạm 5G?"), from the same document, close to it."""
        s = self.settings
        held = set(best.kinds)
        out: list[Unit] = []
        near = [c for c in candidates if c.source == best.source and c.safe and c.year_ok and c is not best
                and abs(c.unit.index - best.unit.index) <= s.partner_reach]
        for kind in ask.also:
            if kind not in FACTS or kind in held:
                continue
            found = [c for c in near if kind in c.kinds and c.score >= best.score - s.describe_margin]
            if found:
                pick = max(found, key=lambda c: c.score)
                out.append(pick.unit)
                held |= pick.kinds
        wanted = asked_quantities(query)
        if ask.want == AskedFor.NUMBER and wanted > 1:
            neighbours = sorted((c for c in near if AskedFor.NUMBER in c.kinds and abs(c.unit.index - best.unit.index)
                                 == 1 and c.unit.headings == best.unit.headings), key=lambda c: -c.score)
            for c in neighbours[: wanted - 1]:
                out.append(c.unit)
        return out

    def _with_parts(self, query: Query, ask: Ask, answer: Answer, candidates: list[_Candidate]) -> Answer:
        """A document fact, with the other kinds the question asks for read from the units ("Quyết định … do
        ai ký và có hiệu lực từ khi nào?": the signer from the signature, the date from the text)."""
        s = self.settings
        lines, citations = answer.text.splitlines(), list(answer.citations)
        for kind in ask.also:
            if kind not in FACTS:
                continue
            found = [c for c in candidates if kind in c.kinds and c.safe and c.year_ok and c.score >= s.min_support]
            if not found:
                continue
            pick = max(found, key=lambda c: c.score)
            n = len(citations) + 1
            part_ask = replace(ask, want=kind, also=())
            lead = self._lead(query, part_ask, pick)
            citations.append(self._unit_citation(n, pick.record, pick.unit))
            label = "Source" if query.language == "en" else "Nguồn"
            shown_lead = english_lead(lead) if query.language == "en" else lead[:1].upper() + lead[1:]
            lines.insert(1, f"{shown_lead} [{n}].")
            lines.append(f"{label}: {doc_label(pick.record)}: “{quote_unit(pick.unit, lead, s.quote_words)}” [{n}]")
        return replace(answer, text="\n".join(lines), citations=tuple(citations))

    def _rivals(self, query: Query, ask: Ask, best: _Candidate, lead: str, rival: _Candidate) -> Answer:
        """Two documents that state different figures for the same target: both, with their documents and
        dates, so a revised target does not silently replace the first."""
        english = query.language == "en"
        doc, rival_doc = doc_label(best.record), doc_label(rival.record)
        rival_lead = self._lead(query, ask, rival)
        citations = [self._unit_citation(1, best.record, best.unit), self._unit_citation(2, rival.record, rival.unit)]
        quote = quote_unit(best.unit, lead, self.settings.quote_words)
        rival_quote = quote_unit(rival.unit, rival_lead, self.settings.quote_words)
        label = "Source" if english else "Nguồn"
        lines = ["The documents differ on this:" if english else "Các văn bản nêu khác nhau:",
                 f"- {(english_lead(lead) if english else lead)} — {doc} [1]",
                 f"- {(english_lead(rival_lead) if english else rival_lead)} — {rival_doc} [2]",
                 f"{label}: {doc}: “{quote}” [1]",
                 f"{label}: {rival_doc}: “{rival_quote}” [2]"]
        return self._answer(query, "\n".join(lines), citations)

    def _several(self, query: Query, ask: Ask, best: _Candidate, supported: list[_Candidate]) -> Answer:
        """A description or a list: the best unit, the items that follow it in its list, and the other
        units of its document that score almost as well — each cited, in document order."""
        s = self.settings
        chosen = [best]
        units = self._units(best.record)
        if best.unit.sentence >= 0:  # a clause of a long sentence (a list written as one): the whole sentence
            clauses = [u for u in units if u.sentence == best.unit.sentence]
            whole = replace(best.unit, start=clauses[0].start, end=clauses[-1].end,
                            text=" ".join(u.text for u in clauses), sentence=-1)
            chosen = [replace(best, unit=whole)]
        elif best.unit.kind in ("item", "row") or best.unit.text.rstrip().endswith(":"):
            for unit in units[best.unit.index + 1:]:
                if len(chosen) >= s.list_items or unit.kind == "heading":
                    break
                if unit.kind not in ("item", "row") or unit.headings != best.unit.headings:
                    break
                if addresses_assistant(unit.text):
                    continue
                chosen.append(_Candidate(best.record, unit, best.rank, best.chunk, 0, 0, True, True, 0, True, True,
                                         best.context_year))
        taken = {c.unit.index for c in chosen}
        for c in sorted(supported if len(chosen) == 1 else (), key=lambda c: -c.score):
            if len(chosen) >= s.describe_units + (len(chosen) > 1) * (s.list_items - 1):
                break
            if (c.source == best.source and c.unit.index not in taken and c.score >= best.score - s.describe_margin):
                chosen.append(c)
                taken.add(c.unit.index)
        chosen.sort(key=lambda c: c.unit.start)
        english = query.language == "en"
        doc = doc_label(best.record)
        lines = [f"According to {doc}:" if english else f"Theo {doc}:"]
        if ask.want in FACTS:  # "những nghị định nào": the facts first, then the units that state them
            leads = [(n, self._lead(query, ask, c)) for n, c in enumerate(chosen, start=1)]
            named = "; ".join(f"{lead} [{n}]" for n, lead in leads if lead)
            if named:
                lines = [f"{named} — {doc}:"]
        citations = []
        for n, c in enumerate(chosen, start=1):
            citations.append(self._unit_citation(n, c.record, c.unit))
            lines.append(f"- “{quote_unit(c.unit, '', s.list_quote_words)}” [{n}]")
        return self._answer(query, "\n".join(lines), citations)

    def _summary(self, query: Query, record: DocumentRecord) -> Answer | None:
        """A document's summary from its structure: its numbered parts at their top level ("I. MỤC ĐÍCH, YÊU
        CẦU", "II. NHIỆM VỤ …", or its articles) and the first sentence or item of each, each cited."""
        units = self._units(record)
        numbered = [u for u in units if u.kind == "heading" and OUTLINE.match(u.text)]
        if not numbered:
            return None
        top = min(len(u.headings) for u in numbered)
        outline = [u for u in numbered if len(u.headings) == top][: self.settings.summary_parts]
        english = query.language == "en"
        doc = doc_label(record)
        lines = [f"Summary of {doc}:" if english else f"Tóm tắt {doc}:"]
        citations: list[Citation] = []
        used: set[int] = set()
        for heading in outline:
            body = next((u for u in units[heading.index + 1:] if u.kind != "heading" and u.index not in used
                         and heading.text in u.headings and not addresses_assistant(u.text)), None)
            citations.append(self._unit_citation(len(citations) + 1, record, heading))
            line = f"- {heading.text} [{len(citations)}]"
            if body is not None:
                used.add(body.index)
                citations.append(self._unit_citation(len(citations) + 1, record, body))
                line += f": “{quote_unit(body, '', self.settings.quote_words)}” [{len(citations)}]"
            lines.append(line)
        return self._answer(query, "\n".join(lines), citations)

    def _section(self, query: Query, ask: Ask, best: _Candidate) -> Answer | None:
        """A description asked of a part of the document ("Về nguồn nhân lực, … yêu cầu làm gì?", "những giải
        pháp nào?"): when a heading of the best unit's document holds the question's subject (its key term, and
        more of its words than the best unit), the units under that heading, each cited."""
        s = self.settings
        record = best.record
        terms = self._residual(self.scorer.terms(query), record)
        units = self._units(record)
        scored = []
        for unit in units:
            if unit.kind != "heading":
                continue
            share, key_ok = self.scorer.match(terms, forms_of(unit.text))
            if key_ok and share > best.own:
                scored.append((share, -unit.index, unit))
        if not scored:
            return None
        _, _, heading = max(scored)
        under = [u for u in units[heading.index + 1:] if heading.text in u.headings]
        under = [u for u in under[: s.list_items] if u.kind != "heading" and not addresses_assistant(u.text)]
        if not under:
            return None
        english = query.language == "en"
        doc = doc_label(record)
        lines = [f"According to {doc}, {heading.text}:" if english else f"Theo {doc}, {heading.text}:"]
        citations = []
        for n, unit in enumerate(under, start=1):
            citations.append(self._unit_citation(n, record, unit))
            lines.append(f"- “{quote_unit(unit, '', s.quote_words)}” [{n}]")
        return self._answer(query, "\n".join(lines), citations)

    def _rival(self, query: Query, ask: Ask, best: _Candidate, supported: list[_Candidate]) -> _Candidate | None:
        """A figure another document states for the same target (same province, the question's terms covered
        about as well, the same year) with a different value: both are shown, with their documents."""
        if ask.want != AskedFor.NUMBER:
            return None
        lead = self._lead(query, ask, best)
        for c in sorted(supported, key=lambda c: -c.score):
            if c.source == best.source or c.record.metadata.province != best.record.metadata.province:
                continue
            margin = self.settings.rival_margin
            if c.coverage < best.coverage - margin or c.score < best.score - margin:
                break
            other = self._lead(query, ask, c)
            if other and lead and figure_key(other) != figure_key(lead):
                return c
        return None

    def _cross_answer(self, query: Query, supported: list[_Candidate], ask: Ask) -> Answer:
        best_per_province: dict[str, _Candidate] = {}
        for c in sorted(supported, key=lambda c: -c.score):
            best_per_province.setdefault(c.record.metadata.province or c.source, c)
        top = max(c.score for c in best_per_province.values())
        chosen = [c for c in best_per_province.values() if c.score >= top - self.settings.province_score_margin]
        lines, citations = [], []
        for n, c in enumerate(chosen, start=1):
            citations.append(self._unit_citation(n, c.record, c.unit))
            lead = self._lead(query, ask, c)
            doc = doc_label(c.record)
            label = c.record.metadata.province or doc
            lines.append(f"- {label}: {(english_lead(lead) if query.language == 'en' else lead) or ''} — {doc}: "
                         f"“{quote_unit(c.unit, lead, self.settings.quote_words)}” [{n}]")
        head = "Provinces whose documents say so:" if query.language == "en" else "Các tỉnh có nội dung này:"
        return self._answer(query, "\n".join([head, *lines]), citations)

    # --- the key fact ----------------------------------------------------------------------------
    def _lead(self, query: Query, ask: Ask, c: _Candidate) -> str:
        if c.count is not None:
            return f"{c.count} {ask.noun or ''}".strip()
        unit = c.partner or c.unit
        if unit.kind == "row":
            cells = matching_cells(self.scorer.terms(query), unit, query)
            if cells:
                return "; ".join(cells)
        text = unit.text
        anchor = self.scorer.anchor(query, text)
        want = ask.want
        if want == AskedFor.NUMBER:
            figs = figures_of(text, ask, unit) or facts.figures(text)
            if not figs:
                return ""
            if query.years:
                dated = [f for f in figs if f.year in query.years]
                if len({f.year for f in dated}) > 1:
                    return "; ".join(f"{f.text} ({f.year})" for f in dated)
                figs = dated or figs
            elif len({f.year for f in figs if f.year}) > 1:
                return "; ".join(f"{f.text} ({f.year})" for f in figs if f.year)
            return min(figs, key=lambda f: abs(f.start - anchor)).text
        spans = SPANS.get(want)
        if spans:
            found = spans(text)
            if want == AskedFor.DOC_NUMBER:
                known = {norm_number(n) for n in (*query.doc_numbers, c.record.metadata.number or "")}
                found = [(s, e) for s, e in found if norm_number(text[s:e]) not in known] or found
                if found and ask.is_list:
                    return "; ".join(dict.fromkeys(text[s:e] for s, e in found))
            if found:
                s, e = min(found, key=lambda se: abs(se[0] - anchor))
                return text[s:e]
        return ""

    # --- output ----------------------------------------------------------------------------------
    def _answer(self, query: Query, text: str, citations: list[Citation]) -> Answer:
        return Answer(question=query.text, text=text, abstained=False, mode="extractive",
                      citations=tuple(citations), language=query.language)

    def _unit_citation(self, n: int, record: DocumentRecord, unit: Unit) -> Citation:
        m = record.metadata
        quote = self.view.text(record.source)[unit.start:unit.end]
        return Citation(n=n, source=record.source, title=m.title or m.label() or record.source,
                        province=m.province or "", quote=quote, start=unit.start,
                        end=unit.end, number=m.number or "", doc_type=m.doc_type or "",
                        issue_date=m.issue_date or "", heading=" > ".join(unit.headings))

    def _chunk_citation(self, n: int, chunk: Chunk) -> Citation:
        return cite_span(n, chunk, chunk.start, chunk.end, chunk.text)

    def _abstain(self, query: Query, passages: list[ScoredChunk], reason: str) -> Answer:
        text = ABSTAIN_TEXT[(query.language, reason)].format(
            unknown=", ".join(query.unknown_provinces), known=", ".join(sorted(self.view.provinces)),
            unknown_with_kind=", ".join(with_kind(p) for p in query.unknown_provinces),
            years=", ".join(map(str, query.years)))
        related = () if reason == "province" else self.related(passages)
        return Answer(question=query.text, text=text, abstained=True, mode="extractive", related=related,
                      language=query.language)


# --- helpers ---------------------------------------------------------------------------------------------

















def _embedded_text(c: _Candidate) -> str:
    """What a unit is embedded as: its words, with its heading and its table's column headers."""
    context = " ".join(x for x in (c.unit.headings[-1] if c.unit.headings else "", c.unit.label) if x)
    text = " ".join(f"{context}: {c.unit.text}".split()[:_EMBEDDED_WORDS]) if context else c.unit.text
    if c.partner is not None:
        text = f"{text} {c.partner.text}"
    return " ".join(text.split()[:_EMBEDDED_WORDS])


# Words of a unit embedded, at most: a sentence or a row's task and its first cells (the cost grows with length).
_EMBEDDED_WORDS = 60


































def _candidate_year(c: _Candidate) -> int | None:
    targets = [f.year for f in facts.figures(c.unit.text) if f.year]
    return targets[0] if len(set(targets)) == 1 else c.context_year












