"""The commitments tab ("Cam kết" / "Commitments"): the ledger of quantified targets with filters, the
provinces side by side for one topic, a chart, a CSV download, and each row's source passage with the
quoted span marked.

A tab function like the others (``(AppContext) -> None``, see ``context.py``). The ledger is rebuilt
from the service's document snapshot on every event (a few hundred rows at most), so documents added on
the admin page or by `assistant ingest` show up here without a restart. Every piece of document text goes through
``app_render`` (escaped, then marked), never into HTML as is.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from assistant.answer.facts import COMPARATORS_EN
from assistant.answer.ledger import CSV_COLUMNS, UNITS_EN, UNKNOWN_PROVINCE, Ledger, format_target, topic_label
from assistant.app.context import AppContext
from assistant.app.render import format_date, passage_html, text_html
from ingest.commitments import Commitment
from ingest.vocab import read_table

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "tab": "Cam kết",
        "intro": "Các chỉ tiêu định lượng trong văn bản của các tỉnh, mỗi dòng kèm đoạn văn bản gốc. Bấm vào một "
                 "dòng để xem đoạn nguồn.",
        "province": "Tỉnh, thành phố", "year": "Năm", "topic": "Chủ đề", "all": "Tất cả",
        "chart_x": "Chỉ tiêu", "chart_y": "Giá trị", "chart_metric": "Nội dung",
        "col_n": "#", "col_province": "Tỉnh, thành phố", "col_year": "Năm", "col_topic": "Chủ đề",
        "col_target": "Chỉ tiêu", "col_metric": "Nội dung", "col_document": "Văn bản",
        "count": "{rows} chỉ tiêu trong {documents} văn bản.",
        "none": "Không có chỉ tiêu nào khớp bộ lọc.",
        "empty": "Chưa có chỉ tiêu nào: hãy nạp văn bản vào chỉ mục.",
        "download": "Tải CSV",
        "source_heading": "Đoạn nguồn",
        "source_hint": "Bấm vào một dòng trong bảng để xem đoạn văn bản gốc.",
        "compare_heading": "So sánh các tỉnh",
        "compare_hint": "Chọn một chủ đề để đặt các tỉnh cạnh nhau.",
        "no_year": "Không nêu năm",
        "chart_title": "{topic} ({unit})",
        "chart_other_units": "Biểu đồ chỉ gồm các chỉ tiêu tính bằng {unit}; {n} chỉ tiêu đơn vị khác "
                             "có trong bảng.",
        "meta_document": "Văn bản", "meta_date": "Ngày ban hành", "meta_file": "Tệp", "meta_target": "Chỉ tiêu",
        "meta_metric": "Nội dung",
    },
    "en": {
        "tab": "Commitments",
        "intro": "Quantified targets in the provinces' documents, each with its original passage. Click a row to "
                 "see its source.",
        "province": "Province", "year": "Year", "topic": "Topic", "all": "All",
        "chart_x": "Target", "chart_y": "Value", "chart_metric": "What is measured",
        "col_n": "#", "col_province": "Province", "col_year": "Year", "col_topic": "Topic",
        "col_target": "Target", "col_metric": "What is measured", "col_document": "Document",
        "count": "Targets: {rows}, in documents: {documents}.",
        "none": "No target matches the filters.",
        "empty": "No targets yet: ingest documents into the index.",
        "download": "Download CSV",
        "source_heading": "Source passage",
        "source_hint": "Click a row of the table to see the original passage.",
        "compare_heading": "Provinces side by side",
        "compare_hint": "Choose a topic to set the provinces side by side.",
        "no_year": "No year stated",
        "chart_title": "{topic} ({unit})",
        "chart_other_units": "The chart shows targets in {unit} only; the table also lists targets in other "
                             "units ({n}).",
        "meta_document": "Document", "meta_date": "Issued", "meta_file": "File", "meta_target": "Target",
        "meta_metric": "What is measured",
    },
}
if set(TEXT["vi"]) != set(TEXT["en"]):
    raise RuntimeError(f"app_commitments: vi and en texts differ in keys: {sorted(set(TEXT['vi']) ^ set(TEXT['en']))}")

# the CSV download's headers in each language (data/csv_headers.tsv), for the ledger's columns
_CSV_HEADERS = {column: {"vi": vi, "en": en}
                for column, vi, en in read_table(Path(__file__).parent / "data" / "csv_headers.tsv", 3)}
if set(_CSV_HEADERS) != set(CSV_COLUMNS):
    raise RuntimeError(f"data/csv_headers.tsv must name exactly the ledger's CSV columns {CSV_COLUMNS}")

COLUMNS = ("col_n", "col_province", "col_year", "col_topic", "col_target", "col_metric", "col_document")
# in pixels, not shares of the screen: on a phone the table scrolls sideways instead of one letter per line
COLUMN_WIDTHS = ["50px", "120px", "70px", "180px", "140px", "380px", "140px"]
CSV_NAME = {"vi": "cam-ket.csv", "en": "commitments.csv"}


def ledger_of(ctx: AppContext) -> Ledger:
    return Ledger(ctx.service.documents(), ctx.service.document_texts())


# --- what each part shows (pure functions: tested without a browser) --------------------------------
def filter_choices(ledger: Ledger, language: str) -> tuple[list, list, list]:
    """(province, year, topic) dropdown choices as (label, value); "" means no filter."""
    everything = TEXT[language]["all"]
    return ([(everything, "")] + [(p, p) for p in ledger.provinces],
            [(everything, "")] + [(str(y), str(y)) for y in ledger.years],
            [(everything, "")] + [(topic_label(t, language), t) for t in ledger.topics])


def filtered(ledger: Ledger, province: str | None, year: str | None, topic: str | None) -> list[Commitment]:
    """The rows for the dropdown values ("" or None: no filter). A stale value raises ValueError."""
    return ledger.rows(province=province or None, year=int(year) if year else None, topic=topic or None)


def table_rows(rows: list[Commitment], language: str) -> list[list[object]]:
    return [[n, r.province or UNKNOWN_PROVINCE, r.year or "", topic_label(r.topic, language),
             format_target(r, language), r.metric, r.number or r.source] for n, r in enumerate(rows, start=1)]


def summary(ledger: Ledger, rows: list[Commitment], language: str) -> str:
    t = TEXT[language]
    if not len(ledger):
        return t["empty"]
    if not rows:
        return t["none"]
    return t["count"].format(rows=len(rows), documents=len({r.source for r in rows}))


def passage(ledger: Ledger, row: Commitment, language: str) -> str:
    """The row's document, target and passage, with the quoted span in <mark>; all text escaped."""
    t = TEXT[language]
    record = ledger.documents.get(row.source)
    m = record.metadata if record else None
    facts = [
        (t["meta_document"], (m.label() if m else "") or row.source),
        (t["meta_date"], format_date(row.issue_date or "", language)),
        (t["meta_file"], f"{row.source} ({row.start}-{row.end})"),
        (t["meta_target"], format_target(row, language)),
        (t["meta_metric"], row.metric),
    ]
    meta = "<br>".join(f"<b>{text_html(k)}:</b> {text_html(v)}" for k, v in facts if v)
    text = ledger.text(row.source)
    if 0 <= row.start < row.end <= len(text) and text[row.start:row.end] == row.quote:
        body = passage_html(text, row.start, row.end)
    else:  # the document text is not in this snapshot: the quote is all there is to show
        body = f'<div class="cchc-passage"><mark class="cchc-quote">{text_html(row.quote)}</mark></div>'
    return f'<div class="cchc-meta">{meta}</div>{body}'


