"""Load stage: find the files to ingest and turn each one into a ``SourceDocument``.

The text returned here is the text every later offset indexes (see ``ingest/document.py``), so the loader
fixes it once: Unicode NFC, and ``\\r\\n`` / ``\\r`` turned into ``\\n``. Nothing later may re-normalize it.

Plain text (.txt, .md, .html, .htm) is decoded in this order, first match wins:
  1. a byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
  2. UTF-16 without a BOM (NUL bytes at alternating positions) -- checked before UTF-8 because
     UTF-16 text of ASCII characters is also valid UTF-8, with a NUL after every letter;
  3. strict UTF-8 (a file with NUL bytes is binary, not UTF-8 text);
  4. mostly-valid UTF-8: nearly all of its non-ASCII byte sequences are valid UTF-8 and a few bytes are
     not (a damaged download, a bad copy-paste). Those bytes become U+FFFD and the loader says how many;
  5. Windows-1258, the Vietnamese code page, accepted only when the decoded text reads as Vietnamese.
Anything else is refused with a message telling the user to save the file as UTF-8: decoding it with a
guessed Western code page would index mojibake (old Vietnamese files in TCVN3/VNI fonts decode "fine"
as Windows-1252 and are unreadable).
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.document import SourceDocument
from ingest.errors import IngestError
from ingest.jsonl import JSONL_SUFFIXES, JsonlEntry, JsonlFile, is_jsonl

if TYPE_CHECKING:  # python-docx is imported lazily at run time, like pypdf
    from docx.document import Document as DocxDocument
    from docx.table import Table, _Cell

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
_TEXT_SUFFIXES = (".txt", ".md")
_HTML_SUFFIXES = (".html", ".htm")

_MB = 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """A path given to ``discover`` that will not be loaded, with the reason shown to the user."""

    path: str
    reason: str
    unreadable: bool = False  # the path exists but could not be read: what it holds is unknown (see --sync)


# What ``discover`` lists and ``load_file`` reads: a file, or one document of a JSONL file (ingest/jsonl.py).
# Both have ``name`` (the document's identity in the index) and print as where they are.
Loadable = Path | JsonlEntry


# --------------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------------


def discover(paths: Sequence[Path]) -> tuple[list[Loadable], list[Skipped]]:
    """Expand ``paths`` into the files to load, in a stable order, and the paths that were skipped.

    Directories are walked recursively in sorted order; inside them only supported file types are taken
    and hidden files and folders (names starting with ".") are ignored. A file given explicitly is taken
    even if hidden. Problems are reported as ``Skipped`` entries, never raised, so one bad path does not
    stop a batch: a missing path, a symlink loop, a folder or file that cannot be read (``unreadable``).

    A JSONL file given explicitly (.jsonl, .jsonl.gz, .jsonl.xz) stands for its documents, one per line, each
    named by its id (ingest/jsonl.py); its bad lines are skipped with their line numbers. Inside folders JSONL
    files are not taken: a folder's documents are its files, so a syncing folder never grows a library.

    A second file with the same name as one already found is skipped: the file name is the document's
    identity in the index, so loading both would let one silently replace the other.
    """
    files: list[Loadable] = []
    skipped: list[Skipped] = []
    by_name: dict[str, Loadable] = {}

    def take(file: Loadable) -> None:
        first = by_name.get(file.name)
        if first is None:
            by_name[file.name] = file
            files.append(file)
        elif not _same(first, file):
            skipped.append(
                Skipped(
                    str(file),
                    f"another file with the same name was already found ({first}); "
                    "the file name identifies a document, so rename one of them",
                )
            )

    for path in paths:
        path = Path(path)
        kind, problem = probe(path)
        if problem is not None:
            skipped.append(Skipped(str(path), problem, unreadable=kind == "unreadable"))
        elif kind == "dir":
            found, inner = _walk_supported(path)
            skipped.extend(inner)
            if not found and not inner:
                skipped.append(Skipped(str(path), f"folder contains no supported files ({_supported_list()})"))
            for file in found:
                take(file)
        elif kind != "file":
            skipped.append(Skipped(str(path), "not a regular file"))
        elif is_jsonl(path):
            entries, bad = JsonlFile(path).scan()
            skipped.extend(Skipped(f"{path}:{b.line}" if b.line else str(path), b.reason, unreadable=b.unreadable)
                           for b in bad)
            if not entries and not bad:
                skipped.append(Skipped(str(path), "holds no document (no non-blank line)"))
            for entry in entries:
                take(entry)
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(str(path), f"unsupported file type {path.suffix!r}; supported: {_supported_list()}"))
        else:
            take(path)
    return files, skipped


def _same(a: Loadable, b: Loadable) -> bool:
    """The same file given twice (a folder and a file in it): not a clash of names."""
    if isinstance(a, Path) and isinstance(b, Path):
        return a.resolve() == b.resolve()
    if isinstance(a, JsonlEntry) and isinstance(b, JsonlEntry):
        return a.file.path.resolve() == b.file.path.resolve() and a.line == b.line
    return False


def readable(item: Loadable) -> bool:
    """The file (for a JSONL document: its JSONL file) can be opened for reading now."""
    try:
        with open(item.file.path if isinstance(item, JsonlEntry) else item, "rb"):
            return True
    except OSError:
        return False


def probe(path: Path) -> tuple[str, str | None]:
    """What ``path`` is ("file", "dir", "other"), or why it cannot be used: (kind, reason).

    The reasons name the real cause: a missing path, a broken symlink, a symlink loop, a permission
    problem (kind "unreadable": the path may exist, but what it holds cannot be known).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "missing", "symlink loop (the link leads back to itself); point it at a real file or remove it"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "unreadable", f"cannot be read: permission denied ({_denied_where(path)})"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            if os.path.islink(path):
                return "missing", f"broken symlink (it points to {os.readlink(path)!r}, which does not exist)"
            return "missing", "path does not exist"
        return "unreadable", f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        if not os.access(path, os.R_OK | os.X_OK):
            return "unreadable", "cannot be read: permission denied (the folder cannot be listed)"
        return "dir", None
    return ("file" if stat.S_ISREG(mode) else "other"), None


