"""Provinces from vietnamadminunits: the 63 before 1 July 2025 and the 34 after, the merger between them, the
kind of unit, and finding them in text (canonical names, aliases, accent-less typing, words that only look like
one)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ingest.provinces import (
    ALIASES,
    MERGED_FROM,
    MERGED_INTO,
    PROVINCES,
    PROVINCES_2025,
    canonical,
    find_provinces,
    merged_from,
    merged_into,
    unit_kind,
    with_kind,
)
from ingest.textnorm import plain


def names(text: str, accent_insensitive: bool = False) -> list[str]:
    return [m.province for m in find_provinces(text, accent_insensitive)]


def test_63_provinces_before_the_merger_and_34_after_all_named_as_before() -> None:
    assert len(PROVINCES) == len(set(PROVINCES)) == 63
    assert len(PROVINCES_2025) == len(set(PROVINCES_2025)) == 34
    assert set(PROVINCES_2025) <= set(PROVINCES)  # every new province kept the name of one of its parts
    assert set(ALIASES.values()) <= set(PROVINCES)
    assert "Huế" in PROVINCES and "Thừa Thiên Huế" not in PROVINCES  # a city since 1 January 2025


def test_the_merger_map_both_ways() -> None:
    assert set(MERGED_INTO) == set(PROVINCES) and set(MERGED_INTO.values()) == set(PROVINCES_2025)
    assert set(MERGED_FROM) == set(PROVINCES_2025)
    assert sorted(p for parts in MERGED_FROM.values() for p in parts) == sorted(PROVINCES)
    assert merged_into("Hải Dương") == "Hải Phòng" and merged_into("hai duong") == "Hải Phòng"
    assert merged_into("Bình Dương") == merged_into("Bà Rịa - Vũng Tàu") == "Hồ Chí Minh"
    assert merged_into("Hà Nội") == "Hà Nội" and merged_into("Atlantis") is None
    assert set(merged_from("Hải Phòng")) == {"Hải Dương", "Hải Phòng"}
    assert set(merged_from("ninh binh")) == {"Hà Nam", "Nam Định", "Ninh Bình"}
    assert merged_from("Lai Châu") == ("Lai Châu",) and merged_from("Hải Dương") == ()


@pytest.mark.parametrize(
    "name, kind, full",
    [("Hà Nội", "thành phố", "thành phố Hà Nội"), ("ha noi", "thành phố", "thành phố Hà Nội"),
     ("Huế", "thành phố", "thành phố Huế"), ("TP.HCM", "thành phố", "thành phố Hồ Chí Minh"),
     ("Lai Châu", "tỉnh", "tỉnh Lai Châu"), ("Hải Dương", "tỉnh", "tỉnh Hải Dương")],
)
def test_the_kind_of_unit(name: str, kind: str, full: str) -> None:
    assert unit_kind(name) == kind and with_kind(name) == full


@pytest.mark.parametrize("province", PROVINCES)
def test_every_name_is_found_in_a_sentence(province: str) -> None:
    text = f"UBND {with_kind(province)} ban hành Kế hoạch cải cách hành chính."
    mentions = find_provinces(text)
    assert [m.province for m in mentions] == [province]
    assert text[mentions[0].start : mentions[0].end] == province


@pytest.mark.parametrize("province", PROVINCES)
def test_every_name_is_found_typed_without_accents(province: str) -> None:
    assert names(f"ke hoach cua tinh {plain(province)} nam 2021", accent_insensitive=True) == [province]
    assert canonical(plain(province).upper()) == province


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
        ("Thành phố Hồ Chí Minh", "Hồ Chí Minh"),
        ("Huế", "Huế"),
        ("Thừa Thiên Huế", "Huế"),
        ("thua thien hue", "Huế"),
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
    assert names("Thừa Thiên Huế") == ["Huế"]


def test_a_name_inside_a_longer_word_is_not_a_mention() -> None:
    assert names("Trung tâm Hỗ trợ Khởi nghiệp") == []
    assert names("Lai Châuxyz") == []


def test_ho_chi_minh_the_person_is_not_the_city() -> None:
    # a Hải Phòng decision on studying "tư tưởng Hồ Chí Minh" was filed under the city
    assert names("học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh") == []
    assert names("Đoàn Thanh niên Cộng sản Hồ Chí Minh; Lăng Chủ tịch Hồ Chí Minh") == []
    assert names("tu tuong Ho Chi Minh", accent_insensitive=True) == []
    assert names("UBND Thành phố Hồ Chí Minh và TP. Hồ Chí Minh") == ["Hồ Chí Minh", "Hồ Chí Minh"]
    assert names("Hồ Chí Minh có bao nhiêu văn bản?") == ["Hồ Chí Minh"]


def test_common_words_need_a_capital_or_tinh() -> None:
    # "hòa bình" is "peace", "long an" could be running text: only a capital or "tỉnh" makes them names.
    assert names("giữ vững hòa bình, ổn định") == []
    assert names("tỉnh hòa bình") == ["Hòa Bình"]
    assert names("UBND tỉnh Hòa Bình") == ["Hòa Bình"]


def test_the_sample_footer_names_lai_chau() -> None:
    footer = "TRANG THÔNG TIN ĐIỆN TỬ CẢI CÁCH HÀNH CHÍNH TỈNH LAI CHÂU\ncchc@laichau.gov.vn"
    assert names(footer) == ["Lai Châu"]


OFFLINE = """
import json, os, socket
def refuse(*args, **kwargs):
    raise OSError("network use refused by the test")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.getaddrinfo = socket.create_connection = refuse
before = dict(os.environ)
import ingest.provinces as p
result = [len(p.PROVINCES), len(p.PROVINCES_2025), p.merged_into("Hải Dương"), p.canonical("tp hcm"),
          p.with_kind("Huế"), [m.province for m in p.find_provinces("UBND tỉnh Hà Giang")]]
result.append(sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)))
print(json.dumps(result, ensure_ascii=False))
"""


def test_the_library_works_offline_and_leaves_the_environment_alone() -> None:
    done = subprocess.run([sys.executable, "-c", OFFLINE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [
        63, 34, "Hải Phòng", "Hồ Chí Minh", "thành phố Huế", ["Hà Giang"], []]
