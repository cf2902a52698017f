"""Unit tests for the pure metric functions, with hand-computed expectations."""

from __future__ import annotations

import pytest

from eval import metrics
from eval.metrics import (
    abstention_accuracy,
    abstention_precision_recall,
    answer_accuracy,
    answer_correct,
    citation_precision,
    citation_recall,
    citation_supports,
    contains_fact,
    gold_span_triples,
    key_fact_correct,
    mrr,
    normalize_text,
    pair_records,
    percentile,
    recall_at_k,
    reciprocal_rank,
    summarize,
)

DB = "000_db.txt"
QB = "003_qb.txt"
LC = "004_lc.txt"


def gold_item(qid, answerable=True, key_facts=(("50%",),), source=DB, spans=((100, 200),), kind=("target",), **extra):
    item = {
        "id": qid,
        "question": f"question {qid}",
        "kind": list(kind),
        "answerable": answerable,
        "key_facts": [list(alts) for alts in key_facts] if answerable else [],
        "gold_source": source if answerable else None,
        "gold_spans": [list(s) for s in spans] if answerable else [],
        "province": "Điện Biên",
        "follows": None,
    }
    item.update(extra)
    return item


def record(qid, answer="", abstained=False, citations=(), latency=1.0, **extra):
    rec = {
        "id": qid,
        "question": f"question {qid}",
        "answer": answer,
        "abstained": abstained,
        "mode": "extractive",
        "latency_s": latency,
        "citations": [
            {"n": n, "source": src, "title": "", "province": "", "quote": quote, "start": 0, "end": 1}
            for n, (src, quote) in enumerate(citations, start=1)
        ],
    }
    rec.update(extra)
    return rec


# --- normalize_text ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Số Hoá", "số hóa"),  # tone on the second vowel of an open "oa" moves to the first
        ("Uỷ ban", "ủy ban"),
        ("thuỷ lợi", "thủy lợi"),
        ("khoẻ", "khỏe"),
        ("hoàn thành", "hoàn thành"),  # closed syllable: only one spelling, untouched
        ("hoặc", "hoặc"),  # "oă" with a final consonant, untouched
        ("quý", "quý"),  # "qu" is a consonant: untouched
        ("20 %", "20%"),
        ("20\xa0%", "20%"),
        ("20 percent", "20%"),
        ("20 phần trăm", "20%"),
        ("2021 -2025", "2021-2025"),
        ("0,3 – 0,8 điểm", "0,3-0,8 điểm"),
        ("  a\xa0\xa0b\n\nc  ", "a b c"),
        ("12-NQ/TU", "12-nq/tu"),  # letters after the dash: not a range
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_text_returns_nfc():
    decomposed = "ho\u0301a"  # "hóa" with a combining acute
    assert normalize_text(decomposed) == "h\u00f3a"


def test_normalize_text_rejects_non_string():
    with pytest.raises(ValueError, match="needs a str"):
        normalize_text(None)


# --- contains_fact / key_fact_correct / citation_supports --------------------------------------------

def test_contains_fact_matches_any_alternative_case_and_space_insensitively():
    assert contains_fact("Mục tiêu đạt 20 % vào năm 2025", ["20%"])
    assert contains_fact("Signed by TRAN TIEN DUNG.", ["Trần Tiến Dũng", "Tran Tien Dung"])
    assert contains_fact("được số hoá toàn bộ", ["số hóa"])


def test_contains_fact_respects_token_boundaries():
    assert not contains_fact("tăng 120% so với", ["20%"])
    assert not contains_fact("năm 2028", ["8"])
    assert contains_fact("đề ra 8 mục tiêu", ["8"])
    assert not contains_fact("biocide", ["IOC"])
    assert contains_fact("Trung tâm (IOC).", ["IOC"])


def test_contains_fact_checks_inputs():
    with pytest.raises(ValueError, match="non-empty list"):
        contains_fact("x", [])
    with pytest.raises(ValueError, match="non-empty list"):
        contains_fact("x", "20%")  # a bare string is a common slip for ["20%"]
    with pytest.raises(ValueError, match="non-empty string"):
        contains_fact("x", ["20%", " "])
    with pytest.raises(ValueError, match="answer must be a str"):
        contains_fact(None, ["20%"])


