"""`assistant commitments`: the ledger of the sample corpus as a table, JSON and CSV, read from the index
alone (no embedding model), with errors that name the bad value."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.settings import PROJECT_ROOT, Settings
from ingest.load import load_file
from tests.conftest import CORPUS_DIR
from tests.fakes import HashingEmbedder

LAI_CHAU_PLAN = "004_b20915e92c1cf682.txt"
QUANG_BINH_PLAN = "003_66ba4e7d49b2dca2.txt"


@pytest.fixture(scope="module")
def index_env(tmp_path_factory) -> dict[str, str]:
    """The sample corpus ingested once (fake embedder) into a tmp store; the CCHC_* variables that find it."""
    from assistant.pipeline import build_ingestor

    root = tmp_path_factory.mktemp("cli_commitments")
    settings = Settings(chroma_path=root / "chroma", collection="clicommitments")
    report = build_ingestor(settings, embedder=HashingEmbedder()).run([CORPUS_DIR])
    assert len(report.added) == 5, report.summary()
    return {"CCHC_CHROMA_PATH": str(settings.chroma_path), "CCHC_COLLECTION": settings.collection}


@pytest.fixture
def env(index_env: dict[str, str], monkeypatch) -> None:
    for name, value in index_env.items():
        monkeypatch.setenv(name, value)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def corpus_text(source: str) -> str:
    return load_file(CORPUS_DIR / source, 10_000_000).text  # offsets index the decoded text


def test_json_for_a_province_typed_without_diacritics_in_a_process_without_the_model(index_env) -> None:
    # the command as a user runs it; the process must not have imported the embedding stack
    script = ("import sys; from assistant.cli import main; code = main(sys.argv[1:]); "
              "print('heavy:', sorted(m for m in ('sentence_transformers', 'torch') if m in sys.modules), "
              "file=sys.stderr); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, "commitments", "--province", "Lai Chau", "--json"],
                          cwd=PROJECT_ROOT, env={**os.environ, **index_env}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stderr
    rows = json.loads(done.stdout)
    assert rows and {r["province"] for r in rows} == {"Lai Châu"}
    target = [r for r in rows if r["topic"] == "compliance_cost" and "chi phí tuân thủ" in r["metric"]]
    assert [(r["value"], r["unit"], r["comparator"], r["year"], r["source"]) for r in target] == [
        (20.0, "%", "tối thiểu", 2025, LAI_CHAU_PLAN)]
    text = corpus_text(LAI_CHAU_PLAN)
    for r in rows:
        assert text[r["start"]:r["end"]] == r["quote"]


def test_table_of_a_topic_lists_both_provinces_at_20_percent(env, capsys) -> None:
    code, out, _ = run(capsys, "commitments", "--topic", "compliance_cost")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["Province", "Year", "Topic", "Target", "Document", "Metric"]
    costs = [line for line in lines if "chi phí tuân thủ" in line]
    assert [line.split("  ")[0] for line in costs] == ["Lai Châu", "Quảng Bình"]
    assert all("2025" in line and "tối thiểu 20%" in line for line in costs)
    assert lines[-1].startswith("4 commitments in 2 documents")


def test_csv_with_year_and_topic_filters(env, capsys) -> None:
    code, out, _ = run(capsys, "commitments", "--year", "2030", "--topic", "satisfaction", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert [(r["province"], r["year"], r["value"], r["comparator"], r["source"]) for r in rows] == [
        ("Quảng Bình", "2030", "95", "tối thiểu", QUANG_BINH_PLAN)]
    assert corpus_text(QUANG_BINH_PLAN)[int(rows[0]["start"]):int(rows[0]["end"])] == rows[0]["quote"]


def test_errors_and_empty_results_are_one_line_messages(env, capsys) -> None:
    code, _, err = run(capsys, "commitments", "--topic", "weather")
    assert code == 2 and err.startswith("error: Unknown topic 'weather'. Valid topics are: online_services")
    code, _, err = run(capsys, "commitments", "--province", "Atlantis")
    assert code == 2 and err.startswith("error: Unknown province 'Atlantis'")
    code, _, err = run(capsys, "commitments", "--year", "25")
    assert code == 2 and "A year must be a whole number from 1900 to 2100" in err
    code, out, _ = run(capsys, "commitments", "--province", "Hà Nội")
    assert code == 0 and out.startswith("No commitments match. Provinces with commitments: Lai Châu, Quảng Bình")
    with pytest.raises(SystemExit) as exc:
        main(["commitments", "--json", "--csv"])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_an_empty_index_says_how_to_fill_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CCHC_CHROMA_PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("CCHC_COLLECTION", "empty")
    code, out, _ = run(capsys, "commitments")
    assert code == 0 and out.strip() == "No commitments in the index. Run: assistant ingest data/corpus"
    code, out, _ = run(capsys, "commitments", "--json")
    assert json.loads(out) == []