def comparison_html(ledger: Ledger, topic: str | None, year: str | None, language: str) -> str:
    """A table with one column per province and one line per target year; each cell lists the targets."""
    t = TEXT[language]
    if not topic:
        return f'<p class="cchc-notice">{text_html(t["compare_hint"])}</p>'
    by_province = ledger.compare(topic, int(year) if year else None)
    if not by_province:
        return f'<p class="cchc-notice">{text_html(t["none"])}</p>'
    years = sorted({r.year for rows in by_province.values() for r in rows}, key=lambda y: (y is None, y or 0))
    head = "".join(f"<th>{text_html(p)}</th>" for p in by_province)
    lines = []
    for y in years:
        cells = []
        for rows in by_province.values():
            items = [f"<li><b>{text_html(format_target(r, language))}</b> {text_html(r.metric)} "
                     f"<small>({text_html(r.number or r.source)})</small></li>" for r in rows if r.year == y]
            cells.append(f"<td><ul>{''.join(items)}</ul></td>" if items else "<td>—</td>")
        label = str(y) if y is not None else t["no_year"]
        lines.append(f"<tr><th>{text_html(label)}</th>{''.join(cells)}</tr>")
    return ('<div class="cchc-compare-wrap">'
            f'<table class="cchc-compare"><thead><tr><th>{text_html(t["year"])}</th>{head}</tr></thead>'
            f"<tbody>{''.join(lines)}</tbody></table></div>")


