"""The commitments ledger over the ingested documents: filter it, compare provinces, export it.

The rows are extracted at ingest (ingest/commitments.py) and stored with each document's registry record,
so reading the ledger needs neither the embedding model nor the chunk collection: the CLI builds it from
``ChromaIndex.documents()``, the app and the answerer from the pipeline's ``CorpusView``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from assistant.answer.facts import COMPARATORS_EN
from assistant.question.understand import translate_terms
from ingest.commitments import RANK_UNIT, TOPICS, Commitment, topic_of_words, unit_topics
from ingest.provinces import canonical, find_provinces
from ingest.textnorm import has_diacritics, plain
from ingest.vocab import read_table
from vectorstore.chroma import DocumentRecord

UNKNOWN_PROVINCE = "?"  # compare() key for rows of a document whose province was not found
CSV_COLUMNS = ("province", "year", "topic", "comparator", "value", "value_max", "unit", "metric", "doc_type",
               "number", "issue_date", "source", "start", "end", "quote")
_YEARS = range(1900, 2101)
_COUNT_QUESTION = re.compile(r"\b(bao nhieu|how many|so luong)\b")

# The units the extractor writes (ingest/commitments.py _UNITS, and RANK_UNIT), in English
# (data/ledger_units_en.tsv); a test keeps the two in step.
UNITS_EN: dict[str, str] = dict(read_table(Path(__file__).parent / "data" / "ledger_units_en.tsv", 2))


class Ledger:
    """Every commitment row of the given documents, in a stable order (province, year, topic, position)."""

    def __init__(self, records: Iterable[DocumentRecord], texts: Mapping[str, str] | None = None) -> None:
        """``texts``: the documents' texts when the records do not carry them (a view reads them on demand)."""
        self.documents = {r.source: r for r in records}
        self._texts = texts
        rows = []
        for record in self.documents.values():
            for row in record.commitments:
                if record.text and record.text[row.start:row.end] != row.quote:
                    # rows and text are stored together, so this is a broken index, not a user error
                    raise ValueError(f"{record.source}: commitment quote at {row.start}-{row.end} does not match "
                                     "the stored text; re-ingest the document")
                rows.append(row)
        self._rows = tuple(sorted(rows, key=_order))

    def __len__(self) -> int:
        return len(self._rows)

    def text(self, source: str) -> str:
        """The text of a document of the ledger (what its rows' offsets index); empty when unknown."""
        record = self.documents.get(source)
        if record is not None and record.text:
            return record.text
        return (self._texts or {}).get(source, "")

    @property
    def provinces(self) -> list[str]:
        return sorted({r.province for r in self._rows if r.province})

    @property
    def years(self) -> list[int]:
        return sorted({r.year for r in self._rows if r.year is not None})

    @property
    def topics(self) -> list[str]:
        """Topics that have rows, in the order of ``TOPICS``."""
        present = {r.topic for r in self._rows}
        return [t for t in TOPICS if t in present]

    def rows(self, province: str | None = None, year: int | None = None, topic: str | None = None) -> list[Commitment]:
        """The rows matching every given filter. ``province`` may be typed any way ("Lai Chau", "lai châu")."""
        wanted_province = check_province(province) if province is not None else None
        if year is not None:
            check_year(year)
        if topic is not None:
            check_topic(topic)
        return [r for r in self._rows
                if (wanted_province is None or r.province == wanted_province)
                and (year is None or r.year == year)
                and (topic is None or r.topic == topic)]

    def compare(self, topic: str, year: int | None = None) -> dict[str, list[Commitment]]:
        """One topic's rows by province (sorted by name; ``UNKNOWN_PROVINCE`` last), to set side by side."""
        grouped: dict[str, list[Commitment]] = {}
        for row in self.rows(year=year, topic=check_topic(topic)):
            grouped.setdefault(row.province or UNKNOWN_PROVINCE, []).append(row)
        return dict(sorted(grouped.items(), key=lambda kv: (kv[0] == UNKNOWN_PROVINCE, kv[0])))

    @staticmethod
    def to_csv(rows: Sequence[Commitment]) -> str:
        """The rows as CSV (header ``CSV_COLUMNS``); numbers with a dot, empty cells for unknown values."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            data = row.to_dict()
            data["value"] = _plain_number(row.value)
            data["value_max"] = "" if row.value_max is None else _plain_number(row.value_max)
            writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
        return out.getvalue()


def _order(row: Commitment) -> tuple:
    topic_rank = list(TOPICS).index(row.topic)
    return (row.province is None, row.province or "", row.year is None, row.year or 0, topic_rank, row.source,
            row.start)


# --- argument checks (errors name the bad value and the valid ones) ------------------------------------
def check_topic(topic: str) -> str:
    if topic not in TOPICS:
        valid = ", ".join(f"{key} ({labels['en']})" for key, labels in TOPICS.items())
        raise ValueError(f"Unknown topic {topic!r}. Valid topics are: {valid}")
    return topic


def check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or year not in _YEARS:
        raise ValueError(f"A year must be a whole number from {_YEARS.start} to {_YEARS.stop - 1}. Currently {year!r}")
    return year


def check_province(name: str) -> str:
    """The canonical name of a province typed any way (with or without diacritics, or an alias)."""
    found = canonical(name or "")
    if found is None:
        raise ValueError(f"Unknown province {name!r}: not the name of a Vietnamese province "
                         "(with or without diacritics, e.g. 'Lai Châu' or 'Lai Chau')")
    return found


# --- questions --------------------------------------------------------------------------------------
def topic_of_question(text: str) -> str | None:
    """The ledger topic a question is about, decided by the rules that classify rows (ingest/commitments.py).

    Vietnamese is matched as written, or without diacritics when typed without them; English through the
    glossary's Vietnamese terms ("compliance costs" → "chi phí tuân thủ"). A count question names its
    topic by its unit, as a row's unit does ("bao nhiêu doanh nghiệp", "how many businesses")."""
    terms = translate_terms(text)
    topic = topic_of_words(text)
    if topic is None and not has_diacritics(without_provinces(text)):
        topic = topic_of_words(text, accent_insensitive=True)
    if topic is None and terms:
        topic = topic_of_words(terms)
    if topic is None and _COUNT_QUESTION.search(plain(text)):
        words = f" {plain(text)} {plain(terms)} "
        topic = next((t for unit, t in unit_topics().items() if f" {plain(unit)} " in words), None)
    return topic