def _denied_where(path: Path) -> str:
    """The first folder on the way to ``path`` that cannot be entered, to say what to fix."""
    for parent in reversed(Path(path).absolute().parents):
        if not os.access(parent, os.X_OK):
            return f"the folder {parent} cannot be entered"
    return "check the permissions of the file and its folders"


def _walk_supported(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """Supported files under ``folder`` in sorted order, and what could not be read on the way."""
    files: list[Path] = []
    skipped: list[Skipped] = []

    def unreadable_folder(exc: OSError) -> None:
        where = exc.filename or str(folder)
        skipped.append(Skipped(str(where), f"folder cannot be read ({exc.strerror or exc}); its files were not "
                               "looked at", unreadable=True))

    # os.walk with followlinks=False: a symlink loop cannot make discovery run forever.
    for root, dirs, names in os.walk(folder, onerror=unreadable_folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            file = Path(root) / name
            kind, problem = probe(file)
            if problem is not None:
                skipped.append(Skipped(str(file), problem, unreadable=kind == "unreadable"))
            elif kind == "file":
                files.append(file)
            else:
                skipped.append(Skipped(str(file), "not a regular file"))
    return files, skipped


def _supported_list() -> str:
    return ", ".join(SUPPORTED_SUFFIXES + JSONL_SUFFIXES)


# --------------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------------


def load_file(path: Loadable, max_bytes: int, notes: list[str] | None = None) -> SourceDocument:
    """Read one file and return its text (NFC, ``\\n`` line ends). Raises ``IngestError`` naming the file.

    ``notes``, when given, receives what the user should know about a file that did load (e.g. how many
    invalid bytes were replaced)."""
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be greater than 0. Currently it is {max_bytes}")
    if isinstance(path, JsonlEntry):
        return _load_entry(path, max_bytes)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"{path}: unsupported file type {path.suffix!r}; supported: {_supported_list()}")
    data = _read_bytes(path, max_bytes)

    if suffix == ".pdf":
        text, encoding = _pdf_text(path, data), "pdf"
    elif suffix == ".docx":
        text, encoding = _docx_text(path, data), "docx"
    else:
        text, encoding = decode_text(path, data, notes)
        if suffix in _HTML_SUFFIXES:
            text = html_to_text(text)

    text = normalize_text(text)
    if not text.strip():
        raise IngestError(f"{path} contains no text" + _NO_TEXT_HINT.get(suffix, ""))
    return SourceDocument(source=path.name, path=str(path), text=text, encoding=encoding)


def _load_entry(entry: JsonlEntry, max_bytes: int) -> SourceDocument:
    """One document of a JSONL file: its "text" under the same size limit and normalisation as a file's."""
    raw = entry.read_text()
    size = len(raw.encode("utf-8"))
    if size > max_bytes:
        raise IngestError(_too_large(entry, size, max_bytes))
    if _non_text_share(raw) > _MAX_NON_TEXT_SHARE:
        raise IngestError(f"{entry}: most of its characters are control or unassigned codes, not text")
    text = normalize_text(raw)
    return SourceDocument(source=entry.name, path=str(entry), text=text, encoding="jsonl")


_NO_TEXT_HINT = {
    ".pdf": " (a scanned PDF holds only images; OCR is not supported, so convert it to text first)",
    ".html": " (after removing tags, scripts and styles)",
    ".htm": " (after removing tags, scripts and styles)",
}


def normalize_text(text: str) -> str:
    """The one normalization every loaded text gets: ``\\r\\n`` and ``\\r`` to ``\\n``, then Unicode NFC.

    NFC matters for Vietnamese: the same letter can be one code point ("ệ") or a base letter plus
    combining marks ("e" + U+0302 + U+0323, as Windows-1258 files store it); search and quotes need one form.
    """
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    kind, problem = probe(path)
    if problem is not None:
        raise IngestError(f"{path} does not exist" if problem == "path does not exist" else f"{path}: {problem}")
    if kind != "file":
        raise IngestError(f"{path} is not a regular file")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(_too_large(path, size, max_bytes))
        with path.open("rb") as handle:
            # Read one byte past the limit: the file may have grown since stat().
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise IngestError(_too_large(path, len(data), max_bytes))
    if not data:
        raise IngestError(f"{path} is empty (0 bytes)")
    return data


def _too_large(path: Loadable, size: int, max_bytes: int) -> str:
    return (
        f"{path} is {_mb(size)} ({size:,} bytes), over the size limit of {_mb(max_bytes)} "
        f"({max_bytes:,} bytes); raise CCHC_MAX_FILE_MB to ingest it"
    )


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / _MB:.2f}".rstrip("0").rstrip(".") + " MB"


