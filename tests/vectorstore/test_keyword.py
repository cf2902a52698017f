"""Keyword analysis and BM25: tone-insensitive words, accent-less syllables, ranking and filtering."""

from __future__ import annotations

import pytest

from vectorstore.keyword import FIELDS, KeywordIndex, analyse, plain_tokens, segment_words


def test_segmenter_joins_vietnamese_words_and_ignores_tone_style() -> None:
    words = segment_words("Cắt giảm chi phí tuân thủ")
    assert "chi_phí" in words and "tuân_thủ" in words
    assert segment_words("số hoá thuỷ lợi") == segment_words("số hóa thủy lợi")
    assert all(w == w.lower() for w in segment_words("UBND Tỉnh Lai Châu"))
    assert "," not in segment_words("cải cách, hành chính")


def test_plain_tokens_are_accentless_syllables_and_bigrams() -> None:
    assert plain_tokens("Chi phí tuân thủ 20%") == [
        "chi", "phi", "tuan", "thu", "20%", "chi_phi", "phi_tuan", "tuan_thu", "thu_20%"]
    assert plain_tokens("hoá") == plain_tokens("hóa") == ["hoa"]


def test_analyse_stores_both_fields_as_space_joined_tokens() -> None:
    fields = analyse("Cắt giảm 20% chi phí")
    assert set(fields) == set(FIELDS)
    assert fields["plain"].split() == plain_tokens("Cắt giảm 20% chi phí")
    assert fields["seg"].split() == segment_words("Cắt giảm 20% chi phí")


PASSAGES = {
    "qb": "Tỉnh Quảng Bình cắt giảm tối thiểu 20% chi phí tuân thủ quy định liên quan đến hoạt động kinh doanh.",
    "lc": "Tỉnh Lai Châu xây dựng Chính quyền điện tử, Chính quyền số và chuyển đổi số.",
    "sl": "Tỉnh Sơn La cắt giảm ít nhất 25% thời gian giải quyết thủ tục hành chính.",
}


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex(list(PASSAGES), [analyse(t) for t in PASSAGES.values()])


def test_bm25_finds_the_passage_with_or_without_accents(index: KeywordIndex) -> None:
    assert index.search("seg", segment_words("chi phí tuân thủ"), 3)[0].chunk_id == "qb"
    assert index.search("plain", plain_tokens("chi phi tuan thu"), 3)[0].chunk_id == "qb"
    assert index.search("plain", plain_tokens("chinh quyen so"), 3)[0].chunk_id == "lc"


def test_only_matching_passages_are_returned_best_first_and_limited(index: KeywordIndex) -> None:
    hits = index.search("plain", plain_tokens("cat giam"), 5)
    assert {h.chunk_id for h in hits} == {"qb", "sl"}
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert len(index.search("plain", plain_tokens("cat giam"), 1)) == 1


def test_allowed_restricts_the_results(index: KeywordIndex) -> None:
    hits = index.search("plain", plain_tokens("cat giam"), 5, allowed={"sl"})
    assert [h.chunk_id for h in hits] == ["sl"]


def test_unknown_field_names_the_valid_ones(index: KeywordIndex) -> None:
    with pytest.raises(ValueError, match="Unknown keyword field 'dense'. Valid fields are: seg, plain"):
        index.search("dense", ["x"], 3)


def test_empty_index_and_empty_query_return_nothing() -> None:
    empty = KeywordIndex([], [])
    assert empty.search("seg", ["chi_phí"], 3) == []
    assert empty.idf("seg", "chi_phí") == 1.0
    assert KeywordIndex(["a"], [analyse("cải cách")]).search("seg", [], 3) == []


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 ids but 1 field sets"):
        KeywordIndex(["a", "b"], [analyse("x")])


def test_rare_and_unseen_tokens_weigh_more_than_common_ones(index: KeywordIndex) -> None:
    common = index.idf("plain", "tinh")  # in every passage
    rare = index.idf("plain", "pci")  # in none
    assert rare >= index.idf("plain", "quang") > common
