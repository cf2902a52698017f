"""Checks on files uploaded through the web page before they reach the ingester.

An upload is accepted only if its name is a plain file name (no folders, no ``..``, no hidden or control
characters) with a supported suffix, it is a regular non-empty file within the size limit, its
destination resolves inside the upload folder, and the upload folder stays within its storage cap.
Accepted files are copied there, so the index can be rebuilt from disk; the temporary uploads are deleted
by the caller once processed (``discard_temporary``), and copies the ingester rejects are removed again.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import IngestError
from ingest.load import SUPPORTED_SUFFIXES

MAX_NAME_CHARS = 150
# \w is Unicode-aware: Vietnamese file names are fine. No slashes, backslashes, quotes or control characters.
_NAME = re.compile(r"[\w][\w .()+,\-]*")


class UploadRejected(IngestError):
    """Why an upload was refused: an English message (logs, tests) and, for the admin page, the key of its
    text in ``app/text.py`` with the values it names. Neither carries a server path."""

    def __init__(self, message: str, key: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def check_upload_name(name: str) -> str:
    """The name unchanged if it is safe to use as a file name in the upload folder; UploadRejected otherwise."""
    if not name or len(name) > MAX_NAME_CHARS:
        raise UploadRejected(f"File name {name!r} must be 1 to {MAX_NAME_CHARS} characters long",
                             "upload_name_length", max=MAX_NAME_CHARS)
    if name != os.path.basename(name) or "/" in name or "\\" in name or ".." in name:
        raise UploadRejected(f"File name {name!r} must be a plain file name, without folders or '..'",
                             "upload_name_folder")
    if not _NAME.fullmatch(name):
        raise UploadRejected(
            f"File name {name!r} may contain only letters, digits, spaces and . _ - ( ) + , "
            "and must start with a letter or digit", "upload_name_chars")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadRejected(f"File {name!r} has an unsupported type {suffix or '(none)'!r}; "
                             f"supported: {', '.join(SUPPORTED_SUFFIXES)}", "upload_type",
                             suffix=suffix or "(?)", supported=", ".join(SUPPORTED_SUFFIXES))
    return name


@dataclass
class StagedUploads:
    accepted: list[Path] = field(default_factory=list)  # copies inside the upload folder, ready to ingest
    rejected: list[tuple[str, UploadRejected]] = field(default_factory=list)  # (file name, why)


def stage_uploads(uploads: Sequence[Path], upload_dir: Path, max_bytes: int,
                  max_total_bytes: int | None = None) -> StagedUploads:
    """Check each uploaded file (named as the user named it) and copy the good ones into ``upload_dir``, as long
    as the folder then holds at most ``max_total_bytes`` (None: no cap)."""
    staged = StagedUploads()
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    used = folder_bytes(root)
    seen: set[str] = set()
    for upload in uploads:
        upload = Path(upload)
        try:
            name = check_upload_name(upload.name)
            if name.lower() in seen:
                raise UploadRejected(f"File {name!r} was given twice in one upload", "upload_twice")
            size = _check_file(upload, name, max_bytes)
            target = (root / name).resolve()
            if target.parent != root:
                raise UploadRejected(f"File name {name!r} would be stored outside the upload folder", "upload_outside")
            replaced = target.stat().st_size if target.is_file() else 0
            if max_total_bytes is not None and used - replaced + size > max_total_bytes:
                raise UploadRejected(f"File {name!r} does not fit: uploaded documents take {used / 1048576:.1f} MB "
                                     f"of the {max_total_bytes / 1048576:g} MB allowed (setting "
                                     "CCHC_MAX_UPLOAD_STORAGE_MB)", "upload_full", used=used / 1048576,
                                     cap=max_total_bytes / 1048576)
            partial = root / f".{name}.partial"  # hidden: discovery skips dot-files if a copy is cut short
            shutil.copyfile(upload, partial)
            os.replace(partial, target)
            used += size - replaced
        except UploadRejected as exc:
            staged.rejected.append((upload.name, exc))
            continue
        seen.add(name.lower())
        staged.accepted.append(target)
    return staged


def folder_bytes(folder: Path) -> int:
    """The size of the regular files under ``folder`` (0 when it does not exist)."""
    total = 0
    for path in Path(folder).rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:  # removed meanwhile
            continue
    return total


def discard_temporary(paths: Sequence[str | Path], temp_root: str | Path) -> int:
    """Delete uploaded temporary files that lie inside ``temp_root`` (Gradio's upload folder), and the folder
    each was uploaded into when that is left empty. Paths elsewhere are never touched. Returns the count."""
    root = Path(temp_root).resolve()
    removed = 0
    for path in paths:
        path = Path(path).absolute()
        if not path.resolve().is_relative_to(root) or path.resolve() == root or path.is_symlink():
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            continue
        parent = path.parent
        if parent != root and parent.resolve().is_relative_to(root):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                pass
    return removed


def _check_file(path: Path, name: str, max_bytes: int) -> int:
    if path.is_symlink() or not path.is_file():
        raise UploadRejected(f"Upload {name!r} is not a regular file", "upload_not_file")
    size = path.stat().st_size
    if size == 0:
        raise UploadRejected(f"File {name!r} is empty", "upload_empty")
    if size > max_bytes:
        raise UploadRejected(f"File {name!r} is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:g} MB "
                             "(setting CCHC_MAX_FILE_MB)", "upload_too_big", size=size / 1048576,
                             max=max_bytes / 1048576)
    return size
