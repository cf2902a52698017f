"""Finding provinces in text: canonical names, aliases, accent-less typing, and words that only look like one."""

from __future__ import annotations

import pytest

from ingest.provinces import ALIASES, PROVINCES, canonical, find_provinces
from ingest.textnorm import plain


def names(text: str, accent_insensitive: bool = False) -> list[str]:
    return [m.province for m in find_provinces(text, accent_insensitive)]


def test_there_are_63_distinct_provinces_and_aliases_point_at_them() -> None:
    assert len(PROVINCES) == len(set(PROVINCES)) == 63
    assert set(ALIASES.values()) <= set(PROVINCES)


@pytest.mark.parametrize("province", PROVINCES)
def test_every_canonical_name_is_found_in_a_sentence(province: str) -> None:
    text = f"UBND tỉnh {province} ban hành Kế hoạch cải cách hành chính."
    mentions = find_provinces(text)
    assert [m.province for m in mentions] == [province]
    assert text[mentions[0].start : mentions[0].end] == province


@pytest.mark.parametrize("province", PROVINCES)
def test_every_name_is_found_typed_without_accents(province: str) -> None:
    assert names(f"ke hoach cua tinh {plain(province)} nam 2021", accent_insensitive=True) == [province]


def test_offsets_index_the_original_text_and_order_is_by_position() -> None:
    text = "Quảng Bình và Lai Châu, sau đó Sơn La."
    found = find_provinces(text)
    assert [(m.province, text[m.start : m.end]) for m in found] == [
        ("Quảng Bình", "Quảng Bình"), ("Lai Châu", "Lai Châu"), ("Sơn La", "Sơn La")]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Thanh Hoá", "Thanh Hóa"),  # old tone placement
        ("thanh hoa", "Thanh Hóa"),
        ("Hanoi", "Hà Nội"),
        ("TP.HCM", "Hồ Chí Minh"),
        ("Huế", "Thừa Thiên Huế"),
        ("lai chau", "Lai Châu"),
        ("LAI CHÂU", "Lai Châu"),
        ("Bà Rịa - Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("Bà Rịa Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("Đắk Lắk", "Đắk Lắk"),
        ("Daklak", "Đắk Lắk"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_canonical(typed: str, expected: str | None) -> None:
    assert canonical(typed) == expected


def test_longest_name_wins_over_its_parts() -> None:
    assert names("Tỉnh Bà Rịa - Vũng Tàu") == ["Bà Rịa - Vũng Tàu"]
    assert names("Thừa Thiên Huế") == ["Thừa Thiên Huế"]


def test_a_name_inside_a_longer_word_is_not_a_mention() -> None:
    assert names("Trung tâm Hỗ trợ Khởi nghiệp") == []
    assert names("Lai Châuxyz") == []


def test_dien_bien_phu_counts_as_dien_bien_with_or_without_accents() -> None:
    # The city of Điện Biên Phủ is in Điện Biên: a question about it is about that province's documents.
    assert names("thành phố Điện Biên Phủ") == ["Điện Biên"]
    assert names("thanh pho dien bien phu", accent_insensitive=True) == ["Điện Biên"]


def test_common_words_need_a_capital_or_tinh() -> None:
    # "hòa bình" is "peace", "long an" could be running text: only a capital or "tỉnh" makes them names.
    assert names("giữ vững hòa bình, ổn định") == []
    assert names("tỉnh hòa bình") == ["Hòa Bình"]
    assert names("UBND tỉnh Hòa Bình") == ["Hòa Bình"]


def test_the_sample_footer_names_lai_chau() -> None:
    footer = "TRANG THÔNG TIN ĐIỆN TỬ CẢI CÁCH HÀNH CHÍNH TỈNH LAI CHÂU\ncchc@laichau.gov.vn"
    assert names(footer) == ["Lai Châu"]