def without_provinces(text: str) -> str:
    """The text with province names blanked out: they say nothing about how the rest was typed ("Điện
    Biên" in an English question) nor about what is measured."""
    for m in reversed(find_provinces(text, accent_insensitive=True)):
        text = text[: m.start] + " | " + text[m.end :]
    return text


# --- display ----------------------------------------------------------------------------------------
def topic_label(topic: str, language: str) -> str:
    return TOPICS[check_topic(topic)]["en" if language == "en" else "vi"]


def format_number(value: float, language: str) -> str:
    """2000 → '2.000' (vi) / '2,000' (en); 0.3 → '0,3' / '0.3'."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if language == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_target(row: Commitment, language: str = "vi") -> str:
    """'tối thiểu 20%', 'khoảng 2.000 doanh nghiệp', 'at least 20%', 'rank 5'."""
    amount = format_number(row.value, language)
    if row.value_max is not None:
        amount += f"-{format_number(row.value_max, language)}"
    unit = UNITS_EN.get(row.unit, row.unit) if language == "en" else row.unit
    if row.unit == RANK_UNIT:
        figure = f"{unit} {amount}"
    else:
        figure = f"{amount}{unit}" if row.unit == "%" else f"{amount} {unit}"
    comparator = COMPARATORS_EN[row.comparator] if language == "en" and row.comparator else row.comparator
    return f"{comparator} {figure}".strip()


def text_table(rows: Sequence[Commitment], width: int = 120) -> str:
    """A terminal table, one line per row; the metric column takes what is left of ``width``."""
    header = ("Province", "Year", "Topic", "Target", "Document", "Metric")
    cells = [(r.province or UNKNOWN_PROVINCE, str(r.year or "—"), r.topic, format_target(r), r.number or r.source,
              r.metric) for r in rows]
    widths = [max(len(header[i]), *(len(c[i]) for c in cells)) if cells else len(header[i]) for i in range(5)]
    widths = [min(w, 26) for w in widths]
    metric_width = max(30, width - sum(widths) - 2 * 5)
    lines = []
    for line in [header, *cells]:
        fixed = "  ".join(_fit(text, w).ljust(w) for text, w in zip(line[:5], widths))
        lines.append(f"{fixed}  {_fit(line[5], metric_width)}".rstrip())
    return "\n".join(lines)


def _fit(text: str, width: int) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _plain_number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")