# --------------------------------------------------------------------------------------------------
# text encodings
# --------------------------------------------------------------------------------------------------

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE mark.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# First bytes of formats people rename by mistake, to make the "binary file" message actionable.
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a .docx is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc/.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)

# Share of characters that cannot occur in real text (control, unassigned, private use, U+FFFD) above
# which a file is called binary. Real documents have ~0; random bytes decoded as Windows-1258 or UTF-16
# give 10-50%. 5% leaves room for a stray form feed or escape character in a genuine file.
_MAX_NON_TEXT_SHARE = 0.05


def decode_text(path: Path, data: bytes, notes: list[str] | None = None) -> tuple[str, str]:
    """Decode a plain-text file; return the text (not yet normalized) and the codec name used.

    A mostly-valid UTF-8 file is decoded with its few invalid bytes replaced by U+FFFD; ``notes`` (when
    given) then receives a line saying how many and where."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            reason = f"starts with a {codec.upper()} byte order mark but is not valid {codec.upper()}"
            text = _decode_or_fail(path, data, codec, reason)
            return _check_is_text(path, data, text), codec

    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        try:
            return _check_is_text(path, data, data.decode(utf16)), utf16
        except UnicodeDecodeError:
            pass  # the NUL pattern was a coincidence: treat the bytes as binary below

    if b"\x00" in data:
        raise IngestError(_binary_message(path, data, "it contains NUL bytes"))

    try:
        return _check_is_text(path, data, data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass

    damaged = _mostly_utf8(data)
    if damaged is not None:
        text, bad_offsets = damaged
        if notes is not None:
            shown = ", ".join(map(str, bad_offsets[:5])) + (", …" if len(bad_offsets) > 5 else "")
            notes.append(f"{len(bad_offsets)} invalid UTF-8 byte{'s' * (len(bad_offsets) != 1)} replaced by "
                         f"U+FFFD (at byte offset{'s' * (len(bad_offsets) != 1)} {shown}); the rest is valid "
                         "UTF-8. Fix the file and ingest it again to index those characters")
        return _check_is_text(path, data, text), "utf-8"

    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        text = None
    if text is not None and looks_vietnamese(unicodedata.normalize("NFC", text)):
        return _check_is_text(path, data, text), "cp1258"

    # Latin-1 maps every byte to a character, so this only measures how many bytes are control codes.
    _check_is_text(path, data, data.decode("latin-1"))
    raise IngestError(
        f"{path} cannot be decoded: it is not UTF-8 or UTF-16, and not Vietnamese text in Windows-1258. "
        "Save it as UTF-8 (files typed with TCVN3/VNI fonts must first be converted to Unicode, e.g. with Unikey)"
    )


def _decode_or_fail(path: Path, data: bytes, codec: str, reason: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path} cannot be decoded: it {reason} (bad bytes at offset {exc.start})") from exc


# A file is "mostly UTF-8" when at most this share of its non-ASCII sequences is invalid. Real UTF-8
# Vietnamese has thousands of valid multi-byte letters; Windows-1258 bytes almost never form one.
_MAX_INVALID_UTF8_SHARE = 0.02


def _mostly_utf8(data: bytes) -> tuple[str, list[int]] | None:
    """(text with U+FFFD for each invalid sequence, byte offsets of the invalid bytes), or None when the
    bytes are not UTF-8 with a few errors but some other encoding (or binary)."""
    bad: list[int] = []
    parts: list[str] = []
    pos, limit = 0, max(1, len(data) // 50)
    while True:
        try:
            parts.append(data[pos:].decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            parts.append(data[pos : pos + exc.start].decode("utf-8"))
            parts.append("\ufffd")
            bad.extend(range(pos + exc.start, pos + exc.end))
            pos += exc.end
            if len(bad) > limit:  # far too many: not a damaged UTF-8 file, stop early
                return None
    valid_non_ascii = sum(1 for part in parts[::2] for ch in part if ord(ch) > 127)
    if not valid_non_ascii or len(bad) > _MAX_INVALID_UTF8_SHARE * (valid_non_ascii + len(bad)):
        return None
    return "".join(parts), bad


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NUL bytes sit mostly at odd / even positions, else None.

    In UTF-16 every ASCII character (spaces, digits, most letters, even in Vietnamese) has a zero high
    byte, so text shows NULs at every other position; binary files have NULs at both or neither.
    """
    sample = data[:8192]
    if len(sample) < 4 or len(data) % 2:
        return None
    half = len(sample) // 2
    even = sample[0::2].count(0) / half
    odd = sample[1::2].count(0) / half
    if odd >= 0.3 and even <= 0.05:
        return "utf-16-le"
    if even >= 0.3 and odd <= 0.05:
        return "utf-16-be"
    return None


