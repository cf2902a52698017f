"""Tests for ingest/load.py. Every fixture file is generated in tmp_path; nothing binary is committed."""

from __future__ import annotations

import errno
import io
import os
import random
import unicodedata
import zipfile
from pathlib import Path

import pytest

from assistant.settings import Settings
from ingest.errors import IngestError
from ingest.load import SUPPORTED_SUFFIXES, Skipped, discover, load_file, looks_vietnamese

MB = 1024 * 1024
LIMIT = 20 * MB
CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"

VIETNAMESE = (
    "Tỉnh ủy Điện Biên ban hành Nghị quyết về cải cách hành chính giai đoạn 2021-2025, "
    "định hướng đến năm 2030: xây dựng nền hành chính phục vụ Nhân dân, doanh nghiệp. Việt Nam."
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------------
# fixture builders
# --------------------------------------------------------------------------------------------------

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def encode_cp1258(text: str) -> bytes:
    """Encode Vietnamese the way Windows does in code page 1258.

    Python's cp1258 encoder fails on NFC input ("ệ" has no byte) and on plain NFD input too (the
    combining circumflex U+0302 has no byte): Windows-1258 has precomposed letters for the vowel marks
    (â ê ô ơ ư ă đ) and combining characters only for the five tones. So each letter that has no byte of
    its own becomes <letter with vowel mark> + <combining tone mark>.
    """
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
        tones = "".join(c for c in parts if c in _TONE_MARKS)
        out += (base + tones).encode("cp1258")
    return bytes(out)


def _pdf_string(text: str) -> bytes:
    return b"(" + text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, with a correct xref table."""
    n_pages = len(pages)
    page_ids = [4 + 2 * i for i in range(n_pages)]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % p for p in page_ids) + b"] /Count %d >>" % n_pages,
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, lines in zip(page_ids, pages):
        ops = [b"BT /F1 12 Tf 72 720 Td"]
        for i, line in enumerate(lines):
            ops.append((b"0 -16 Td " if i else b"") + _pdf_string(line) + b" Tj")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"

    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for obj_id in sorted(objects):
        offsets[obj_id] = len(out)
        out += b"%d 0 obj\n" % obj_id + objects[obj_id] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for obj_id in range(1, size):
        out += b"%010d 00000 n \n" % offsets[obj_id]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_at)
    return bytes(out)


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Kế hoạch cải cách hành chính", level=1)
    document.add_paragraph("Mục tiêu: cắt giảm tối thiểu 20% chi phí tuân thủ.")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Nhiệm vụ"
    table.cell(0, 1).text = "Cơ quan chủ trì"
    table.cell(0, 2).text = "Thời gian"
    table.cell(1, 0).text = "Số hóa hồ sơ"
    merged = table.cell(1, 1).merge(table.cell(1, 2))
    merged.text = "Sở Nội vụ, năm 2025"
    document.add_paragraph("Đoạn sau bảng.")
    document.save(path)
    return path


def random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


# --------------------------------------------------------------------------------------------------
# text encodings
# --------------------------------------------------------------------------------------------------


def test_utf8(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "vb.txt", VIETNAMESE.encode("utf-8")), LIMIT)
    assert doc.text == VIETNAMESE
    assert doc.encoding == "utf-8"
    assert doc.source == "vb.txt"
    assert doc.path == str(tmp_path / "vb.txt")


def test_utf8_with_bom_drops_the_bom(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + VIETNAMESE.encode("utf-8")), LIMIT)
    assert doc.text == VIETNAMESE
    assert doc.encoding == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(tmp_path: Path, codec: str) -> None:
    data = VIETNAMESE.encode(codec)  # "utf-16" writes a BOM, the explicit-endian codecs do not
    doc = load_file(write(tmp_path, "u16.txt", data), LIMIT)
    assert doc.text == VIETNAMESE
    assert doc.encoding == codec


def test_windows_1258_vietnamese_is_decoded_and_composed_to_nfc(tmp_path: Path) -> None:
    data = encode_cp1258(VIETNAMESE)
    assert b"\xf2" in data  # combining dot below: the fixture really stores tones as combining marks
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    doc = load_file(write(tmp_path, "cp1258.txt", data), LIMIT)
    assert doc.encoding == "cp1258"
    assert doc.text == VIETNAMESE
    assert unicodedata.is_normalized("NFC", doc.text)
    assert "Việt" in doc.text


def test_western_single_byte_text_is_refused_not_guessed(tmp_path: Path) -> None:
    # Valid Windows-1258 bytes, but not Vietnamese: decoding it anyway would index mojibake.
    path = write(tmp_path, "fr.txt", "Le garçon a mangé une crème brûlée à Noël.".encode("cp1252"))
    with pytest.raises(IngestError, match=r"fr\.txt cannot be decoded.*UTF-8"):
        load_file(path, LIMIT)


def test_looks_vietnamese() -> None:
    assert looks_vietnamese(VIETNAMESE)
    assert not looks_vietnamese("plain ascii only")
    assert not looks_vietnamese("Le garçon a mangé une crème brûlée à Noël.")


def test_line_ends_and_nfc_are_normalized(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Việt Nam\r\nCải cách\rhành chính\n")
    doc = load_file(write(tmp_path, "nfd.md", nfd.encode("utf-8")), LIMIT)
    assert doc.text == "Việt Nam\nCải cách\nhành chính\n"
    assert unicodedata.is_normalized("NFC", doc.text)


# --------------------------------------------------------------------------------------------------
# files that must be refused
# --------------------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"empty\.txt is empty"):
        load_file(write(tmp_path, "empty.txt", b""), LIMIT)


def test_whitespace_only_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"blank\.txt contains no text"):
        load_file(write(tmp_path, "blank.txt", b"  \r\n\t \n\n"), LIMIT)


def test_binary_file_renamed_txt(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random_bytes(500)
    with pytest.raises(IngestError, match=r"image\.txt looks like a binary file.*PNG"):
        load_file(write(tmp_path, "image.txt", png), LIMIT)


def test_docx_renamed_txt_names_the_zip(tmp_path: Path) -> None:
    make_docx(tmp_path / "real.docx")
    path = write(tmp_path, "renamed.txt", (tmp_path / "real.docx").read_bytes())
    with pytest.raises(IngestError, match=r"renamed\.txt looks like a binary file.*ZIP"):
        load_file(path, LIMIT)


def test_binary_without_nul_bytes_is_refused(tmp_path: Path) -> None:
    data = bytes(b for b in random_bytes(4000) if b)  # no NULs: the control-character check must catch it
    with pytest.raises(IngestError, match=r"noise\.txt looks like a binary file.*control"):
        load_file(write(tmp_path, "noise.txt", data), LIMIT)


def test_control_characters_in_valid_utf8_are_binary(tmp_path: Path) -> None:
    data = bytes(range(1, 32)) * 20 + b"some text"
    with pytest.raises(IngestError, match=r"ctl\.txt looks like a binary file.*control"):
        load_file(write(tmp_path, "ctl.txt", data), LIMIT)


def test_mostly_valid_utf8_is_decoded_with_the_bad_bytes_replaced_and_counted(tmp_path: Path) -> None:
    line = (VIETNAMESE + "\n").encode("utf-8")
    damaged = line + b"\xff" + line + b"\xc3(" + line * 10  # a stray byte, a broken two-byte sequence
    notes: list[str] = []
    doc = load_file(write(tmp_path, "damaged.txt", damaged), LIMIT, notes)
    assert doc.encoding == "utf-8"
    assert doc.text == unicodedata.normalize("NFC", damaged.decode("utf-8", errors="replace"))
    assert doc.text.count("\ufffd") == 2
    assert notes == [f"2 invalid UTF-8 bytes replaced by U+FFFD (at byte offsets {len(line)}, {2 * len(line) + 1}); "
                     "the rest is valid UTF-8. Fix the file and ingest it again to index those characters"]
    assert load_file(tmp_path / "damaged.txt", LIMIT).text == doc.text  # the notes are optional


def test_many_invalid_utf8_bytes_are_not_damaged_utf8(tmp_path: Path) -> None:
    # every third letter broken: not a damaged UTF-8 file but something else, refused as before
    data = bytearray(VIETNAMESE.encode("utf-8") * 4)
    for i in range(0, len(data), 3):
        if data[i] > 127:
            data[i] = 0xFF
    with pytest.raises(IngestError, match=r"many\.txt (looks like a binary file|cannot be decoded)"):
        load_file(write(tmp_path, "many.txt", bytes(data)), LIMIT)


def test_invalid_utf16_after_bom(tmp_path: Path) -> None:
    data = b"\xff\xfe" + "Việt".encode("utf-16-le") + b"\x00\xd8"  # a lone high surrogate at the end
    with pytest.raises(IngestError, match=r"bad16\.txt cannot be decoded.*UTF-16 byte order mark"):
        load_file(write(tmp_path, "bad16.txt", data), LIMIT)


def test_file_over_size_limit_names_limit_and_size(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"a" * (MB + MB // 2))
    with pytest.raises(IngestError) as caught:
        load_file(path, 1 * MB)
    message = str(caught.value)
    assert "big.txt" in message
    assert "1.5 MB" in message and "1,572,864 bytes" in message
    assert "limit of 1 MB" in message
    assert load_file(path, 2 * MB).text == "a" * (MB + MB // 2)  # under the limit it loads


def test_size_limit_in_bytes_is_exact(tmp_path: Path) -> None:
    path = write(tmp_path, "small.txt", b"x" * 101)
    with pytest.raises(IngestError, match=r"101 bytes.*100 bytes"):
        load_file(path, 100)
    assert load_file(path, 101).text == "x" * 101


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"missing\.txt does not exist"):
        load_file(tmp_path / "missing.txt", LIMIT)


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"unsupported file type '\.doc'.*\.txt.*\.docx"):
        load_file(write(tmp_path, "old.doc", b"x"), LIMIT)


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        load_file(write(tmp_path, "a.txt", b"a"), 0)


# --------------------------------------------------------------------------------------------------
# HTML, PDF, DOCX
# --------------------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><title>Kế hoạch CCHC</title>
<style>p { color: red; }</style>
<script>var hidden = "<p>không hiển thị</p>";</script>
</head>
<body>
<h1>Kế hoạch 2943/KH-UBND</h1>
<p>Cải cách &amp; hiện đại&nbsp;hóa
   &lt;2021-2025&gt; Vi&#7879;t Nam</p>
<ul><li>Mục 1</li><li>Mục 2</li></ul>
<table><tr><td>Nhiệm vụ</td><td>Thời hạn</td></tr><tr><td>Số hóa</td><td>2025</td></tr></table>
<div>dòng một<br>dòng hai</div>
<!-- một chú thích -->
</body></html>"""


def test_html_drops_script_and_style_and_decodes_entities(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "page.html", HTML.encode("utf-8")), LIMIT)
    assert doc.encoding == "utf-8"
    text = doc.text
    assert "hidden" not in text and "không hiển thị" not in text
    assert "color" not in text
    assert "chú thích" not in text
    assert "<" not in text.replace("<2021-2025>", "")
    assert "Cải cách & hiện đại hóa <2021-2025> Việt Nam" in text
    assert "Kế hoạch 2943/KH-UBND\n\nCải cách" in text  # paragraphs separated by a blank line
    assert "Mục 1\nMục 2" in text
    assert "Nhiệm vụ\tThời hạn\nSố hóa\t2025" in text
    assert "dòng một\ndòng hai" in text
    assert text.startswith("Kế hoạch CCHC")


