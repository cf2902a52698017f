"""Questions about the collection itself are answered from the documents' metadata, each document cited
where its number or title is written; questions about what a document refers to are not taken."""

from __future__ import annotations

import pytest

from assistant.answer.documents import asks_for_documents
from assistant.question.understand import understand
from tests.assistant.answer.test_extractive import assert_citations_quote_the_documents
from tests.assistant.conftest import CORPUS_PROVINCES, DIEN_BIEN_RESOLUTION, SON_LA_RESOLUTION


@pytest.mark.parametrize(
    "question, asks",
    [
        ("Kho có những văn bản nào của Lai Châu?", True),
        ("co bao nhieu van ban cua son la", True),
        ("Which documents in the collection are resolutions issued by a Tỉnh ủy?", True),
        ("How many plans does the collection hold?", True),
        ("Kế hoạch 2943/KH-UBND căn cứ những văn bản nào?", False),  # what a document refers to
        ("Kế hoạch của Lai Châu triển khai những văn bản nào của Trung ương?", False),
        ("Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm?", False),
        # "các văn bản" in a question about content: the clause search answers it
        ("Việc cắt giảm 20% số quy định tính trên các văn bản có hiệu lực đến ngày nào?", False),
        ("Which document does Lai Châu's plan implement?", False),
    ],
)
def test_which_questions_are_about_the_collection(question: str, asks: bool) -> None:
    assert asks_for_documents(understand(question, CORPUS_PROVINCES)) is asks


def test_documents_of_a_province_in_the_tiny_corpus(tiny_pipeline) -> None:
    answer = tiny_pipeline.answer("Kho có những văn bản nào của Quảng Bình?")
    assert not answer.abstained
    assert [c.source for c in answer.citations] == ["102_quang_binh.txt"]
    assert "88/KH-UBND" in answer.text and "88/KH-UBND" in answer.citations[0].quote
    assert_citations_quote_the_documents(answer, tiny_pipeline)


def test_no_document_of_that_description_is_a_plain_no(tiny_pipeline) -> None:
    answer = tiny_pipeline.answer("Kho có những chỉ thị nào của Quảng Bình?")
    assert answer.abstained and answer.citations == ()


@pytest.mark.model
def test_resolutions_of_party_committees_with_their_numbers(corpus_pipeline) -> None:
    answer = corpus_pipeline.answer(
        "Which documents in the collection are resolutions issued by a Provincial Party Committee (Tỉnh ủy), "
        "and what are their numbers?")
    assert not answer.abstained and answer.language == "en"
    assert {c.source for c in answer.citations} == {DIEN_BIEN_RESOLUTION, SON_LA_RESOLUTION}
    assert "12-NQ/TU" in answer.text and "03-NQ/TU" in answer.text
    assert "2943/KH-UBND" not in answer.text  # a plan of a People's Committee is neither
    assert_citations_quote_the_documents(answer, corpus_pipeline)
