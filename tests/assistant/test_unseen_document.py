"""A province and a document the rules were never tuned on: an official plan of Hà Giang laid out as such
plans are (header, numbered sections, bullet targets, a signature block signed on behalf of the chairman).
Ingested with the fake embedder, so what is tested is loading, metadata, chunking, keyword retrieval and the
answering rules — the general case, not the sample corpus."""

from __future__ import annotations

import pytest

from assistant.pipeline import Pipeline, build_index, build_ingestor
from assistant.settings import Settings
from tests.assistant.answer.test_extractive import assert_citations_quote_the_documents, first_line
from tests.fakes import HashingEmbedder

HA_GIANG = """ỦY BAN NHÂN DÂN
TỈNH HÀ GIANG
-------
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
---------------
Số: 125/KH-UBND

Hà Giang, ngày 15 tháng 4 năm 2022

KẾ HOẠCH
Cải cách hành chính nhà nước tỉnh Hà Giang năm 2022

I. MỤC ĐÍCH, YÊU CẦU

1. Mục đích
Triển khai có hiệu quả Chương trình tổng thể cải cách hành chính nhà nước trên địa bàn tỉnh.

II. CHỈ TIÊU

1. Cải cách thủ tục hành chính
- Tỷ lệ hồ sơ thủ tục hành chính được giải quyết đúng hạn đạt trên 98%.
- Mức độ hài lòng của người dân, doanh nghiệp đối với việc giải quyết thủ tục hành chính đạt tối thiểu 85%.

2. Chính quyền số
- 60% hồ sơ thủ tục hành chính được xử lý trực tuyến toàn trình.
- 100% cơ quan nhà nước cấp tỉnh sử dụng chữ ký số trong gửi nhận văn bản điện tử.

III. TỔ CHỨC THỰC HIỆN
Sở Nội vụ chủ trì, phối hợp với các sở, ngành theo dõi, đôn đốc thực hiện Kế hoạch; định kỳ hằng quý báo cáo UBND tỉnh.

KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
(Đã ký)
Hoàng Gia Long
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    base = tmp_path_factory.mktemp("unseen")
    (base / "corpus").mkdir()
    (base / "corpus" / "ha_giang_125.txt").write_text(HA_GIANG, encoding="utf-8")
    settings = Settings(chroma_path=base / "chroma", collection="unseen", embedding_model="fake")
    embedder = HashingEmbedder()
    report = build_ingestor(settings, embedder=embedder).run([base / "corpus"])
    assert report.added == ["ha_giang_125.txt"], report.summary()
    return Pipeline(settings, build_index(settings), embedder)


def test_the_metadata_of_an_official_plan(pipeline) -> None:
    m = pipeline.view.documents["ha_giang_125.txt"].metadata
    assert (m.province, m.doc_type, m.number, m.issue_date) == ("Hà Giang", "Kế hoạch", "125/KH-UBND", "2022-04-15")
    assert (m.signer, m.signer_title) == ("Hoàng Gia Long", "PHÓ CHỦ TỊCH")


@pytest.mark.parametrize(
    "question, lead",
    [
        ("Hà Giang đặt mục tiêu tỷ lệ hồ sơ giải quyết đúng hạn là bao nhiêu?", "Trên 98%"),
        ("Mức độ hài lòng của người dân ở Hà Giang là bao nhiêu?", "Tối thiểu 85%"),
        ("ha giang xu ly truc tuyen toan trinh bao nhieu phan tram ho so", "60%"),
        ("What share of provincial agencies in Ha Giang must use digital signatures?", "100%"),
        ("Hà Giang phải báo cáo bao lâu một lần?", "Định kỳ hằng quý"),
        ("Ai ký kế hoạch cải cách hành chính của Hà Giang?", "Hoàng Gia Long"),
    ],
)
def test_questions_about_an_unseen_province(pipeline, question: str, lead: str) -> None:
    answer = pipeline.answer(question)
    assert not answer.abstained and first_line(answer).startswith(lead), answer.text
    assert {c.province for c in answer.citations} == {"Hà Giang"}
    assert_citations_quote_the_documents(answer, pipeline)


@pytest.mark.parametrize("question", ["Hà Giang cắt giảm chi phí tuân thủ bao nhiêu phần trăm?",
                                      "Hà Giang có bao nhiêu doanh nghiệp vào năm 2025?",
                                      "Lai Châu có mục tiêu gì về chữ ký số?"])
def test_what_the_unseen_document_does_not_say_is_not_answered(pipeline, question: str) -> None:
    answer = pipeline.answer(question)
    assert answer.abstained and answer.citations == ()


def test_a_province_s_targets_in_general_are_listed_each_with_its_source(pipeline) -> None:
    answer = pipeline.answer("What are Hà Giang's targets?")
    assert not answer.abstained
    lines = answer.text.splitlines()
    assert lines[0] == "Hà Giang's targets in the documents:"
    for figure in ("over 98%", "at least 85%", "60%", "100%"):
        assert any(figure in line for line in lines[1:]), (figure, answer.text)
    assert len(answer.citations) == 4 and {c.province for c in answer.citations} == {"Hà Giang"}
    assert_citations_quote_the_documents(answer, pipeline)


def test_the_issuing_body_is_named_in_full_and_cited_where_the_text_names_it(pipeline) -> None:
    answer = pipeline.answer("Kế hoạch 125/KH-UBND do cơ quan nào ban hành?")
    assert first_line(answer).startswith("UBND tỉnh Hà Giang")
    assert "ỦY BAN NHÂN DÂN" in answer.citations[0].quote.upper()
    assert_citations_quote_the_documents(answer, pipeline)