def test_html_in_windows_1258(tmp_path: Path) -> None:
    data = encode_cp1258(f"<html><body><p>{VIETNAMESE}</p></body></html>")
    doc = load_file(write(tmp_path, "page.htm", data), LIMIT)
    assert doc.encoding == "cp1258"
    assert doc.text == VIETNAMESE


def test_html_without_text(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"empty\.html contains no text"):
        load_file(write(tmp_path, "empty.html", b"<html><script>alert(1)</script></html>"), LIMIT)


def test_generated_pdf(tmp_path: Path) -> None:
    data = make_pdf([["Administrative reform plan 2021-2025", "Cut compliance costs by 20%"], ["Page two (annex)"]])
    doc = load_file(write(tmp_path, "plan.pdf", data), LIMIT)
    assert doc.encoding == "pdf"
    assert doc.source == "plan.pdf"
    pages = doc.text.split("\n\n")
    assert len(pages) == 2
    assert "Administrative reform plan 2021-2025" in pages[0]
    assert "Cut compliance costs by 20%" in pages[0]
    assert "Page two (annex)" in pages[1]


def test_corrupt_pdf(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"broken\.pdf is not a readable PDF"):
        load_file(write(tmp_path, "broken.pdf", random_bytes(2048)), LIMIT)


def test_truncated_pdf(tmp_path: Path) -> None:
    data = make_pdf([["Some text"]])
    with pytest.raises(IngestError, match=r"cut\.pdf is not a readable PDF"):
        load_file(write(tmp_path, "cut.pdf", data[:40]), LIMIT)


