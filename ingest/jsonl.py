"""A JSONL source: one document per line, ``{"id": …, "text": …}``, plain or compressed (.gz, .xz).

A whole document library often comes as one file of this kind (the scale corpus, ``legal-13k.jsonl.xz``:
13,542 documents, ~190 MB of text). Each line becomes one document whose file name, its identity in the
index, is its id with ".md" (the texts are markdown as published).

The file is streamed, never held whole in memory: ``scan`` reads it once for the ids (what ``--sync`` must
know is present), and ``JsonlFile.text`` reads it forward a second time as the ingest asks for the texts in
line order (it re-opens the file only when asked for a line it has passed).

A bad line is named by its line number and skipped; it never stops the rest of the file. A line whose id can
be read but whose text cannot (missing, not a string, empty) is still listed as an entry, so ``--sync`` keeps
the document already stored under that id; a line whose id cannot be read (broken JSON, bad bytes, a
decompression error that ends the stream) is reported as *unreadable*: what it holds is unknown, so --sync
refuses, as it does for an unreadable folder.
"""

from __future__ import annotations

import gzip
import json
import lzma
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.errors import IngestError

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.xz")
DOCUMENT_SUFFIX = ".md"  # the texts are markdown: the chunker and cleaner read them as such

# A line longer than this cannot be a document the loader would accept (CCHC_MAX_FILE_MB is at most 4096 MB,
# but a JSON line is read whole to find its id): beyond it the line is skipped unread, so a file without line
# breaks cannot exhaust memory.
MAX_LINE_BYTES = 256 * 1024 * 1024
_READ_BLOCK = 1024 * 1024
_MAX_ID_CHARS = 200


def is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


@dataclass(frozen=True)
class BadLine:
    """A line that is not a usable document; ``unreadable`` when even its id is unknown."""

    line: int  # 1-based; 0: the file itself (cannot be opened)
    reason: str
    unreadable: bool


@dataclass(frozen=True, eq=False)
class JsonlEntry:
    """One document of a JSONL file: where it is, and its id. The text is read when the ingest asks for it."""

    file: JsonlFile
    line: int  # 1-based
    id: str

    @property
    def name(self) -> str:
        """The document's file name, its identity in the index."""
        return self.id if self.id.lower().endswith(DOCUMENT_SUFFIX) else self.id + DOCUMENT_SUFFIX

    def read_text(self) -> str:
        """The line's "text" (not normalised). IngestError naming the file and line when it is not usable."""
        return self.file.text(self.line)

    def __str__(self) -> str:
        return f"{self.file.path}:{self.line} ({self.id})"


class JsonlFile:
    """A JSONL file of documents, read in passes: ``scan`` for the ids, ``text`` forward for the texts."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._stream: BinaryIO | None = None
        self._next_line = 1  # the line number the open stream will read next

    def scan(self) -> tuple[list[JsonlEntry], list[BadLine]]:
        """Every document's entry in line order, and the bad lines. One streaming pass; holds only the ids.

        A second line with an id already seen is a bad line (the first one wins): the id is the document's
        identity, so keeping both would let one silently replace the other."""
        entries: list[JsonlEntry] = []
        bad: list[BadLine] = []
        first_line: dict[str, int] = {}
        try:
            with self._open() as stream:
                for number, raw in _lines(stream):
                    if raw is None:
                        bad.append(BadLine(number, f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MB; not read",
                                           unreadable=True))
                        continue
                    if not raw.strip():
                        continue  # a blank line (e.g. at the end) is no document
                    doc_id, problem = _parse_id(raw)
                    if doc_id is None:
                        bad.append(BadLine(number, problem, unreadable=True))
                    elif doc_id in first_line:
                        bad.append(BadLine(number, f"id {doc_id!r} already appears on line {first_line[doc_id]}",
                                           unreadable=False))
                    else:
                        first_line[doc_id] = number
                        entries.append(JsonlEntry(self, number, doc_id))
        except (OSError, EOFError, lzma.LZMAError, gzip.BadGzipFile) as exc:
            where = f"after line {entries[-1].line if entries else 0}"
            bad.append(BadLine(0, f"cannot be read {where} ({type(exc).__name__}: {exc}); the rest of the file "
                                  "was not looked at", unreadable=True))
        return entries, bad

    def text(self, line: int) -> str:
        """The "text" of ``line``. Reads forward from where the last call stopped; re-opens to go back."""
        if self._stream is None or line < self._next_line:
            self.close()
            self._stream, self._next_line = self._open(), 1
        try:
            while True:
                number, raw = next(_lines(self._stream, self._next_line))
                self._next_line = number + 1
                if number == line:
                    break
        except StopIteration:
            self.close()
            raise IngestError(f"{self.path}:{line}: the file ends before this line (it changed while being "
                              "ingested?)") from None
        except (OSError, EOFError, lzma.LZMAError, gzip.BadGzipFile) as exc:
            self.close()
            raise IngestError(f"{self.path}:{line} cannot be read ({type(exc).__name__}: {exc})") from exc
        if raw is None:
            raise IngestError(f"{self.path}:{line}: longer than {MAX_LINE_BYTES // (1024 * 1024)} MB")
        return _parse_text(self.path, line, raw)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _open(self) -> BinaryIO:
        name = self.path.name.lower()
        if name.endswith(".gz"):
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        if name.endswith(".xz"):
            return lzma.open(self.path, "rb")  # type: ignore[return-value]
        return open(self.path, "rb")


def _lines(stream: BinaryIO, first: int = 1) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line end) from the stream's position; None for a line over the cap,
    which is read past in blocks, never held. Lines end at b"\\n" only: a JSON line holds no raw line break."""
    number = first
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := stream.readline(_READ_BLOCK)) and not rest.endswith(b"\n"):
                pass
            yield number, None
        else:
            yield number, raw.rstrip(b"\r\n")
        number += 1


def _parse_id(raw: bytes) -> tuple[str | None, str]:
    """(id, "") or (None, why the line's id cannot be known)."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (bad byte at offset {exc.start})"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict):
        return None, f"not a JSON object but a {type(record).__name__}"
    doc_id = record.get("id")
    if not isinstance(doc_id, str) or not doc_id.strip():
        return None, 'no "id" (a non-empty string) in the object'
    problem = _bad_id(doc_id)
    if problem:
        return None, f"id {doc_id[:60]!r} {problem}"
    return doc_id, ""


def _bad_id(doc_id: str) -> str:
    """Why ``doc_id`` cannot be a file name ("" when it can): it names the document in the index and the UI."""
    if len(doc_id) > _MAX_ID_CHARS:
        return f"is longer than {_MAX_ID_CHARS} characters"
    if any(c in doc_id for c in "/\\\0") or doc_id in (".", "..") or doc_id.startswith("."):
        return 'cannot be a file name (it holds "/", "\\" or NUL, or starts with ".")'
    if doc_id != doc_id.strip() or any(not c.isprintable() for c in doc_id):
        return "has spaces at its ends or control characters"
    return ""


def _parse_text(path: Path, line: int, raw: bytes) -> str:
    try:
        record = json.loads(raw.decode("utf-8"))
    except ValueError as exc:  # the line changed since the scan
        raise IngestError(f"{path}:{line}: not valid JSON any more ({exc})") from None
    text = record.get("text") if isinstance(record, dict) else None
    if not isinstance(text, str):
        raise IngestError(f'{path}:{line}: no "text" (a string) in the object')
    if not text.strip():
        raise IngestError(f'{path}:{line}: "text" is empty')
    return text
