"""Pure evaluation metrics: text matching, answer and citation scoring, retrieval ranks, summaries.

No I/O and no pipeline imports, so the same functions score a live run, a saved JSONL of answers and the
unit tests. Every function checks its inputs and names the bad value (as haystack's evaluators do).

Shapes used here
- gold item (eval/gold.jsonl): {"id", "question", "kind": [...], "answerable", "key_facts": [[alt, ...], ...],
  "gold_source", "gold_spans": [[start, end], ...], optional "gold_sources": [...] parallel to gold_spans}
- record (the CLI `answer` output): {"id", "question", "answer", "abstained", "mode", "latency_s",
  "citations": [{"n", "source", "title", "province", "quote", "start", "end"}], optional "retrieved":
  [{"source", "start", "end"}, ...] in rank order}
- span: a (source, start, end) triple, half-open character range of the source's NFC text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence

Span = tuple[str, int, int]
Pair = tuple[Mapping, Mapping]  # (gold item, record)

# --- text normalisation ------------------------------------------------------------------------------

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
# In an open syllable "oa", "oe", "uy" the tone mark may sit on either vowel ("hoá"/"hóa", "thuỷ"/"thủy");
# both spellings are in official use. Canonical form here: tone on the first vowel, the corpus's spelling.
# Only open syllables vary ("hoàn", "hoạch" are spelled one way), hence the look-ahead: no letter or further
# combining mark may follow. "quý" is one spelling only ("qu" is the consonant), hence the look-behind.
_TONE_ON_SECOND = re.compile(rf"(?<!q)(o)([ae])([{_TONES}])(?![\w\u0300-\u036f])"
                             rf"|(?<!q)(u)(y)([{_TONES}])(?![\w\u0300-\u036f])")
_PERCENT = re.compile(r"(\d)\s*(?:%|percent\b|per cent\b|phần trăm\b)")
_RANGE_DASH = re.compile(r"(\d)\s*[-\u2013\u2014]\s*(\d)")  # "2021 - 2025", "0,3 – 0,8" -> "2021-2025"
_SPACES = re.compile(r"\s+")  # includes the no-break spaces the scraped pages are full of


def _move_tone(m: re.Match) -> str:
    if m.group(1):
        return m.group(1) + m.group(3) + m.group(2)
    return m.group(4) + m.group(6) + m.group(5)


def normalize_text(s: str) -> str:
    """Lowercase, NFC, one space between words, "20 %"/"20 percent" -> "20%", "2021 - 2025" -> "2021-2025",
    and one tone-mark placement for oa/oe/uy ("hoá" -> "hóa")."""
    if not isinstance(s, str):
        raise ValueError(f"normalize_text needs a str. Currently it got {type(s).__name__}: {s!r}")
    text = unicodedata.normalize("NFD", s.lower())
    text = _TONE_ON_SECOND.sub(_move_tone, text)
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text).strip()
    text = _PERCENT.sub(r"\1%", text)
    return _RANGE_DASH.sub(r"\1-\2", text)


def _fact_pattern(fact: str) -> re.Pattern:
    # A fact that starts or ends with a letter or digit must not run into one in the answer: "8" is not in
    # "2028", "20%" is not in "120%", "IOC" is not in "biocide".
    head = r"(?<![^\W_])" if fact[0].isalnum() else ""
    tail = r"(?![^\W_])" if fact[-1].isalnum() else ""
    return re.compile(head + re.escape(fact) + tail)


def contains_fact(answer: str, alternatives: Sequence[str]) -> bool:
    """True when one of ``alternatives`` occurs in ``answer`` (both normalised, on token boundaries)."""
    if not isinstance(answer, str):
        raise ValueError(f"answer must be a str. Currently it is {type(answer).__name__}: {answer!r}")
    if isinstance(alternatives, str) or not alternatives:
        raise ValueError(f"alternatives must be a non-empty list of strings. Currently it is {alternatives!r}")
    text = normalize_text(answer)
    for alt in alternatives:
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError(f"Each alternative must be a non-empty string. Currently one is {alt!r}")
        if _fact_pattern(normalize_text(alt)).search(text):
            return True
    return False


def _check_key_facts(key_facts: Sequence[Sequence[str]]) -> None:
    if isinstance(key_facts, str) or not key_facts:
        raise ValueError(
            "key_facts must be a non-empty list of alternative lists (unanswerable items have none and are "
            f"judged on abstention). Currently it is {key_facts!r}"
        )


def key_fact_correct(answer_text: str, key_facts: Sequence[Sequence[str]]) -> bool:
    """True when every key fact (one of its alternatives) is in the answer."""
    _check_key_facts(key_facts)
    return all(contains_fact(answer_text, alternatives) for alternatives in key_facts)


def citation_supports(citation_quote: str, key_facts: Sequence[Sequence[str]]) -> bool:
    """A citation supports the answer when its quote contains at least one of the item's key facts."""
    _check_key_facts(key_facts)
    return any(contains_fact(citation_quote, alternatives) for alternatives in key_facts)