def test_pdf_without_text_mentions_ocr(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"scan\.pdf contains no text.*OCR"):
        load_file(write(tmp_path, "scan.pdf", make_pdf([[]])), LIMIT)


def test_password_protected_pdf(tmp_path: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(IngestError, match=r"locked\.pdf is a password-protected PDF"):
        load_file(write(tmp_path, "locked.pdf", buffer.getvalue()), LIMIT)


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    doc = load_file(make_docx(tmp_path / "kh.docx"), LIMIT)
    assert doc.encoding == "docx"
    assert doc.text.split("\n") == [
        "Kế hoạch cải cách hành chính",
        "Mục tiêu: cắt giảm tối thiểu 20% chi phí tuân thủ.",
        "Nhiệm vụ\tCơ quan chủ trì\tThời gian",
        "Số hóa hồ sơ\tSở Nội vụ, năm 2025",  # the merged cell's text appears once
        "Đoạn sau bảng.",
    ]


def test_corrupt_docx_random_bytes(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"broken\.docx is not a readable Word \(\.docx\) file"):
        load_file(write(tmp_path, "broken.docx", random_bytes(2048)), LIMIT)


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(IngestError, match=r"fake\.docx is not a readable Word"):
        load_file(write(tmp_path, "fake.docx", buffer.getvalue()), LIMIT)


def test_docx_without_text(tmp_path: Path) -> None:
    import docx

    docx.Document().save(tmp_path / "blank.docx")
    with pytest.raises(IngestError, match=r"blank\.docx contains no text"):
        load_file(tmp_path / "blank.docx", LIMIT)


# --------------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------------


def test_discover_expands_folders_sorted_and_reports_skips(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    for name in ["b.txt", "a.md", "Z.HTML", "sub/d.docx", "sub/c.pdf", "image.png", ".hidden.txt", ".git/x.txt"]:
        write(root, name, b"x")
    (tmp_path / "empty_dir").mkdir()
    other = write(tmp_path, "other/b.txt", b"same name as docs/b.txt")
    explicit_png = root / "image.png"
    explicit_hidden = root / ".hidden.txt"

    files, skipped = discover(
        [root, tmp_path / "nope.txt", explicit_png, tmp_path / "empty_dir", root / "a.md", other, explicit_hidden]
    )

    assert files == [
        root / "Z.HTML",
        root / "a.md",
        root / "b.txt",
        root / "sub" / "c.pdf",
        root / "sub" / "d.docx",
        explicit_hidden,  # a hidden file given by name is taken
    ]  # a.md given a second time is not repeated
    reasons = {Path(s.path).relative_to(tmp_path).as_posix(): s.reason for s in skipped}
    assert reasons.keys() == {"nope.txt", "docs/image.png", "empty_dir", "other/b.txt"}
    assert reasons["nope.txt"] == "path does not exist"
    assert ".png" in reasons["docs/image.png"]
    assert all(suffix in reasons["docs/image.png"] for suffix in SUPPORTED_SUFFIXES)
    assert "no supported files" in reasons["empty_dir"]
    assert "same name" in reasons["other/b.txt"] and str(root / "b.txt") in reasons["other/b.txt"]
    assert all(isinstance(s, Skipped) for s in skipped)


@pytest.fixture
def lock(monkeypatch):
    """``lock(folder)`` makes a folder unreadable: chmod 000, or, for root (whom permissions do not stop), the
    operating system's refusals simulated for that folder and what is inside it."""
    locked: list[Path] = []
    root = os.geteuid() == 0
    if root:
        real_stat, real_scandir, real_access = os.stat, os.scandir, os.access

        def named(path) -> Path | None:
            return None if isinstance(path, int) else Path(os.fsdecode(path)).absolute()

        def denied(path) -> PermissionError:
            return PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))

        def stat(path, *args, **kwargs):
            p = named(path)
            if p is not None and any(folder in p.parents for folder in locked):
                raise denied(path)
            return real_stat(path, *args, **kwargs)

        def scandir(path="."):
            if named(path) in locked:
                raise denied(path)
            return real_scandir(path)

        def access(path, mode, *args, **kwargs):
            return named(path) not in locked and real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "stat", stat)
        monkeypatch.setattr(os, "scandir", scandir)
        monkeypatch.setattr(os, "access", access)

    def lock_folder(folder: Path) -> Path:
        locked.append(folder.absolute())
        if not root:
            folder.chmod(0)
        return folder

    yield lock_folder
    for folder in locked:
        if not root:
            folder.chmod(0o755)


