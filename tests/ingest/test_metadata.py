"""Document metadata by rules: the full table of the sample corpus, then each rule on its own."""

from __future__ import annotations

import pytest

from ingest.clean import Cleaner
from ingest.document import DocumentMetadata, SourceDocument
from ingest.load import load_file
from ingest.metadata import MetadataExtractor
from tests.conftest import CORPUS_DIR, SAMPLE_FILES

# Read off the files by hand (the same values are rows of tests/ingest/data/metadata_gold.jsonl). 002 names no
# number, date or period of its own (the date in the page is the posting date, and "giai đoạn 2021-2025" there is
# the period of another document it asks for); its province appears only in the page footer and related-news
# links. 003 is a Kế hoạch issued by Quyết định 3028/QĐ-UBND, the only number the page gives. 004 is a portal
# page: its properties table gives the signer and the effective date, the official layout below it the title.
SAMPLE_METADATA = {
    "000_26a92794eaf00280.txt": DocumentMetadata(
        province="Điện Biên", issuing_body="Tỉnh ủy Điện Biên", doc_type="Nghị quyết", number="12-NQ/TU",
        issue_date="2021-07-29", period="2021-2025", signer=None,
        title="Tỉnh ủy Điện Biên ban hành Nghị quyết về Cải cách hành chính giai đoạn giai đoạn 2021-2025, "
        "định hướng đến năm 2030",
    ),
    "001_3ae45ea2c423948d.txt": DocumentMetadata(
        province="Sơn La", issuing_body="Ban Chấp hành Đảng bộ tỉnh Sơn La", doc_type="Nghị quyết",
        number="03-NQ/TU", issue_date="2021-01-21", period="2021-2025", signer=None,
        title="Nghị quyết của Ban Chấp hành Đảng bộ tỉnh về đẩy mạnh cải cách hành chính nhà nước giai đoạn "
        "2021 - 2025",
    ),
    "002_ac6b037d9fc896f6.txt": DocumentMetadata(
        province="Lai Châu", issuing_body="Ban Thường vụ Tỉnh ủy Lai Châu", doc_type="Chỉ thị", number=None,
        issue_date=None, period=None, signer="Lê Văn Lương", signer_title="PHÓ BÍ THƯ",
        title="Chỉ thị của Ban Thường vụ Tỉnh ủy về tăng cường sự lãnh đạo của các cấp ủy Đảng trong thực hiện "
        "các giải pháp đẩy mạnh cải cách hành chính, nâng cao Chỉ số năng lực cạnh tranh cấp tỉnh (PCI)",
    ),
    "003_66ba4e7d49b2dca2.txt": DocumentMetadata(
        province="Quảng Bình", issuing_body="UBND tỉnh Quảng Bình", doc_type="Kế hoạch", number="3028/QĐ-UBND",
        issue_date=None, period="2021-2030", signer=None,
        title="Kế hoạch cải cách hành chính tỉnh Quảng Bình giai đoạn 2021 - 2030",
    ),
    "004_b20915e92c1cf682.txt": DocumentMetadata(
        province="Lai Châu", issuing_body="UBND tỉnh Lai Châu", doc_type="Kế hoạch", number="2943/KH-UBND",
        issue_date="2021-09-20", effective_date="2021-09-20", period="2021-2030", signer="Trần Tiến Dũng",
        title="Kế hoạch cải cách hành chính tỉnh Lai Châu giai đoạn 2021-2030",
    ),
}


def extract_file(name: str) -> DocumentMetadata:
    return MetadataExtractor().extract(Cleaner().clean(load_file(CORPUS_DIR / name, 10 * 1024 * 1024)))


def extract_text(text: str) -> DocumentMetadata:
    return MetadataExtractor().extract(Cleaner().clean(SourceDocument("x.txt", "x.txt", text, "utf-8")))


def test_the_table_covers_the_whole_sample_corpus() -> None:
    assert sorted(SAMPLE_METADATA) == list(SAMPLE_FILES)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_corpus_metadata_table(name: str) -> None:
    assert extract_file(name).to_dict() == SAMPLE_METADATA[name].to_dict()


