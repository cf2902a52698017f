"""The real-document gold set's DOCX substitutes (eval/formats.py): the markdown -> DOCX fixture read back by the
project's own DOCX loader, the selection rule, gold spans re-located in the DOCX text, and the runner's index
check accepting the substitutes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest

from assistant.settings import PROJECT_ROOT, Settings
from eval import formats
from eval import run as runner
from eval.metrics import by_format, item_format
from eval.scoring import retrieval_scores
from ingest.load import load_file

MAX_BYTES = 50 * 1024 * 1024

# The shapes legal-text portals publish: a flattened letterhead table ("|" lines between multi-line cells, "|"
# twice ending a row), a heading, bold lines, wrapped paragraphs, dashes, an inline table, a signature table.
PORTAL_MD = """|
**ỦY BAN NHÂN
DÂN **
TỈNH GIA LAI
--------
|
**CỘNG HÒA XÃ
HỘI CHỦ NGHĨA VIỆT NAM**
Độc lập - Tự do - Hạnh phúc
|
|
Số: 12/KH-UBND
|
*Gia Lai, ngày 05 tháng 3 năm 2025*
|

## KẾ HOẠCH

**Cải thiện Chỉ số PCI năm 2025**

**I. MỤC TIÊU**

1. Nâng điểm PCI của tỉnh lên
trên 66 điểm vào năm 2025.
- Giảm 30% thời gian giải quyết thủ tục hành chính;
- Sở Tài chính chủ trì.

| Chỉ tiêu | Năm 2024 | Năm 2025 |
| --- | --- | --- |
| Điểm PCI | 64,2 | 66 |

