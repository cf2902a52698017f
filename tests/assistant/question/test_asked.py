"""What kind of answer a question wants, read by rules: a figure, a date, a document number, a person, a
position, a frequency or text — with and without diacritics, in Vietnamese and English, as a follow-up."""

from __future__ import annotations

import pytest

from assistant.question.asked import AskedFor, ask_of, asked_for
from assistant.question.understand import understand
from tests.assistant.conftest import CORPUS_PROVINCES


def u(text: str, previous=None):
    return understand(text, CORPUS_PROVINCES, previous)


@pytest.mark.parametrize(
    "question, want",
    [
        ("Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?", AskedFor.NUMBER),
        ("lai chau cat giam chi phi tuan thu bao nhieu phan tram", AskedFor.NUMBER),
        ("What is Quang Binh's compliance cost reduction target?", AskedFor.NUMBER),
        ("Quảng Bình mức độ hài lòng năm 2030?", AskedFor.NUMBER),  # a year alone asks for that year's figure
        # "đất" (land) is "đạt" (reach) without accents: with accents it is no figure question
        ("Chỉ thị yêu cầu công khai thông tin gì về đất đai?", AskedFor.TEXT),
        # a target word in a text question: "để đạt mục tiêu" does not ask for a figure
        ("Kế hoạch nêu những giải pháp nào để đạt mục tiêu?", AskedFor.TEXT),
        ("Cơ quan nào chủ trì xây dựng Đề án giai đoạn 2021-2025, định hướng đến năm 2030?", AskedFor.BODY),
        ("Tỉnh Sơn La đặt mục tiêu gì về chính quyền điện tử?", AskedFor.TEXT),  # a goal in words
        ("What targets does Sơn La set for e-government?", AskedFor.TEXT),
        ("Ai ký Chỉ thị của Lai Châu?", AskedFor.PERSON),
        ("Kế hoạch 2943/KH-UBND do cơ quan nào ban hành?", AskedFor.ISSUER),
        ("Who issued the Lai Chau directive on PCI?", AskedFor.ISSUER),
        ("Ông ấy ký với chức vụ gì?", AskedFor.POSITION),
        ("Nghị quyết 12-NQ/TU được ban hành ngày nào?", AskedFor.DATE),
        ("Kế hoạch căn cứ nghị quyết nào của Chính phủ?", AskedFor.DOC_NUMBER),
        ("How often must the committee report to the Standing Committee?", AskedFor.FREQUENCY),
        ("Năm 2019 Chỉ số PCI của Lai Châu xếp thứ bao nhiêu?", AskedFor.NUMBER),
    ],
)
def test_what_a_question_asks_for(question: str, want: str) -> None:
    assert asked_for(u(question)) == want


def test_units_lists_and_counted_nouns() -> None:
    assert ask_of(u("Năm 2019 Chỉ số PCI của Lai Châu xếp thứ bao nhiêu?")).unit == "rank"
    assert ask_of(u("Tỷ lệ hồ sơ trực tuyến của Sơn La là bao nhiêu?")).unit == "percent"
    assert ask_of(u("Sơn La tăng cường phân cấp giữa mấy cấp chính quyền?")).noun == "cấp chính quyền"
    assert ask_of(u("Điện Biên có bao nhiêu doanh nghiệp?")).noun == "doanh nghiệp"
    assert ask_of(u("How many enterprises does Dien Bien target?")).noun == "doanh nghiệp"
    assert ask_of(u("Sơn La cắt giảm bao nhiêu phần trăm thời gian?")).noun is None  # a percentage
    assert ask_of(u("How many main tasks does Sơn La's resolution set out?")).noun == "nhiệm vụ"
    assert ask_of(u("Tỉnh nào đặt mức hài lòng bao nhiêu cho năm 2025?")).noun is None
    assert ask_of(u("Sơn La yêu cầu thực hiện những nghị định nào?")).is_list
    assert not ask_of(u("Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm?")).is_list
    # accent-less "may" is also "máy" (machine): no counted noun is read from it
    assert ask_of(u("son la phan cap giua may cap chinh quyen")).noun is None


def test_a_follow_up_s_own_words_decide_before_the_carried_topic() -> None:
    first = u("Ai ký Chỉ thị của Lai Châu?")
    assert asked_for(u("Ông ấy ký với chức vụ gì?", previous=first)) == AskedFor.POSITION
    counted = u("Kế hoạch của Lai Châu thực hiện trên cơ sở mấy nội dung?")
    assert asked_for(u("Kể tên các nội dung đó.", previous=counted)) == AskedFor.TEXT
    # no words of its own about the answer's kind: the previous question's kind carries over
    target = u("Điện Biên đặt mục tiêu bao nhiêu doanh nghiệp vào năm 2025?")
    assert asked_for(u("còn năm 2030 thì sao?", previous=target)) == AskedFor.NUMBER