# --- per-item judgements -----------------------------------------------------------------------------

_RECORD_KEYS = ("id", "answer", "abstained", "citations")


def _check_pair(item: Mapping, record: Mapping) -> None:
    missing = [k for k in _RECORD_KEYS if k not in record]
    if missing:
        raise ValueError(f"Record {record.get('id')!r} lacks {', '.join(missing)}. "
                         f"Records need: {', '.join(_RECORD_KEYS)}")
    if "answerable" not in item or "key_facts" not in item:
        raise ValueError(f"Gold item {item.get('id')!r} lacks 'answerable' or 'key_facts'")
    if record["id"] != item.get("id"):
        raise ValueError(f"Record id {record['id']!r} is paired with gold item {item.get('id')!r}")


def answer_correct(item: Mapping, record: Mapping) -> bool:
    """Answerable: answered (not abstained) with every key fact. Unanswerable: abstained."""
    _check_pair(item, record)
    if not item["answerable"]:
        return bool(record["abstained"])
    return not record["abstained"] and key_fact_correct(record["answer"], item["key_facts"])


def gold_sources(item: Mapping) -> list[str]:
    """The documents that support an item: ``gold_sources`` for cross-document items, else ``gold_source``."""
    if item.get("gold_sources"):
        return list(item["gold_sources"])
    return [item["gold_source"]] if item.get("gold_source") else []


def gold_span_triples(item: Mapping) -> list[Span]:
    """(source, start, end) for each gold span; ``gold_sources`` (when present) is parallel to ``gold_spans``."""
    spans = item.get("gold_spans") or []
    if item.get("gold_sources"):
        if len(item["gold_sources"]) != len(spans):
            raise ValueError(
                f"Gold item {item.get('id')!r}: gold_sources ({len(item['gold_sources'])}) and gold_spans "
                f"({len(spans)}) must be parallel lists"
            )
        return [(src, int(s), int(e)) for src, (s, e) in zip(item["gold_sources"], spans)]
    return [(item["gold_source"], int(s), int(e)) for s, e in spans]


# --- rates over many items ---------------------------------------------------------------------------

def _share(hits: int, total: int) -> float | None:
    """None when nothing was counted: a rate over zero items is undefined, not 0 or 1."""
    return hits / total if total else None


def citation_precision(items_with_answers: Sequence[Pair]) -> float | None:
    """Share of the citations given with (non-abstained) answers to answerable items that support the answer.

    Answers to unanswerable items are left to the abstention metrics. None when no citation was given.
    """
    supported = total = 0
    for item, record in items_with_answers:
        _check_pair(item, record)
        if not item["answerable"] or record["abstained"]:
            continue
        for citation in record["citations"]:
            total += 1
            supported += citation_supports(citation.get("quote", ""), item["key_facts"])
    return _share(supported, total)


def citation_recall(items_with_answers: Sequence[Pair]) -> float | None:
    """Share of correct answers (answerable items) that cite at least one gold source. None if none correct."""
    cited = correct = 0
    for item, record in items_with_answers:
        if not item["answerable"] or not answer_correct(item, record):
            continue
        correct += 1
        sources = set(gold_sources(item))
        cited += any(c.get("source") in sources for c in record["citations"])
    return _share(cited, correct)


def abstention_precision_recall(items_with_answers: Sequence[Pair]) -> tuple[float | None, float | None]:
    """(precision, recall) of abstaining, with unanswerable items as the positives.

    Precision: of the abstentions, the share on unanswerable items. Recall: of the unanswerable items, the
    share abstained on. None where the denominator is zero.
    """
    abstained = unanswerable = both = 0
    for item, record in items_with_answers:
        _check_pair(item, record)
        a, u = bool(record["abstained"]), not item["answerable"]
        abstained += a
        unanswerable += u
        both += a and u
    return _share(both, abstained), _share(both, unanswerable)