def test_province_found_only_in_the_page_footer() -> None:
    """002 never names its province in the body; the footer and related-news links say Lai Châu."""
    source = load_file(CORPUS_DIR / "002_ac6b037d9fc896f6.txt", 10 * 1024 * 1024)
    clean = Cleaner().clean(source)
    assert "Lai Châu" not in clean.body_text() and "LAI CHÂU" not in clean.body_text()
    assert MetadataExtractor().extract(clean).province == "Lai Châu"


# --- rules on small documents ----------------------------------------------------------------------

HEADER = """ỦY BAN NHÂN DÂN
TỈNH HÀ GIANG
-------
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 15/KH-UBND
Hà Giang, ngày 5 tháng 3 năm 2022
KẾ HOẠCH
Cải cách hành chính nhà nước tỉnh Hà Giang giai đoạn 2021 – 2025
Căn cứ Nghị quyết số 76/NQ-CP ngày 15/7/2021 của Chính phủ; Kế hoạch số 08-KH/TU của Tỉnh ủy.
1. Mục tiêu
Cắt giảm tối thiểu 20% chi phí tuân thủ quy định.
CHỦ TỊCH
(Đã ký)
Nguyễn Văn Sơn
"""


def test_official_header_gives_number_date_issuer_period_and_signer() -> None:
    meta = extract_text(HEADER)
    assert meta.province == "Hà Giang"
    assert meta.number == "15/KH-UBND"
    assert meta.doc_type == "Kế hoạch"
    assert meta.issue_date == "2022-03-05"
    assert meta.period == "2021-2025"  # an en dash is a dash too
    assert meta.signer == "Nguyễn Văn Sơn"
    assert meta.issuing_body == "UBND tỉnh Hà Giang"  # from the header, not from "Kế hoạch … của Tỉnh ủy"
    # the type line and the trích yếu: not the motto, not the letterhead
    assert meta.title == "Kế hoạch cải cách hành chính nhà nước tỉnh Hà Giang giai đoạn 2021 – 2025"
    assert meta.signer_title == "CHỦ TỊCH"


def test_issuer_written_with_old_tone_marks() -> None:
    meta = extract_text(HEADER.replace("ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN"))
    assert meta.issuing_body == "UBND tỉnh Hà Giang"


def test_properties_table_wins_over_the_text() -> None:
    text = (
        "Quyết định 99/QĐ-UBND về cải cách hành chính tỉnh Kon Tum năm 2021\n"
        "Số hiệu 99/QĐ-UBND\nNgày ban hành 02/02/2021\nCơ quan ban hành Tỉnh Kon Tum\nNgười ký Phạm Văn A\n"
        "Kon Tum, ngày 9 tháng 9 năm 2020\nNội dung quyết định về cải cách hành chính của tỉnh.\n"
    )
    meta = extract_text(text)
    assert (meta.number, meta.issue_date, meta.signer, meta.issuing_body, meta.doc_type) == (
        "99/QĐ-UBND", "2021-02-02", "Phạm Văn A", "UBND tỉnh Kon Tum", "Quyết định")


def test_numbers_of_central_documents_are_not_the_documents_own() -> None:
    text = (
        "Triển khai Nghị quyết số 76/NQ-CP và Nghị quyết số 18-NQ/TW trên địa bàn tỉnh Sơn La trong năm tới\n"
        "Các sở, ngành thực hiện nghiêm các nhiệm vụ cải cách hành chính.\n"
    )
    assert extract_text(text).number is None


def test_a_page_without_an_issuer_takes_the_headline_s_province_not_the_most_mentioned() -> None:
    text = (
        "Kế hoạch cải cách hành chính tỉnh Quảng Bình giai đoạn 2021 - 2030\n"
        "Học tập kinh nghiệm của Lai Châu, tỉnh Quảng Bình đẩy mạnh cải cách; Lai Châu cũng vậy.\n"
    )
    assert extract_text(text).province == "Quảng Bình"
    assert extract_text("Bài viết về cải cách hành chính ở nhiều nơi\nLai Châu, Sơn La và Lai Châu.\n").province is None


def test_a_document_with_no_clues_has_no_metadata_but_a_title() -> None:
    meta = extract_text("Một đoạn văn bản ngắn không có thông tin gì đặc biệt ở đây cả.\n")
    assert meta.to_dict() == DocumentMetadata(title="Một đoạn văn bản ngắn không có thông tin gì đặc biệt ở đây cả.").to_dict()


