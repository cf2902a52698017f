"""verify_answer: markers must point to given passages; figures must come from cited passages."""

import pytest

from assistant.answer.verify import find_markers, find_mentions, verify_answer

DIEN_BIEN = (
    "Ngày 29/7/2021, Tỉnh ủy Điện Biên đã ban hành Nghị quyết số 12-NQ/TU về cải cách hành chính "
    "giai đoạn 2021-2025, định hướng đến năm 2030. Bảo đảm 100% văn bản QPPL được ban hành đúng pháp luật; "
    "cắt giảm tối thiểu 20% chi phí tuân thủ; hỗ trợ 2.000 doanh nghiệp; tỷ lệ sai sót dưới 0,3%."
)
LAI_CHAU = "Kế hoạch số 2943/KH-UBND ngày 20 tháng 9 năm 2021 của UBND tỉnh Lai Châu về cải cách hành chính năm 2022."


def passages() -> dict[int, str]:
    return {1: DIEN_BIEN, 2: LAI_CHAU}


@pytest.mark.parametrize(
    "answer",
    [
        "Tỉnh ủy Điện Biên ban hành Nghị quyết 12-NQ/TU ngày 29/7/2021 [1].",
        "Mục tiêu là cắt giảm tối thiểu 20% chi phí tuân thủ [1].",
        "Nghị quyết đặt mục tiêu hỗ trợ 2.000 doanh nghiệp [1] và tỷ lệ sai sót dưới 0,3% [1].",
        "The resolution aims to support 2,000 enterprises and keep errors below 0.3% [1].",  # English spelling
        "Giai đoạn 2021-2025, định hướng đến năm 2030 [1].",
        "Kế hoạch 2943/KH-UBND được ban hành ngày 20/9/2021 [2].",  # written date vs "ngày 20 tháng 9 năm 2021"
        "Kế hoạch ban hành ngày 20/09/2021 [2]; nghị quyết ngày 29 tháng 7 năm 2021 [1].",
        "The plan was issued on 20 September 2021 [2].",
        "Nghị quyết ban hành tháng 7/2021 [1].",
        "Kế hoạch có số 2943 [1, 2].",
        "Theo Kế hoạch [2]:\n1. cải cách hành chính năm 2022 [2].",  # "1." is list numbering, not a figure
    ],
)
def test_supported_answers_pass(answer):
    result = verify_answer(answer, passages())
    assert result.ok, result.problems
    assert result.problems == []


def test_invented_number_fails_and_is_named():
    result = verify_answer("Mục tiêu là cắt giảm 30% chi phí tuân thủ [1].", passages())
    assert not result.ok
    assert result.problems == ["'30%' is not in the cited passages [1]"]


def test_figure_from_an_uncited_passage_fails():
    # 2943 is in passage 2, but the answer cites only passage 1.
    result = verify_answer("Kế hoạch số 2943 [1].", passages())
    assert not result.ok
    assert "'2943' is not in the cited passages [1]" in result.problems


def test_wrong_date_fails():
    assert not verify_answer("Nghị quyết ban hành ngày 29/8/2021 [1].", passages()).ok
    assert not verify_answer("Nghị quyết ban hành ngày 27/9/2021 [1].", passages()).ok


def test_percentage_needs_a_percentage():
    # "2.000" is in the passage, "2.000%" is not; "100" alone is backed by "100%".
    assert not verify_answer("Tăng 2.000% [1].", passages()).ok
    assert verify_answer("Bảo đảm 100 văn bản [1].", passages()).ok


def test_decimal_conventions_are_not_mixed_up():
    # "0,3" is three tenths; "3" and "0,03" are other numbers.
    assert not verify_answer("Tỷ lệ sai sót dưới 3% [1].", passages()).ok
    assert not verify_answer("Tỷ lệ sai sót dưới 0,03% [1].", passages()).ok


def test_marker_to_a_passage_not_given_fails():
    result = verify_answer("Cắt giảm 20% chi phí [3].", passages())
    assert not result.ok
    assert result.problems[0] == "marker(s) [3] point to no given passage (given: 1, 2)"


def test_no_marker_fails_even_when_the_figures_are_right():
    result = verify_answer("Cắt giảm tối thiểu 20% chi phí tuân thủ.", passages())
    assert not result.ok
    assert result.problems == ["the answer cites no passage (no [n] marker)"]


def test_answer_without_figures_passes_with_a_marker():
    assert verify_answer("Nghị quyết nói về cải cách hành chính [1].", passages()).ok


def test_markers_are_read_in_order_without_repeats():
    assert find_markers("a [2] b [1, 3] c [2][4] d [x]") == [2, 1, 3, 4]


def test_marker_digits_are_not_figures():
    assert [m.text for m in find_mentions("cắt giảm 20% [12].")] == ["20%"]


def test_mentions_recognise_vietnamese_formats():
    found = [m.text for m in find_mentions("ngày 29/7/2021, 2.000 người, 0,3%, 20 %, năm 2025, tháng 9 năm 2021")]
    assert found == ["29/7/2021", "2.000", "0,3%", "20 %", "2025", "tháng 9 năm 2021"]


def test_required_figures_must_be_stated_by_value():
    passages = {1: "Cắt giảm tối thiểu 20% chi phí; khoảng 2.000 doanh nghiệp vào năm 2025."}
    required = tuple(find_mentions("Khoảng 2.000 doanh nghiệp"))
    assert verify_answer("About 2,000 enterprises by 2025 [1].", passages, required).ok  # same value, English
    missing = verify_answer("Cắt giảm tối thiểu 20% chi phí [1].", passages, required)
    assert not missing.ok and "leaves out '2.000'" in missing.summary()
