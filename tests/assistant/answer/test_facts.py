"""Spotting the facts an answer leads with: figures (with their comparator, unit and year), dates,
document numbers. Positions index the clause given, so the answer can quote exactly what is written.
"""

from __future__ import annotations

import pytest

from assistant.answer import facts


def figure_texts(clause: str) -> list[str]:
    return [f.text for f in facts.figures(clause)]


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("cắt giảm tối thiểu 20% chi phí tuân thủ", "tối thiểu 20%"),
        ("Số lượng doanh nghiệp khoảng 2.000 doanh nghiệp", "khoảng 2.000 doanh nghiệp"),
        ("tăng bình quân 0,3 - 0,8 điểm/năm", "0,3 - 0,8 điểm/năm"),
        ("xuống bình quân còn tối đa 15 phút/01 lượt giao dịch", "tối đa 15 phút"),
        ("tỷ lệ giao dịch thanh toán trực tuyến đạt từ 30% trở lên", "từ 30% trở lên"),
        ("bảo đảm cắt giảm ít nhất 25% thời gian giải quyết", "ít nhất 25%"),
        ("Trên 95% các văn bản quy phạm pháp luật", "Trên 95%"),
        ("giải quyết dưới 5 ngày làm việc", "dưới 5 ngày làm việc"),
        ("tỷ lệ sai sót 0,5%", "0,5%"),
        # rankings
        ("Chỉ số PCI năm 2020 xếp vị trí 63/63", "vị trí 63/63"),
        ("thuộc nhóm 40 tỉnh đứng đầu bảng xếp hạng", "nhóm 40 tỉnh"),
        ("nằm trong tốp 5 tỉnh dẫn đầu khu vực", "tốp 5 tỉnh"),
    ],
)
def test_a_figure_is_read_with_its_comparator_and_unit(clause: str, expected: str) -> None:
    found = facts.figures(clause)
    assert [f.text for f in found] == [expected]
    f = found[0]
    assert clause[f.start : f.end] == expected  # offsets point at what is written


def test_figure_parts() -> None:
    (f,) = facts.figures("cắt giảm tối thiểu 20% chi phí tuân thủ")
    assert (f.comparator, f.value, f.unit) == ("tối thiểu", "20", "%")
    (f,) = facts.figures("khoảng 2.000 doanh nghiệp")
    assert (f.comparator, f.value, f.unit) == ("khoảng", "2.000", "doanh nghiệp")


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("tối thiểu đạt 50% vào năm 2025 và đạt 55% vào năm 2030 so với tổng số hồ sơ",
         [("tối thiểu đạt 50%", 2025), ("đạt 55%", 2030)]),
        ("khoảng 2.000 doanh nghiệp vào năm 2025 và khoảng 2.700 doanh nghiệp vào năm 2030",
         [("khoảng 2.000 doanh nghiệp", 2025), ("khoảng 2.700 doanh nghiệp", 2030)]),
        ("80% người dân không phải cung cấp lại giấy tờ vào năm 2025 và 85% vào năm 2030",
         [("80%", 2025), ("85%", 2030)]),
        ("cắt giảm tối thiểu 20% chi phí tuân thủ", [("tối thiểu 20%", None)]),
    ],
)
def test_each_figure_is_paired_with_the_year_written_after_it(clause: str, expected) -> None:
    assert [(f.text, f.year) for f in facts.figures(clause)] == expected


@pytest.mark.parametrize(
    "clause",
    [
        "tính đến hết ngày 31/5/2020",
        "Ngày 29/7/2021, Tỉnh ủy ban hành Nghị quyết",
        "từ ngày 01/01/2021",
        "theo Nghị định 130/2005/NĐ-CP của Chính phủ",
        "Kế hoạch 2943/KH-UBND của tỉnh",
        "Nghị quyết số 76/NQ- CP ngày 15/7/2021",
        "Khoản 2 Điều 5 Nghị quyết số 12-NQ/TU",  # bare numbers with no unit or comparator
        "mức độ 3 và 4",
    ],
)
def test_dates_and_document_numbers_are_not_figures(clause: str) -> None:
    assert facts.figures(clause) == []


def test_a_figure_next_to_a_date_is_still_found() -> None:
    clause = "cắt giảm tối thiểu 20% chi phí tại các văn bản có hiệu lực đến hết ngày 31/5/2020"
    assert figure_texts(clause) == ["tối thiểu 20%"]