def test_impossible_dates_are_refused() -> None:
    assert extract_text("Báo cáo về cải cách hành chính tỉnh Lào Cai\nLào Cai, ngày 31 tháng 13 năm 2021\n").issue_date is None


def test_label_and_round_trip() -> None:
    meta = SAMPLE_METADATA["004_b20915e92c1cf682.txt"]
    assert meta.label() == "Kế hoạch 2943/KH-UBND (20/09/2021), Lai Châu"
    assert DocumentMetadata.from_dict(meta.to_dict()) == meta
    assert DocumentMetadata.from_dict({k: "" for k in meta.to_dict()}) == DocumentMetadata()


@pytest.mark.parametrize(
    "block, title",
    [
        ("T/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ\n(Đã ký)\nLê Văn Lương\n", "PHÓ BÍ THƯ"),
        ("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nNguyễn Văn An\n", "PHÓ CHỦ TỊCH"),
        ("CHỦ TỊCH\n(Đã ký)\nTrần Văn B\n", "CHỦ TỊCH"),
        ("Nơi nhận: như trên.\n", None),
    ],
)
def test_the_signer_s_position_is_read_from_the_signature_block(block: str, title: str | None) -> None:
    text = HEADER.split("CHỦ TỊCH\n")[0] + block
    assert extract_text(text).signer_title == title


# --- real layouts, small -----------------------------------------------------------------------------------

# A portal page as data/realdocs keeps them: chrome, a properties table whose unknown values read "Đã biết", the
# letterhead and the motto in table cells, bold runs broken over lines, the signature block beside "Nơi nhận".
PORTAL = """Bản dịch này thuộc quyền sở hữu của **
THƯ VIỆN PHÁP LUẬT**. Mọi hành vi sao chép là vi phạm pháp luật.
Đang tải văn bản...
#
**Số hiệu:**
|
210/2025/QĐ-UBND
|
**Nơi ban hành:**
|
Tỉnh Hải Dương
|
**Người ký:**
|
Trần Văn Quân
|
**Ngày ban hành:**
|
17/11/2025
|
**
Ngày hiệu lực:**
|
Đã biết
|
**ỦY BAN NHÂN
DÂN **
THÀNH PHỐ HẢI PHÒNG
-------
|
**CỘNG HÒA XÃ
HỘI CHỦ NGHĨA VIỆT NAM**
Độc lập - Tự do - Hạnh phúc
---------------
|
Số:
210/2025/QĐ-UBND
|
*Hải Phòng, ngày
17 tháng 11 năm 2025*
|
**QUYẾT
ĐỊNH**
VỀ VIỆC BAN HÀNH KẾ HOẠCH HỌC TẬP VÀ LÀM THEO TƯ TƯỞNG HỒ CHÍ MINH TRÊN ĐỊA BÀN
THÀNH PHỐ HẢI PHÒNG GIAI ĐOẠN 2026 - 2030
**CHỦ TỊCH ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG**
*Căn cứ Kết luận số 01-KL/TW về học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí
Minh; Nghị định 13/2023/NĐ-CP (hiệu lực từ ngày 01/07/2023);*
**Điều 1.** Ban hành Kế hoạch học tập và làm theo tư tưởng Hồ Chí Minh kèm theo Quyết định này.
**Điều 2. **Quyết
định này có hiệu lực thi hành kể từ ngày ký.
|
*Nơi nhận:*
- Như Điều 2;
- Lưu: VT.
|
**TM. ỦY BAN NHÂN
DÂN**
**KT. CHỦ TỊCH**
PHÓ CHỦ TỊCH
**Trần
Văn Quân**
|
"""


def test_a_portal_page_is_read_from_its_table_letterhead_and_signature_block() -> None:
    meta = extract_text(PORTAL)
    assert meta.to_dict() == DocumentMetadata(
        province="Hải Phòng",  # the letterhead's, not the portal's "Nơi ban hành" nor "tư tưởng Hồ Chí Minh"
        issuing_body="Chủ tịch UBND thành phố Hải Phòng",  # the authority line decides for the committee
        doc_type="Quyết định", number="210/2025/QĐ-UBND", issue_date="2025-11-17",
        effective_date="2025-11-17",  # "kể từ ngày ký": the issue date; not the cited decree's 01/07/2023
        period="2026-2030", signer="Trần Văn Quân", signer_title="PHÓ CHỦ TỊCH",
        title="Quyết định về việc ban hành Kế hoạch học tập và làm theo tư tưởng Hồ Chí Minh trên địa bàn "
              "thành phố Hải Phòng giai đoạn 2026 - 2030",
    ).to_dict()


