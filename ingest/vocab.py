"""Reading the project's vocabularies and rule tables: small UTF-8 text files kept beside the code that
uses them (``<package>/data/*.txt`` and ``*.tsv``), reviewed by people rather than written in Python.

Format, for every such file: lines starting with ``#`` are the header (what the file is, who uses it,
how to extend it) or comments; blank lines are ignored; a ``.tsv`` row is tab-separated columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ingest.errors import ConfigError


def read_lines(path: Path) -> list[str]:
    """The entries of a one-column list file, stripped, in file order."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Vocabulary file {path} does not exist (it ships with the code: reinstall?)") from None
    return [line.strip() for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def read_table(path: Path, columns: int) -> list[tuple[str, ...]]:
    """The rows of a tab-separated file, each with exactly ``columns`` stripped cells."""
    rows = []
    for n, line in enumerate(read_lines(path), start=1):
        cells = tuple(cell.strip() for cell in line.split("\t"))
        if len(cells) != columns:
            raise ConfigError(f"{path}: entry {n} ({line!r}) has {len(cells)} tab-separated columns; "
                              f"expected {columns}")
        rows.append(cells)
    return rows


def read_kinds(path: Path, kinds: Sequence[str]) -> dict[str, list[str]]:
    """A two-column ``kind<TAB>entry`` file as {kind: its entries in file order}, for every kind in ``kinds``.
    An unknown kind, or a kind without entries, is a ConfigError (a typo would silently drop a vocabulary)."""
    rows = read_table(path, 2)
    unknown = sorted({kind for kind, _ in rows} - set(kinds))
    if unknown:
        raise ConfigError(f"{path}: unknown kind {', '.join(map(repr, unknown))}. Valid kinds: {', '.join(kinds)}")
    grouped: dict[str, list[str]] = {kind: [] for kind in kinds}
    for kind, entry in rows:
        grouped[kind].append(entry)
    empty = [kind for kind, entries in grouped.items() if not entries]
    if empty:
        raise ConfigError(f"{path}: no entries of kind {', '.join(empty)}")
    return grouped
