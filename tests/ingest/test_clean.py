"""The cleaner: web chrome out, body text kept, spans of the original text (never rewritten)."""

from __future__ import annotations

import re

import pytest

from ingest.clean import Cleaner, CleanerSettings
from ingest.document import SourceDocument
from ingest.load import load_file
from tests.conftest import CORPUS_DIR, SAMPLE_FILES


def doc(text: str, name: str = "page.txt") -> SourceDocument:
    return SourceDocument(source=name, path=name, text=text, encoding="utf-8")


def sample(name: str) -> SourceDocument:
    return load_file(CORPUS_DIR / name, 10 * 1024 * 1024)


def body_lines(text: str) -> list[str]:
    clean = Cleaner().clean(doc(text))
    return [text[s.start : s.end] for s in clean.body]


ARTICLE = (
    "Kế hoạch cải cách hành chính tỉnh Quảng Bình giai đoạn 2021 - 2030\n"
    "UBND tỉnh vừa ban hành Kế hoạch cải cách hành chính giai đoạn 2021 - 2030.\n"
    "Mục tiêu đến năm 2025: cắt giảm tối thiểu 20% chi phí tuân thủ quy định.\n"
    "Kế hoạch nhằm xây dựng nền hành chính phục vụ Nhân dân.\n"
)


# --- what goes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chrome",
    [
        "Trang chủ Tin tức Home",  # breadcrumb / menu
        "Tìm kiếm",
        "Đăng nhập",
        "Lượt xem: 813",
        "Bản in     Gởi bài viết",  # print / share buttons
        "Chia sẻ Facebook Zalo",
        "[Trở về]",
        "Bạn đã không sử dụng Site, Bấm vào đây để duy trì trạng thái đăng nhập. Thời gian chờ: 60 giây",
        "Thứ tư - 11/08/2021 03:00",  # posting date
        "(Ngày đăng :20/11/2020 2:20:55 CH)",
        "Tác giả: Tin: Trần Hà",
        "Nguồn: Sở Nội vụ",
        "VĂN BẢN MỚI",
        "Copyright © 2021 Sở Nội vụ",
        "Chung nhan Tin Nhiem Mang",
    ],
)
def test_one_line_chrome_is_removed_and_the_article_kept(chrome: str) -> None:
    lines = ARTICLE.splitlines()
    text = "\n".join([lines[0], chrome, *lines[1:]])
    assert body_lines(text) == lines


def test_visitor_counter_is_removed() -> None:
    counter = "Thống kê truy cập\n  • Đang online: 1\n  • Hôm nay: 1\n  • Trong tuần: 15\n  • Tất cả: 1.234\n"
    assert body_lines(ARTICLE + counter) == ARTICLE.splitlines()


@pytest.mark.parametrize("heading", ["Tin liên quan", "Tin mới nhất", "Những tin cũ hơn", "Các tin khác", "Xem thêm:"])
def test_a_trailing_news_block_goes_entirely(heading: str) -> None:
    block = (
        f"{heading}\n"
        "Hội nghị trực tuyến tập huấn nghiệp vụ tổ chức công tác bầu cử(26/02/2021 3:38:22 SA)\n"
        "Lai Châu với nhiệm vụ trọng tâm về công tác cải cách hành chính năm 2021\n"  # no date: still in the block
    )
    assert body_lines(ARTICLE + block) == ARTICLE.splitlines()


def test_a_related_news_heading_at_the_top_does_not_swallow_the_article() -> None:
    text = "Tin liên quan\n" + ARTICLE
    assert body_lines(text) == ARTICLE.splitlines()