def _check_is_text(path: Path, data: bytes, text: str) -> str:
    if text and _non_text_share(text) > _MAX_NON_TEXT_SHARE:
        raise IngestError(_binary_message(path, data, "most of its characters are control or unassigned codes"))
    return text


def _non_text_share(text: str) -> float:
    # Spread-out windows are enough to tell text from binary and keep a 20 MB file from costing seconds.
    if len(text) > 100_000:
        step = len(text) // 25
        text = "".join(text[i : i + 4_000] for i in range(0, len(text), step))
    bad = 0
    for ch in text:
        if ch in "\n\r\t\f\v":
            continue
        if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"):
            bad += 1
    return bad / len(text)


def _binary_message(path: Path, data: bytes, why: str) -> str:
    message = f"{path} looks like a binary file, not text ({why})"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return f"{message}; its first bytes are those of {kind}: give it the right file extension"
    return message


# The non-ASCII letters of Vietnamese: its vowels with every tone (NFC), and đ. Built from the rules,
# not typed by hand.
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_VOWELS = "aăâeêioôơuưy"
_VIETNAMESE_LETTERS = frozenset(
    c
    for base in (_VOWELS, _VOWELS.upper())
    for v in base
    for t in _TONES
    if not (c := unicodedata.normalize("NFC", v + t)).isascii()
) | {"đ", "Đ"}
# Letters only Vietnamese uses among Latin scripts: a Western-European text decoded as Windows-1258 has
# accented letters (é, à, ô) that are Vietnamese too, but never these.
_DISTINCTIVE = frozenset(
    c for c in _VIETNAMESE_LETTERS if c in "ăĂơƠưƯđĐĩĨũŨ" or 0x1EA0 <= ord(c) <= 0x1EF9
)


