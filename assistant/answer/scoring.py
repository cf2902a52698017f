"""How the extractive answerer scores a clause: the question's terms, weighted by how rare they are in the
corpus; the share of them a clause covers, with the key-term gate; where in a clause they are; and the
weights and thresholds of all of it (``ExtractiveSettings``).

Vietnamese questions with diacritics are read as pyvi words compared with diacritics; questions without
them as syllables and attested syllable pairs; English questions through the glossary. Words that only
frame a question are data (``data/scoring_*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.question.understand import EN_FRAMING, blank_provinces, glossary_matches, paraphrase_matches
from assistant.types import Query
from ingest.textnorm import expand_abbreviations, fold, has_diacritics, plain
from ingest.vocab import read_lines, read_table
from vectorstore.keyword import KeywordSearch, segment_words

_DATA = Path(__file__).parent / "data"

# Two term weights closer than this are equal: IDFs of equally rare terms may differ in the last bits.
WEIGHT_TIE = 1e-9


@dataclass(frozen=True)
class ExtractiveSettings:
    """The extractive answerer's weights and thresholds. Coverage is the IDF-weighted share of the
    question's terms found in a clause (with its headings and its document's metadata), in [0, 1]."""

    # --- support and abstention ---------------------------------------------------------------------
    # Below this coverage the documents "don't say". Lowered from 0.5 when the key-term gate came in (commit
    # 02d1a9f): the gate rejects off-topic clauses, so coverage can forgive a question's extra words.
    min_coverage: float = 0.4
    # Above this coverage a clause answers even without the question's rarest term: most of the question is
    # there. Lower lets more clauses skip the gate (answers on the wrong subject); higher rejects paraphrases.
    key_term_gate: float = 0.7
    # A clause failing the key-term gate is scored this far below min_coverage: never support, and it keeps
    # its place among the clauses that fail (any positive margin would do).
    gate_margin: float = 0.01
    # Weight of an English word the glossary cannot translate, relative to the translated terms' mean:
    # it cannot match a Vietnamese passage, so it counts as evidence the passage lacks.
    untranslated_weight: float = 1.0
    # English words this short ("us", "no") carry no topic: never terms, even when the glossary lacks them.
    min_english_word_chars: int = 3

    # --- choosing the clause ------------------------------------------------------------------------
    # Bonus rank_weight / (rank + 1) for the passage's retrieval rank: a tie-breaker of at most 0.15, so the
    # fused retrieval order decides only between clauses of about the same coverage.
    rank_weight: float = 0.15
    # Bonus for holding a fact of the asked kind ("bao nhiêu phần trăm": a percentage), above rank_weight: the
    # fact is the answer. Support needs one anyway, so it only matters for a list whose fact lies in its
    # continuation into the next chunk (scored on the clause, supported on the sentence); no gold answer
    # changes at 0.
    fact_weight: float = 0.3
    # Bonus for covering the asked year (every clause, when none is asked). Support requires it too, so today
    # it adds the same to every candidate (inert); kept from the first version, it matters if that is relaxed.
    year_weight: float = 0.2
    # "Tỉnh nào …?": every province whose best clause scores within this of the best one is listed. Wider lists
    # provinces whose clause covers less of the question; narrower drops those that word it differently.
    province_score_margin: float = 0.35

    # --- quoting ------------------------------------------------------------------------------------
    # Longest clause, in words, before it is cut at commas: about one chunk (median ~74 words at 220 tokens),
    # so a citation points at the fact rather than at a paragraph.
    max_clause_words: int = 70
    # Quote length in words around a lead fact: the fact is already stated, the quote shows its context.
    quote_words: int = 45
    # Quote length in words when no fact leads: the quote is the answer, so twice as long.
    quote_words_without_lead: int = 90
    # A list is the answer itself: quoted whole up to this many clause lengths (its sentence, followed into
    # the next chunk), not cut around one item (commit b70e958 raised it from 2).
    list_quote_clauses: int = 4
    # Characters a list's sentence is followed into the next chunk, at most: more than the longest chunk
    # (~720 characters), so a list cut by the chunker is quoted to its end, yet a sentence that never ends
    # (a missing full stop) does not run on through the document.
    max_continuation_chars: int = 1200
    # A short spelling of the issuing body ("Ban Thường vụ Tỉnh ủy" for "… Tỉnh ủy Lai Châu") is searched for
    # only with at least this many words: "UBND tỉnh" alone is any mention of the province's committee.
    min_issuer_words: int = 3
    # Closest passages shown as related (never as support) when the answerer abstains.
    related_passages: int = 3


# --- vocabularies (data/scoring_*) --------------------------------------------------------------------------

# Question words and fillers: they say how something is asked, not what (accent-less forms).
_FILLER = {plain(w) for w in read_lines(_DATA / "scoring_filler_words.txt")}
# Phrases that frame a question ("đặt mục tiêu … bao nhiêu phần trăm") rather than name its subject; longest
# first, so a phrase is removed before its parts.
_FILLER_PHRASES = re.compile(r"\b(" + "|".join(
    re.escape(plain(p)) for p in sorted(read_lines(_DATA / "scoring_filler_phrases.txt"), key=len, reverse=True)
) + r")\b")


def _either(word: str) -> str:
    """A word as a pattern that matches it with or without diacritics ("thứ" or "thu")."""
    return "(?:" + "|".join(re.escape(w) for w in dict.fromkeys((word, plain(word)))) + ")"


# "xếp thứ bao nhiêu" asks for a rank; the passage says "vị trí 63/63" (the rank figure decides, facts._RANK)
_RANK_FRAMING = re.compile(
    r"(?<!\w)(?:" + "|".join(rf"{_either(before)}\s+{_either(rank)}"
                             for before, rank in read_table(_DATA / "scoring_rank_framing.tsv", 2)) + r")(?!\w)",
    re.IGNORECASE)
# English words that carry no topic; English framing words ("what share", "the target") are EN_FRAMING: they
# help keyword search but a passage need not contain them.
_EN_STOP = {w.lower() for w in read_lines(_DATA / "scoring_en_stop_words.txt")}


@dataclass(frozen=True)
class Term:
    """One thing the question asks about; any alternative (a syllable sequence) matching counts."""

    alternatives: tuple[tuple[str, ...], ...]
    weight: float
    accented: bool = False  # compare with diacritics: "phở" is not "phố"


def clause_score(settings: ExtractiveSettings, coverage: float, rank: int, has_fact: bool, year_ok: bool) -> float:
    """How well a clause answers: its coverage, plus bonuses for its passage's retrieval rank, for holding a
    fact of the asked kind and for covering the asked year."""
    return (coverage + settings.rank_weight / (rank + 1) + settings.fact_weight * has_fact
            + settings.year_weight * year_ok)


class TermScorer:
    """The question's terms and how much of them a text covers, with IDF weights from the keyword index."""

    def __init__(self, keyword: KeywordSearch, settings: ExtractiveSettings) -> None:
        self.keyword = keyword
        self.settings = settings

    # --- the question's terms ----------------------------------------------------------------------------
    def terms(self, query: Query) -> list[Term]:
        if query.language == "en":
            return self._english_terms(query)
        text = _RANK_FRAMING.sub(" | ", blank_provinces(query.keywords_vi or query.text))
        found, rest = paraphrase_matches(text)
        terms = self._word_terms(rest) if has_diacritics(text) else self._syllable_terms(rest)
        # a citizen phrasing is one term, present when the passage has it or any of its document terms
        return terms + [self._alternatives_term([said, *written]) for said, written in found]

    def _alternatives_term(self, phrasings: list[str]) -> Term:
        alternatives = tuple(dict.fromkeys(tuple(re.findall(r"[a-z0-9%]+", plain(t))) for t in phrasings))
        alternatives = tuple(a for a in alternatives if a)
        return Term(alternatives, max(self._phrase_idf(a) for a in alternatives))

    def _phrase_idf(self, syllables: tuple[str, ...]) -> float:
        """A phrase is as specific as its rarest pair of syllables ("phí tuân" in "chi phí tuân thủ"), as in
        _word_terms: the mean of its syllables would rank "cắt giảm" above "chi phí tuân thủ"."""
        if len(syllables) == 1:
            return self._idf(syllables[0])
        return max(self._idf(f"{a}_{b}") for a, b in zip(syllables, syllables[1:]))

    def _word_terms(self, text: str) -> list[Term]:
        """Terms from pyvi's word segmentation: "thời tiết" is one word that must appear as a whole (not
        "tiết" out of "tiết kiệm"); a word the corpus never writes counts as missing evidence."""
        terms: dict[tuple[str, ...], Term] = {}
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
                    terms.setdefault(surface, Term((surface,), self._idf(syllables[0]), accented))
                    continue
                attested = self._attested(syllables)
                if not attested and len(syllables) > 2:
                    # pyvi joins phrases too ("công_khai_thông_tin"): the words it is made of are the terms
                    head, tail = " ".join(spaced.split()[:2]), " ".join(spaced.split()[2:])
                    for part in self._word_terms(head) + self._word_terms(tail):
                        terms.setdefault(part.alternatives[0], part)
                    continue
                weight = max(self._idf(f"{a}_{b}") for a, b in zip(syllables, syllables[1:]))
                terms.setdefault(surface, Term((surface,), weight if attested else self._idf("\u0000"), accented))
        return list(terms.values())

    def _syllable_terms(self, text: str) -> list[Term]:
        """Accent-less questions cannot be segmented reliably: syllables plus attested syllable pairs."""
        text = _FILLER_PHRASES.sub(" | ", expand_abbreviations(plain(text)))
        terms: dict[tuple[str, ...], Term] = {}
        for segment in re.split(r"[|?.,;:!()]", text):
            syllables = [w for w in re.findall(r"[a-z0-9]+", segment)]
            for a in syllables:
                if a not in _FILLER and not a.isdigit():
                    terms.setdefault((a,), Term(((a,),), self._idf(a)))
            for a, b in zip(syllables, syllables[1:]):
                # A pair of known words that the corpus never writes together is weak evidence of
                # absence when we cannot tell words apart: only attested pairs count.
                if a in _FILLER or b in _FILLER or a.isdigit() or b.isdigit() or not self._knows(f"{a}_{b}"):
                    continue
                terms.setdefault((a, b), Term(((a, b),), self._idf(f"{a}_{b}")))
        return list(terms.values())

    def _english_terms(self, query: Query) -> list[Term]:
        """Glossary entries become one term each (their Vietnamese renderings are alternatives); other
        English content words count as evidence a Vietnamese passage lacks, so a question about something
        the documents never name does not ride on one generic term."""
        terms = []
        matches, rest = glossary_matches(blank_provinces(query.text))
        for en, vi_terms in matches:
            usable = [t for t in vi_terms if re.search(r"[^\W%]", t)]
            if en not in EN_FRAMING and usable:
                terms.append(self._alternatives_term(usable))
        leftover = [w for w in re.findall(r"[a-z]+", rest.lower())
                    if w not in _EN_STOP and len(w) >= self.settings.min_english_word_chars]
        if terms:
            mean = sum(t.weight for t in terms) / len(terms)
            terms += [Term(((w,),), self.settings.untranslated_weight * mean) for w in dict.fromkeys(leftover)]
        if query.inherited:  # a follow-up: the carried-over Vietnamese topic words count too
            terms += [t for t in self._vi_terms_of(query.keywords_vi) if t not in terms]
        return terms

    def _vi_terms_of(self, text: str) -> list[Term]:
        return self.terms(Query(text=text, language="vi", keywords_vi=text))

    def _idf(self, token: str) -> float:
        return self.keyword.idf("plain", token)

    def _knows(self, token: str) -> bool:
        return self.keyword.knows("plain", token)

    def _attested(self, syllables: tuple[str, ...]) -> bool:
        """Whether the corpus writes this word or phrase (every adjacent pair of a phrase occurs)."""
        if len(syllables) == 1:
            return self._knows(syllables[0])
        return all(self._knows(f"{a}_{b}") for a, b in zip(syllables, syllables[1:]))

    # --- a clause against them ---------------------------------------------------------------------------
    def coverage(self, terms: list[Term], text: str, context: str) -> float:
        """The weighted share of ``terms`` in ``text`` and its ``context`` (headings, document metadata);
        just below min_coverage when the question's key term is missing (the key-term gate)."""
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
        below = min(coverage, self.settings.min_coverage - self.settings.gate_margin)
        if known and coverage < self.settings.key_term_gate:
            # Every word of the top weight too: with a few hundred chunks rarities tie often, and "cắt giảm …
            # thời gian" is not answered by a clause with "cắt giảm" but no "thời gian". Accent-less syllable
            # pairs tie by accident (a pair across two words): they do not count here.
            pool = phrases or known
            key = max(pool, key=lambda t: t.weight)
            tied = [t for t in pool
                    if t.weight >= key.weight - WEIGHT_TIE and (t.accented or len(t.alternatives) > 1)]
            if key not in matched or any(t not in matched for t in tied):
                return below
        return coverage

    def anchor(self, query: Query, text: str) -> int:
        """Where in the clause the question's rarest terms are: the fact nearest to them is the answer."""
        low, folded = plain(text), fold(text)
        best_pos, best_w = len(text) // 2, -1.0
        for term in self.terms(query):
            for alternative in term.alternatives:
                phrase = " ".join(alternative)
                m = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded if term.accented else low)
                score = term.weight * len(alternative)
                if m and score > best_w:
                    best_pos, best_w = m.start(), score
        return best_pos
