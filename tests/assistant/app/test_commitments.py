"""The commitments tab without a server: it builds inside a page, and what it shows for a choice of filters
(table, comparison, chart, CSV, source passage) is right and escaped."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import gradio as gr
import pytest

from assistant.answer.ledger import Ledger
from assistant.app import commitments as tab
from assistant.app.context import AppContext
from assistant.app.feedback import FeedbackLog
from assistant.settings import Settings
from ingest.document import DocumentMetadata
from tests.assistant.answer.test_ledger import DOCS, make_records

HOSTILE = {"hostile.txt": (
    DocumentMetadata(province="Hà Giang", doc_type="Kế hoạch", number="7/KH-UBND", issue_date="2021-03-01"),
    "KẾ HOẠCH <img src=x onerror=alert(1)>\nTỷ lệ hồ sơ <script>alert('x')</script> xử lý trực tuyến đạt 77% vào "
    "năm 2025.\n",
)}


class FakeService:
    """What the tab uses of AssistantService: the document snapshot and the documents' texts."""

    def __init__(self, records) -> None:
        self.records = records

    def documents(self):
        return sorted(self.records, key=lambda r: r.source)

    def document_texts(self):
        return {r.source: r.text for r in self.records}


def make_ctx(tmp_path: Path, language: str = "vi", docs=DOCS) -> AppContext:
    with gr.Blocks() as demo:
        pass
    return AppContext(service=FakeService(make_records(docs)), settings=Settings(),
                      feedback=FeedbackLog(tmp_path / "feedback.jsonl"), language=language, demo=demo)


@pytest.mark.parametrize(("language", "label"), [("vi", "Cam kết"), ("en", "Commitments")])
def test_the_tab_builds_in_a_page_with_its_parts(tmp_path: Path, language: str, label: str) -> None:
    ctx = make_ctx(tmp_path, language)
    with gr.Blocks() as demo:
        with gr.Tabs():
            tab.build_commitments_tab(replace(ctx, demo=demo))
    config = demo.get_config_file()
    types = [c["type"] for c in config["components"]]
    assert [c["props"]["label"] for c in config["components"] if c["type"] == "tabitem"] == [label]
    assert types.count("dropdown") == 3 and {"dataframe", "downloadbutton", "nativeplot", "html"} <= set(types)
    assert not [d for d in config["dependencies"] if d.get("api_visibility") == "public"]  # no new API


def test_filters_offer_what_the_ledger_holds(tmp_path: Path) -> None:
    provinces, years, topics = tab.filter_choices(tab.ledger_of(make_ctx(tmp_path)), "en")
    assert provinces == [("All", ""), ("Lai Châu", "Lai Châu"), ("Quảng Bình", "Quảng Bình"), ("Sơn La", "Sơn La")]
    assert years == [("All", ""), ("2025", "2025"), ("2030", "2030")]
    assert ("Cutting business regulations and compliance costs", "compliance_cost") in topics


def test_a_choice_of_filters_shows_table_comparison_chart_and_csv(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    view = tab.show(ctx, "", "2025", "compliance_cost")
    assert view.count == "2 chỉ tiêu trong 2 văn bản."
    assert [row[:5] for row in view.table] == [
        [1, "Lai Châu", 2025, "Cắt giảm quy định, chi phí tuân thủ", "tối thiểu 20%"],
        [2, "Quảng Bình", 2025, "Cắt giảm quy định, chi phí tuân thủ", "tối thiểu 20%"]]
    assert view.compare.index("<th>Lai Châu</th>") < view.compare.index("<th>Quảng Bình</th>")
    assert view.compare.count("<b>tối thiểu 20%</b>") == 2
    # the chart's columns are its axis and tooltip titles: the page's words
    assert list(view.chart.columns) == ["Chỉ tiêu", "Giá trị", "Tỉnh, thành phố", "Năm", "Nội dung"]
    assert list(view.chart["Tỉnh, thành phố"]) == ["Lai Châu", "Quảng Bình"]
    assert list(view.chart["Giá trị"]) == [20.0, 20.0]
    assert view.chart_title == "Cắt giảm quy định, chi phí tuân thủ (%)" and view.chart_note == ""
    data = view.csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheet programs then read UTF-8
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["Tỉnh, thành phố"], r["Giá trị"], r["Chủ đề"]) for r in parsed] == [
        ("Lai Châu", "20", "Cắt giảm quy định, chi phí tuân thủ"), ("Quảng Bình", "20", "Cắt giảm quy định, chi phí tuân thủ")]
    assert "compliance_cost" not in data.decode("utf-8-sig") and "province" not in data.decode("utf-8-sig")
    english = list(csv.DictReader(io.StringIO(tab.csv_text(view.rows, "en"))))
    assert [(r["Province"], r["Comparator"], r["Topic"]) for r in english][0] == (
        "Lai Châu", "at least", "Cutting business regulations and compliance costs")
    assert tab.show(ctx, "", "2025", "compliance_cost").csv_path == view.csv_path  # same rows, same file
    assert tab.show(ctx, "Lai Chau", "", "").csv_path != view.csv_path


def test_without_a_topic_the_comparison_asks_for_one_and_no_match_says_so(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "en")
    view = tab.show(ctx, "Sơn La", "", "")
    assert "Choose a topic" in view.compare and view.chart is None and view.count == "Targets: 1, in documents: 1."
    empty = tab.show(ctx, "Sơn La", "2030", "")
    assert empty.rows == [] and empty.count == "No target matches the filters." and empty.csv_path is None
    nothing = make_ctx(tmp_path, "en", docs={})
    assert tab.show(nothing, "", "", "").count == "No targets yet: ingest documents into the index."


def test_the_chart_keeps_one_unit_and_says_what_it_left_out(tmp_path: Path) -> None:
    records = make_records()
    son_la = records[2]
    minutes = replace(son_la.commitments[0], unit="phút", value=15.0, comparator="tối đa")
    ledger = Ledger([*records[:2], replace(son_la, text="", commitments=(*son_la.commitments, minutes))])
    frame, title, note = tab.chart_frame(ledger, "processing_time", "", "en")
    assert list(frame["Value"]) == [25.0] and title == "Processing and waiting time (%)"
    assert note == "The chart shows targets in % only; the table also lists targets in other units (1)."


def test_a_selected_row_shows_its_passage_with_the_quote_marked(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    view = tab.show(ctx, "Lai Châu", "2030", "")
    html = tab.selected_passage(ctx, view.rows, 1)
    text = DOCS["lai_chau.txt"][1]
    row = view.rows[1]
    assert row.quote == text[row.start:row.end] == "Mức độ hài lòng của người dân đạt trên 90%"
    assert '<mark class="cchc-quote">Mức độ hài lòng của người dân đạt trên 90%</mark>' in html
    assert "Kế hoạch 11/KH-UBND" in html and "20/09/2021" in html
    assert tab.selected_passage(ctx, view.rows, 7) == tab.source_hint("vi")  # a stale index: the hint


def test_document_text_is_escaped_everywhere(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, docs={**DOCS, **HOSTILE})
    view = tab.show(ctx, "Hà Giang", "", "online_services")
    (row,) = view.rows
    shown = tab.selected_passage(ctx, view.rows, 0) + view.compare
    assert "<script>" not in shown and "<img" not in shown
    assert "&#60;script&#62;" in shown and '<mark class="cchc-quote">' in shown
    assert row.value == 77.0