|
Nơi nhận:
- Như trên;
- Lưu: VT.
|
KT. CHỦ TỊCH
**PHÓ CHỦ TỊCH**
**Nguyễn Văn A**
|
"""

CELLS = ["ỦY BAN NHÂN DÂN", "TỈNH GIA LAI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
         "Số: 12/KH-UBND", "Gia Lai, ngày 05 tháng 3 năm 2025", "Chỉ tiêu", "Năm 2024", "Năm 2025", "Điểm PCI",
         "64,2", "66", "Nơi nhận:", "- Lưu: VT.", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn A"]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


@pytest.fixture
def portal_docx(tmp_path) -> Path:
    md = tmp_path / "kh.md"
    md.write_text(PORTAL_MD, "utf-8")
    return formats.markdown_to_docx(md, tmp_path / "kh.docx")


def test_markdown_becomes_word_headings_tables_and_paragraphs(portal_docx):
    document = docx.Document(str(portal_docx))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["KẾ HOẠCH"]
    assert len(document.tables) == 3  # letterhead, the figures, the signature block
    letterhead, figures, signature = document.tables
    assert [len(r.cells) for r in letterhead.rows] == [2, 2]
    assert [[c.text for c in r.cells] for r in figures.rows] == [["Chỉ tiêu", "Năm 2024", "Năm 2025"],
                                                                 ["Điểm PCI", "64,2", "66"]]
    bold = [p.text for p in document.paragraphs if p.runs and all(r.bold for r in p.runs)]
    assert "Cải thiện Chỉ số PCI năm 2025" in bold and "I. MỤC TIÊU" in bold
    texts = [p.text for p in document.paragraphs]
    assert "1. Nâng điểm PCI của tỉnh lên trên 66 điểm vào năm 2025." in texts  # the portal's wrap undone
    assert "- Giảm 30% thời gian giải quyết thủ tục hành chính;" in texts  # dashes are typed text, kept
    assert not any("*" in t or "|" in t for t in texts)


def test_the_projects_docx_loader_reads_every_heading_and_table_cell(portal_docx):
    text = load_file(portal_docx, MAX_BYTES).text
    for expected in ["KẾ HOẠCH", *CELLS]:
        assert expected in text, expected
    assert "Chỉ tiêu\tNăm 2024\tNăm 2025" in text  # a Word table row: cells separated by tabs
    assert "*" not in text and "|" not in text


def test_a_real_portal_document_round_trips(tmp_path):
    name = "001c610b2efdcf0c.md"
    source = PROJECT_ROOT / "data" / "realdocs" / name
    text = squeeze(load_file(formats.markdown_to_docx(source, tmp_path / formats.docx_name(name)), MAX_BYTES).text)
    blocks = formats.parse_markdown(source.read_text("utf-8"))
    cells = [formats.plain_text(p.text) for b in blocks if isinstance(b, formats.Table)
             for row in b.rows for cell in row for p in cell]
    headings = [b.text for b in blocks if isinstance(b, formats.Paragraph) and b.heading]
    assert len(cells) > 50
    missing = [c for c in cells + headings if squeeze(c) not in text]
    assert missing == []


def test_a_short_row_spans_the_rest_instead_of_adding_empty_cells(tmp_path):
    md = "|\n**STT**\n|\n**Nội dung**\n|\n**Năm 2026**\n|\n|\n**Kế hoạch**\n|\n"
    path = formats.write_docx(formats.parse_markdown(md), tmp_path / "t.docx")
    assert load_file(path, MAX_BYTES).text == "STT\tNội dung\tNăm 2026\nKế hoạch"


# --- which documents -------------------------------------------------------------------------------------


def item(source: str | None, split: str, **more) -> dict:
    return {"id": f"{source}-{split}", "gold_source": source, "split": split, **more}


def test_selection_takes_every_kth_gold_document_of_each_split_by_sorted_name():
    items = [item(f"d{n}.md", "dev") for n in (5, 1, 3, 2, 4)] + [item(f"h{n}.md", "heldout") for n in (2, 1, 3)]
    items += [item(None, "dev"), item("sample.txt", "dev"), item("d1.md", "dev")]  # no source, not markdown, again
    assert formats.docx_selection(items, every=2) == ["d1.md", "d3.md", "d5.md", "h1.md", "h3.md"]
    assert formats.docx_selection(list(reversed(items)), every=2) == formats.docx_selection(items, every=2)
    with pytest.raises(ValueError, match="every must be at least 1"):
        formats.docx_selection(items, every=0)


def test_the_real_gold_set_gets_a_few_docx_documents_in_both_halves():
    items = [json.loads(line) for line in runner.DOCX_GOLD.read_text("utf-8").splitlines() if line.strip()]
    chosen = runner.docx_substitutes()
    assert 5 <= len(chosen) <= 6
    splits = {i["split"] for i in items if i.get("gold_source") in chosen}
    assert splits == {"dev", "heldout"}


# --- gold spans in the DOCX text -----------------------------------------------------------------------


def test_a_span_is_found_again_whatever_the_markup_and_line_wrapping():
    md = "|\n**CHỦ TỊCH**\n**Nguyễn Văn\nA**\n|\n\nĐiểm PCI đạt **66\nđiểm**."
    text = "CHỦ TỊCH\nNguyễn Văn A\nĐiểm PCI đạt 66 điểm."
    start = md.index("Nguyễn")
    found = formats.relocate_span(md, start, md.index("A**") + 1, text)
    assert found is not None and text[found[0]:found[1]] == "Nguyễn Văn A"
    s = md.index("66")
    found = formats.relocate_span(md, s, md.index("điểm**") + 4, text)
    assert text[found[0]:found[1]] == "66 điểm"


def test_of_several_occurrences_the_one_at_the_same_place_is_taken():
    md = "Sở Nội vụ. " + "x" * 100 + " Sở Nội vụ."
    text = "Sở Nội vụ. " + "y" * 100 + " Sở Nội vụ."
    found = formats.relocate_span(md, len(md) - 10, len(md) - 1, text)
    assert found == (len(text) - 10, len(text) - 1)


def test_a_span_that_is_not_in_the_docx_is_dropped_and_said():
    md = "Ngày 05/3/2025. Sở Tài chính chủ trì."
    docx_text = "Ngày 05/3/2025."  # the second sentence lost in conversion
    items = [
        {"id": "q1", "answerable": True, "key_facts": [["05/3/2025"]], "gold_source": "a.md",
         "gold_spans": [[0, 15], [16, 37]]},
        {"id": "q2", "answerable": True, "key_facts": [["Sở Tài chính"]], "gold_source": "a.md",
         "gold_spans": [[16, 37]]},
        {"id": "q3", "answerable": True, "key_facts": [["x"]], "gold_source": "b.md", "gold_spans": [[0, 3]]},
    ]
    remapped = formats.remap_items(items, {"a.md": (md, docx_text)})
    q1, q2, q3 = remapped.items
    assert q1["gold_source"] == "a.docx" and q1["gold_spans"] == [[0, 15]]
    assert q2["gold_source"] == "a.docx" and q2["gold_spans"] == []
    assert q3 == items[2]
    assert remapped.notes == ["q1: gold span 16-37 of a.md not found in a.docx; dropped from its retrieval scores",
                              "q2: gold span 16-37 of a.md not found in a.docx; dropped from its retrieval scores"]
    assert items[0]["gold_source"] == "a.md"  # the loaded items are not changed in place
    # q2 has no retrieval target left: scored on answers and citations, left out of Recall
    record = {"id": "q2", "answer": "Sở Tài chính", "abstained": False, "citations": [], "retrieved": []}
    assert retrieval_scores([(q2, record, [])]) is None


def test_accuracy_is_broken_down_by_the_gold_documents_format():
    def pair(source, right):
        gold = {"id": source, "answerable": source is not None, "key_facts": [["66"]] if source else [],
                "gold_source": source, "gold_spans": [[0, 2]] if source else []}
        answer = {"id": source, "answer": "66" if right else "?", "abstained": source is None,
                  "citations": [{"source": source}]}
        return gold, answer

    pairs = [pair("a.docx", True), pair("b.docx", False), pair("c.md", True), pair(None, True)]
    assert [item_format(g) for g, _ in pairs] == ["docx", "docx", "md", "none"]
    table = by_format(pairs)
    assert table["docx"]["n"] == 2 and table["docx"]["answer_accuracy"] == 0.5
    assert table["md"]["answer_accuracy"] == 1.0 and table["none"]["abstention_accuracy"] == 1.0


# --- the runner -------------------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "realdocs"
    folder.mkdir()
    (folder / "a.md").write_text(PORTAL_MD, "utf-8")
    (folder / "b.md").write_text("# Quyết định\n\nĐiều 1. Ban hành kế hoạch.\n", "utf-8")
    monkeypatch.setattr(runner, "docx_substitutes", lambda: ["a.md"])
    return folder


def versions_of(paths) -> dict[str, str]:
    from ingest.load import discover
    from ingest.prepare import document_version

    files, _ = discover(paths)
    return {p.name: document_version(load_file(p, MAX_BYTES)) for p in files}


def test_the_index_is_built_from_the_docx_substitute_not_its_markdown(corpus, tmp_path):
    paths = runner.corpus_paths([corpus], tmp_path / "docx")
    assert sorted(p.name for p in paths) == ["a.docx", "b.md"]
    assert runner.corpus_paths([PROJECT_ROOT / "data" / "corpus"], tmp_path / "docx") == [
        PROJECT_ROOT / "data" / "corpus"]  # a folder without a selected document is passed whole


def test_gold_index_check_accepts_the_docx_substitutes(corpus, tmp_path):
    max_bytes = Settings().max_file_bytes
    served = versions_of(runner.corpus_paths([corpus], tmp_path / "docx"))
    assert runner.gold_index_problems(served, max_bytes, [corpus]) == []
    as_markdown = versions_of([corpus])  # an index of the markdown: the DOCX is missing, the markdown extra
    problems = runner.gold_index_problems(as_markdown, max_bytes, [corpus])
    assert problems[0].startswith("WARNING: the index lacks a.docx") and "a.md" in problems[-1]


def test_gold_items_of_a_substitute_point_at_the_docx(corpus):
    start = PORTAL_MD.index("**Nguyễn Văn A**")
    items = [{"id": "q", "answerable": True, "key_facts": [["Nguyễn Văn A"]], "gold_source": "a.md",
              "gold_spans": [[start, start + len("**Nguyễn Văn A**")]], "split": "dev"}]
    remapped = runner.gold_items(items, [corpus])
    (moved,) = remapped.items
    docx_text = runner.substitute_texts([corpus])["a.md"][1]
    assert moved["gold_source"] == "a.docx" and remapped.notes == []
    assert docx_text[moved["gold_spans"][0][0]:moved["gold_spans"][0][1]] == "Nguyễn Văn A"
    assert "a.md" in runner.format_note(remapped, "real-dev")


def test_report_and_text_summary_show_the_format_table():
    from types import SimpleNamespace

    from eval.report import format_table

    row = {"n": 2, "answer_accuracy": 0.5, "abstention_accuracy": 1.0, "citation_recall": 1.0}
    run = SimpleNamespace(summary={"by_format": {"docx": row, "md": {**row, "answer_accuracy": 1.0}}})
    lines = format_table(run)
    assert lines[0].startswith("| Format | n | Answer acc.") and "| docx | 2 | 0.500 |" in lines[2]
    assert "| md | 2 | 1.000 |" in lines[3]


def test_a_cross_document_item_keeps_its_sources_parallel_to_its_spans():
    md, other = "Điểm PCI 66.", "Điểm PAR 88."
    item = {"id": "x", "answerable": True, "key_facts": [["66"], ["88"]], "gold_sources": ["a.md", "b.md"],
            "gold_spans": [[0, 12], [0, 12]]}
    moved = formats.remap_items([item], {"a.md": (md, "Điểm PCI 66.")}).items[0]
    assert moved["gold_sources"] == ["a.docx", "b.md"] and moved["gold_spans"] == [[0, 12], [0, 12]]
    lost = formats.remap_items([item], {"a.md": (md, "khác"), "b.md": (other, "khác")})
    assert lost.items[0]["gold_spans"] == [] and lost.items[0]["gold_source"] == "a.docx"
    assert "gold_sources" not in lost.items[0] and len(lost.notes) == 2
