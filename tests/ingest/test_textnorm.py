"""Vietnamese normalisation for matching: tone placement, folding, accent stripping, all length-preserving."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.load import normalize_text
from ingest.textnorm import canonical_tones, fold, has_diacritics, nfc, plain, strip_accents, words
from tests.conftest import CORPUS_DIR, SAMPLE_FILES


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [
        ("hoá", "hóa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("hoà", "hòa"),
        ("hoạ", "họa"),
        ("loè", "lòe"),
        ("uỷ ban", "ủy ban"),
        ("Thanh Hoá", "Thanh Hóa"),
        ("HOÁ", "HÓA"),
        ("Uỷ", "Ủy"),
        ("điện tử hoá.", "điện tử hóa."),
    ],
)
def test_old_and_new_tone_placement_become_the_same(old_style: str, new_style: str) -> None:
    assert canonical_tones(old_style) == new_style
    assert canonical_tones(new_style) == new_style
    assert fold(old_style) == fold(new_style)


@pytest.mark.parametrize(
    "word",
    [
        "quý",  # "qu" is a consonant: the tone is on y in both styles
        "quà",
        "hoàng",  # closed syllable: the tone sits on the main vowel either way
        "khuyến",
        "huỳnh",
        "thuý_",  # not at a syllable end: "_" counts as a word character
        "toán",
        "giáo",
    ],
)
def test_syllables_that_have_one_spelling_are_untouched(word: str) -> None:
    assert canonical_tones(word) == nfc(word)


def test_decomposed_input_is_composed_first() -> None:
    decomposed = unicodedata.normalize("NFD", "Thuỷ lợi hoá")
    assert len(decomposed) > len("Thuỷ lợi hoá")
    assert canonical_tones(decomposed) == "Thủy lợi hóa"


def test_fold_lowercases_and_canonicalises() -> None:
    assert fold("CHUYỂN ĐỔI SỐ, Số Hoá") == "chuyển đổi số, số hóa"


def test_strip_accents_and_plain() -> None:
    assert strip_accents("Lai Châu, Điện Biên, Quảng Bình") == "Lai Chau, Dien Bien, Quang Binh"
    assert plain("Đẩy MẠNH cải cách") == "day manh cai cach"
    assert plain("hoá") == plain("hóa") == "hoa"


def test_has_diacritics() -> None:
    assert has_diacritics("cải cách")
    assert not has_diacritics("cai cach hanh chinh")
    assert not has_diacritics("PCI 2021")


def test_words() -> None:
    assert words("Cắt giảm 20% chi phí; số hóa") == ["Cắt", "giảm", "20", "chi", "phí", "số", "hóa"]


@pytest.mark.parametrize("name", SAMPLE_FILES)
@pytest.mark.parametrize("function", [canonical_tones, fold, strip_accents, plain])
def test_every_function_preserves_length_on_the_corpus(name: str, function) -> None:
    """A position found in the normalised text must be the same position in the original (quotes)."""
    text = normalize_text((CORPUS_DIR / name).read_text("utf-8"))
    assert len(function(text)) == len(text)


def test_positions_map_back_to_the_original_spelling() -> None:
    text = "Đẩy mạnh số hoá; thuỷ lợi được chuẩn hoá."
    at = fold(text).find("chuẩn hóa")
    assert at > 0
    assert text[at : at + len("chuẩn hóa")] == "chuẩn hoá"  # the quote keeps the document's spelling