def test_a_year_range_is_not_a_figure() -> None:
    assert facts.figures("thực hiện từ 2021 đến 2025") == []


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("tính đến hết ngày 31/5/2020", ["31/5/2020"]),
        ("Lai Châu, ngày 20 tháng 9 năm 2021", ["ngày 20 tháng 9 năm 2021"]),
        ("Nghị quyết số 76/NQ- CP ngày 15/7/2021 của Chính phủ", ["15/7/2021"]),
        ("Nghị định 130/2005/NĐ-CP", []),
    ],
)
def test_dates(clause: str, expected: list[str]) -> None:
    assert [clause[s:e] for s, e in facts.dates(clause)] == expected


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("theo Nghị định 130/2005/NĐ-CP của Chính phủ", ["130/2005/NĐ-CP"]),
        ("Kế hoạch 2943/KH-UBND năm 2021", ["2943/KH-UBND"]),
        ("Nghị quyết số 12-NQ/TU về cải cách hành chính", ["12-NQ/TU"]),
        ("Quyết định số 3028/QĐ-UBND ngày 31/12/2021", ["3028/QĐ-UBND"]),
        ("tính đến hết ngày 31/5/2020, đạt 20%", []),
    ],
)
def test_document_numbers(clause: str, expected: list[str]) -> None:
    assert [clause[s:e] for s, e in facts.doc_numbers(clause)] == expected


def test_the_year_a_section_is_about() -> None:
    assert facts.context_year("", ("2. Cải cách thủ tục hành chính", "* Đến năm 2025")) == 2025
    assert facts.context_year("Mục tiêu phấn đấu đến năm 2025: cắt giảm ", ()) == 2025
    assert facts.context_year("Nghị quyết ban hành năm 2021 về ", ()) is None  # a mention, not a heading


def test_names_find_a_signer_but_not_a_province() -> None:
    clause = "Người ký Trần Tiến Dũng"
    assert [clause[s:e] for s, e in facts.names(clause)] == ["Trần Tiến Dũng"]
    assert facts.names("Tỉnh ủy Điện Biên ban hành Nghị quyết") == []


def test_counts_of_the_noun_a_question_counts() -> None:
    clause = "Tăng cường phân cấp, phân quyền mạnh mẽ, hợp lý giữa 3 cấp chính quyền."
    assert [f.text for f in facts.counts(clause, "cấp")] == ["3 cấp"]  # "phân cấp" has no number
    assert [f.text for f in facts.counts(clause, "cấp chính quyền")] == ["3 cấp chính quyền"]
    assert [f.text for f in facts.counts("giữa 3 cấp.", "cấp chính quyền")] == ["3 cấp"]
    found = facts.counts("thành lập khoảng 2.000 doanh nghiệp vào năm 2025", "doanh nghiệp")
    assert [(f.text, f.comparator, f.value) for f in found] == [("khoảng 2.000 doanh nghiệp", "khoảng", "2.000")]
    assert [f.text for f in facts.counts("gồm ba nhóm nhiệm vụ và 11 nhóm giải pháp", "nhóm")] == ["ba nhóm", "11 nhóm"]
    assert facts.counts("Nghị định số 130/2005/NĐ-CP", "nđ") == []
    assert [f.text for f in facts.counts("khoảng 2.000 doanh nghiệp", "doanh nghiep")] == ["khoảng 2.000 doanh nghiệp"]


def test_frequencies() -> None:
    clause = "định kỳ hàng năm báo cáo Thường trực Tỉnh ủy; hằng quý tổng hợp kết quả"
    assert [clause[s:e] for s, e in facts.frequencies(clause)] == ["định kỳ hàng năm", "hằng quý"]
    assert facts.frequencies("Cắt giảm tối thiểu 20% chi phí tuân thủ") == []


def test_counts_carry_the_year_written_after_them() -> None:
    clause = "đề ra 8 mục tiêu cụ thể trong giai đoạn 2021 -2025 và định hướng 4 mục tiêu thực hiện vào năm 2030"
    assert [(f.text, f.year) for f in facts.counts(clause, "mục tiêu")] == [("8 mục tiêu", None), ("4 mục tiêu", 2030)]