def abstention_accuracy(items_with_answers: Sequence[Pair]) -> float | None:
    """Share of items where ``abstained == (not answerable)``."""
    right = 0
    for item, record in items_with_answers:
        _check_pair(item, record)
        right += bool(record["abstained"]) == (not item["answerable"])
    return _share(right, len(items_with_answers))


def answer_accuracy(items_with_answers: Sequence[Pair]) -> float | None:
    return _share(sum(answer_correct(i, r) for i, r in items_with_answers), len(items_with_answers))


# --- retrieval -------------------------------------------------------------------------------------

def _check_spans(spans: Sequence[Span], name: str) -> None:
    for span in spans:
        if len(span) != 3:
            raise ValueError(f"{name} entries must be (source, start, end). Currently one is {span!r}")
        source, start, end = span
        if not isinstance(source, str) or not source:
            raise ValueError(f"{name} entries need a source file name. Currently one is {span!r}")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
            raise ValueError(f"{name} entries need integers 0 <= start <= end. Currently one is {span!r}")


def _hits(span: Span, gold: Span) -> bool:
    # Same document and overlapping half-open ranges.
    return span[0] == gold[0] and span[1] < gold[2] and gold[1] < span[2]


def recall_at_k(ranked_spans: Sequence[Span], gold_spans: Sequence[Span], k: int) -> float:
    """Share of the gold spans overlapped by at least one of the top-``k`` retrieved spans.

    With one gold span this is hit@k; a cross-document item needs every supporting passage retrieved.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be >= 1. Currently k={k!r}")
    if not gold_spans:
        raise ValueError("gold_spans must not be empty: recall is undefined for unanswerable items")
    _check_spans(ranked_spans, "ranked_spans")
    _check_spans(gold_spans, "gold_spans")
    top = ranked_spans[:k]
    return sum(any(_hits(s, g) for s in top) for g in gold_spans) / len(gold_spans)


def reciprocal_rank(ranked_spans: Sequence[Span], gold_spans: Sequence[Span]) -> float:
    """1/rank of the first retrieved span that overlaps any gold span; 0.0 when none does."""
    if not gold_spans:
        raise ValueError("gold_spans must not be empty: reciprocal rank is undefined for unanswerable items")
    _check_spans(ranked_spans, "ranked_spans")
    _check_spans(gold_spans, "gold_spans")
    for rank, span in enumerate(ranked_spans, start=1):
        if any(_hits(span, g) for g in gold_spans):
            return 1.0 / rank
    return 0.0


def mrr(queries: Sequence[tuple[Sequence[Span], Sequence[Span]]]) -> float:
    """Mean reciprocal rank over (ranked_spans, gold_spans) pairs, one per query."""
    if not queries:
        raise ValueError("mrr needs at least one (ranked_spans, gold_spans) pair. Currently it got none")
    return sum(reciprocal_rank(ranked, gold) for ranked, gold in queries) / len(queries)


# --- latency -------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 100:
        raise ValueError(f"p must be a number between 0 and 100. Currently p={p!r}")
    if not values:
        raise ValueError("percentile needs at least one value. Currently values is empty")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"values must be finite numbers. Currently one is {v!r}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- summary -----------------------------------------------------------------------------------------

RETRIEVAL_KS = (1, 3, 5)


def pair_records(records: Sequence[Mapping], gold: Sequence[Mapping]) -> list[Pair]:
    """Join records to gold items by id, in gold order. Unknown or repeated ids are errors."""
    by_id: dict[str, Mapping] = {}
    for item in gold:
        if item.get("id") in by_id:
            raise ValueError(f"Gold id {item.get('id')!r} occurs twice")
        by_id[item.get("id")] = item
    seen: dict[str, Mapping] = {}
    for record in records:
        rid = record.get("id")
        if rid not in by_id:
            raise ValueError(f"Record id {rid!r} is not in the gold set "
                             f"({len(by_id)} ids, e.g. {next(iter(by_id), None)!r})")
        if rid in seen:
            raise ValueError(f"Record id {rid!r} occurs twice")
        seen[rid] = record
    return [(item, seen[item["id"]]) for item in gold if item["id"] in seen]


def _retrieval(pairs: Sequence[Pair]) -> dict | None:
    queries = []
    for item, record in pairs:
        if item["answerable"] and "retrieved" in record and item.get("gold_spans"):
            ranked = [(r["source"], int(r["start"]), int(r["end"])) for r in record["retrieved"]]
            queries.append((ranked, gold_span_triples(item)))
    if not queries:
        return None
    out: dict = {"n": len(queries)}
    for k in RETRIEVAL_KS:
        out[f"recall@{k}"] = sum(recall_at_k(r, g, k) for r, g in queries) / len(queries)
    out["mrr"] = mrr(queries)
    return out


def _latency(pairs: Sequence[Pair]) -> dict | None:
    values = [float(r["latency_s"]) for _, r in pairs if r.get("latency_s") is not None]
    if not values:
        return None
    return {
        "n": len(values),
        "p50_s": percentile(values, 50),
        "p95_s": percentile(values, 95),
        "max_s": max(values),
        "mean_s": sum(values) / len(values),
    }


def other_province_answers(items_with_answers: Sequence[Pair]) -> int:
    """Answers that cite only documents of another province than the question's: the worst failure (a figure
    attributed to the wrong province). Citations without a province (national documents) are neither."""
    count = 0
    for item, record in items_with_answers:
        if record.get("abstained") or not item.get("province"):
            continue
        provinces = {c.get("province") for c in record.get("citations") or () if c.get("province")}
        if provinces and item["province"] not in provinces:
            count += 1
    return count


def item_format(item: Mapping) -> str:
    """The file format of the documents holding an item's answer: the gold sources' suffix ("md", "docx",
    "txt"; several joined by "+"), "none" for an item without a gold source (an unanswerable question)."""
    suffixes = sorted({s.rsplit(".", 1)[-1].lower() if "." in s else "?" for s in gold_sources(item)})
    return "+".join(suffixes) or "none"


def by_format(items_with_answers: Sequence[Pair]) -> dict:
    """Answer accuracy and citation recall per ``item_format``: whether a document's file format matters."""
    out = {}
    for fmt in sorted({item_format(i) for i, _ in items_with_answers}):
        sub = [(i, r) for i, r in items_with_answers if item_format(i) == fmt]
        out[fmt] = {"n": len(sub), "answer_accuracy": answer_accuracy(sub),
                    "abstention_accuracy": abstention_accuracy(sub), "citation_recall": citation_recall(sub)}
    return out


