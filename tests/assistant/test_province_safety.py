"""The worst failure is a figure attributed to the wrong province. Every province of the sample corpus is
asked about every common metric, in Vietnamese (with and without diacritics) and in English, whether or
not its documents state it: an answer may cite only that province's documents, and every figure it leads
with must stand in a quote it cites. Abstaining is always allowed."""

from __future__ import annotations

import re

import pytest

from ingest.textnorm import strip_accents
from tests.assistant.answer.test_extractive import assert_citations_quote_the_documents
from tests.assistant.conftest import CORPUS_PROVINCES

METRICS_VI = [
    "cắt giảm chi phí tuân thủ bao nhiêu phần trăm",
    "tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến là bao nhiêu",
    "mức độ hài lòng của người dân đạt bao nhiêu phần trăm",
    "có bao nhiêu doanh nghiệp",
    "thời gian chờ đợi tối đa bao nhiêu phút",
    "cắt giảm bao nhiêu phần trăm thời gian giải quyết thủ tục hành chính",
    "chỉ số PCI xếp thứ bao nhiêu",
    "tỷ lệ văn bản điện tử ký số là bao nhiêu",
]
METRICS_EN = [
    "What is {p}'s compliance cost reduction target?",
    "What share of administrative procedures should {p} provide online?",
    "What satisfaction rate does {p} target?",
    "How many enterprises does {p} aim for?",
]
QUESTIONS = ([f"{p} {m} vào năm 2025?" for p in sorted(CORPUS_PROVINCES) for m in METRICS_VI]
             + [strip_accents(f"{p} {m}?") for p in sorted(CORPUS_PROVINCES) for m in METRICS_VI[:4]]
             + [t.format(p=p) for p in sorted(CORPUS_PROVINCES) for t in METRICS_EN])
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|phút|doanh nghiệp|điểm)")


@pytest.mark.model
@pytest.mark.parametrize("question", QUESTIONS)
def test_an_answer_cites_only_the_asked_province_and_states_only_cited_figures(corpus_pipeline, question: str) -> None:
    answer = corpus_pipeline.answer(question)
    asked = answer.query.provinces
    assert len(asked) == 1, answer.query
    if answer.abstained:
        assert answer.citations == ()
        return
    assert {c.province for c in answer.citations} == set(asked), answer.text
    quotes = " ".join(c.quote for c in answer.citations)
    for figure in _FIGURE.findall(answer.text.splitlines()[0]):
        assert figure in quotes, (figure, answer.text)
    assert_citations_quote_the_documents(answer, corpus_pipeline)