def chart_frame(ledger: Ledger, topic: str | None, year: str | None,
                language: str) -> tuple[pd.DataFrame | None, str, str]:
    """(bars, title, note): one bar per target in the topic's most common unit (values in different units
    do not share an axis), and a note saying how many targets were left out for that reason."""
    if not topic:
        return None, "", ""
    rows = [r for rs in ledger.compare(topic, int(year) if year else None).values() for r in rs]
    if not rows:
        return None, "", ""
    unit = Counter(r.unit for r in rows).most_common(1)[0][0]
    shown = [r for r in rows if r.unit == unit]
    t = TEXT[language]
    # the column names are what the chart shows on its axes and in its tooltips: the page's words
    frame = pd.DataFrame({
        t["chart_x"]: [f"{r.province or UNKNOWN_PROVINCE} · {r.year or '—'} · {i}" for i, r in enumerate(shown, 1)],
        t["chart_y"]: [r.value for r in shown],
        t["province"]: [r.province or UNKNOWN_PROVINCE for r in shown],
        t["year"]: [str(r.year or t["no_year"]) for r in shown],
        t["chart_metric"]: [r.metric for r in shown],
    })
    other = len(rows) - len(shown)
    unit_name = UNITS_EN.get(unit, unit) if language == "en" else unit
    note = t["chart_other_units"].format(unit=unit_name, n=other) if other else ""
    return frame, t["chart_title"].format(topic=topic_label(topic, language), unit=unit_name), note


def csv_text(rows: list[Commitment], language: str) -> str:
    """The ledger's CSV (``Ledger.to_csv``) for a reader: headers and topics in the page's language (and in
    English the comparators); values, units and quotes as the documents write them."""
    parsed = list(csv.DictReader(io.StringIO(Ledger.to_csv(rows))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_CSV_HEADERS[c][language] for c in CSV_COLUMNS])
    for record in parsed:
        record["topic"] = topic_label(record["topic"], language)
        if language == "en":
            record["comparator"] = COMPARATORS_EN.get(record["comparator"], record["comparator"]) \
                if record["comparator"] else ""
        writer.writerow([record[c] for c in CSV_COLUMNS])
    return out.getvalue()


def write_csv(ledger: Ledger, rows: list[Commitment], language: str, directory: Path | None = None) -> Path:
    """The rows as a CSV file (UTF-8 with BOM, so spreadsheet programs read the Vietnamese right). Named
    by content: the same rows give the same file, and nothing else is ever overwritten."""
    data = csv_text(rows, language)
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]
    folder = (directory or Path(tempfile.gettempdir()) / "cchc-commitments") / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CSV_NAME[language]
    if not path.exists():
        path.write_text(data, encoding="utf-8-sig")
    return path


@dataclass(frozen=True)
class TabView:
    """Everything the tab shows for one choice of filters."""

    rows: list[Commitment]
    count: str
    table: list[list[object]]
    csv_path: Path | None
    compare: str
    chart: pd.DataFrame | None
    chart_title: str
    chart_note: str


def show(ctx: AppContext, province: str | None, year: str | None, topic: str | None) -> TabView:
    ledger, language = ledger_of(ctx), ctx.language
    rows = filtered(ledger, province, year, topic)
    frame, title, note = chart_frame(ledger, topic, year, language)
    return TabView(rows, summary(ledger, rows, language), table_rows(rows, language),
                   write_csv(ledger, rows, language) if rows else None, comparison_html(ledger, topic, year, language),
                   frame, title, note)


