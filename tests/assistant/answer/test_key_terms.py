"""The key-term gate of the extractive answerer (assistant/answer/scoring.py): a clause answers a question
only if it holds the question's most specific words, whichever of them the collection makes the very rarest."""

from __future__ import annotations

import pytest

from assistant.answer.evidence import Forms
from assistant.answer.scoring import ExtractiveSettings, TermScorer
from assistant.types import Query

QUESTION = "Sơn La cam kết cắt giảm bao nhiêu phần trăm chi phí tuân thủ quy định?"
ON_TIME = "bảo đảm cắt giảm ít nhất 25% thời gian giải quyết so với quy định"
ON_COST = "cắt giảm tối thiểu 20% chi phí tuân thủ quy định"


class Rarity:
    """A keyword index that knows every word, with the IDF given per accent-less token (others: 1.0)."""

    def __init__(self, idf: dict[str, float], scale: float = 1.0) -> None:
        self._idf, self._scale = idf, scale

    def knows(self, field: str, token: str) -> bool:
        return True

    def idf(self, field: str, token: str) -> float:
        return self._scale * self._idf.get(token, 1.0)


# among thousands of legal texts "cắt giảm" is the rarest, "chi phí" close behind (the scale corpus's order)
LIBRARY = {"cat_giam": 6.7, "chi_phi": 5.5, "tuan_thu": 4.4, "quy_dinh": 1.5}


def gate(idf: dict[str, float], unit: str, scale: float = 1.0, **settings: float) -> bool:
    scorer = TermScorer(Rarity(idf, scale), ExtractiveSettings(**settings))
    query = Query(text=QUESTION, language="vi", keywords_vi=QUESTION)
    return scorer.match(scorer.terms(query), Forms.of(unit))[1]


def test_a_clause_with_the_rarest_word_but_not_the_next_as_rare_is_off_the_subject() -> None:
    assert not gate(LIBRARY, ON_TIME)  # "cắt giảm … thời gian" does not answer "cắt giảm … chi phí tuân thủ"
    assert gate(LIBRARY, ON_COST)
    assert gate(LIBRARY, ON_TIME, key_term_ratio=1.0)  # keyed on the single rarest word, it would pass


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_the_gate_depends_on_how_rare_words_are_relative_to_each_other_not_on_the_collections_size(scale) -> None:
    assert (gate(LIBRARY, ON_TIME, scale), gate(LIBRARY, ON_COST, scale)) == (False, True)


def test_a_word_much_commoner_than_the_rarest_is_not_a_key_term() -> None:
    common_cost = {**LIBRARY, "chi_phi": 2.0, "tuan_thu": 2.0}
    assert gate(common_cost, ON_TIME)  # only "cắt giảm" is specific here: the clause keeps its chance
    assert not gate(common_cost, ON_TIME, key_term_ratio=0.25)  # the ratio is what decides
