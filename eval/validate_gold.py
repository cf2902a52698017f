"""Check the evaluation gold set against the corpus, and print what it covers.

    .venv/bin/python -m eval.validate_gold [FILE] [--corpus DIR]

Exits 1 and lists the problems when an item is malformed, a span points outside its file, or a key fact is
not inside the passage that is supposed to prove it. ``validate()`` is the pure core, used by the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from eval.metrics import contains_fact, normalize_text

KINDS = (
    "target", "date", "entity", "count", "list", "cross", "english", "no-diacritics", "citizen", "abstain", "follow-up",
    "descriptive", "table",
)
REQUIRED = ("id", "question", "kind", "answerable", "key_facts", "gold_source", "gold_spans", "province", "follows")
OPTIONAL = ("gold_sources", "provinces", "note", "split", "doc_format")

# The gold spans index the sample corpus shipped with the repo, not whatever CCHC_CORPUS_DIR points at.
DEFAULT_GOLD = Path(__file__).resolve().parent / "gold.jsonl"
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def load_text(path: Path) -> str:
    """A corpus file as the loader sees it: UTF-8, NFC, \\n line ends (offsets index this string)."""
    return unicodedata.normalize("NFC", path.read_bytes().decode("utf-8")).replace("\r\n", "\n")


def read_jsonl(path: Path) -> tuple[list[dict], list[str]]:
    """Items and the problems met while parsing (bad JSON, non-object lines), with line numbers."""
    items, problems = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {n}: expected a JSON object, got {type(obj).__name__}")
            continue
        items.append(obj)
    return items, problems


def _is_fact_list(key_facts: object) -> bool:
    return isinstance(key_facts, list) and all(
        isinstance(alts, list) and alts and all(isinstance(a, str) and a.strip() for a in alts) for alts in key_facts
    )


def _span_ok(span: object, length: int) -> bool:
    return (
        isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in span)
        and 0 <= span[0] < span[1] <= length
    )


class _Corpus:
    """Reads each corpus file once; names the valid files when asked for a missing one."""

    def __init__(self, corpus_dir: Path) -> None:
        if not corpus_dir.is_dir():
            raise ValueError(f"Corpus directory {str(corpus_dir)!r} does not exist")
        self.dir = corpus_dir
        self.names = sorted(p.name for p in corpus_dir.iterdir() if p.is_file())
        self._texts: dict[str, str] = {}

    def text(self, name: str) -> str | None:
        if name not in self.names:
            return None
        if name not in self._texts:
            self._texts[name] = load_text(self.dir / name)
        return self._texts[name]


def _check_answerable(item: Mapping, where: str, corpus: _Corpus) -> list[str]:
    problems: list[str] = []
    key_facts, spans = item["key_facts"], item["gold_spans"]
    if not key_facts or not _is_fact_list(key_facts):
        problems.append(f"{where}: answerable items need key_facts as a non-empty list of non-empty string lists, "
                        f"got {key_facts!r}")
        key_facts = []
    sources = item.get("gold_sources")
    if sources is None:
        sources = [item["gold_source"]] * len(spans) if isinstance(spans, list) else []
    else:
        if not isinstance(sources, list) or len(sources) != len(spans):
            return problems + [f"{where}: gold_sources must be a list parallel to gold_spans "
                               f"({len(spans)} spans), got {sources!r}"]
        if len(set(sources)) < 2:
            problems.append(f"{where}: gold_sources names one document only; use gold_source for that")
        if sources[0] != item["gold_source"]:
            problems.append(f"{where}: gold_source {item['gold_source']!r} "
                            f"must be the first of gold_sources {sources!r}")
    if not isinstance(spans, list) or not spans:
        return problems + [f"{where}: answerable items need at least one gold span, got {spans!r}"]

    provinces = item.get("provinces") or ([item["province"]] if item.get("province") else [])
    if item.get("provinces") is not None:
        if item.get("gold_sources") is None or len(item["provinces"]) != len(set(item["gold_sources"])):
            problems.append(f"{where}: provinces must name the province of each document in gold_sources, "
                            f"got {item['provinces']!r}")
        elif item["provinces"][0] != item["province"]:
            problems.append(f"{where}: province {item['province']!r} "
                            f"must be the first of provinces {item['provinces']!r}")

    span_texts, doc_texts = [], {}
    for source, span in zip(sources, spans):
        text = corpus.text(source) if isinstance(source, str) else None
        if text is None:
            problems.append(f"{where}: gold source {source!r} is not in {corpus.dir}. "
                            f"Valid files: {', '.join(corpus.names)}")
            continue
        doc_texts[source] = text
        if not _span_ok(span, len(text)):
            problems.append(f"{where}: span {span!r} is not [start, end] "
                            f"with 0 <= start < end <= {len(text)} in {source}")
            continue
        span_text = text[span[0] : span[1]]
        span_texts.append(span_text)
        # A span is what a citation should quote; with no key fact in it, no citation of it could support the answer.
        if key_facts and not any(contains_fact(span_text, alternatives) for alternatives in key_facts):
            problems.append(f"{where}: span {span!r} in {source} contains none of the key facts")

    # The province is a property of the document, not of the clause: 002 names Lai Châu only in its footer.
    ordered_docs = list(dict.fromkeys(sources))
    for province, source in zip(provinces, ordered_docs):
        if source in doc_texts and normalize_text(province) not in normalize_text(doc_texts[source]):
            problems.append(f"{where}: province {province!r} does not occur anywhere in {source}")
    province_names = {normalize_text(p) for p in provinces}

    for alternatives in key_facts:
        if any(contains_fact(t, alternatives) for t in span_texts):
            continue
        if province_names & {normalize_text(a) for a in alternatives} and any(
            contains_fact(t, alternatives) for t in doc_texts.values()
        ):
            continue
        problems.append(f"{where}: key fact {alternatives!r} is in none of the gold spans")
    return problems


def validate(items: Sequence[Mapping], corpus_dir: Path) -> list[str]:
    """Every problem found in ``items`` (empty list: the gold set is sound)."""
    corpus = _Corpus(Path(corpus_dir))
    problems: list[str] = []
    seen_ids: set[str] = set()
    seen_questions: dict[str, str] = {}
    for n, item in enumerate(items, start=1):
        where = f"item {n} ({item.get('id', '?')})"
        missing = [k for k in REQUIRED if k not in item]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        unknown = sorted(set(item) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            problems.append(f"{where}: unknown fields {', '.join(unknown)}. "
                            f"Valid fields: {', '.join(REQUIRED + OPTIONAL)}")

        qid = item["id"]
        if not isinstance(qid, str) or not qid:
            problems.append(f"{where}: id must be a non-empty string, got {qid!r}")
        elif qid in seen_ids:
            problems.append(f"{where}: id {qid!r} is used twice")
        question = item["question"]
        if not isinstance(question, str) or not question.strip():
            problems.append(f"{where}: question must be a non-empty string")
        elif question in seen_questions:
            problems.append(f"{where}: same question as {seen_questions[question]}")
        else:
            seen_questions[question] = qid

        kinds = item["kind"]
        if not isinstance(kinds, list) or not kinds:
            problems.append(f"{where}: kind must be a non-empty list, got {kinds!r}")
            kinds = []
        for kind in kinds:
            if kind not in KINDS:
                problems.append(f"{where}: unknown kind {kind!r}. Valid kinds: {', '.join(KINDS)}")
        if len(set(kinds)) != len(kinds):
            problems.append(f"{where}: kind lists a value twice: {kinds!r}")

        follows = item["follows"]
        if follows is not None and follows not in seen_ids:
            problems.append(f"{where}: follows {follows!r}, which is not an earlier id")
        if (follows is not None) != ("follow-up" in kinds):
            problems.append(f"{where}: kind 'follow-up' and a 'follows' id go together (follows={follows!r})")
        if isinstance(qid, str):
            seen_ids.add(qid)

        if item["province"] is not None and not (isinstance(item["province"], str) and item["province"].strip()):
            problems.append(f"{where}: province must be a name or null, got {item['province']!r}")

        answerable = item["answerable"]
        if not isinstance(answerable, bool):
            problems.append(f"{where}: answerable must be true or false, got {answerable!r}")
        elif answerable:
            if "abstain" in kinds:
                problems.append(f"{where}: kind 'abstain' is for unanswerable items only")
            problems.extend(_check_answerable(item, where, corpus))
        else:
            if "abstain" not in kinds:
                problems.append(f"{where}: unanswerable items need kind 'abstain'")
            for field, empty in (("key_facts", []), ("gold_source", None), ("gold_spans", [])):
                if item[field] != empty:
                    problems.append(f"{where}: unanswerable items need {field} = {json.dumps(empty)}, "
                                    f"got {item[field]!r}")
            for field in ("gold_sources", "provinces"):
                if item.get(field):
                    problems.append(f"{where}: unanswerable items have no {field}")
    return problems


def coverage(items: Sequence[Mapping]) -> dict:
    """Counts by kind, by supporting document, and the headline numbers the tests hold minimums for."""
    by_doc: Counter = Counter()
    for item in items:
        for source in dict.fromkeys(item.get("gold_sources")
                                    or ([item["gold_source"]] if item.get("gold_source") else [])):
            by_doc[source] += 1
    return {
        "items": len(items),
        "answerable": sum(1 for i in items if i.get("answerable")),
        "unanswerable": sum(1 for i in items if i.get("answerable") is False),
        "by_kind": dict(sorted(Counter(k for i in items for k in i.get("kind", [])).items())),
        "by_document": dict(sorted(by_doc.items())),
        "by_province": dict(sorted(Counter(str(i.get("province")) for i in items).items())),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.validate_gold", description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_GOLD, help=f"gold JSONL (default {DEFAULT_GOLD})")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"corpus directory (default {DEFAULT_CORPUS})")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"Gold file {str(args.file)!r} does not exist", file=sys.stderr)
        return 1
    items, problems = read_jsonl(args.file)
    try:
        problems += validate(items, args.corpus)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1

    cov = coverage(items)
    print(f"{args.file}: {cov['items']} items ({cov['answerable']} answerable, {cov['unanswerable']} unanswerable)")
    for title, key in (("by kind", "by_kind"), ("by document", "by_document"), ("by province", "by_province")):
        print(f"  {title}:")
        for name, count in cov[key].items():
            print(f"    {name:28s} {count:4d}")
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
