"""Tests for ingest/jsonl.py and the JSONL source in ingest/load.py: one document per line, streamed."""

from __future__ import annotations

import gzip
import json
import lzma
import unicodedata
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.jsonl import JsonlFile
from ingest.load import discover, load_file

LIMIT = 20 * 1024 * 1024
TEXT = "# Kế hoạch cải cách hành chính\n\nỦy ban nhân dân tỉnh Lai Châu ban hành kế hoạch năm 2025."


def line(doc_id: object, text: object = TEXT) -> str:
    return json.dumps({"id": doc_id, "text": text}, ensure_ascii=False)


def write_jsonl(path: Path, lines: list[str]) -> Path:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    opener = {".gz": gzip.open, ".xz": lzma.open}.get(path.suffix, open)
    with opener(path, "wb") as out:
        out.write(data)
    return path


@pytest.mark.parametrize("name", ["lib.jsonl", "lib.jsonl.gz", "lib.jsonl.xz"])
def test_each_line_is_a_document_named_by_its_id(tmp_path: Path, name: str) -> None:
    path = write_jsonl(tmp_path / name, [line("a1"), line("b2", "Đoạn 2\r\nDòng tiếp"), line("c3.md")])
    files, skipped = discover([path])
    assert skipped == []
    assert [f.name for f in files] == ["a1.md", "b2.md", "c3.md"]
    docs = [load_file(f, LIMIT) for f in files]
    assert docs[0].text == TEXT and docs[0].source == "a1.md" and docs[0].encoding == "jsonl"
    assert docs[1].text == "Đoạn 2\nDòng tiếp"  # the loader's one normalisation, as for files
    assert docs[1].path == f"{path}:2 (b2)"


def test_texts_are_normalised_to_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", TEXT)
    files, _ = discover([write_jsonl(tmp_path / "l.jsonl", [line("x", decomposed)])])
    assert load_file(files[0], LIMIT).text == TEXT


def test_bad_lines_are_named_by_line_number_and_skipped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "l.jsonl", [
        line("ok1"),
        '{"id": "broken", "text": ',  # 2: broken JSON: its id cannot be known
        json.dumps(["not", "an", "object"]),  # 3
        json.dumps({"text": "no id"}),  # 4
        line("ok1"),  # 5: the id again
        line("no-text", None),  # 6: id known, text unusable
        "",  # 7: blank, ignored
        line("../etc"),  # 8: not a file name
        line("ok2"),  # 9
    ])
    files, skipped = discover([path])
    assert [f.name for f in files] == ["ok1.md", "no-text.md", "ok2.md"]
    by_where = {s.path: s for s in skipped}
    assert set(by_where) == {f"{path}:{n}" for n in (2, 3, 4, 5, 8)}
    assert "not valid JSON" in by_where[f"{path}:2"].reason and by_where[f"{path}:2"].unreadable
    assert "already appears on line 1" in by_where[f"{path}:5"].reason and not by_where[f"{path}:5"].unreadable
    assert "file name" in by_where[f"{path}:8"].reason
    with pytest.raises(IngestError, match=rf'{path}:6: no "text"'):
        load_file(files[1], LIMIT)
    assert load_file(files[2], LIMIT).source == "ok2.md"  # a bad line does not stop the lines after it


def test_a_truncated_compressed_file_keeps_the_lines_before_and_is_unreadable_after(tmp_path: Path) -> None:
    whole = write_jsonl(tmp_path / "full.jsonl.xz", [line(f"d{i}", TEXT * 20) for i in range(200)])
    cut = tmp_path / "cut.jsonl.xz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    files, skipped = discover([cut])
    assert 0 < len(files) < 200
    assert len(skipped) == 1 and skipped[0].unreadable and "the rest of the file was not looked at" in skipped[0].reason


def test_a_text_over_the_size_limit_is_refused_with_its_line(tmp_path: Path) -> None:
    files, _ = discover([write_jsonl(tmp_path / "l.jsonl", [line("big", "x" * 2000)])])
    with pytest.raises(IngestError, match=r"l.jsonl:1 \(big\) is .*over the size limit"):
        load_file(files[0], 1000)


def test_texts_are_read_forward_in_one_pass(tmp_path: Path, monkeypatch) -> None:
    path = write_jsonl(tmp_path / "l.jsonl.gz", [line(f"d{i}", f"{TEXT} {i}") for i in range(50)])
    files, _ = discover([path])
    opened = []
    real_open = JsonlFile._open
    monkeypatch.setattr(JsonlFile, "_open", lambda self: opened.append(1) or real_open(self))
    assert [load_file(f, LIMIT).text for f in files] == [f"{TEXT} {i}" for i in range(50)]
    assert len(opened) == 1  # streamed: never re-read from the start, never held whole
    assert load_file(files[3], LIMIT).text == f"{TEXT} 3"  # going back re-opens the file
    assert len(opened) == 2


def test_jsonl_files_inside_folders_are_not_taken(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    write_jsonl(tmp_path / "docs" / "lib.jsonl", [line("a")])
    (tmp_path / "docs" / "x.md").write_text(TEXT, "utf-8")
    files, _ = discover([tmp_path / "docs"])
    assert [f.name for f in files] == ["x.md"]


def test_an_id_clashing_with_a_file_name_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(TEXT, "utf-8")
    path = write_jsonl(tmp_path / "l.jsonl", [line("a"), line("b")])
    files, skipped = discover([tmp_path / "a.md", path])
    assert [f.name for f in files] == ["a.md", "b.md"]
    assert skipped[0].path == f"{path}:1 (a)" and "same name" in skipped[0].reason


def test_an_empty_jsonl_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", "utf-8")
    files, skipped = discover([path])
    assert files == [] and "holds no document" in skipped[0].reason