def test_site_footer_goes_but_is_kept_as_removed_text() -> None:
    footer = (
        "TRANG THÔNG TIN ĐIỆN TỬ CẢI CÁCH HÀNH CHÍNH TỈNH LAI CHÂU\n"
        "Chịu trách nhiệm chính:\nTrụ sở:\nEmail:\nÔng Vừ A Tiến\n"
        "Tầng 2, nhà D, khu Hành chính - Chính trị tỉnh\n- Số điện thoại: 02133 876 650\n"
        "cchc@laichau.gov.vn\nwww.cchc.laichau.gov.vn"
    )
    text = ARTICLE + footer
    clean = Cleaner().clean(doc(text))
    assert [text[s.start : s.end] for s in clean.body] == ARTICLE.splitlines()
    removed = " ".join(text[s.start : s.end] for s in clean.removed)
    assert "LAI CHÂU" in removed and "Ông Vừ A Tiến" in removed  # the metadata stage may still read it


def test_a_page_of_only_chrome_has_no_body() -> None:
    text = (
        "Trang chủ Tin tức Home\nĐăng nhập\nLượt xem: 12\nBản in  Gởi bài viết\n"
        "Thống kê truy cập\n• Hôm nay: 3\n• Tất cả: 99\n[Trở về]\n"
    )
    assert Cleaner().clean(doc(text)).body == ()


# --- what stays ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body_line",
    [
        # Lines that start like footer or counter labels but are sentences of a plan.
        "Điện thoại đường dây nóng của Trung tâm Phục vụ hành chính công được công khai tại trụ sở.",
        "Địa chỉ thư điện tử của các cơ quan phải được niêm yết công khai.",
        "Email công vụ được sử dụng trong trao đổi văn bản giữa các cơ quan.",
        "Tất cả: 100% hồ sơ thủ tục hành chính được tiếp nhận qua Trung tâm Phục vụ hành chính công.",
        "Cổng thông tin điện tử của tỉnh công khai đầy đủ, kịp thời 100% thủ tục hành chính, "
        "văn bản quy phạm pháp luật và kết quả giải quyết hồ sơ theo quy định.",
    ],
)
def test_body_sentences_that_look_like_labels_are_kept(body_line: str) -> None:
    lines = ARTICLE.splitlines()
    text = "\n".join([lines[0], lines[1], body_line, "1. Mục tiêu", lines[2], lines[3]])
    assert body_lines(text) == [lines[0], lines[1], body_line, "1. Mục tiêu", lines[2], lines[3]]


def test_words_of_chrome_inside_a_sentence_do_not_remove_it() -> None:
    line = "Người dân có thể đăng nhập Cổng dịch vụ công để tra cứu, chia sẻ và in kết quả."
    assert body_lines(ARTICLE + line) == [*ARTICLE.splitlines(), line]


# --- spans -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_spans_partition_the_non_blank_lines_and_carry_no_edge_whitespace(name: str) -> None:
    source = sample(name)
    clean = Cleaner().clean(source)
    text = source.text
    spans = sorted(clean.body + clean.removed, key=lambda s: s.start)
    for a, b in zip(spans, spans[1:]):
        assert a.end < b.start  # disjoint, one per line
    assert [text[s.start : s.end] for s in spans] == [line.strip() for line in text.split("\n") if line.strip()]
    assert clean.source is source  # the text itself is never rewritten


def test_bad_trailing_block_position_is_named() -> None:
    with pytest.raises(ValueError, match="trailing_block_min_position must be in \\[0, 1\\). Currently it is 1.5"):
        Cleaner(CleanerSettings(trailing_block_min_position=1.5))


# --- the sample corpus -----------------------------------------------------------------------------

