"""Metadata on real documents: a hand-checked table (tests/ingest/data/metadata_gold.jsonl) of legal texts as
portals publish them (data/realdocs, tests/ingest/data/realdocs: letterheads, properties tables, signature blocks
in table cells), news and Q&A pages about documents, and the sample corpus. Every value was read off the document
itself; a field is empty only when the document does not give it.

The real load → clean → metadata runs on each file, and every field must be right on at least 95% of the table.
Comparison: the title, the issuing body and the signer's position ignore case and tone-mark placement (an
all-capitals trích yếu is written in sentence case, "Bộ Văn hoá" and "Bộ Văn hóa" are one body); every other
field must be equal. Run with ``-s`` to see the per-field accuracy and each miss.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ingest.clean import Cleaner
from ingest.document import DocumentMetadata
from ingest.load import load_file
from ingest.metadata import MetadataExtractor
from ingest.textnorm import fold

ROOT = Path(__file__).resolve().parents[2]
GOLD = Path(__file__).parent / "data" / "metadata_gold.jsonl"
FIELDS = tuple(DocumentMetadata.__dataclass_fields__)
LOOSE = ("title", "issuing_body", "signer_title")
MIN_ACCURACY = 0.95


def gold_rows() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]


def same(field: str, got: str | None, want: str | None) -> bool:
    if field in LOOSE:
        def key(v: str | None) -> str:
            return re.sub(r"\s+", " ", fold(v or "")).strip(" .;:")
        return key(got) == key(want)
    return (got or None) == (want or None)


def extract(source: str) -> DocumentMetadata:
    return MetadataExtractor().extract(Cleaner().clean(load_file(ROOT / source, 50 * 1024 * 1024)))


def score() -> tuple[dict[str, float], list[str]]:
    """Per-field accuracy over the table, and a line per miss."""
    rows = gold_rows()
    right = dict.fromkeys(FIELDS, 0)
    misses = []
    for row in rows:
        got = extract(row["source"]).to_dict()
        for field in FIELDS:
            if same(field, got[field], row[field]):
                right[field] += 1
            else:
                misses.append(f"{Path(row['source']).name} {field}: got {got[field]!r}, want {row[field]!r}")
    return {f: right[f] / len(rows) for f in FIELDS}, misses


def report(accuracy: dict[str, float]) -> str:
    return ", ".join(f"{f} {a:.0%}" for f, a in accuracy.items())


def test_the_table_is_well_formed() -> None:
    rows = gold_rows()
    assert len(rows) >= 45 and len({r["source"] for r in rows}) == len(rows)
    assert sum(r["source"].startswith("data/corpus/") for r in rows) == 5
    for row in rows:
        assert set(row) == {"source", *FIELDS}, row["source"]
        assert (ROOT / row["source"]).is_file(), row["source"]
        for field in ("issue_date", "effective_date"):
            assert row[field] is None or re.fullmatch(r"\d{4}-\d\d-\d\d", row[field]), (row["source"], field)


def test_every_field_is_right_on_the_real_documents() -> None:
    accuracy, misses = score()
    print(f"\nmetadata accuracy on {len(gold_rows())} documents: {report(accuracy)}")
    for miss in misses:
        print("  miss:", miss)
    low = {f: a for f, a in accuracy.items() if a < MIN_ACCURACY}
    assert not low, f"fields under {MIN_ACCURACY:.0%}: {report(low)}; all fields: {report(accuracy)}; " \
                    f"misses: {misses}"
