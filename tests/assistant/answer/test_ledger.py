"""The commitments ledger: filters, comparison, CSV, argument errors, storage in the registry, and the
topic of a question. Records are built here from invented documents in the style of the real ones."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from assistant.answer.ledger import (
    CSV_COLUMNS,
    UNITS_EN,
    UNKNOWN_PROVINCE,
    Ledger,
    format_number,
    format_target,
    text_table,
    topic_of_question,
)
from ingest.commitments import _UNITS, COMPARATORS, TOPICS, extract_commitments
from ingest.document import DocumentMetadata, Span
from vectorstore.chroma import ChromaIndex, DocumentRecord

# source → (metadata, text). Lai Châu and Quảng Bình share the compliance-cost clause word for word, as the
# real documents do; Quảng Bình has two satisfaction targets for 2025; the last document has no province.
DOCS: dict[str, tuple[DocumentMetadata, str]] = {
    "lai_chau.txt": (
        DocumentMetadata(province="Lai Châu", doc_type="Kế hoạch", number="11/KH-UBND", issue_date="2021-09-20",
                         title="Kế hoạch cải cách hành chính tỉnh Lai Châu"),
        "KẾ HOẠCH\nCải cách hành chính tỉnh Lai Châu giai đoạn 2021-2030\n1. Chỉ tiêu\n* Đến năm 2025\n"
        "- Cắt giảm tối thiểu 20% chi phí tuân thủ quy định liên quan đến hoạt động kinh doanh.\n"
        "- Tỷ lệ hồ sơ giải quyết trực tuyến trên tổng số hồ sơ đạt tối thiểu 50%.\n* Đến năm 2030\n"
        "- Tỷ lệ hồ sơ giải quyết trực tuyến trên tổng số hồ sơ đạt tối thiểu 80%.\n"
        "- Mức độ hài lòng của người dân đạt trên 90%.\n",
    ),
    "quang_binh.txt": (
        DocumentMetadata(province="Quảng Bình", doc_type="Kế hoạch", number="22/KH-UBND", issue_date="2021-05-10"),
        "KẾ HOẠCH\n1. Mục tiêu đến năm 2025:\n"
        "- Cắt giảm tối thiểu 20% chi phí tuân thủ quy định liên quan đến hoạt động kinh doanh.\n"
        "- Mức độ hài lòng của người dân, doanh nghiệp về giải quyết thủ tục hành chính đạt tối thiểu 90%.\n"
        "- Mức độ hài lòng của người dân, doanh nghiệp về dịch vụ y tế đạt tối thiểu 85%.\n",
    ),
    "son_la.txt": (
        DocumentMetadata(province="Sơn La", doc_type="Nghị quyết", number="33-NQ/TU", issue_date="2021-01-21"),
        "NGHỊ QUYẾT\nCắt giảm ít nhất 25% thời gian giải quyết thủ tục hành chính so với quy định.\n",
    ),
    "unknown.txt": (DocumentMetadata(doc_type="Kế hoạch"), "Tỷ lệ văn bản điện tử được ký số đạt 100% vào năm 2025.\n"),
}


def make_records(docs: dict[str, tuple[DocumentMetadata, str]] = DOCS) -> list[DocumentRecord]:
    records = []
    for source, (metadata, text) in docs.items():
        rows = extract_commitments(text, [Span(0, len(text))], metadata, source)
        records.append(DocumentRecord(source=source, version=f"{source}-v1", metadata=metadata, n_chunks=1,
                                      text=text, commitments=tuple(rows)))
    return records


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger(make_records())


def brief(rows) -> list[tuple]:
    return [(r.province, r.year, r.topic, r.value) for r in rows]


def test_the_invented_documents_give_the_rows_these_tests_rely_on(ledger: Ledger) -> None:
    # ordered by province, year (none last), topic (in TOPICS order), then place in the document
    assert brief(ledger.rows()) == [
        ("Lai Châu", 2025, "online_services", 50.0),
        ("Lai Châu", 2025, "compliance_cost", 20.0),
        ("Lai Châu", 2030, "online_services", 80.0),
        ("Lai Châu", 2030, "satisfaction", 90.0),
        ("Quảng Bình", 2025, "satisfaction", 90.0),
        ("Quảng Bình", 2025, "satisfaction", 85.0),
        ("Quảng Bình", 2025, "compliance_cost", 20.0),
        ("Sơn La", None, "processing_time", 25.0),
        (None, 2025, "e_office", 100.0),
    ]
    assert len(ledger) == 9
    assert ledger.provinces == ["Lai Châu", "Quảng Bình", "Sơn La"]
    assert ledger.years == [2025, 2030]
    assert ledger.topics == ["online_services", "e_office", "satisfaction", "compliance_cost", "processing_time"]


@pytest.mark.parametrize("name", ["Lai Châu", "Lai Chau", "lai chau", "LAI CHÂU", "tỉnh Lai Châu"])
def test_province_is_matched_however_it_is_typed(ledger: Ledger, name: str) -> None:
    rows = ledger.rows(province=name)
    assert {r.province for r in rows} == {"Lai Châu"} and len(rows) == 4


def test_filters_combine(ledger: Ledger) -> None:
    assert brief(ledger.rows(year=2030)) == [("Lai Châu", 2030, "online_services", 80.0),
                                             ("Lai Châu", 2030, "satisfaction", 90.0)]
    assert brief(ledger.rows(topic="compliance_cost")) == [("Lai Châu", 2025, "compliance_cost", 20.0),
                                                           ("Quảng Bình", 2025, "compliance_cost", 20.0)]
    assert brief(ledger.rows(province="Lai Chau", year=2025, topic="online_services")) == [
        ("Lai Châu", 2025, "online_services", 50.0)]
    assert ledger.rows(province="Sơn La", year=2025) == []  # its target has no year: not a 2025 target
    assert ledger.rows(province="Hà Nội") == []  # a real province without documents: empty, not an error


def test_bad_arguments_name_the_value_and_the_valid_ones(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match=r"Unknown topic 'weather'\. Valid topics are: online_services") as exc:
        ledger.rows(topic="weather")
    assert all(key in str(exc.value) for key in TOPICS)
    with pytest.raises(ValueError, match="Unknown province 'Atlantis'"):
        ledger.rows(province="Atlantis")
    for year in ("2025", 25, True, 2025.0):
        with pytest.raises(ValueError, match="A year must be a whole number from 1900 to 2100"):
            ledger.rows(year=year)
    with pytest.raises(ValueError, match="Unknown topic ''"):
        ledger.compare("")


def test_compare_sets_provinces_side_by_side(ledger: Ledger) -> None:
    compared = ledger.compare("compliance_cost")
    assert list(compared) == ["Lai Châu", "Quảng Bình"]
    assert [[r.value for r in rows] for rows in compared.values()] == [[20.0], [20.0]]
    assert {p: [r.value for r in rows] for p, rows in ledger.compare("satisfaction", 2025).items()} == {
        "Quảng Bình": [90.0, 85.0]}
    assert ledger.compare("satisfaction", 2031) == {}
    assert list(ledger.compare("e_office")) == [UNKNOWN_PROVINCE]


def test_csv_has_every_field_and_quotes_that_index_the_text(ledger: Ledger) -> None:
    rows = ledger.rows(topic="satisfaction")
    text = Ledger.to_csv(rows)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [(p["province"], p["year"], p["value"], p["comparator"]) for p in parsed] == [
        ("Lai Châu", "2030", "90", "trên"), ("Quảng Bình", "2025", "90", "tối thiểu"),
        ("Quảng Bình", "2025", "85", "tối thiểu")]
    texts = {source: text for source, (_, text) in DOCS.items()}
    for p in parsed:
        assert texts[p["source"]][int(p["start"]):int(p["end"])] == p["quote"]  # commas in quotes survive
    no_year = list(csv.DictReader(io.StringIO(Ledger.to_csv(ledger.rows(province="Sơn La")))))
    assert no_year[0]["year"] == "" and no_year[0]["value_max"] == ""
    assert Ledger.to_csv([]) == ",".join(CSV_COLUMNS) + "\n"


def test_a_quote_that_does_not_match_the_stored_text_is_a_broken_index() -> None:
    record = make_records()[0]
    broken = replace(record, text=record.text.replace("Cắt giảm", "Giảm bớt"))
    with pytest.raises(ValueError, match="lai_chau.txt: commitment quote at .* does not match"):
        Ledger([broken])
    assert len(Ledger([replace(record, text="")])) == 4  # no text loaded (the CLI): nothing to check


def test_commitments_are_stored_with_the_document_and_read_back(chroma_index: ChromaIndex) -> None:
    records = make_records()
    for record in records:
        chroma_index.commit_document(record)
    stored = chroma_index.documents()
    for record in records:
        assert stored[record.source].commitments == record.commitments
    assert Ledger(stored.values()).rows() == Ledger(records).rows()
    # a record written before commitments were stored (older ingest recipe) reads back with none
    meta = records[0].to_row()
    del meta["commitments"]
    assert DocumentRecord.from_row("old.txt", meta, "").commitments == ()


@pytest.mark.parametrize(("question", "topic"), [
    ("Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?", "compliance_cost"),
    ("Lai Chau cat giam chi phi tuan thu bao nhieu phan tram?", "compliance_cost"),
    ("By how much will Lai Châu cut compliance costs by 2025?", "compliance_cost"),
    ("Tỷ lệ thanh toán trực tuyến của Quảng Bình năm 2030?", "online_payment"),  # before "trực tuyến"
    ("Quảng Bình đặt mục tiêu mức độ hài lòng bao nhiêu?", "satisfaction"),
    ("What citizen satisfaction target does Quảng Bình set?", "satisfaction"),
    ("Điện Biên phấn đấu có bao nhiêu doanh nghiệp vào năm 2025?", "enterprises"),
    ("How many businesses does Điện Biên aim to have by 2025?", "enterprises"),
    ("Dien Bien phan dau PCI nam trong top may?", "pci"),
    ("Nghị quyết 12-NQ/TU do ai ký?", None),
    ("Who signed the plan?", None),
])
def test_topic_of_question(question: str, topic: str | None) -> None:
    assert topic_of_question(question) == topic


def test_targets_read_naturally_in_both_languages(ledger: Ledger) -> None:
    row = ledger.rows(province="Lai Châu", topic="compliance_cost")[0]
    assert format_target(row) == "tối thiểu 20%" and format_target(row, "en") == "at least 20%"
    thousands = replace(row, value=2000.0, unit="doanh nghiệp", comparator="khoảng")
    assert format_target(thousands) == "khoảng 2.000 doanh nghiệp"
    assert format_target(thousands, "en") == "about 2,000 enterprises"
    span = replace(row, value=0.3, value_max=0.8, unit="điểm/năm", comparator="")
    assert format_target(span) == "0,3-0,8 điểm/năm" and format_target(span, "en") == "0.3-0.8 points/year"
    assert format_target(replace(row, value=5.0, unit="thứ hạng", comparator="")) == "thứ hạng 5"
    assert format_number(1234.5, "vi") == "1.234,5" and format_number(1234.5, "en") == "1,234.5"


def test_every_unit_and_comparator_has_an_english_name() -> None:
    from assistant.answer.facts import COMPARATORS_EN

    assert {u.label for u in _UNITS} | {"thứ hạng"} <= set(UNITS_EN)
    assert set(COMPARATORS) - {""} <= set(COMPARATORS_EN)


def test_text_table_fits_the_width_and_keeps_one_line_per_row(ledger: Ledger) -> None:
    rows = ledger.rows(province="Lai Châu")
    table = text_table(rows, width=90)
    lines = table.splitlines()
    assert lines[0].split() == ["Province", "Year", "Topic", "Target", "Document", "Metric"]
    assert len(lines) == 1 + len(rows)
    assert all(len(line) <= 90 for line in lines)
    assert "compliance_cost  tối thiểu 20%  11/KH-UBND  cắt giảm chi phí tuân thủ" in lines[2]
    assert lines[2].endswith("…") and len(lines[2]) == 90  # the metric is cut to the width, not wrapped
    assert "—" in text_table(ledger.rows(province="Sơn La")).splitlines()[1]  # no year
