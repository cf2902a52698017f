"""Structure-aware chunking: headings, whole sentences, token limits, offsets and context."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from assistant.settings import Settings
from ingest.chunk import Chunker, ChunkerSettings, heading_level
from ingest.clean import Cleaner
from ingest.document import Chunk, CleanDocument, DocumentMetadata, SourceDocument
from ingest.load import load_file, normalize_text
from ingest.metadata import MetadataExtractor
from tests.conftest import CORPUS_DIR, SAMPLE_FILES

MAX_FILE = 10 * 1024 * 1024


def n_words(text: str) -> int:
    """A stand-in token counter for the structure tests: one token per word, easy to reason about."""
    return len(text.split())


def clean(text: str) -> CleanDocument:
    return Cleaner().clean(SourceDocument("doc.txt", "doc.txt", text, "utf-8"))


def chunk_text(text: str, max_tokens: int = 40, overlap: int = 0, counter: Callable[[str], int] = n_words,
               metadata: DocumentMetadata | None = None) -> list[Chunk]:
    chunker = Chunker(counter, ChunkerSettings(max_tokens=max_tokens, overlap_sentences=overlap))
    return chunker.chunk(clean(text), metadata or DocumentMetadata())


def sentence(n: int, words: int = 8) -> str:
    """'Câu 3 có từ từ từ từ.' with ``words`` words in all."""
    return f"Câu {n} " + " ".join(["có"] + ["từ"] * (words - 3)) + "."


# --- headings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("I. MỤC TIÊU, YÊU CẦU", 1),
        ("II. NỘI DUNG, CHỈ TIÊU, NHIỆM VỤ VÀ GIẢI PHÁP", 1),
        ("1. Mục tiêu", 2),
        ("| 2. Yêu cầu", 2),
        ("2.1. Cải cách thể chế", 3),
        ("a) Chỉ tiêu", 3),
        ("đ) Nhiệm vụ khác", 3),
        ("* Đến năm 2025", 4),
        ("- Cắt giảm tối thiểu 20% chi phí tuân thủ.", None),  # a bullet is content
        ("1. Tiếp tục triển khai đồng bộ các nội dung cải cách hành chính.", None),  # ends like a sentence
        ("3. " + "rất " * 25 + "dài", None),  # a numbered paragraph, not a heading
        ("Năm 2025 cắt giảm 20%", None),
        # portal markdown: emphasis is not part of a heading's shape, and "*word" is emphasis, not a bullet
        ("**1**. **Mục đích**", 2),
        ("**I. MỤC TIÊU CHỦ YẾU**", 1),
        ("*Đơn vị chủ trì thực hiện: *Các Sở, ngành", None),
    ],
)
def test_heading_level(line: str, level: int | None) -> None:
    assert heading_level(line) == level


STRUCTURED = f"""KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH
I. MỤC TIÊU, YÊU CẦU
1. Mục tiêu
{sentence(1)}
2. Yêu cầu
- {sentence(2)}
II. NỘI DUNG
1. Cải cách thủ tục hành chính
a) Chỉ tiêu
* Đến năm 2025
- Cắt giảm tối thiểu 20% chi phí tuân thủ quy định.
* Đến năm 2030
- Cắt giảm tối thiểu 30% chi phí tuân thủ quy định.
b) Nhiệm vụ
{sentence(3)}
"""


def test_heading_paths_follow_the_outline() -> None:
    chunks = chunk_text(STRUCTURED)
    by_text = {c.text.splitlines()[-1]: c.heading_path for c in chunks}
    assert by_text == {
        "KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH": (),  # a line of its own before the first heading
        sentence(1): ("I. MỤC TIÊU, YÊU CẦU", "1. Mục tiêu"),
        f"- {sentence(2)}": ("I. MỤC TIÊU, YÊU CẦU", "2. Yêu cầu"),
        "- Cắt giảm tối thiểu 20% chi phí tuân thủ quy định.":
            ("II. NỘI DUNG", "1. Cải cách thủ tục hành chính", "a) Chỉ tiêu", "* Đến năm 2025"),
        "- Cắt giảm tối thiểu 30% chi phí tuân thủ quy định.":
            ("II. NỘI DUNG", "1. Cải cách thủ tục hành chính", "a) Chỉ tiêu", "* Đến năm 2030"),
        sentence(3): ("II. NỘI DUNG", "1. Cải cách thủ tục hành chính", "b) Nhiệm vụ"),
    }


def test_a_chunk_never_crosses_a_heading_and_starts_with_its_own_headings() -> None:
    for c in chunk_text(STRUCTURED, max_tokens=200):
        lines = c.text.splitlines()
        headings = [line for line in lines if heading_level(line) is not None]
        assert lines[: len(headings)] == headings  # headings only at the top of a chunk
        assert all(h in c.heading_path for h in headings)


def test_a_bare_target_carries_province_document_and_year_into_search_text() -> None:
    meta = DocumentMetadata(province="Lai Châu", doc_type="Kế hoạch", number="2943/KH-UBND", issue_date="2021-09-20")
    target = next(c for c in chunk_text(STRUCTURED, metadata=meta) if "20% chi phí" in c.text)
    assert target.text.endswith("\n* Đến năm 2025\n- Cắt giảm tối thiểu 20% chi phí tuân thủ quy định.")
    header = target.context_header()
    assert header == ("Tỉnh Lai Châu | Kế hoạch 2943/KH-UBND (20/09/2021), Lai Châu | II. NỘI DUNG > "
                      "1. Cải cách thủ tục hành chính > a) Chỉ tiêu > * Đến năm 2025")
    assert target.search_text() == f"{header}\n{target.text}"


PORTAL_MARKDOWN = """|
**UỶ BAN NHÂN DÂN**
-------
|