def looks_vietnamese(text: str) -> bool:
    """True when the non-ASCII letters of an NFC ``text`` are (almost) all Vietnamese letters.

    Used to accept a Windows-1258 decoding: Windows-1258 shares most of its byte layout with
    Windows-1252, so a successful decode alone says little. Combining marks left over after NFC (a tone
    mark on a consonant) count against, as they only appear when the bytes were not Windows-1258.
    """
    foreign = vietnamese = distinctive = 0
    for ch in text:
        if ch in _VIETNAMESE_LETTERS:
            vietnamese += 1
            distinctive += ch in _DISTINCTIVE
        elif ord(ch) > 127 and (ch.isalpha() or unicodedata.combining(ch)):
            foreign += 1
    return distinctive > 0 and vietnamese >= 0.9 * (vietnamese + foreign)


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------

_SKIP_CONTENT = frozenset({"script", "style", "template"})
# Blocks that start a new paragraph (blank line) or just a new line. Everything else is inline.
_PARAGRAPH_TAGS = frozenset(
    "p h1 h2 h3 h4 h5 h6 blockquote pre table ul ol dl section article header footer nav main aside "
    "figure form fieldset address hr".split()
)
_LINE_TAGS = frozenset("div li tr dt dd caption figcaption title option body html head".split())
_CELL_TAGS = frozenset({"td", "th"})


def html_to_text(html: str) -> str:
    """Visible text of an HTML page: scripts and styles dropped, entities decoded, blocks on their own lines.

    Inline whitespace is collapsed as a browser does (so <pre> loses its indentation); table cells are
    separated by a tab. Removing navigation and footers is the cleaner's job, not this function's.
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._pending_newlines = 0
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT:
            self._skip_depth += 1
        elif tag == "br":
            self._parts.append("\n")
        else:
            self._block_boundary(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <hr/>, and a self-closed <script/> which has no content to skip.
        if tag not in _SKIP_CONTENT:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _CELL_TAGS:
            self._parts.append("\t")
        else:
            self._block_boundary(tag)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        # \s also matches U+00A0: &nbsp; is layout, not content.
        data = re.sub(r"\s+", " ", data)
        if not data.strip():
            if self._parts and not self._pending_newlines:
                self._parts.append(" ")
            return
        if self._pending_newlines and self._parts:
            self._parts.append("\n" * self._pending_newlines)
        self._pending_newlines = 0
        self._parts.append(data)

    def _block_boundary(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS:
            self._pending_newlines = 2
        elif tag in _LINE_TAGS:
            self._pending_newlines = max(self._pending_newlines, 1)

    def text(self) -> str:
        raw = "".join(self._parts)
        lines = [line.strip() for line in raw.split("\n")]
        text = "\n".join(lines)
        text = re.sub(r" {2,}", " ", text)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


# --------------------------------------------------------------------------------------------------
# PDF and DOCX
# --------------------------------------------------------------------------------------------------


def _pdf_text(path: Path, data: bytes) -> str:
    import pypdf  # imported here: only PDF ingestion pays for it

    # Parsers of untrusted files fail in many ways (PdfReadError, KeyError, ValueError, ...); every one of
    # them means "this PDF cannot be read", so they all become one IngestError that keeps the cause.
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{path} is a password-protected PDF; remove the password and try again")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"{path} is not a readable PDF ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(pages)


def _docx_text(path: Path, data: bytes) -> str:
    import docx  # imported here: only DOCX ingestion pays for it

    try:
        document = docx.Document(io.BytesIO(data))
        return "\n".join(_docx_blocks(document))
    except Exception as exc:  # same reasoning as in _pdf_text
        raise IngestError(f"{path} is not a readable Word (.docx) file ({type(exc).__name__}: {exc})") from exc


def _docx_blocks(container: DocxDocument | _Cell) -> Iterator[str]:
    """Paragraph texts, and table rows as tab-separated cells, in document order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            yield from _docx_table_rows(block)
        else:
            yield block.text


def _docx_table_rows(table: Table) -> Iterator[str]:
    # python-docx repeats a merged cell once per grid column / row it spans; keep its text once.
    seen = set()
    for row in table.rows:
        cells = []
        for cell in row.cells:
            # The <w:tc> XML element is the only identity a cell has (a private attribute of python-docx).
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            cells.append("\n".join(_docx_blocks(cell)))
        yield "\t".join(cells)