def test_a_national_body_has_no_province_whatever_the_text_names() -> None:
    text = """**VĂN PHÒNG CHÍNH
PHỦ**
-------
|
**CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM**
Độc lập - Tự do - Hạnh phúc
|
Số: 623/TB-VPCP
|
*Hà Nội, ngày 15
tháng 11 năm 2025*
|
**THÔNG BÁO**
KẾT LUẬN CỦA PHÓ THỦ TƯỚNG TẠI BUỔI LÀM VIỆC VỚI LÃNH ĐẠO TỈNH ĐẮK LẮK
Phó Thủ tướng làm việc với tỉnh Đắk Lắk. Tỉnh Đắk Lắk cần đẩy nhanh giải ngân.
|
Nơi nhận:
- Tỉnh ủy, HĐND, UBND tỉnh Đắk Lắk;
|
**KT. BỘ TRƯỞNG,
CHỦ NHIỆM**
PHÓ CHỦ NHIỆM
Trịnh Mạnh Linh
"""
    meta = extract_text(text)
    assert (meta.province, meta.issuing_body, meta.doc_type, meta.number) == (
        None, "Văn phòng Chính phủ", "Thông báo", "623/TB-VPCP")
    assert (meta.signer, meta.signer_title) == ("Trịnh Mạnh Linh", "PHÓ CHỦ NHIỆM")
    assert meta.title == "Thông báo kết luận của Phó Thủ tướng tại buổi làm việc với lãnh đạo tỉnh Đắk Lắk"


def test_a_news_page_reports_the_document_it_is_about() -> None:
    text = (
        "# Quyết định 664/QĐ-BXD 2025 về Kế hoạch cải cách hành chính năm 2025 của Bộ Xây dựng ra sao?\n"
        "Ngày 23/5/2025, Bộ Xây dựng ban hành Quyết định 664/QĐ-BXD năm 2025 về Kế hoạch cải cách hành chính.\n"
        "Quyết định 664/QĐ-BXD năm 2025 có hiệu lực thi hành kể từ ngày 23/5/2025.\n"
        "Trước đó, Nghị định 13/2023/NĐ-CP có hiệu lực từ ngày 01/07/2023 tại Hà Nội.\n"
    )
    meta = extract_text(text)
    assert (meta.province, meta.issuing_body, meta.doc_type, meta.number, meta.issue_date, meta.effective_date) == (
        None, "Bộ Xây dựng", "Quyết định", "664/QĐ-BXD", "2025-05-23", "2025-05-23")
    assert meta.title.startswith("Quyết định 664/QĐ-BXD 2025 về Kế hoạch")  # the headline, without "#"


@pytest.mark.parametrize(
    "clause, effective",
    [
        ("Quyết định này có hiệu lực thi hành từ ngày 10 tháng 12 năm 2025.", "2025-12-10"),
        ("Quyết định này có hiệu lực kể từ ngày 05/12/2025; thay thế Quyết định số 1/2020/QĐ-UBND.", "2025-12-05"),
        ("Kế hoạch này được áp dụng từ ngày 01/01/2026.", "2026-01-01"),
        ("Quyết định này có hiệu lực thi hành kể từ ngày ký ban hành.", "2022-03-05"),
        ("Quyết định số 17/2024/QĐ-UBND có hiệu lực từ ngày 01/9/2024 hết hiệu lực kể từ ngày Quyết định này có "
         "hiệu lực thi hành.", None),
    ],
)
def test_the_effective_date_is_the_document_s_own_clause(clause: str, effective: str | None) -> None:
    assert extract_text(HEADER.replace("1. Mục tiêu", clause + "\n1. Mục tiêu")).effective_date == effective


def test_rows_stored_before_the_effective_date_existed_still_load() -> None:
    old_row = {k: v for k, v in SAMPLE_METADATA["004_b20915e92c1cf682.txt"].to_dict().items() if k != "effective_date"}
    assert DocumentMetadata.from_dict(old_row).effective_date is None
