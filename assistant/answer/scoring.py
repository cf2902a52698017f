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

from assistant.answer.evidence import Forms
from assistant.question.understand import (
    EN_FRAMING,
    blank_doc_numbers,
    blank_provinces,
    glossary_matches,
    paraphrase_matches,
    without_instructions,
)
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
    # An English question is on a unit's subject when this share of its terms is there (the glossary's
    # Vietnamese for its words), when no embedder gives the similarity in meaning (en_min_dense).
    min_coverage: float = 0.4
    # Above this coverage a clause answers even without the question's rarest term: most of the question is
    # there. Lower lets more clauses skip the gate (answers on the wrong subject); higher rejects paraphrases.
    key_term_gate: float = 0.7
    # Every term at least this fraction as rare as the rarest is a key term too, and must be there: which of a
    # question's two or three specific words is the very rarest depends on what else the collection holds
    # ("cắt giảm" outranks "chi phí tuân thủ" among thousands of legal texts, not among five plans), and a
    # clause with "cắt giảm … thời gian" is not on "cắt giảm chi phí tuân thủ" either way.
    key_term_ratio: float = 0.8
    # A clause failing the key-term gate is scored this far below min_coverage: never support, and it keeps
    # its place among the clauses that fail (any positive margin would do).
    gate_margin: float = 0.01
    # Weight of an English word the glossary cannot translate, relative to the translated terms' mean:
    # it cannot match a Vietnamese passage, so it counts as evidence the passage lacks.
    untranslated_weight: float = 1.0
    # English words this short ("us", "no") carry no topic: never terms, even when the glossary lacks them.
    min_english_word_chars: int = 3

    # --- choosing the unit -------------------------------------------------------------------------
    # A unit (sentence, list item, table row: evidence.py) scores
    #   coverage_weight * coverage + own_weight * own + rank_weight / (rank + 1) + fact_weight * has_fact
    #   + also_weight * (other asked kinds held) + dense_weight * (similarity - dense_floor)
    #   + type_weight * (document of the asked type) - gate_penalty * (no key term) - preamble_penalty * (preamble)
    # and answers when the best supported one (a fact of the asked kind, the asked year, not addressing the
    # assistant) reaches min_support.
    # Weight of coverage counted over the unit, its headings, its table's headers and its document's metadata:
    # the question names the document ("Kế hoạch 308/KH-UBND của Hà Nội") as well as what it asks.
    coverage_weight: float = 1.0
    # Weight of coverage in the unit's own words: between two units of one section, the one that says it.
    own_weight: float = 0.5
    # Bonus rank_weight / (rank + 1) for the passage's retrieval rank: a tie-breaker of at most 0.15, so the
    # fused retrieval order decides only between units of about the same coverage.
    rank_weight: float = 0.15
    # Bonus for holding a fact of the asked kind (a figure of the asked unit, a date, a name): the fact is the
    # answer, and a unit that states it beats one that only repeats the question's words.
    fact_weight: float = 0.3
    # Bonus for each other kind the question asks for that the unit holds ("do cơ quan nào chủ trì và hạn hoàn
    # thành khi nào": a row with the body and the deadline beats one with the deadline only).
    also_weight: float = 0.15
    # Bonus for a unit of a document of the type the question names ("theo nghị quyết tỉnh"): a tie-breaker
    # between provinces' documents on one subject, below a fact or the key term.
    type_weight: float = 0.15
    # Subtracted for a unit of a document's preamble ("Căn cứ …", "Theo đề nghị …"): it cites other documents,
    # their dates and numbers, and answers only what nothing in the operative text answers.
    preamble_penalty: float = 0.3
    # A unit without the question's key term supports an answer only when its own words cover this share of the
    # question: "Sơn La … mức độ hài lòng" is not answered by a unit on time limits that shares the rest.
    # Chosen with min_support (see there): on the sample questions it turns 4 wrong answers to unanswerable
    # questions into abstentions (0.925 → 0.940), on the real-document dev questions it costs 2 (0.731 → 0.714).
    key_waive_own: float = 0.55
    # An English question is on a unit's subject when their vectors' cosine reaches this (its words mostly have
    # no Vietnamese the glossary knows, so words cannot tell).
    en_min_dense: float = 0.8
    # Subtracted when the question's key term (its rarest, TermScorer._key_terms_in) is missing and coverage is
    # below key_term_gate: such a unit is about something else, whatever else it shares with the question.
    gate_penalty: float = 0.5
    # Weight of the similarity in meaning between the question and the unit (e5 vectors, cosine). e5's cosines
    # sit in a narrow band (~0.7–0.9), hence a large weight over (similarity - dense_floor).
    dense_weight: float = 2.0
    # The cosine below which a unit is no closer to the question than any text of the collection.
    dense_floor: float = 0.8
    # Units embedded per question: the best this many by words (each ~25 ms on one thread the first time it is
    # seen; vectors are remembered, sentence_cache of them).
    dense_candidates: int = 0
    # The same for English questions, where words cannot be compared (the glossary names only some terms) and
    # the multilingual vectors carry the meaning.
    dense_candidates_en: int = 12
    sentence_cache: int = 20000
    # A unit on the question's subject without the asked fact is paired with a later unit of its section that
    # holds it ("a) Nhiệm vụ: …" then "- Đơn vị chủ trì: …"): among the best this many by score, looking this
    # many units ahead, scored as the first less partner_penalty (a fact stated next to the subject beats it).
    partner_candidates: int = 5
    partner_reach: int = 6
    partner_penalty: float = 0.1
    # A list counts as the answer to "bao nhiêu văn bản …?" with at least this many items.
    min_list_items: int = 2
    # Passages whose units are candidates (the search returns this many; the first top_k are the answer's
    # "retrieved" ones): below rank 5, a gold passage is still found one time in ten.
    evidence_passages: int = 10
    # Every unit of a document is a candidate when the question names it (by number, or as the conversation's)
    # or when it holds most of the first this many passages: the search found the document, if not the passage.
    dominant_passages: int = 5
    # The abstention threshold: the best supported unit's score must reach it. The app sets it from
    # Settings.min_support, calibrated there on the real-document dev questions (same default).
    min_support: float = 0.3
    # "Tỉnh nào …?": every province whose best unit scores within this of the best one is listed. Wider lists
    # provinces whose unit covers less of the question; narrower drops those that word it differently.
    province_score_margin: float = 0.35
    # Two documents of one province whose units score within this of each other, with different figures, are
    # shown side by side ("the documents differ"): a revised target does not silently replace the first.
    rival_margin: float = 0.1

    # --- several units: descriptions, lists, summaries ------------------------------------------------
    # A description ("những giải pháp nào", "như thế nào") is answered with up to this many units of the best
    # one's document, each within describe_margin of its score.
    describe_units: int = 3
    describe_margin: float = 0.25
    # Items of a list quoted after its best item (the list goes on under the same heading), at most.
    list_items: int = 8
    # Parts of a document's outline in a summary ("tóm tắt"), at most.
    summary_parts: int = 8
    # A signature block ("KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn A") is short: at most this many words.
    signature_words: int = 20

    # --- quoting ------------------------------------------------------------------------------------
    # Longest clause, in words, before it is cut at commas, where a document fact (its date, its signer) is
    # cited in the chunk that writes it: about one chunk (median ~74 words at 220 tokens).
    max_clause_words: int = 70
    # Quote length in words around a lead fact: the fact is already stated, the quote shows its context (a
    # sentence of the real documents is ~40 words; a table row with its task ~60).
    quote_words: int = 60
    # Quote length in words when no fact leads: the quote is the answer, so twice as long.
    quote_words_without_lead: int = 90
    # A list or a description is the answer itself: each unit quoted up to this many words (a list written as
    # one long sentence, "11 nhóm nhiệm vụ và giải pháp: …; …; …", is quoted to its end).
    list_quote_words: int = 200
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


