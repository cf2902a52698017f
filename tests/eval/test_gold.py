"""The gold set is sound (validate() finds nothing) and covers what the evaluation needs; the validator can fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from eval.validate_gold import DEFAULT_CORPUS, DEFAULT_GOLD, coverage, load_text, main, read_jsonl, validate


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    items, problems = read_jsonl(DEFAULT_GOLD)
    assert problems == []
    return items


def by_id(items: list[dict], qid: str) -> dict:
    return next(i for i in items if i["id"] == qid)


def test_gold_set_has_no_problems(gold):
    assert validate(gold, DEFAULT_CORPUS) == []


def test_corpus_files_are_nfc_utf8_without_crlf():
    # The offsets assume the loader's view of the text equals the bytes decoded as UTF-8.
    for path in sorted(DEFAULT_CORPUS.iterdir()):
        assert load_text(path) == path.read_bytes().decode("utf-8"), path.name


def test_coverage_minimums(gold):
    cov = coverage(gold)
    kinds = cov["by_kind"]
    assert cov["items"] >= 80
    assert cov["unanswerable"] >= 12
    assert kinds.get("english", 0) >= 15
    assert kinds.get("no-diacritics", 0) >= 12
    assert kinds.get("follow-up", 0) >= 8
    assert kinds.get("cross", 0) >= 3
    corpus_files = sorted(p.name for p in DEFAULT_CORPUS.iterdir())
    for name in corpus_files:
        assert cov["by_document"].get(name, 0) >= 2, f"{name} is the gold source of fewer than 2 items"


def test_every_kind_is_used_by_one_of_the_gold_sets(gold, gold_real):
    from eval.validate_gold import KINDS

    assert set(coverage(gold)["by_kind"]) | set(coverage(gold_real)["by_kind"]) == set(KINDS)


# --- the real-document gold set (eval/gold_real.jsonl over data/realdocs) ----------------------------

REAL_GOLD = DEFAULT_GOLD.parent / "gold_real.jsonl"
REAL_CORPUS = DEFAULT_CORPUS.parent / "realdocs"


@pytest.fixture(scope="module")
def gold_real() -> list[dict]:
    items, problems = read_jsonl(REAL_GOLD)
    assert problems == []
    return items


def test_real_gold_set_has_no_problems(gold_real):
    assert validate(gold_real, REAL_CORPUS) == []


def test_real_gold_set_covers_what_the_issue_asks(gold_real):
    n = len(gold_real)
    kinds = coverage(gold_real)["by_kind"]
    documents = {i["gold_source"] for i in gold_real if i["answerable"]}
    assert n >= 150 and len(documents) >= 30
    assert sum(not i["answerable"] for i in gold_real) >= 25
    assert kinds.get("no-diacritics", 0) >= 0.20 * n and kinds.get("english", 0) >= 0.15 * n
    assert kinds.get("descriptive", 0) >= 10 and kinds.get("table", 0) >= 10


def test_real_gold_set_is_split_by_document(gold_real):
    """Tuning sees only dev: no document may have questions in both halves, and both halves are real."""
    split_of: dict[str, set[str]] = {}
    for item in gold_real:
        assert item.get("split") in ("dev", "heldout"), item["id"]
        for source in [item["gold_source"], *item.get("gold_sources", [])]:
            if source:
                split_of.setdefault(source, set()).add(item["split"])
    assert all(len(splits) == 1 for splits in split_of.values()), {d: s for d, s in split_of.items() if len(s) > 1}
    counts = {split: sum(i["split"] == split for i in gold_real) for split in ("dev", "heldout")}
    assert min(counts.values()) >= 0.4 * len(gold_real)


def test_cross_document_compliance_cost_names_both_provinces(gold):
    # The clause is word for word in the Quảng Bình and the Lai Châu plans (DESIGN §1).
    items = [i for i in gold if "cross" in i["kind"] and any("Quảng Bình" in alts for alts in i["key_facts"])]
    assert any(
        set(i.get("gold_sources", [])) == {"003_66ba4e7d49b2dca2.txt", "004_b20915e92c1cf682.txt"}
        and any("Lai Châu" in alts for alts in i["key_facts"])
        for i in items
    )


def test_unanswerable_items_do_not_name_their_key_terms_in_their_province_documents(gold):
    # Spot checks of the "answer lives in another province" items: the term is absent where asked.
    texts = {p.name: load_text(p).lower() for p in DEFAULT_CORPUS.iterdir()}
    son_la, dien_bien = texts["001_3ae45ea2c423948d.txt"], texts["000_26a92794eaf00280.txt"]
    assert "hài lòng" not in son_la and "chi phí tuân thủ" not in son_la and "2030" not in son_la
    assert "hài lòng" not in dien_bien and "chi phí tuân thủ" not in dien_bien and "thanh toán" not in dien_bien
    assert all(i["key_facts"] == [] for i in gold if not i["answerable"])


def test_follow_ups_point_to_earlier_turns(gold):
    order = {item["id"]: n for n, item in enumerate(gold)}
    follow_ups = [i for i in gold if i["follows"]]
    assert len(follow_ups) >= 8
    assert all(order[i["follows"]] < order[i["id"]] for i in follow_ups)


# --- the validator must be able to fail ----------------------------------------------------------------

def mutated(gold: list[dict], qid: str, **changes) -> list[dict]:
    items = copy.deepcopy(gold)
    by_id(items, qid).update(changes)
    return items


def first(gold, pred):
    return next(i["id"] for i in gold if pred(i))


def test_validator_catches_a_key_fact_outside_the_span(gold):
    qid = first(gold, lambda i: i["answerable"] and i["key_facts"] == [["50%"]])
    problems = validate(mutated(gold, qid, key_facts=[["57%"]]), DEFAULT_CORPUS)
    assert any(qid in p and "57%" in p and "none of the gold spans" in p for p in problems)


def test_validator_catches_a_shifted_span(gold):
    qid = first(gold, lambda i: i["answerable"] and i["key_facts"] == [["50%"]])
    start, end = by_id(gold, qid)["gold_spans"][0]
    problems = validate(mutated(gold, qid, gold_spans=[[end + 5, end + 40]]), DEFAULT_CORPUS)
    assert any(qid in p for p in problems)


def test_validator_catches_span_past_end_of_file(gold):
    qid = first(gold, lambda i: i["answerable"])
    problems = validate(mutated(gold, qid, gold_spans=[[0, 10**7]]), DEFAULT_CORPUS)
    assert any("0 <= start < end" in p for p in problems)


def test_validator_catches_duplicate_ids_unknown_kinds_and_bad_follows(gold):
    items = copy.deepcopy(gold)
    items[1]["id"] = items[0]["id"]
    items[2]["kind"] = ["target", "trick"]
    items[3]["follows"] = "q999"
    items[3]["kind"] = items[3]["kind"] + ["follow-up"] if "follow-up" not in items[3]["kind"] else items[3]["kind"]
    problems = validate(items, DEFAULT_CORPUS)
    assert any("used twice" in p for p in problems)
    assert any("unknown kind 'trick'" in p for p in problems)
    assert any("'q999', which is not an earlier id" in p for p in problems)


def test_validator_catches_unanswerable_items_with_answers(gold):
    qid = first(gold, lambda i: not i["answerable"])
    problems = validate(mutated(gold, qid, key_facts=[["90%"]]), DEFAULT_CORPUS)
    assert any(qid in p and "key_facts" in p for p in problems)


def test_validator_catches_missing_source_and_wrong_province(gold):
    qid = first(gold, lambda i: i["answerable"] and not i.get("gold_sources") and i["province"] == "Sơn La")
    problems = validate(mutated(gold, qid, gold_source="999_missing.txt"), DEFAULT_CORPUS)
    assert any("999_missing.txt" in p and "Valid files" in p for p in problems)
    problems = validate(mutated(gold, qid, province="Quảng Bình"), DEFAULT_CORPUS)
    assert any("'Quảng Bình' does not occur" in p for p in problems)


def test_cli_exit_codes(tmp_path: Path, gold, capsys):
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in gold[:5]), encoding="utf-8")
    assert main([str(good)]) == 0
    assert "no problems" in capsys.readouterr().out

    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    assert main([str(bad)]) == 1
    assert "line 6: not valid JSON" in capsys.readouterr().err


def test_oracle_records_score_perfectly(gold):
    """Answers that quote the gold spans (plus the provinces) and cite them must get every headline metric at 1."""
    from eval.metrics import gold_span_triples, summarize

    texts = {p.name: load_text(p) for p in DEFAULT_CORPUS.iterdir()}
    records = []
    for item in gold:
        spans = gold_span_triples(item) if item["answerable"] else []
        quotes = [texts[src][s:e] for src, s, e in spans]
        provinces = item.get("provinces") or [item["province"] or ""]
        records.append({
            "id": item["id"],
            "question": item["question"],
            "answer": " ".join(quotes + provinces) if item["answerable"] else "Không tìm thấy thông tin.",
            "abstained": not item["answerable"],
            "mode": "oracle",
            "latency_s": 0.0,
            "citations": [
                {"n": n, "source": src, "title": "", "province": "", "quote": q, "start": s, "end": e}
                for n, ((src, s, e), q) in enumerate(zip(spans, quotes), start=1)
            ],
            "retrieved": [{"source": src, "start": s, "end": e} for src, s, e in spans],
        })
    summary = summarize(records, gold)
    assert summary["missing_ids"] == []
    for key in ("answer_accuracy", "abstention_accuracy", "abstention_precision", "abstention_recall", "citation_recall"):
        assert summary[key] == 1.0, key
    assert summary["retrieval"]["recall@5"] == 1.0 and summary["retrieval"]["mrr"] == 1.0
    # Every gold span quotes at least one key fact, so citing it counts as support.
    assert summary["citation_precision"] == 1.0
