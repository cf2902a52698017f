"""Answers from the commitments ledger: a unique match is answered and cited at the row's exact span;
no match, an ambiguous match or an unclear question gives None (the extractive answerer goes on)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answer.from_ledger import LedgerAnswerSettings, ledger_answer
from assistant.answer.ledger import Ledger
from assistant.question.understand import understand
from assistant.retrieve import CorpusView
from assistant.types import Answer, Query
from ingest.document import Chunk
from tests.assistant.answer.test_ledger import make_records
from vectorstore.chroma import StoredChunk
from vectorstore.keyword import analyse


@pytest.fixture(scope="module")
def world() -> tuple[Ledger, CorpusView]:
    records = make_records()
    chunks = [StoredChunk(Chunk(r.source, r.version, 0, 0, len(r.text), r.text, ("Chỉ tiêu",), r.metadata),
                          analyse(r.text)) for r in records]
    view = CorpusView.from_chunks({r.source: r for r in records}, chunks)
    return Ledger(records), view


def ask(world, question: str, previous: Query | None = None, sources: set[str] | None = None) -> Answer | None:
    ledger, view = world
    return ledger_answer(understand(question, view.provinces, previous), ledger, view, sources)


def test_a_target_question_is_answered_from_its_row_and_cited_at_the_exact_span(world) -> None:
    answer = ask(world, "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?")
    assert answer is not None and not answer.abstained and answer.mode == "extractive"
    assert answer.text.splitlines()[0] == "Tối thiểu 20% (Lai Châu, năm 2025) [1]."
    assert answer.text.splitlines()[1] == (
        "Nguồn: Kế hoạch 11/KH-UBND (20/09/2021), Lai Châu: “Cắt giảm tối thiểu 20% chi phí tuân thủ quy định liên "
        "quan đến hoạt động kinh doanh” [1]")
    (citation,) = answer.citations
    text = world[1].documents["lai_chau.txt"].text
    assert citation.source == "lai_chau.txt" and text[citation.start:citation.end] == citation.quote
    assert citation.quote.startswith("Cắt giảm tối thiểu 20%")
    assert (citation.title, citation.province, citation.number, citation.doc_type, citation.issue_date,
            citation.heading) == ("Kế hoạch cải cách hành chính tỉnh Lai Châu", "Lai Châu", "11/KH-UBND",
                                  "Kế hoạch", "2021-09-20", "Chỉ tiêu")


def test_the_same_clause_in_two_provinces_is_told_apart_by_the_province(world) -> None:
    answer = ask(world, "Quảng Bình cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?")
    assert answer.citations[0].source == "quang_binh.txt" and "(Quảng Bình, năm 2025)" in answer.text


def test_without_a_year_each_year_gets_its_value_and_its_citation(world) -> None:
    answer = ask(world, "Tỷ lệ hồ sơ giải quyết trực tuyến của Lai Châu đạt bao nhiêu phần trăm?")
    assert answer.text.splitlines()[0] == ("Tối thiểu 50% (Lai Châu, năm 2025) [1]; tối thiểu 80% (Lai Châu, "
                                           "năm 2030) [2].")
    assert [c.quote[-17:] for c in answer.citations] == ["đạt tối thiểu 50%", "đạt tối thiểu 80%"]
    follow_up = ask(world, "Còn năm 2030 thì sao?", previous=understand(
        "Tỷ lệ hồ sơ giải quyết trực tuyến của Lai Châu năm 2025 đạt bao nhiêu phần trăm?", world[1].provinces))
    assert follow_up.text.startswith("Tối thiểu 80% (Lai Châu, năm 2030) [1].")


def test_a_target_without_a_year_is_answered_without_one(world) -> None:
    answer = ask(world, "Son La cat giam it nhat bao nhieu phan tram thoi gian giai quyet thu tuc hanh chinh?")
    assert answer.text.startswith("Ít nhất 25% (Sơn La) [1].")


def test_two_provinces_are_answered_one_after_the_other(world) -> None:
    answer = ask(world, "Lai Châu và Quảng Bình cắt giảm bao nhiêu phần trăm chi phí tuân thủ vào năm 2025?")
    assert answer.text.splitlines()[0] == ("Tối thiểu 20% (Lai Châu, năm 2025) [1]; tối thiểu 20% (Quảng Bình, "
                                           "năm 2025) [2].")
    assert [c.source for c in answer.citations] == ["lai_chau.txt", "quang_binh.txt"]


def test_english_questions_get_english_answers_with_the_vietnamese_figure(world) -> None:
    answer = ask(world, "What share of compliance costs must Lai Chau cut by 2025?")
    assert answer.language == "en"
    assert answer.text.splitlines()[0] == "At least 20% (tối thiểu 20%) (Lai Châu, by 2025) [1]."
    assert answer.text.splitlines()[1].startswith("Source: Kế hoạch 11/KH-UBND (20/09/2021), Lai Châu: “Cắt giảm")


@pytest.mark.parametrize("question", [
    "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2030?",  # no row for that year
    "Sơn La cắt giảm chi phí tuân thủ bao nhiêu phần trăm?",  # no row of that topic for that province
    "Hà Nội cắt giảm chi phí tuân thủ bao nhiêu phần trăm?",  # a province the corpus does not have
    "Cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?",  # no province
    "Kế hoạch cải cách hành chính của Lai Châu do ai ký?",  # not a number
    "Lai Châu đặt mục tiêu bao nhiêu phần trăm vào năm 2025?",  # no topic
    "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu tỷ đồng vào năm 2025?",  # asks for money, the row is a share
    "By 2025, what share of commune-level work files must Lai Chau process online?",  # words the ledger lacks
])
def test_no_matching_row_gives_none(world, question: str) -> None:
    assert ask(world, question) is None


def test_rows_that_disagree_give_none_and_a_precise_question_picks_one(world) -> None:
    # Quảng Bình has two 2025 satisfaction targets: 90% (administrative procedures) and 85% (health care)
    assert ask(world, "Mức độ hài lòng của người dân Quảng Bình năm 2025 đạt bao nhiêu phần trăm?") is None
    precise = ask(world, "Mức độ hài lòng của người dân Quảng Bình về giải quyết thủ tục hành chính năm 2025 "
                         "đạt bao nhiêu phần trăm?")
    assert precise.text.startswith("Tối thiểu 90% (Quảng Bình, năm 2025) [1].")
    assert ask(world, "Mức độ hài lòng về dịch vụ y tế ở Quảng Bình năm 2025 là bao nhiêu phần trăm?").text.startswith(
        "Tối thiểu 85%")


def test_a_dated_and_an_undated_value_give_none(world) -> None:
    ledger, view = world
    lai_chau = make_records()[0]
    undated = replace(lai_chau.commitments[1], year=None, value=60.0)  # the same metric, no year
    mixed = Ledger([replace(lai_chau, commitments=(*lai_chau.commitments, undated))])
    query = understand("Tỷ lệ hồ sơ giải quyết trực tuyến của Lai Châu đạt bao nhiêu phần trăm?", view.provinces)
    assert ledger_answer(query, mixed, view) is None
    assert ledger_answer(query, ledger, view) is not None


def test_the_document_filter_restricts_the_rows(world) -> None:
    question = "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?"
    assert ask(world, question, sources={"quang_binh.txt"}) is None
    assert ask(world, question, sources={"lai_chau.txt"}) is not None


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="min_coverage must be in"):
        LedgerAnswerSettings(min_coverage=0)
    with pytest.raises(ValueError, match="tie_margin must be in"):
        LedgerAnswerSettings(tie_margin=1.5)


def test_which_provinces_set_a_target_lists_each_with_its_own_row(world) -> None:
    answer = ask(world, "Tỉnh nào đặt chỉ tiêu cắt giảm chi phí tuân thủ năm 2025?")
    assert answer is not None and answer.text.splitlines()[0] == "Các tỉnh đặt chỉ tiêu này:"
    by_province = {c.province: c for c in answer.citations}
    assert set(by_province) == {"Lai Châu", "Quảng Bình"}
    assert by_province["Lai Châu"].source == "lai_chau.txt" and by_province["Quảng Bình"].source == "quang_binh.txt"
    for c in answer.citations:
        assert world[1].documents[c.source].text[c.start:c.end] == c.quote and "chi phí tuân thủ" in c.quote


def test_a_province_s_targets_in_general_are_listed(world) -> None:
    answer = ask(world, "What are Lai Châu's targets?")
    assert answer is not None and answer.text.startswith("Lai Châu's targets in the documents:")
    assert {c.province for c in answer.citations} == {"Lai Châu"} and len(answer.citations) >= 2
    assert ask(world, "Lai Châu đặt mục tiêu bao nhiêu phần trăm?") is None  # one figure of what? not a list