def selected_passage(ctx: AppContext, rows: list[Commitment], index: int) -> str:
    """The passage of the table row at ``index`` (the hint when there is no such row)."""
    if not rows or not 0 <= index < len(rows):
        return source_hint(ctx.language)
    return passage(ledger_of(ctx), rows[index], ctx.language)


def source_hint(language: str) -> str:
    return f'<p class="cchc-notice">{text_html(TEXT[language]["source_hint"])}</p>'


# --- the tab -----------------------------------------------------------------------------------------
def build_commitments_tab(ctx: AppContext) -> None:
    language, t = ctx.language, TEXT[ctx.language]
    provinces, years, topics = filter_choices(ledger_of(ctx), language)
    with gr.Tab(t["tab"], id="commitments") as tab:
        gr.Markdown(t["intro"])
        shown_rows = gr.State([])  # the rows in the table, in order: a selected row index points into it
        with gr.Row():
            province = gr.Dropdown(provinces, value="", label=t["province"], scale=2, elem_id="cchc-cm-province")
            year = gr.Dropdown(years, value="", label=t["year"], scale=1, elem_id="cchc-cm-year")
            topic = gr.Dropdown(topics, value="", label=t["topic"], scale=3, elem_id="cchc-cm-topic")
            download = gr.DownloadButton(t["download"], value=None, scale=1, elem_id="cchc-cm-download")
        count = gr.Markdown(elem_id="cchc-cm-count")
        table = gr.Dataframe(headers=[t[c] for c in COLUMNS], interactive=False, wrap=True,
                             datatype=["number", "str", "str", "str", "str", "str", "str"],
                             column_widths=COLUMN_WIDTHS,
                             elem_id="cchc-commitments")
        gr.Markdown(f"### {t['source_heading']}")
        source = gr.HTML(source_hint(language), elem_id="cchc-cm-source")
        gr.Markdown(f"### {t['compare_heading']}")
        compare = gr.HTML(elem_id="cchc-cm-compare")
        chart = gr.BarPlot(x=t["chart_x"], y=t["chart_y"], color=t["province"],
                           tooltip=[t["province"], t["year"], t["chart_y"], t["chart_metric"]],
                           x_title=t["chart_x"], y_title=t["chart_y"], label=t["compare_heading"], x_label_angle=-30,
                           elem_id="cchc-cm-chart")
        chart_note = gr.Markdown(elem_id="cchc-cm-chart-note")
        outputs = [shown_rows, count, table, download, source, compare, chart, chart_note]

        def _show(prov: str | None, yr: str | None, top: str | None) -> tuple:
            v = show(ctx, prov, yr, top)
            return (v.rows, v.count, v.table, v.csv_path, source_hint(language), v.compare,
                    gr.BarPlot(value=v.chart, title=v.chart_title, visible=v.chart is not None), v.chart_note)

        # .input, not .change: the reload below sets the values itself and shows the result once
        gr.on([province.input, year.input, topic.input], _show, [province, year, topic], outputs,
              api_visibility="private", queue=False)

        def _select(rows: list[Commitment], evt: gr.SelectData) -> str:
            index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            return selected_passage(ctx, rows, index)

        table.select(_select, shown_rows, source, api_visibility="private", queue=False)

        def _reload(prov: str | None, yr: str | None, top: str | None) -> tuple:
            """Fresh choices (documents may have been added); filters that no longer apply are cleared."""
            ctx.service.sync_with_index(wait=True)
            p_choices, y_choices, t_choices = filter_choices(ledger_of(ctx), language)
            prov = prov if prov in [v for _, v in p_choices] else ""
            yr = yr if yr in [v for _, v in y_choices] else ""
            top = top if top in [v for _, v in t_choices] else ""
            return (gr.Dropdown(choices=p_choices, value=prov), gr.Dropdown(choices=y_choices, value=yr),
                    gr.Dropdown(choices=t_choices, value=top), *_show(prov, yr, top))

        for trigger in (tab.select, ctx.demo.load):
            trigger(_reload, [province, year, topic], [province, year, topic, *outputs], api_visibility="private",
                    queue=False)