def test_key_fact_correct_needs_every_fact():
    facts = [["50%"], ["55%"]]
    assert key_fact_correct("đạt 50% vào năm 2025 và đạt 55% vào năm 2030", facts)
    assert not key_fact_correct("đạt 50% vào năm 2025", facts)


def test_key_fact_correct_rejects_empty_facts():
    with pytest.raises(ValueError, match="key_facts must be a non-empty list"):
        key_fact_correct("anything", [])


def test_citation_supports_needs_one_fact():
    facts = [["Quảng Bình"], ["20%"]]
    assert citation_supports("cắt giảm tối thiểu 20% chi phí tuân thủ", facts)
    assert not citation_supports("mức độ hài lòng đạt 90%", facts)
    with pytest.raises(ValueError, match="key_facts"):
        citation_supports("quote", [])


# --- answer_correct and the rates ---------------------------------------------------------------------

def test_answer_correct_for_answerable_and_unanswerable():
    item = gold_item("q1", key_facts=[["50%"]])
    assert answer_correct(item, record("q1", "Tỷ lệ là 50%."))
    assert not answer_correct(item, record("q1", "Tỷ lệ là 55%."))
    # Abstaining on an answerable item is wrong even if the text happens to carry the fact.
    assert not answer_correct(item, record("q1", "Không tìm thấy 50%", abstained=True))
    empty = gold_item("q2", answerable=False)
    assert answer_correct(empty, record("q2", "Không có thông tin", abstained=True))
    assert not answer_correct(empty, record("q2", "Là 90%"))


def test_answer_correct_checks_the_pairing():
    with pytest.raises(ValueError, match="is paired with"):
        answer_correct(gold_item("q1"), record("q2", "50%"))
    bad = record("q1", "50%")
    del bad["citations"]
    with pytest.raises(ValueError, match="lacks citations"):
        answer_correct(gold_item("q1"), bad)


def four_pairs():
    """Hand-checked scenario used by the rate tests below.

    q1 answerable, correct, 2 citations: one from DB quoting 50% (supports), one from QB quoting 90% (not).
    q2 answerable, wrong answer (55%), 1 citation from DB quoting 55% (does not support the 50% fact).
    q3 unanswerable, abstained (right).
    q4 unanswerable, answered with a citation (wrong; its citation is not counted for precision).
    q5 answerable, abstained (wrong).
    """
    items = [
        gold_item("q1", key_facts=[["50%"]]),
        gold_item("q2", key_facts=[["50%"]]),
        gold_item("q3", answerable=False),
        gold_item("q4", answerable=False),
        gold_item("q5", key_facts=[["95%"]], source=LC),
    ]
    records = [
        record("q1", "đạt 50%", citations=[(DB, "tối thiểu đạt 50% vào năm 2025"), (QB, "đạt tối thiểu 90%")]),
        record("q2", "đạt 55%", citations=[(DB, "đạt 55% vào năm 2030")]),
        record("q3", "Không có thông tin", abstained=True),
        record("q4", "đạt 90%", citations=[(QB, "đạt tối thiểu 90%")]),
        record("q5", "Không có thông tin", abstained=True),
    ]
    return list(zip(items, records))


def test_rates_on_hand_checked_scenario():
    pairs = four_pairs()
    assert answer_accuracy(pairs) == pytest.approx(2 / 5)  # q1, q3
    assert citation_precision(pairs) == pytest.approx(1 / 3)  # q1: 1 of 2, q2: 0 of 1
    assert citation_recall(pairs) == pytest.approx(1.0)  # the one correct answerable answer (q1) cites DB
    precision, recall = abstention_precision_recall(pairs)
    assert precision == pytest.approx(1 / 2)  # abstained on q3 (right) and q5 (wrong)
    assert recall == pytest.approx(1 / 2)  # of q3, q4 only q3 abstained
    assert abstention_accuracy(pairs) == pytest.approx(3 / 5)  # q1, q2, q3 right; q4, q5 wrong