def summarize(records: Sequence[Mapping], gold: Sequence[Mapping]) -> dict:
    """Headline figures and a per-kind breakdown for one run (records) against the gold set."""
    pairs = pair_records(records, gold)
    if not pairs:
        raise ValueError("summarize needs at least one record whose id is in the gold set. Currently none")
    answerable = [(i, r) for i, r in pairs if i["answerable"]]
    abst_p, abst_r = abstention_precision_recall(pairs)
    kinds = sorted({k for item, _ in pairs for k in item.get("kind", [])})
    by_kind = {}
    for kind in kinds:
        sub = [(i, r) for i, r in pairs if kind in i.get("kind", [])]
        by_kind[kind] = {
            "n": len(sub),
            "answer_accuracy": answer_accuracy(sub),
            "abstention_accuracy": abstention_accuracy(sub),
        }
    modes: dict[str, int] = {}
    for _, record in pairs:
        modes[str(record.get("mode"))] = modes.get(str(record.get("mode")), 0) + 1
    answered_ids = {i["id"] for i, _ in pairs}
    return {
        "n": len(pairs),
        "n_answerable": len(answerable),
        "n_unanswerable": len(pairs) - len(answerable),
        "missing_ids": [i["id"] for i in gold if i["id"] not in answered_ids],
        "answer_accuracy": answer_accuracy(pairs),
        "answerable_accuracy": answer_accuracy(answerable),  # key facts right on answerable items
        "abstention_accuracy": abstention_accuracy(pairs),
        "abstention_precision": abst_p,
        "abstention_recall": abst_r,
        "citation_precision": citation_precision(pairs),
        "citation_recall": citation_recall(pairs),
        "other_province_answers": other_province_answers(pairs),
        "retrieval": _retrieval(pairs),
        "latency": _latency(pairs),
        "modes": modes,
        "by_kind": by_kind,
        "by_format": by_format(pairs),
    }
