"""Commitments ledger: number parsing, invented sentences in the style of other provinces' documents, and
precision/recall against the hand-labelled list in eval/commitments.gold.jsonl."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.commitments import COMPARATORS, TOPICS, Commitment, extract_commitments, parse_vn_number
from ingest.document import DocumentMetadata, Span

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "corpus"
GOLD = ROOT / "eval" / "commitments.gold.jsonl"
THRESHOLDS = ROOT / "eval" / "commitments_thresholds.json"

# Metadata as the lead's extractor should find it; built by hand so these tests depend on this module only.
CORPUS_METADATA = {
    "000_26a92794eaf00280.txt": DocumentMetadata(
        province="Điện Biên", doc_type="Nghị quyết", number="12-NQ/TU", issue_date="2021-07-29"
    ),
    "001_3ae45ea2c423948d.txt": DocumentMetadata(
        province="Sơn La", doc_type="Nghị quyết", number="03-NQ/TU", issue_date="2021-01-21"
    ),
    "002_ac6b037d9fc896f6.txt": DocumentMetadata(province="Lai Châu", doc_type="Chỉ thị", issue_date="2020-11-20"),
    "003_66ba4e7d49b2dca2.txt": DocumentMetadata(province="Quảng Bình", doc_type="Quyết định", number="3028/QĐ-UBND"),
    "004_b20915e92c1cf682.txt": DocumentMetadata(
        province="Lai Châu", doc_type="Kế hoạch", number="2943/KH-UBND", issue_date="2021-09-20"
    ),
}
PLAN = DocumentMetadata(province="Hà Giang", doc_type="Kế hoạch", number="99/KH-UBND", issue_date="2021-10-01")


def extract(text: str, metadata: DocumentMetadata = PLAN, source: str = "test.txt") -> list[Commitment]:
    text = unicodedata.normalize("NFC", text)
    rows = extract_commitments(text, [Span(0, len(text))], metadata, source)
    for row in rows:
        assert row.quote == text[row.start : row.end]
    return rows


def summary(rows: list[Commitment]) -> list[tuple]:
    return [(r.value, r.value_max, r.unit, r.comparator, r.year) for r in rows]


# ------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("token", "expected"),
    [("2.000", 2000.0), ("0,3", 0.3), ("01", 1.0), ("2.700", 2700.0), ("1.234,5", 1234.5), ("100", 100.0),
     ("3.000.000", 3_000_000.0), ("98.5", 98.5), ("0.8", 0.8)],
)
def test_parse_vn_number(token: str, expected: float) -> None:
    assert parse_vn_number(token) == expected


@pytest.mark.parametrize("token", ["", "abc", "1,2,3", "12.34,5", "1.2.3"])
def test_parse_vn_number_refuses_what_is_not_a_number(token: str) -> None:
    with pytest.raises(ValueError, match="number"):
        parse_vn_number(token)


# --------------------------------------------------------------- invented sentences, other provinces


def test_comparator_families() -> None:
    rows = extract(
        "Mức độ hài lòng của người dân đạt tối thiểu 90%; trên 95% văn bản quy phạm pháp luật được ban hành "
        "đúng quy định; ít nhất 60% hồ sơ được số hoá; khoảng 80% TTHC được cung cấp trực tuyến; "
        "tỷ lệ giao dịch thanh toán trực tuyến đạt từ 30% trở lên; tỷ lệ hồ sơ trễ hạn không quá 2%."
    )
    assert [(r.value, r.comparator) for r in rows] == [
        (90, "tối thiểu"), (95, "trên"), (60, "ít nhất"), (80, "khoảng"), (30, "tối thiểu"), (2, "tối đa")
    ]
    assert [r.topic for r in rows] == [
        "satisfaction", "legal_documents", "digitisation", "online_services", "online_payment", "processing_time"
    ]


def test_reduce_to_at_most_minutes() -> None:
    (row,) = extract("Giảm thời gian chờ đợi của tổ chức, cá nhân xuống còn tối đa 15 phút/01 lượt giao dịch.")
    assert (row.value, row.unit, row.comparator, row.topic) == (15, "phút", "tối đa", "processing_time")
    assert row.quote.startswith("Giảm thời gian chờ đợi") and row.quote.endswith("lượt giao dịch")


def test_enterprises_with_thousands_separator_and_paired_years() -> None:
    rows = extract(
        "Phấn đấu có khoảng 2.000 doanh nghiệp vào năm 2025 và khoảng 3.500 doanh nghiệp vào năm 2030."
    )
    assert summary(rows) == [
        (2000, None, "doanh nghiệp", "khoảng", 2025),
        (3500, None, "doanh nghiệp", "khoảng", 2030),
    ]
    assert {r.topic for r in rows} == {"enterprises"}


def test_paired_percentages_share_the_metric() -> None:
    rows = extract(
        "Tỷ lệ hồ sơ giải quyết trực tuyến đạt 50% vào năm 2025 và đạt 70% vào năm 2030 trên tổng số hồ sơ."
    )
    assert summary(rows) == [(50, None, "%", "đạt", 2025), (70, None, "%", "đạt", 2030)]
    assert rows[1].metric.startswith("Tỷ lệ hồ sơ giải quyết trực tuyến".lower())
    assert rows[1].quote.startswith("Tỷ lệ hồ sơ")  # the quote shows what the 70% is about


def test_pci_rank_and_score_range() -> None:
    rows = extract(
        "Cải thiện PCI, phấn đấu điểm số tăng bình quân 0,5 - 1,0 điểm/năm, nằm trong tốp 10 tỉnh dẫn đầu "
        "khu vực và thuộc nhóm 30 tỉnh đứng đầu cả nước vào năm 2025."
    )
    assert summary(rows) == [
        (0.5, 1.0, "điểm/năm", "", 2025),
        (10, None, "thứ hạng", "", 2025),
        (30, None, "thứ hạng", "", 2025),
    ]
    assert {r.topic for r in rows} == {"pci"}
    assert "tốp" in rows[1].metric and "nhóm" in rows[2].metric


def test_par_index_rank_is_not_pci() -> None:
    (row,) = extract("Chỉ số cải cách hành chính (PAR INDEX) của tỉnh xếp thứ 20 trở lên vào năm 2025.")
    assert (row.value, row.unit, row.topic, row.year) == (20, "thứ hạng", "par_index", 2025)


def test_heading_year_applies_until_the_next_heading_or_section() -> None:
    text = (
        "1. Cải cách thủ tục hành chính\n"
        "a) Chỉ tiêu\n"
        "* Đến năm 2025\n"
        "- 90% TTHC được cung cấp dịch vụ công trực tuyến toàn trình.\n"
        "- Cắt giảm tối thiểu 20% chi phí tuân thủ quy định.\n"
        "* Đến năm 2030\n"
        "- 100% TTHC được cung cấp dịch vụ công trực tuyến toàn trình.\n"
        "b) Nhiệm vụ và giải pháp\n"
        "- Bảo đảm 100% hồ sơ được số hóa.\n"
        "2. Cải cách tổ chức bộ máy\n"
        "- Giảm tối thiểu 10% biên chế hưởng lương từ ngân sách.\n"
    )
    assert [(r.value, r.year) for r in extract(text)] == [(90, 2025), (20, 2025), (100, 2030), (100, None), (10, None)]


def test_inline_heading_with_colon() -> None:
    text = (
        "Mục tiêu đến năm 2025: 80% hồ sơ công việc cấp tỉnh được xử lý trên môi trường mạng; mức độ hài lòng "
        "đạt trên 85%.\nGiai đoạn 2026 - 2030: mức độ hài lòng đạt trên 95%."
    )
    assert [(r.value, r.year, r.topic) for r in extract(text)] == [
        (80, 2025, "e_office"), (85, 2025, "satisfaction"), (95, 2030, "satisfaction")
    ]


def test_a_year_opening_a_paragraph_dates_that_paragraph_only() -> None:
    text = (
        "Phấn đấu đến năm 2025, Chỉ số PAR INDEX của tỉnh đạt trên 85 điểm; tỷ lệ hài lòng đạt 90%.\n"
        "Tỷ lệ hồ sơ giải quyết đúng hạn đạt trên 98%.\n"
        "Năm 2022:\n"
        "- 60% hồ sơ được xử lý trực tuyến.\n"
    )
    assert [(r.value, r.unit, r.year, r.topic) for r in extract(text)] == [
        (85, "điểm", 2025, "par_index"), (90, "%", 2025, "satisfaction"), (98, "%", None, "processing_time"),
        (60, "%", 2022, "online_services"),
    ]


def test_rank_steps_and_baseline_year() -> None:
    (row,) = extract("Chỉ số PCI của tỉnh tăng từ 5 - 10 bậc so với năm 2020.")
    assert (row.value, row.value_max, row.unit, row.year, row.topic) == (5, 10, "bậc", None, "pci")
    assert "so với năm 2020" in row.metric  # a baseline, neither the target year nor a past result


def test_value_without_words_borrows_the_previous_metric() -> None:
    rows = extract("Năm 2025 có 80% số xã đạt chuẩn nông thôn mới; năm 2030 đạt 100%.")
    assert [(r.value, r.year) for r in rows] == [(80, 2025), (100, 2030)]
    assert rows[1].metric == rows[0].metric and rows[1].quote == "năm 2030 đạt 100%"


def test_year_stated_before_the_value() -> None:
    rows = extract("Đến năm 2030, 100% dịch vụ công trực tuyến được cung cấp trên thiết bị di động.")
    assert [(r.value, r.year) for r in rows] == [(100, 2030)]


def test_shared_predicate_and_sublists() -> None:
    rows = extract("100% hồ sơ công việc tại cấp tỉnh và ít nhất 80% hồ sơ công việc tại cấp xã được xử lý "
                   "trên môi trường mạng.")
    assert [(r.value, r.comparator) for r in rows] == [(100, ""), (80, "ít nhất")]
    assert all("được xử lý trên môi trường mạng" in r.metric for r in rows)


@pytest.mark.parametrize(
    "sentence",
    [
        "Nghị quyết đề ra 8 mục tiêu cụ thể và 11 nhóm nhiệm vụ, giải pháp chủ yếu.",
        "Lượt xem: 813",
        "Thực hiện Nghị định số 130/2005/NĐ-CP và Nghị định số 45/2020/NĐ-CP ngày 08/4/2020 của Chính phủ.",
        "Kết quả Chỉ số PCI của tỉnh ở tốp cuối của cả nước (năm 2019 đứng ở vị trí 63/63 tỉnh, thành phố).",
        "Kế hoạch cải cách hành chính giai đoạn 2021-2025, định hướng đến năm 2030.",
        "Điện thoại: 02123.852.224 - Fax: 02123.852.791",
        "Bạn đã không sử dụng Site. Thời gian chờ: 60 giây",
        "Ban hành ngày 20 tháng 9 năm 2021; trực tuyến mức độ 3 và 4 trên cổng dịch vụ công.",
        "Năm 2020, tỷ lệ hồ sơ giải quyết đúng hạn đạt 98%.",  # a past result in a 2021 plan
        "Tỉnh đã đạt 95% hồ sơ được xử lý trực tuyến.",
    ],
)
def test_non_commitments_are_not_extracted(sentence: str) -> None:
    assert extract(sentence) == []


def test_percentages_are_commitments_even_without_a_verb() -> None:
    assert [r.value for r in extract("100% văn bản QPPL được ban hành đúng pháp luật.")] == [100]


def test_offsets_index_the_document_text_and_chrome_outside_body_is_ignored() -> None:
    chrome = "Trang chủ | Tin tức\nTỷ lệ truy cập: đạt 99% thời gian\n"
    content = "Tối thiểu 90% thủ tục hành chính được cung cấp trực tuyến mức độ 4."
    text = chrome + content + "\nTin liên quan\nĐạt 100% doanh nghiệp hài lòng"
    body = [Span(len(chrome), len(chrome) + len(content))]
    (row,) = extract_commitments(text, body, PLAN, "page.txt")
    assert text[row.start : row.end] == row.quote == content.rstrip(".")
    assert (row.province, row.number, row.doc_type, row.issue_date) == ("Hà Giang", "99/KH-UBND", "Kế hoạch", "2021-10-01")


def test_body_span_past_the_text_is_refused() -> None:
    with pytest.raises(ValueError, match="runs past the text"):
        extract_commitments("100% hồ sơ", [Span(0, 50)], PLAN, "x.txt")


def test_old_style_tone_marks_match_too() -> None:
    (row,) = extract("100% kết quả giải quyết TTHC được số hoá và lưu trữ.")
    assert row.topic == "digitisation"


def test_commitment_validates_its_fields_and_serialises() -> None:
    (row,) = extract("Mức độ hài lòng đạt tối thiểu 90% vào năm 2025.")
    data = row.to_dict()
    assert data["value"] == 90 and data["year"] == 2025 and data["comparator"] == "tối thiểu"
    assert set(data) >= {"source", "province", "doc_type", "number", "issue_date", "metric", "value", "value_max",
                         "unit", "comparator", "year", "topic", "quote", "start", "end"}
    with pytest.raises(ValueError, match="Unknown topic 'weather'"):
        Commitment(**{**data, "topic": "weather"})
    with pytest.raises(ValueError, match="Unknown comparator"):
        Commitment(**{**data, "comparator": ">="})
    with pytest.raises(ValueError, match="does not fit its span"):
        Commitment(**{**data, "end": data["end"] + 1})


def test_topics_have_vietnamese_and_english_labels() -> None:
    assert "other" in TOPICS and "online_services" in TOPICS
    for key, labels in TOPICS.items():
        assert labels.keys() == {"vi", "en"} and all(labels.values()), key


def test_text_must_be_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Mức độ hài lòng đạt 90%")
    with pytest.raises(ValueError, match="NFC"):
        extract_commitments(decomposed, [Span(0, len(decomposed))], PLAN, "x.txt")


# ------------------------------------------------------------------------------ hand-labelled corpus


def _norm_unit(unit: str) -> str:
    unit = " ".join(unit.lower().split())
    return {"phần trăm": "%", "điểm / năm": "điểm/năm"}.get(unit, unit)


def _key(row: dict) -> tuple:
    vmax = row["value_max"]
    return (row["source"], round(float(row["value"]), 6), None if vmax is None else round(float(vmax), 6),
            row["year"], _norm_unit(row["unit"]))


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    comparator_accuracy: float
    topic_accuracy: float
    matched: int
    predicted: int
    gold: int


def score(predicted: list[dict], gold: list[dict]) -> tuple[Scores, list[dict], list[dict], list[tuple]]:
    """One-to-one matching on (source, value, value_max, year, unit); comparator and topic scored on matches."""
    if not gold:
        raise ValueError("The gold list is empty: nothing to score against")
    remaining = Counter(_key(g) for g in gold)
    by_key: dict[tuple, list[dict]] = {}
    for g in gold:
        by_key.setdefault(_key(g), []).append(g)
    pairs, extra = [], []
    for p in predicted:
        k = _key(p)
        if remaining[k] > 0:
            remaining[k] -= 1
            pairs.append((p, by_key[k].pop(0)))
        else:
            extra.append(p)
    missed = [g for rows in by_key.values() for g in rows]
    n = len(pairs)
    scores = Scores(
        precision=n / len(predicted) if predicted else 0.0,
        recall=n / len(gold),
        comparator_accuracy=sum(p["comparator"] == g["comparator"] for p, g in pairs) / n if n else 0.0,
        topic_accuracy=sum(p["topic"] == g["topic"] for p, g in pairs) / n if n else 0.0,
        matched=n, predicted=len(predicted), gold=len(gold),
    )
    return scores, extra, missed, pairs


def test_score_counts_each_gold_row_once() -> None:
    g = {"source": "a", "value": 20, "value_max": None, "year": 2025, "unit": "%", "comparator": "", "topic": "other"}
    s, extra, missed, _ = score([g, g], [g])
    assert (s.precision, s.recall, len(extra), len(missed)) == (0.5, 1.0, 1, 0)


def _gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_gold_file_is_well_formed() -> None:
    gold = _gold()
    assert len(gold) >= 40
    assert {g["source"] for g in gold} <= set(CORPUS_METADATA)
    for g in gold:
        assert g["topic"] in TOPICS and g["comparator"] in COMPARATORS, g
        assert g["province"] == CORPUS_METADATA[g["source"]].province, g


def test_precision_and_recall_against_hand_labelled_gold() -> None:
    predicted = []
    for name, metadata in CORPUS_METADATA.items():
        text = (CORPUS / name).read_text(encoding="utf-8")
        # The whole page, chrome included: the cleaner's body spans can only make this easier.
        predicted += [r.to_dict() for r in extract(text, metadata, name)]
    scores, extra, missed, pairs = score(predicted, _gold())
    thresholds = json.loads(THRESHOLDS.read_text(encoding="utf-8"))

    print(
        f"\ncommitments: precision {scores.precision:.3f}, recall {scores.recall:.3f} "
        f"({scores.matched} matched, {scores.predicted} extracted, {scores.gold} gold); "
        f"comparator accuracy {scores.comparator_accuracy:.3f}, topic accuracy {scores.topic_accuracy:.3f}"
    )
    for p in extra:
        print(f"  extra:  {p['source']} {p['value']} {p['unit']} {p['year']} | {p['quote'][:80]}")
    for g in missed:
        print(f"  missed: {g['source']} {g['value']} {g['unit']} {g['year']} | {g['metric'][:80]}")
    for p, g in pairs:
        if (p["comparator"], p["topic"]) != (g["comparator"], g["topic"]):
            print(f"  differs: {p['value']} {p['unit']}: comparator {p['comparator']!r} vs {g['comparator']!r}, "
                  f"topic {p['topic']} vs {g['topic']}")

    for name in ("precision", "recall", "comparator_accuracy", "topic_accuracy"):
        floor = thresholds[name]
        assert 0.85 <= floor <= 1.0, f"threshold {name}={floor} must lie in [0.85, 1]"
        assert getattr(scores, name) >= floor, f"{name} {getattr(scores, name):.3f} fell below {floor}"