def test_citation_recall_counts_only_gold_sources():
    item = gold_item("q1", key_facts=[["20%"]], source=QB)
    wrong_province = record("q1", "20%", citations=[(LC, "tối thiểu 20% chi phí tuân thủ")])
    assert citation_recall([(item, wrong_province)]) == 0.0
    cross = gold_item("q2", key_facts=[["20%"]], source=QB, spans=[(0, 10), (5, 15)], gold_sources=[QB, LC])
    assert citation_recall([(cross, record("q2", "20%", citations=[(LC, "20%")]))]) == 1.0


def test_rates_are_none_when_nothing_to_count():
    only_unanswerable = [(gold_item("q3", answerable=False), record("q3", "x", abstained=True))]
    assert citation_precision(only_unanswerable) is None
    assert citation_recall(only_unanswerable) is None
    answered = [(gold_item("q1"), record("q1", "50%"))]
    assert abstention_precision_recall(answered) == (None, None)
    assert abstention_accuracy([]) is None


# --- retrieval ----------------------------------------------------------------------------------------

GOLD = [(DB, 100, 200)]


def test_recall_at_k_counts_overlap_in_same_source_only():
    ranked = [(QB, 100, 200), (DB, 0, 100), (DB, 150, 400)]  # 2nd only touches the start: half-open, no overlap
    assert recall_at_k(ranked, GOLD, 1) == 0.0
    assert recall_at_k(ranked, GOLD, 2) == 0.0
    assert recall_at_k(ranked, GOLD, 3) == 1.0
    assert recall_at_k(ranked, GOLD, 10) == 1.0  # k beyond the list is fine


def test_recall_at_k_is_share_of_gold_spans_found():
    gold = [(QB, 0, 50), (LC, 1000, 1100)]
    assert recall_at_k([(QB, 40, 60), (DB, 0, 9)], gold, 2) == 0.5
    assert recall_at_k([(QB, 40, 60), (LC, 1090, 1200)], gold, 2) == 1.0


def test_recall_at_k_checks_inputs():
    with pytest.raises(ValueError, match=r"k must be >= 1. Currently k=0"):
        recall_at_k([], GOLD, 0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        recall_at_k([], GOLD, True)
    with pytest.raises(ValueError, match="gold_spans must not be empty"):
        recall_at_k([], [], 3)
    with pytest.raises(ValueError, match="start <= end"):
        recall_at_k([(DB, 50, 10)], GOLD, 3)
    with pytest.raises(ValueError, match=r"\(source, start, end\)"):
        recall_at_k([(DB, 50)], GOLD, 3)


def test_reciprocal_rank_and_mrr():
    assert reciprocal_rank([(QB, 0, 9), (DB, 150, 160)], GOLD) == 0.5
    assert reciprocal_rank([(QB, 0, 9)], GOLD) == 0.0
    assert reciprocal_rank([], GOLD) == 0.0
    queries = [([(DB, 120, 130)], GOLD), ([(QB, 0, 1), (QB, 2, 3), (DB, 199, 250)], GOLD), ([], GOLD)]
    assert mrr(queries) == pytest.approx((1 + 1 / 3 + 0) / 3)
    with pytest.raises(ValueError, match="at least one"):
        mrr([])
    with pytest.raises(ValueError, match="gold_spans must not be empty"):
        reciprocal_rank([(DB, 0, 1)], [])


# --- percentile ---------------------------------------------------------------------------------------

def test_percentile_interpolates_like_numpy():
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 95) == pytest.approx(3.85)  # pos 2.85 between 3 and 4
    assert percentile([7.0], 95) == 7.0


def test_percentile_checks_inputs():
    with pytest.raises(ValueError, match=r"p must be a number between 0 and 100. Currently p=101"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="at least one value"):
        percentile([], 50)
    with pytest.raises(ValueError, match="finite numbers"):
        percentile([1.0, float("nan")], 50)


# --- gold spans and summary ---------------------------------------------------------------------------

def test_gold_span_triples_single_and_cross():
    assert gold_span_triples(gold_item("q1", spans=[(1, 5), (7, 9)])) == [(DB, 1, 5), (DB, 7, 9)]
    cross = gold_item("q2", source=QB, spans=[(1, 5), (7, 9)], gold_sources=[QB, LC])
    assert gold_span_triples(cross) == [(QB, 1, 5), (LC, 7, 9)]
    with pytest.raises(ValueError, match="parallel"):
        gold_span_triples(gold_item("q3", spans=[(1, 5)], gold_sources=[QB, LC]))


