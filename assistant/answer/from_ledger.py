"""Answering target questions from the commitments ledger ("Lai Châu cắt giảm chi phí tuân thủ bao nhiêu
phần trăm vào năm 2025?").

The ledger knows each target's province, topic and year as fields, so it can answer these questions
exactly where clause search has to guess which year a figure belongs to. It answers only when the match
is unambiguous: the question names a province, asks for a number, names a topic; among that province's
rows of that topic (and year, when the question gives one) the rows whose words best cover the question
agree on one value per year. Anything else returns None and the extractive answerer takes over. The
citation is the row's own quote span, so an answer from here is cited like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.answer import facts
from assistant.answer.ledger import Ledger, format_target, topic_of_question, without_provinces
from assistant.question.asked import AskedFor, asked_for, asked_unit, asks_quantity, asks_which_provinces, has_cue
from assistant.question.understand import glossary_matches, paraphrase_terms
from assistant.retrieve import CorpusView
from assistant.types import Answer, Citation, Query
from ingest.commitments import Commitment
from ingest.textnorm import expand_abbreviations, norm_number, plain
from ingest.vocab import read_kinds, read_lines

_DATA = Path(__file__).parent / "data"

# Words that frame a target question rather than say what is measured (data/ledger_framing.tsv: accent-less
# Vietnamese phrases, removed first, longest first; single Vietnamese words; English words). Everyday words
# that documents rarely use ("phải", "muốn", "cả") would otherwise weigh most, being rare in the corpus.
_FRAMING = read_kinds(_DATA / "ledger_framing.tsv", ("vi_phrase", "vi_word", "en_word"))
_FRAMING_PHRASES = re.compile(
    r"\b(" + "|".join(re.escape(plain(p)) for p in sorted(_FRAMING["vi_phrase"], key=len, reverse=True)) + r")\b"
)
_FRAMING_WORDS = {plain(w) for w in _FRAMING["vi_word"]}
# English words that frame a question or carry no topic; other English words the glossary does not know
# count against a match (the ledger cannot tell what they ask for).
_EN_FRAMING = {w.lower() for w in _FRAMING["en_word"]}


@dataclass(frozen=True)
class LedgerAnswerSettings:
    min_coverage: float = 0.6  # IDF-weighted share of the question's words a row's metric and quote must contain
    tie_margin: float = 0.1  # rows this close to the best coverage count as matching too

    def __post_init__(self) -> None:
        if not 0 < self.min_coverage <= 1:
            raise ValueError(f"min_coverage must be in (0, 1]. Currently it is {self.min_coverage}")
        if not 0 <= self.tie_margin < 1:
            raise ValueError(f"tie_margin must be in [0, 1). Currently it is {self.tie_margin}")


def ledger_answer(query: Query, ledger: Ledger, view: CorpusView, sources: set[str] | None = None,
                  settings: LedgerAnswerSettings | None = None) -> Answer | None:
    """An answer from the ledger when exactly one value per year matches, else None.

    ``sources`` restricts the rows to those documents (the app's filters), as it restricts retrieval."""
    settings = settings or LedgerAnswerSettings()
    cross = asks_which_provinces(query)  # "Tỉnh nào đặt mục tiêu cắt giảm chi phí tuân thủ?"
    if (not query.provinces and not cross) or query.unknown_provinces or asked_for(query) not in (
            AskedFor.NUMBER, AskedFor.TEXT):
        return None
    words = query.keywords_vi or query.text  # a follow-up's carried topic; English glossary terms
    if query.language == "vi":  # citizen phrasings in the documents' words: "nộp phí" → "thanh toán"
        words = f"{words} {paraphrase_terms(words)}"
    terms = question_terms(words, view)
    if query.language == "en":
        terms = _with_unknown_english(terms, query.text)
    if not terms and not cross and has_cue(_ALL_TARGETS, query) and not asks_quantity(query):  # "Quảng Bình's targets?"
        return _overview(query, ledger, view, sources)
    topic = topic_of_question(words) or topic_of_question(query.text)
    if topic is None or not terms:
        return None
    unit = asked_unit(query)
    numbers = {norm_number(n) for n in query.doc_numbers}
    picked: list[Commitment] = []
    provinces = query.provinces or sorted({r.province for r in ledger.rows(topic=topic) if r.province})
    for province in provinces:
        rows = [r for r in ledger.rows(province=province, topic=topic)
                if (sources is None or r.source in sources)
                and (not query.years or r.year in query.years)
                and (not numbers or norm_number(r.number or "") in numbers)
                and (unit is None or facts.unit_kind(r.unit) == unit)]
        chosen = choose(rows, terms, settings)
        if chosen is None and cross:
            continue  # that province has no such target: it is not one of the answers
        if chosen is None:
            return None
        picked.extend(chosen)
    if not picked:
        return None
    answer = _answer(query, picked, view)
    if cross:
        head = "Provinces whose documents set this target:" if query.language == "en" else "Các tỉnh đặt chỉ tiêu này:"
        answer = replace(answer, text=f"{head}\n{answer.text}")
    return answer


def question_terms(text: str, view: CorpusView) -> dict[str, float]:
    """The accent-less syllables that say what the question measures, weighted by their rarity in the
    corpus (IDF). Provinces, years and framing words are left out, and so are words the corpus never uses:
    they cannot tell one row from another."""
    low = _FRAMING_PHRASES.sub(" | ", expand_abbreviations(plain(without_provinces(text))))
    # IDF alone cannot tell a word in one chunk from a word in none (both get the highest weight): ask the index
    return {w: view.keyword.idf("plain", w) for w in re.findall(r"[a-z]+", low)
            if w not in _FRAMING_WORDS and view.keyword.knows("plain", w)}


def _with_unknown_english(terms: dict[str, float], question: str) -> dict[str, float]:
    """English words outside the glossary, as terms no row can match ("commune-level work files" is not
    answered by a row about "trực tuyến" alone). Each weighs as much as an average known term."""
    _, rest = glossary_matches(without_provinces(question))
    unknown = [w for w in re.findall(r"[a-z]+", rest.lower()) if w not in _EN_FRAMING and len(w) > 2]
    if not terms or not unknown:
        return terms
    mean = sum(terms.values()) / len(terms)
    return {**terms, **{f"en:{w}": mean for w in unknown}}


def coverage(terms: dict[str, float], row: Commitment) -> float:
    """The weighted share of the terms found in the row's metric and quote. Below 0.7, the rarest term
    must be among them: "cấp xã" is not answered by a row that only shares "cấp" and "trực tuyến"."""
    total = sum(terms.values())
    if not total:
        return 0.0
    have = set(re.findall(r"[a-z]+", expand_abbreviations(plain(f"{row.metric} {row.quote}"))))
    share = sum(weight for w, weight in terms.items() if w in have) / total
    if share < 0.7 and max(terms, key=lambda w: terms[w]) not in have:
        return 0.0
    return share


def choose(rows: list[Commitment], terms: dict[str, float], settings: LedgerAnswerSettings) -> list[Commitment] | None:
    """One row per year when the best-covering rows agree on one value per year; None when ambiguous."""
    scored = [(coverage(terms, r), r) for r in rows]
    scored = [(c, r) for c, r in scored if c >= settings.min_coverage]
    if not scored:
        return None
    best = max(c for c, _ in scored)
    matching = [(c, r) for c, r in scored if c >= best - settings.tie_margin]
    by_year: dict[int | None, list[tuple[float, Commitment]]] = {}
    for c, r in matching:
        by_year.setdefault(r.year, []).append((c, r))
    if None in by_year and len(by_year) > 1:
        return None  # a dated and an undated value: which one the question means is a guess
    chosen = []
    for year in sorted(by_year, key=lambda y: y or 0):
        group = by_year[year]
        if len({(r.value, r.value_max, r.unit) for _, r in group}) != 1:
            return None
        chosen.append(max(group, key=lambda cr: cr[0])[1])  # max keeps the first (document order) on ties
    return chosen


def _answer(query: Query, rows: list[Commitment], view: CorpusView) -> Answer:
    english = query.language == "en"
    citations = tuple(_citation(n, row, view) for n, row in enumerate(rows, start=1))
    leads = []
    for row, citation in zip(rows, citations):
        target = format_target(row, "vi")
        if english:
            target = f"{format_target(row, 'en')} ({target})" if format_target(row, "en") != target else target
        year = (f"by {row.year}" if english else f"năm {row.year}") if row.year else ""
        where = ", ".join(x for x in (row.province, year) if x)
        leads.append(f"{target} ({where}) [{citation.n}]")
    first = "; ".join(leads)
    label = "Source" if english else "Nguồn"
    lines = [f"{first[:1].upper()}{first[1:]}."]
    for row, citation in zip(rows, citations):
        record = view.documents.get(row.source)
        doc = (record.metadata.label() if record else "") or row.source
        lines.append(f"{label}: {doc}: “{row.quote}” [{citation.n}]")
    return Answer(question=query.text, text="\n".join(lines), abstained=False, mode="extractive",
                  citations=citations, language=query.language)


# A question for a province's targets in general: no measured thing named, only the word for targets, and no
# "bao nhiêu" (one figure of an unnamed thing is ambiguous, not a request for the list).
_ALL_TARGETS = "|".join(read_lines(_DATA / "ledger_overview_cues.txt"))  # data/ledger_overview_cues.txt
OVERVIEW_ROWS = 15  # more is a table: the Commitments tab has it, filtered


def _overview(query: Query, ledger: Ledger, view: CorpusView, sources: set[str] | None) -> Answer | None:
    """Every target of the province (for the asked years), one line and one citation each, in document order."""
    english = query.language == "en"
    rows = [r for p in query.provinces for r in ledger.rows(province=p)
            if (sources is None or r.source in sources) and (not query.years or r.year in query.years)]
    if not rows:
        return None
    rows.sort(key=lambda r: (r.source, r.start))
    shown = rows[:OVERVIEW_ROWS]
    citations = tuple(_citation(n, row, view) for n, row in enumerate(shown, start=1))
    years = ", ".join(map(str, query.years))
    province = ", ".join(query.provinces)
    head = (f"{province}'s targets{f' for {years}' if years else ''} in the documents:" if english
            else f"Các chỉ tiêu của {province}{f' cho năm {years}' if years else ''} trong các văn bản:")
    lines = [head]
    for row, citation in zip(shown, citations):
        target = format_target(row, "en" if english else "vi")
        when = (f"by {row.year}" if english else f"năm {row.year}") if row.year else ""
        lines.append(f"- {row.metric}: {target}{f' ({when})' if when else ''} [{citation.n}]")
    if len(rows) > len(shown):
        more = len(rows) - len(shown)
        lines.append(f"… and {more} more (Commitments tab)." if english
                     else f"… và {more} chỉ tiêu khác (tab Cam kết).")
    return Answer(question=query.text, text="\n".join(lines), abstained=False, mode="extractive",
                  citations=citations, language=query.language)


def _citation(n: int, row: Commitment, view: CorpusView) -> Citation:
    record = view.documents.get(row.source)
    m = record.metadata if record else None
    heading = next((" > ".join(s.chunk.heading_path) for s in view.document_chunks(row.source)
                    if s.chunk.start <= row.start < s.chunk.end), "")
    return Citation(n=n, source=row.source, title=(m and (m.title or m.label())) or row.source,
                    province=row.province or "", quote=row.quote, start=row.start, end=row.end,
                    number=row.number or "", doc_type=row.doc_type or "", issue_date=row.issue_date or "",
                    heading=heading)
