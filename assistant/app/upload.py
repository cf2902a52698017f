"""Checks on files uploaded through the web page before they reach the ingester.

An upload is accepted only if its name is a plain file name (no folders, no ``..``, no hidden or control
characters) with a supported suffix, it is a regular non-empty file within the size limit, and its
destination resolves inside the upload folder. Accepted files are copied there, so the index can be
rebuilt from disk; the temporary upload itself is left to Gradio's cache cleanup.
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


def stage_uploads(uploads: Sequence[Path], upload_dir: Path, max_bytes: int) -> StagedUploads:
    """Check each uploaded file (named as the user named it) and copy the good ones into ``upload_dir``."""
    staged = StagedUploads()
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    seen: set[str] = set()
    for upload in uploads:
        upload = Path(upload)
        try:
            name = check_upload_name(upload.name)
            if name.lower() in seen:
                raise IngestError(f"File {name!r} was given twice in one upload")
            _check_file(upload, name, max_bytes)
            target = (root / name).resolve()
            if target.parent != root:
                raise IngestError(f"File name {name!r} would be stored outside the upload folder")
            partial = root / f".{name}.partial"  # hidden: discovery skips dot-files if a copy is cut short
            shutil.copyfile(upload, partial)
            os.replace(partial, target)
        except IngestError as exc:
            staged.rejected.append((upload.name, str(exc)))
            continue
        seen.add(name.lower())
        staged.accepted.append(target)
    return staged


def _check_file(path: Path, name: str, max_bytes: int) -> None:
    if path.is_symlink() or not path.is_file():
        raise IngestError(f"Upload {name!r} is not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"File {name!r} is empty")
    if size > max_bytes:
        raise IngestError(f"File {name!r} is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:g} MB "
                          "(setting CCHC_MAX_FILE_MB)")