**II. MỤC TIÊU
CHỦ YẾU**

**1. **100% đội ngũ cán bộ, công
chức xây dựng chính sách, pháp luật trên địa bàn tỉnh có trình độ đại học Luật.

*Đơn vị chủ trì thực hiện: *Các
Sở, ngành, đơn vị, UBND cấp xã.

*Thời gian thực hiện: *Thường
xuyên.
"""


def test_portal_markdown_wraps_are_joined_and_rules_hold_no_chunk() -> None:
    chunks = chunk_text(PORTAL_MARKDOWN, max_tokens=60)
    assert all(c.text.strip(" |\n-") for c in chunks)  # no chunk of table borders alone
    target = next(c for c in chunks if "100% đội ngũ" in c.text)
    assert target.heading_path[-1].startswith("**II. MỤC TIÊU")  # the wrapped bold heading is one heading
    # the numbered paragraph wrapped at 80 characters is content, packed with the lines that follow it
    assert "chức xây dựng chính sách" in target.text and "Thời gian thực hiện" in target.text


# --- sentences and sizes ---------------------------------------------------------------------------


def test_chunks_are_whole_sentences_within_the_limit() -> None:
    sentences = [sentence(i, words=7 + i % 5) for i in range(1, 30)]
    text = " ".join(sentences) + "\n"
    chunks = chunk_text(text, max_tokens=40)
    assert len(chunks) > 3
    body = [c for c in chunks if "Câu" in c.text]
    assert [s for c in body for s in re.findall(r"Câu \d+ [^.]*\.", c.text)] == sentences  # all, in order, once
    for c in body:
        assert n_words(c.text) <= 40
        assert c.text.startswith("Câu") and c.text.endswith(".")
    assert chunks == body


def test_overlap_repeats_one_sentence_but_never_exceeds_the_limit() -> None:
    sentences = [sentence(i, words=w) for i, w in enumerate([10, 10, 10, 35, 10, 10, 34, 5, 30], start=1)]
    text = " ".join(sentences) + "\n"
    chunks = [c for c in chunk_text(text, max_tokens=40, overlap=1) if "Câu" in c.text]
    for c in chunks:
        assert n_words(c.text) <= 40, c.text
    for a, b in zip(chunks, chunks[1:]):
        assert not (b.start <= a.start and a.end <= b.end), "a chunk is contained in the next one"
    assert sorted({s for c in chunks for s in re.findall(r"Câu \d+ [^.]*\.", c.text)}) == sorted(sentences)
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:])), "overlap is configured: some must overlap"


def test_a_sentence_over_the_limit_is_split_at_clause_boundaries() -> None:
    clauses = [f"nhiệm vụ số {i} gồm " + "việc " * 6 + "cần làm" for i in range(12)]
    long_sentence = "Các nhiệm vụ: " + "; ".join(clauses) + "."
    text = long_sentence + "\n"
    chunks = [c for c in chunk_text(text, max_tokens=40) if "nhiệm vụ" in c.text]
    assert len(chunks) > 1
    for c in chunks:
        assert n_words(c.text) <= 40
    for c in chunks[:-1]:
        assert c.text.endswith((";", ":")), c.text
    assert " ".join(c.text for c in chunks) == long_sentence


def test_a_clause_over_the_limit_is_split_between_words_never_inside_one() -> None:
    long_clause = "Một " + " ".join(f"từ{i}" for i in range(100)) + "."
    text = long_clause + "\n"
    chunks = [c for c in chunk_text(text, max_tokens=32) if "từ" in c.text]
    assert len(chunks) == 4
    assert " ".join(c.text for c in chunks) == long_clause
    assert all(n_words(c.text) <= 32 for c in chunks)


def test_numbers_and_list_markers_do_not_end_sentences() -> None:
    text = ("Tiêu đề của văn bản về cải cách hành chính\n"
            "1. Khoảng 2.000 doanh nghiệp, tăng 0,3 - 0,8 điểm/năm vào năm 2025. Câu sau ngắn gọn thôi.\n")
    chunker = Chunker(n_words, ChunkerSettings(max_tokens=32))
    doc = clean(text)
    span = doc.body[1]
    units = chunker._sentences(doc.source.text, span.start, span.end)
    assert [doc.source.text[u.start : u.end] for u in units] == [
        "1. Khoảng 2.000 doanh nghiệp, tăng 0,3 - 0,8 điểm/năm vào năm 2025.", "Câu sau ngắn gọn thôi."]


def test_a_sentence_broken_over_a_line_is_kept_whole() -> None:
    """Scraped pages break sentences at page ends ("… nắm bắt tình" / "hình hoạt động …")."""
    first = "8. Đẩy mạnh các hoạt động xúc tiến đầu tư, thường xuyên đối thoại với các doanh nghiệp, nắm bắt tình"
    second = "hình hoạt động sản xuất kinh doanh của doanh nghiệp để kịp thời hỗ trợ, tháo gỡ khó khăn."
    text = f"{sentence(1, 20)}\n\n{first}\n\n{second}\n"
    chunks = chunk_text(text, max_tokens=40)
    joined = next(c for c in chunks if "nắm bắt tình" in c.text)
    assert joined.text == f"{first}\n\n{second}"


def test_web_chrome_between_lines_breaks_the_chunk() -> None:
    text = f"{sentence(1)}\nLượt xem: 12\n{sentence(2)}\n"
    assert [c.text for c in chunk_text(text, max_tokens=200)] == [sentence(1), sentence(2)]


def test_chunk_records_offsets_version_and_token_count() -> None:
    text = sentence(1) + " " + sentence(2) + "\n"
    doc = clean(text)
    chunks = Chunker(n_words, ChunkerSettings(max_tokens=200)).chunk(doc, DocumentMetadata(province="Sơn La"))
    for i, c in enumerate(chunks):
        assert (c.index, c.source, c.doc_version) == (i, "doc.txt", doc.source.content_hash)
        assert c.text == text[c.start : c.end]
        assert c.n_tokens == n_words(c.text)
        assert c.metadata.province == "Sơn La"
        assert c.chunk_id == f"doc.txt::{doc.source.content_hash}::{i:04d}"


def test_settings_and_chunk_are_validated() -> None:
    with pytest.raises(ValueError, match="max_tokens must be at least 32. Currently it is 10"):
        ChunkerSettings(max_tokens=10)
    with pytest.raises(ValueError, match="overlap_sentences must be >= 0. Currently it is -1"):
        ChunkerSettings(overlap_sentences=-1)
    with pytest.raises(ValueError, match="does not match its span"):
        Chunk("a.txt", "v", 0, 0, 5, "abc")


# --- the sample corpus with the real tokenizer and settings ----------------------------------------


@pytest.fixture(scope="module")
def sample_chunks(count_tokens) -> dict[str, tuple[CleanDocument, list[Chunk]]]:
    settings = Settings()
    chunker = Chunker(count_tokens, ChunkerSettings(max_tokens=settings.chunk_tokens,
                                                    overlap_sentences=settings.chunk_overlap_sentences))
    out = {}
    for name in SAMPLE_FILES:
        doc = Cleaner().clean(load_file(CORPUS_DIR / name, MAX_FILE))
        out[name] = (doc, chunker.chunk(doc, MetadataExtractor().extract(doc)))
    return out


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_chunks_are_slices_of_the_original_file(name: str, sample_chunks) -> None:
    original = normalize_text((CORPUS_DIR / name).read_bytes().decode("utf-8"))
    _, chunks = sample_chunks[name]
    assert chunks
    for c in chunks:
        assert original[c.start : c.end] == c.text


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_chunks_fit_the_token_limit(name: str, sample_chunks, count_tokens) -> None:
    limit = Settings().chunk_tokens
    for c in sample_chunks[name][1]:
        assert c.n_tokens == count_tokens(c.text)
        assert c.n_tokens <= limit, (c.index, c.n_tokens, c.text[:80])


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_chunks_hold_no_chrome_and_lose_no_body(name: str, sample_chunks) -> None:
    doc, chunks = sample_chunks[name]
    text = doc.source.text
    for c in chunks:
        for removed in doc.removed:
            assert removed.end <= c.start or c.end <= removed.start, text[removed.start : removed.end]
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    missing = [text[s.start : s.end] for s in doc.body if heading_level(text[s.start : s.end]) is None
               and any(not text[i].isspace() and i not in covered for i in range(s.start, s.end))]
    # Only layout lines with no words (rules of dashes, "[...]") may be left out.
    assert all(not re.search(r"\w{2}", line) for line in missing), missing


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_no_sample_chunk_is_contained_in_another(name: str, sample_chunks) -> None:
    chunks = sample_chunks[name][1]
    for a in chunks:
        for b in chunks:
            if a is not b:
                assert not (b.start <= a.start and a.end <= b.end), (a.index, b.index)


_SENTENCE_MARK = re.compile(r"[.!?…](?=\s|$)")


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_chunks_end_at_sentence_ends_unless_the_sentence_is_too_long(
    name: str, sample_chunks, count_tokens
) -> None:
    doc, chunks = sample_chunks[name]
    text = doc.source.text
    limit = Settings().chunk_tokens
    line_ends = {s.end for s in doc.body}
    for c in chunks:
        tail = c.text.rstrip()
        assert c.end == len(text) or text[c.end].isspace(), f"chunk {c.index} ends inside a word"
        if tail.endswith((".", "!", "?", "…", ":", ")")):
            continue
        after = text[c.end :].lstrip(" \t\xa0\n")
        if c.end in line_ends and not after[:1].islower():
            continue  # a line that is a paragraph of its own (title, signature, list item)
        # A cut inside a sentence: only allowed when the sentence alone is over the limit, and then at a clause.
        starts = [m.end() for m in _SENTENCE_MARK.finditer(text, 0, c.end)]
        end = _SENTENCE_MARK.search(text, c.end)
        whole = text[(starts[-1] if starts else 0) : end.end() if end else len(text)]
        assert count_tokens(whole) > limit, f"chunk {c.index} cuts a short sentence: …{tail[-40:]!r}"
        assert tail.endswith((",", ";")), f"chunk {c.index} cuts inside a clause: …{tail[-40:]!r}"


def test_the_bare_cut_target_in_004_keeps_its_context(sample_chunks) -> None:
    _, chunks = sample_chunks["004_b20915e92c1cf682.txt"]
    target = next(c for c in chunks if "Cắt giảm, đơn giản hóa tối thiểu 20% số quy định" in c.text)
    assert target.heading_path == ("II. NỘI DUNG, CHỈ TIÊU, NHIỆM VỤ VÀ GIẢI PHÁP", "2. Cải cách thủ tục hành chính",
                                   "a) Chỉ tiêu", "* Đến năm 2025")
    search_text = target.search_text()
    for context in ("Lai Châu", "2943/KH-UBND", "2021", "Đến năm 2025"):
        assert context in search_text
    assert target.metadata.province == "Lai Châu"
