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


def check_upload_name(name: str) -> str:
    """The name unchanged if it is safe to use as a file name in the upload folder; IngestError otherwise."""
    if not name or len(name) > MAX_NAME_CHARS:
        raise IngestError(f"File name {name!r} must be 1 to {MAX_NAME_CHARS} characters long")
    if name != os.path.basename(name) or "/" in name or "\\" in name or ".." in name:
        raise IngestError(f"File name {name!r} must be a plain file name, without folders or '..'")
    if not _NAME.fullmatch(name):
        raise IngestError(
            f"File name {name!r} may contain only letters, digits, spaces and . _ - ( ) + , "
            "and must start with a letter or digit"
        )
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"File {name!r} has an unsupported type {suffix or '(none)'!r}; "
                          f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    return name


@dataclass
class StagedUploads:
    accepted: list[Path] = field(default_factory=list)  # copies inside the upload folder, ready to ingest
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


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
                raise IngestError(f"File {name!r} was given twice in one upload")
            size = _check_file(upload, name, max_bytes)
            target = (root / name).resolve()
            if target.parent != root:
                raise IngestError(f"File name {name!r} would be stored outside the upload folder")
            replaced = target.stat().st_size if target.is_file() else 0
            if max_total_bytes is not None and used - replaced + size > max_total_bytes:
                raise IngestError(f"File {name!r} does not fit: uploaded documents take {used / 1048576:.1f} MB of "
                                  f"the {max_total_bytes / 1048576:g} MB allowed (setting CCHC_MAX_UPLOAD_STORAGE_MB)")
            partial = root / f".{name}.partial"  # hidden: discovery skips dot-files if a copy is cut short
            shutil.copyfile(upload, partial)
            os.replace(partial, target)
            used += size - replaced
        except IngestError as exc:
            staged.rejected.append((upload.name, str(exc)))
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
        raise IngestError(f"Upload {name!r} is not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"File {name!r} is empty")
    if size > max_bytes:
        raise IngestError(f"File {name!r} is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:g} MB "
                          "(setting CCHC_MAX_FILE_MB)")
    return size