CHROME_IN_SAMPLES = {
    "000_26a92794eaf00280.txt": ["Thứ tư - 11/08/2021 03:00", "Tác giả: Tin: Trần Hà", "Những tin mới hơn",
                                 "Những tin cũ hơn", "Thời gian chờ: 60 giây"],
    "001_3ae45ea2c423948d.txt": ["Lượt xem: 813", "Toàn văn Nghị quyết", "Thông tin mới nhất", "Thống kê truy cập",
                                 "Đang online: 1", "Hôm nay: 1", "Tất cả: 1", "Đăng nhập",
                                 "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH SƠN LA", "Địa chỉ: Tầng 3",
                                 "Điện thoại: 02123.852.224", "Website: sokhoahoc.sonla.gov.vn",
                                 "Xây dựng và quản trị", "Chung nhan Tin Nhiem Mang"],
    "002_ac6b037d9fc896f6.txt": ["Trang chủ Tin tức Home", "Ngày đăng", "Tin liên quan", "Tin mới nhất",
                                 "Hội nghị trực tuyến tập huấn", "Thủ tướng Chính phủ ban hành Chỉ thị",
                                 "TRANG THÔNG TIN ĐIỆN TỬ", "Chịu trách nhiệm chính", "Ông Vừ A Tiến",
                                 "02133 876 650", "cchc@laichau.gov.vn", "www.cchc.laichau.gov.vn"],
    "003_66ba4e7d49b2dca2.txt": ["VĂN BẢN MỚI", "Bản in", "Gởi bài viết", "PV: NQ", "[Trở về]"],
    "004_b20915e92c1cf682.txt": ["Thứ 7, Ngày 26/10/2024"],
}

BODY_IN_SAMPLES = {
    "000_26a92794eaf00280.txt": ["Tỉnh ủy Điện Biên ban hành Nghị quyết về Cải cách hành chính",
                                 "Ngày 29/7/2021, Tỉnh ủy Điện Biên đã ban hành Nghị quyết số 12-NQ/TU",
                                 "xác định là một tiêu chí đánh giá xếp loại người đứng đầu các ngành, địa phương."],
    "001_3ae45ea2c423948d.txt": ["Nghị Quyết số 03-NQ/TU ngày 21 tháng 01 năm 2021",
                                 "bảo đảm cắt giảm ít nhất 25% thời gian giải quyết so với qui định",
                                 "Nghị quyết cũng đưa ra các giải pháp cụ thể để thực hiện các nhiệm vụ nêu trên."],
    "002_ac6b037d9fc896f6.txt": ["Chỉ thị của Ban Thường vụ Tỉnh ủy về tăng cường sự lãnh đạo",
                                 "năm 2019 đứng ở vị trí 63/63 tỉnh, thành phố", "T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ",
                                 "(Đã ký)", "Lê Văn Lương"],
    "003_66ba4e7d49b2dca2.txt": ["Kế hoạch cải cách hành chính tỉnh Quảng Bình giai đoạn 2021 - 2030",
                                 "cắt giảm tối thiểu 20% chi phí tuân thủ quy định",
                                 "Kế hoạch nhằm xây dựng nền hành chính của tỉnh theo hướng tinh gọn"],
    "004_b20915e92c1cf682.txt": ["Số hiệu 2943/KH-UBND", "Người ký Trần Tiến Dũng", "Lai Châu, ngày 20 tháng 9 năm 2021",
                                 "I. MỤC TIÊU, YÊU CẦU", "a) Chỉ tiêu", "* Đến năm 2025",
                                 "Cắt giảm, đơn giản hóa tối thiểu 20% số quy định"],
}


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_chrome_is_removed_and_body_kept(name: str) -> None:
    clean = Cleaner().clean(sample(name))
    body = clean.body_text()
    removed = "\n".join(clean.source.text[s.start : s.end] for s in clean.removed)
    for chrome in CHROME_IN_SAMPLES[name]:
        assert chrome not in body, chrome
        assert chrome in removed, chrome
    for kept in BODY_IN_SAMPLES[name]:
        assert kept in body, kept


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_no_long_sample_paragraph_is_lost(name: str) -> None:
    """Every line of 25+ words in a sample, except dated related-news links, is article text."""
    source = sample(name)
    clean = Cleaner().clean(source)
    body = {source.text[s.start : s.end] for s in clean.body}
    long_lines = [line.strip() for line in source.text.split("\n")
                  if len(line.split()) >= 25 and not re.search(r"\(\d+/\d+/\d{4} [\d:]+ (SA|CH)\)$", line)]
    assert long_lines and all(line in body for line in long_lines)
