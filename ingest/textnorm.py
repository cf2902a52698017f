"""Vietnamese text normalisation for matching.

Every function here is length-preserving on NFC input, so a position found in a normalised string is
the same position in the original text: we search in the normalised form and quote the original. The one
exception is ``norm_number``, a comparison key for document numbers, never searched in.
"""

from __future__ import annotations

import re
import unicodedata

# Tone marks as combining characters (NFD): grave, acute, hook above, tilde, dot below.
_TONES = "\u0300\u0301\u0309\u0303\u0323"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _move_tone(match: re.Match[str]) -> str:
    """'oá' → 'óa': put the tone on the first vowel of an open oa/oe/uy syllable (old vs new style)."""
    first, second = match.group(1), match.group(2)
    decomposed = unicodedata.normalize("NFD", second)
    tone = "".join(c for c in decomposed if c in _TONES)
    base = "".join(c for c in decomposed if c not in _TONES)
    return unicodedata.normalize("NFC", first + tone) + unicodedata.normalize("NFC", base)


_VOWEL_TONED = {
    "a": "àáảãạ",
    "e": "èéẻẽẹ",
    "y": "ỳýỷỹỵ",
}
# o+a, o+e, u+y with the tone on the second vowel, at the end of a syllable. "qu" is a consonant, so
# "quý" keeps its tone where it is.
_OLD_STYLE = re.compile(
    r"(?<![qQ])([oOuU])([" + "".join(_VOWEL_TONED.values()) + "".join(_VOWEL_TONED.values()).upper() + r"])"
    r"(?![\wđĐ])"
)


def canonical_tones(text: str) -> str:
    """Make tone-mark placement consistent: 'hoá'→'hóa', 'thuỷ'→'thủy', 'khoẻ'→'khỏe'."""
    text = nfc(text)

    def repl(m: re.Match[str]) -> str:
        first, second = m.group(1), m.group(2)
        pair_ok = (first.lower() == "o" and second.lower() in _VOWEL_TONED["a"] + _VOWEL_TONED["e"]) or (
            first.lower() == "u" and second.lower() in _VOWEL_TONED["y"]
        )
        return _move_tone(m) if pair_ok else m.group(0)

    return _OLD_STYLE.sub(repl, text)


def fold(text: str) -> str:
    """Lower case with canonical tones: the form used for Vietnamese keyword matching."""
    return canonical_tones(text).lower()


def strip_accents(text: str) -> str:
    """'Lai Châu' → 'Lai Chau', 'đ' → 'd'. One output character per input character."""
    out = []
    for ch in nfc(text):
        if ch in "đĐ":
            out.append("d" if ch == "đ" else "D")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out)


def plain(text: str) -> str:
    """Lower case without diacritics: the form used for accent-insensitive matching."""
    return strip_accents(text).lower()


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def has_diacritics(text: str) -> bool:
    return plain(text) != text.lower()


# Abbreviations of the domain, in accent-less lower case, and what they stand for.
ABBREVIATIONS = {
    "tthc": "thu tuc hanh chinh",
    "qppl": "quy pham phap luat",
    "vbqppl": "van ban quy pham phap luat",
    "cchc": "cai cach hanh chinh",
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "dvc": "dich vu cong",
    "dvctt": "dich vu cong truc tuyen",
    "cbccvc": "can bo cong chuc vien chuc",
    "nsnn": "ngan sach nha nuoc",
}
_ABBREVIATION = re.compile(r"(?<![a-z0-9])(" + "|".join(ABBREVIATIONS) + r")(?![a-z0-9])")


def expand_abbreviations(plain_text: str) -> str:
    """'van ban qppl' → 'van ban quy pham phap luat' in accent-less text: applied to both questions and
    passages, so either spelling matches the other, phrases included."""
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1)], plain_text)


def norm_number(number: str) -> str:
    """A document number as a comparison key: "12-NQ/TU", "12 NQ/TU" and "12/nq-tu" are one number, and
    "Đ" counts as "D" ("45/NĐ-CP" is "45/ND-CP"). Not length-preserving: compare keys, never quote them."""
    return re.sub(r"[\s\-/]", "", number).upper().replace("Đ", "D")