class TermScorer:
    """The question's terms and how much of them a text covers, with IDF weights from the keyword index."""

    def __init__(self, keyword: KeywordSearch, settings: ExtractiveSettings) -> None:
        self.keyword = keyword
        self.settings = settings

    # --- the question's terms ----------------------------------------------------------------------------
    def terms(self, query: Query) -> list[Term]:
        if query.language == "en":
            return self._english_terms(query)
        text = _RANK_FRAMING.sub(" | ", blank_doc_numbers(blank_provinces(without_instructions(
            query.keywords_vi or query.text))))
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
        matches, rest = glossary_matches(blank_doc_numbers(blank_provinces(without_instructions(query.text))))
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
        share, key_ok = self.match(terms, Forms.of(text + " " + context))
        return share if key_ok else min(share, self.settings.min_coverage - self.settings.gate_margin)

    def match(self, terms: list[Term], *forms: Forms) -> tuple[float, bool]:
        """The weighted share of ``terms`` found in any of ``forms`` (a unit's text, its context), and whether
        the question's key term is among them (the key-term gate: True above ``key_term_gate``)."""
        if not terms:
            return 0.0, False
        have = "".join(f.plain for f in forms)
        have_accented = "".join(f.folded for f in forms)
        matched = [t for t in terms
                   if any(f" {' '.join(a)} " in (have_accented if t.accented else have) for a in t.alternatives)]
        total = sum(t.weight for t in terms)
        share = sum(t.weight for t in matched) / total if total else 0.0
        return share, share >= self.settings.key_term_gate or self._key_terms_in(terms, matched)

    def _key_terms_in(self, terms: list[Term], matched: list[Term]) -> bool:
        """The question's most specific word (rarest in the corpus, yet present in it) must be there:
        "mức độ hài lòng" in a Sơn La question is not answered by a Sơn La clause about time limits."""
        known = [t for t in terms if any(self._attested(tuple(plain(x) for x in a)) for a in t.alternatives)]
        if not known:
            return False  # the collection never writes any of the question's words: nothing is on its subject
        # Phrases name a subject better than single syllables ("hài lòng" vs a rare "đi").
        phrases = [t for t in known if any(len(a) > 1 for a in t.alternatives)]
        # Every word of the top weight too: with a few hundred chunks rarities tie often, and "cắt giảm …
        # thời gian" is not answered by a clause with "cắt giảm" but no "thời gian". Accent-less syllable
        # pairs tie by accident (a pair across two words): they do not count here.
        # Without diacritics a syllable pair may straddle two words ("gửi qua", "bằng công"): such questions are
        # keyed on their rarest syllable.
        syllables_only = not any(t.accented or len(t.alternatives) > 1 for t in terms)
        pool = [t for t in known if len(t.alternatives[0]) == 1] if syllables_only else phrases
        pool = pool or known
        key = max(pool, key=lambda t: t.weight)
        floor = min(key.weight * self.settings.key_term_ratio, key.weight - WEIGHT_TIE)
        tied = [t for t in pool if t.weight >= floor and (t.accented or len(t.alternatives) > 1)]
        return key in matched and all(t in matched for t in tied)

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
