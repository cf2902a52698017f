"""Document metadata by rules: the full table of the sample corpus, then each rule on its own."""

from __future__ import annotations

import pytest

from ingest.clean import Cleaner
from ingest.document import DocumentMetadata, SourceDocument
from ingest.load import load_file
from ingest.metadata import MetadataExtractor
from tests.conftest import CORPUS_DIR, SAMPLE_FILES

# Read off the files by hand. 002 names no number, date or period of its own (the date in the page is the
# posting date, and "giai đoạn 2021-2025" there is the period of another document it asks for); its
# province appears only in the page footer and related-news links. 003 is a Kế hoạch issued by
# Quyết định 3028/QĐ-UBND, the only number the page gives.
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
        issue_date="2021-09-20", period="2021-2030", signer="Trần Tiến Dũng",
        title="Kế hoạch 2943/KH-UBND năm 2021 về cải cách hành chính tỉnh Lai Châu giai đoạn 2021-2030",
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
    assert meta.title == "Cải cách hành chính nhà nước tỉnh Hà Giang giai đoạn 2021 – 2025"  # not the motto


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


def test_the_most_mentioned_province_wins_and_the_title_weighs_more() -> None:
    text = (
        "Kế hoạch cải cách hành chính tỉnh Quảng Bình giai đoạn 2021 - 2030\n"
        "Học tập kinh nghiệm của Lai Châu, tỉnh Quảng Bình đẩy mạnh cải cách; Lai Châu cũng vậy.\n"
    )
    assert extract_text(text).province == "Quảng Bình"


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
