"""The `assistant ingest` and `assistant stats` commands: output, progress, reports and error messages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import assistant.pipeline
from assistant.cli import build_parser, main
from assistant.settings import PROJECT_ROOT
from tests.conftest import SAMPLE_FILES
from tests.fakes import HashingEmbedder
from tests.ingest.test_metadata import SAMPLE_METADATA


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch) -> Path:
    """CCHC_* settings pointing at a tmp store, and the fake embedder behind `build_ingestor`."""
    chroma = tmp_path / "chroma"
    monkeypatch.setenv("CCHC_CHROMA_PATH", str(chroma))
    monkeypatch.setenv("CCHC_COLLECTION", "clitest")
    monkeypatch.setenv("CCHC_INGEST_WORKERS", "1")  # the fake embedder lives in this process only
    monkeypatch.setattr(assistant.pipeline, "build_embedder", lambda settings: HashingEmbedder())
    return chroma


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_prints_a_progress_bar_and_a_final_report(cli_env, sample_corpus: Path, capsys) -> None:
    code, out, err = run(capsys, "ingest", str(sample_corpus))
    assert code == 0
    assert "Ingesting" in err and "5/5" in err  # the bar goes to stderr
    assert "Documents added: 5, updated: 0, unchanged: 0, removed: 0, skipped: 0" in out
    assert "Chunks written: " in out

    code, out, err = run(capsys, "ingest", str(sample_corpus), "--quiet")
    assert code == 0 and "Ingesting" not in err
    assert "Documents added: 0, updated: 0, unchanged: 5" in out


def test_ingest_a_jsonl_library_shows_rates_and_resumes(cli_env, tmp_path: Path, capsys) -> None:
    import lzma

    from tests.conftest import CORPUS_DIR, SAMPLE_FILES

    path = tmp_path / "lib.jsonl.xz"
    with lzma.open(path, "wt", encoding="utf-8") as out:
        for i, name in enumerate(SAMPLE_FILES[:3]):
            out.write(json.dumps({"id": f"d{i}", "text": (CORPUS_DIR / name).read_text("utf-8")}) + "\n")
        out.write("{not json\n")
    code, out, err = run(capsys, "ingest", str(path))
    assert code == 0
    assert "Documents added: 3" in out and f"skipped {path}:4: not valid JSON" in out
    assert "3/3" in err and "doc/s" in err and "chunks/s" in err and "ETA" in err
    code, out, _ = run(capsys, "ingest", str(path), "--quiet")
    assert "Documents added: 0, updated: 0, unchanged: 3" in out


def test_ingest_json_report_and_skipped_paths(cli_env, sample_corpus: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope"
    code, out, _ = run(capsys, "ingest", str(sample_corpus), str(missing), "--json", "--quiet")
    report = json.loads(out)
    assert code == 0
    assert report["added"] == list(SAMPLE_FILES)
    assert report["skipped"] == [{"path": str(missing), "reason": "path does not exist"}]
    assert report["chunks_written"] > 0


def test_ingest_sync_removes_and_refuses_a_missing_path(cli_env, sample_corpus: Path, tmp_path: Path,
                                                        capsys) -> None:
    run(capsys, "ingest", str(sample_corpus), "--quiet")
    (sample_corpus / SAMPLE_FILES[0]).unlink()
    code, out, err = run(capsys, "ingest", str(tmp_path / "typo"), "--sync", "--quiet")
    assert code == 2
    assert err.startswith("error: --sync needs every given path to exist")
    code, out, _ = run(capsys, "ingest", str(sample_corpus), "--sync", "--json", "--quiet")
    assert code == 0 and json.loads(out)["removed"] == [SAMPLE_FILES[0]]


def test_ingest_sync_of_an_empty_folder_refuses_and_removes_nothing(cli_env, sample_corpus: Path, tmp_path: Path,
                                                                     capsys) -> None:
    run(capsys, "ingest", str(sample_corpus), "--quiet")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(capsys, "ingest", str(empty), "--sync", "--quiet")
    assert code == 2 and out == ""
    assert err == (f"error: --sync found no readable supported file in {empty}; refusing to remove the 5 indexed "
                   "documents. Nothing was ingested or removed.\n")
    code, out, _ = run(capsys, "stats", "--json")
    assert len(json.loads(out)["documents"]) == 5


def test_ingest_sync_prints_what_it_removes_and_dry_run_changes_nothing(cli_env, sample_corpus: Path,
                                                                        capsys) -> None:
    run(capsys, "ingest", str(sample_corpus), "--quiet")
    (sample_corpus / SAMPLE_FILES[0]).unlink()
    code, out, err = run(capsys, "ingest", str(sample_corpus), "--sync", "--dry-run")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "Dry run, nothing was changed. Would add: 0, update: 0, remove: 1; unchanged: 4, skipped: 0",
        f"  would remove {SAMPLE_FILES[0]}"]
    code, out, _ = run(capsys, "ingest", str(sample_corpus), "--sync", "--dry-run", "--json")
    assert json.loads(out)["removed"] == [SAMPLE_FILES[0]] and json.loads(out)["dry_run"] is True
    code, out, err = run(capsys, "ingest", str(sample_corpus), "--sync", "--quiet")
    assert code == 0
    assert err == (f"--sync: removing 1 document whose files are not among the given paths: {SAMPLE_FILES[0]}\n")
    assert "removed: 1" in out


def test_ingest_where_every_path_is_skipped_exits_1_with_the_reasons(cli_env, tmp_path: Path, capsys) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    code, out, err = run(capsys, "ingest", str(tmp_path / "empty.txt"), str(tmp_path / "loop.txt"), "--quiet")
    assert code == 1
    assert f"skipped {tmp_path / 'empty.txt'}: {tmp_path / 'empty.txt'} is empty (0 bytes)" in out
    assert f"skipped {tmp_path / 'loop.txt'}: symlink loop (the link leads back to itself)" in out
    assert err == "error: every given path was skipped (2); nothing was ingested\n"


def test_ingest_waits_for_another_ingest_then_gives_up_in_one_line(cli_env, sample_corpus: Path, capsys,
                                                                   monkeypatch) -> None:
    import threading

    from assistant.pipeline import build_index
    from assistant.settings import Settings

    monkeypatch.setenv("CCHC_INGEST_WAIT_S", "1")
    index = build_index(Settings.from_env())
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with index.lease(since="2025-06-01T08:00:00+07:00"):
            held.set()
            done.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(30)
    try:
        code, out, err = run(capsys, "ingest", str(sample_corpus), "--quiet")
    finally:
        done.set()
        thread.join()
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("another ingest is running (pid ") and lines[0].endswith(
        "since 2025-06-01T08:00:00+07:00); waiting…")
    assert lines[1].startswith("error: another ingest is running (pid ") and lines[1].endswith(
        "and has held the index for more than 1 s; this run wrote nothing more. Try again when it has finished "
        "(or raise CCHC_INGEST_WAIT_S).")
    assert len(lines) == 2


def test_check_a_healthy_index_then_a_damaged_one_then_repair(cli_env, sample_corpus: Path, capsys) -> None:
    from assistant.pipeline import build_index
    from assistant.settings import Settings

    run(capsys, "ingest", str(sample_corpus), "--quiet")
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert out.splitlines()[0].startswith("Checked 5 documents, ")
    assert out.splitlines()[1].startswith("OK: the registry and the stored chunks agree")
    index = build_index(Settings.from_env())
    victim = SAMPLE_FILES[2]
    index.delete_stale_chunks(victim, keep_version="gone")  # its chunks vanish, its record stays
    code, out, _ = run(capsys, "check", "--full")
    assert code == 1
    assert f"  problem: {victim}: registered " in out and "`assistant check --repair`" in out
    code, out, _ = run(capsys, "check", "--repair", "--json")
    report = json.loads(out)
    assert code == 0 and report["healthy"] is True and report["problems"] == []
    assert report["repair"]["found"][0].startswith(f"{victim}: registered ")
    assert report["repair"]["actions"][0].startswith(f"re-ingested {victim} from the text the registry keeps")
    code, out, _ = run(capsys, "check", "--full", "--json")
    assert code == 0 and json.loads(out)["vectors_checked"] == json.loads(out)["chunks"]


def test_stats_json_lists_every_document_with_its_metadata(cli_env, sample_corpus: Path, capsys) -> None:
    _, out, _ = run(capsys, "ingest", str(sample_corpus), "--json", "--quiet")
    written = json.loads(out)["chunks_written"]
    code, out, _ = run(capsys, "stats", "--json")
    stats = json.loads(out)
    assert code == 0
    assert stats["chunks"] == written
    assert [d["source"] for d in stats["documents"]] == list(SAMPLE_FILES)
    for row in stats["documents"]:
        assert {k: row[k] for k in SAMPLE_METADATA[row["source"]].to_dict()} == SAMPLE_METADATA[row["source"]].to_dict()
        assert row["chunks"] > 0 and row["ingested_at"]


def test_stats_text(cli_env, sample_corpus: Path, capsys) -> None:
    run(capsys, "ingest", str(sample_corpus), "--quiet")
    code, out, _ = run(capsys, "stats")
    assert code == 0
    assert "004_b20915e92c1cf682.txt  chunks=" in out
    assert "Lai Châu | Kế hoạch 2943/KH-UBND | 2021-09-20 | 2021-2030 | Trần Tiến Dũng" in out
    assert out.rstrip().splitlines()[-1].startswith("5 documents, ")


def test_stats_on_an_empty_index_says_what_to_do(cli_env, capsys) -> None:
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "No documents ingested yet. Run: assistant ingest data/corpus" in out
    code, out, _ = run(capsys, "stats", "--json")
    assert json.loads(out) == {"documents": [], "chunks": 0}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CCHC_CHUNK_TOKENS", "10", "error: Setting chunk_tokens must be at least 32. Currently it is 10."),
        ("CCHC_CHUNK_TOKENS", "many", "error: Setting CCHC_CHUNK_TOKENS must be a"),
        ("CCHC_CHUNKTOKENS", "100", "error: Unknown setting 'CCHC_CHUNKTOKENS'. Valid settings are: "),
    ],
)
def test_bad_settings_are_one_line_errors(cli_env, sample_corpus: Path, monkeypatch, capsys,
                                          variable: str, value: str, message: str) -> None:
    monkeypatch.setenv(variable, value)
    code, out, err = run(capsys, "ingest", str(sample_corpus))
    assert code == 2 and out == ""
    assert err.startswith(message) and len(err.strip().splitlines()) == 1


def test_ingest_needs_a_path() -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["ingest"])
    assert exc.value.code == 2


def test_the_installed_command_reads_the_same_index(cli_env, sample_corpus: Path, capsys) -> None:
    """`assistant stats` as a separate process, through the installed entry point."""
    run(capsys, "ingest", str(sample_corpus), "--quiet")
    env = {"PATH": "/usr/bin:/bin", "CCHC_CHROMA_PATH": str(cli_env), "CCHC_COLLECTION": "clitest"}
    out = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "assistant"), "stats", "--json"], env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    assert [d["province"] for d in json.loads(out.stdout)["documents"]] == [
        SAMPLE_METADATA[n].province for n in SAMPLE_FILES]