def test_an_unreadable_folder_is_skipped_with_its_reason_never_a_traceback(tmp_path: Path, lock) -> None:
    root = tmp_path / "docs"
    write(root, "a.txt", b"x")
    inner = write(root, "locked/b.txt", b"y")
    lock(root / "locked")
    files, skipped = discover([root, inner])
    assert files == [root / "a.txt"]
    by_path = {s.path: s for s in skipped}
    assert by_path[str(root / "locked")].reason.startswith("folder cannot be read (Permission denied)")
    assert by_path[str(inner)].reason == (f"cannot be read: permission denied (the folder {root / 'locked'} "
                                          "cannot be entered)")
    assert all(s.unreadable for s in skipped)
    with pytest.raises(IngestError, match=rf"^{inner}: cannot be read: permission denied"):
        load_file(inner, LIMIT)
    files, skipped = discover([root / "locked"])
    assert files == [] and skipped[0].unreadable and "cannot be read: permission denied" in skipped[0].reason


def test_symlink_loops_and_broken_links_say_so(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write(folder, "ok.txt", b"x")
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "broken.md").symlink_to("gone.md")
    files, skipped = discover([folder, folder / "loop.txt"])
    assert files == [folder / "ok.txt"]
    reasons = [(Path(s.path).name, s.reason) for s in skipped]
    assert reasons == [
        ("broken.md", "broken symlink (it points to 'gone.md', which does not exist)"),
        ("loop.txt", "symlink loop (the link leads back to itself); point it at a real file or remove it"),
        ("loop.txt", "symlink loop (the link leads back to itself); point it at a real file or remove it"),
    ]
    with pytest.raises(IngestError, match=r"loop\.txt: symlink loop"):
        load_file(folder / "loop.txt", LIMIT)


def test_discover_never_raises_for_missing_paths(tmp_path: Path) -> None:
    files, skipped = discover([tmp_path / "a" / "b" / "c.txt"])
    assert files == []
    assert skipped == [Skipped(str(tmp_path / "a" / "b" / "c.txt"), "path does not exist")]


# --------------------------------------------------------------------------------------------------
# the sample corpus
# --------------------------------------------------------------------------------------------------


def test_sample_corpus_loads_with_stable_offsets() -> None:
    files, skipped = discover([CORPUS])
    assert skipped == []
    assert len(files) == 5
    max_bytes = Settings().max_file_bytes
    for path in files:
        first = load_file(path, max_bytes)
        second = load_file(path, max_bytes)
        assert first.text.strip(), path
        assert unicodedata.is_normalized("NFC", first.text), path
        assert first.encoding == "utf-8"
        assert first.source == path.name
        # The corpus is already NFC UTF-8 with \n line ends, so the loader must not change a character:
        # offsets into SourceDocument.text are then also offsets into the file as read by anyone else.
        assert first.text == path.read_text(encoding="utf-8")
        assert second == first and second.content_hash == first.content_hash