def test_pair_records_rejects_unknown_and_repeated_ids():
    gold = [gold_item("q1"), gold_item("q2")]
    assert [i["id"] for i, _ in pair_records([record("q2"), record("q1")], gold)] == ["q1", "q2"]
    with pytest.raises(ValueError, match="'q9' is not in the gold set"):
        pair_records([record("q9")], gold)
    with pytest.raises(ValueError, match="'q1' occurs twice"):
        pair_records([record("q1"), record("q1")], gold)


def test_summarize_on_hand_checked_scenario():
    items = [i for i, _ in four_pairs()] + [gold_item("q6")]  # q6 has no record: reported missing
    records = [r for _, r in four_pairs()]
    records[0]["retrieved"] = [{"source": QB, "start": 0, "end": 10}, {"source": DB, "start": 150, "end": 300}]
    records[1]["retrieved"] = [{"source": DB, "start": 100, "end": 101}]
    records[4]["retrieved"] = [{"source": DB, "start": 100, "end": 200}]  # q5's gold is LC: a miss
    for r, latency in zip(records, (1.0, 2.0, 3.0, 4.0, 10.0)):
        r["latency_s"] = latency

    s = summarize(records, items)
    assert s["n"] == 5 and s["n_answerable"] == 3 and s["n_unanswerable"] == 2
    assert s["missing_ids"] == ["q6"]
    assert s["answer_accuracy"] == pytest.approx(2 / 5)
    assert s["answerable_accuracy"] == pytest.approx(1 / 3)
    assert s["abstention_accuracy"] == pytest.approx(3 / 5)
    assert s["abstention_precision"] == pytest.approx(1 / 2)
    assert s["abstention_recall"] == pytest.approx(1 / 2)
    assert s["citation_precision"] == pytest.approx(1 / 3)
    assert s["citation_recall"] == pytest.approx(1.0)
    retrieval = s["retrieval"]
    assert retrieval["n"] == 3
    assert retrieval["recall@1"] == pytest.approx(1 / 3)  # only q2 at rank 1
    assert retrieval["recall@3"] == pytest.approx(2 / 3)  # q1 at rank 2
    assert retrieval["mrr"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert s["latency"]["p50_s"] == pytest.approx(3.0)
    assert s["latency"]["p95_s"] == pytest.approx(8.8)  # pos 3.8 between 4 and 10
    assert s["modes"] == {"extractive": 5}
    assert s["by_kind"]["target"]["n"] == 5
    assert s["by_kind"]["target"]["answer_accuracy"] == pytest.approx(2 / 5)


def test_summarize_by_kind_and_without_retrieval():
    items = [gold_item("q1", kind=["target", "english"]), gold_item("q2", answerable=False, kind=["abstain"])]
    records = [record("q1", "50%"), record("q2", "90%")]
    s = summarize(records, items)
    assert s["retrieval"] is None
    assert s["by_kind"]["english"] == {"n": 1, "answer_accuracy": 1.0, "abstention_accuracy": 1.0}
    assert s["by_kind"]["abstain"] == {"n": 1, "answer_accuracy": 0.0, "abstention_accuracy": 0.0}


def test_summarize_needs_records():
    with pytest.raises(ValueError, match="at least one record"):
        summarize([], [gold_item("q1")])


def test_other_province_answers_count_only_answers_citing_another_province():
    item = {"id": "q", "province": "Lai Châu", "answerable": True}
    cite = lambda *ps: {"abstained": False, "citations": [{"province": p} for p in ps]}  # noqa: E731
    assert metrics.other_province_answers([(item, cite("Điện Biên"))]) == 1
    assert metrics.other_province_answers([(item, cite("Lai Châu", "Điện Biên"))]) == 0
    assert metrics.other_province_answers([(item, cite(""))]) == 0  # a national document
    assert metrics.other_province_answers([(item, {"abstained": True, "citations": []})]) == 0
    assert metrics.other_province_answers([({**item, "province": None}, cite("Điện Biên"))]) == 0
