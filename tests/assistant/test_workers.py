"""Ingest by several worker processes (assistant/workers.py): the shards of one run, and real processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main
from assistant.settings import Settings
from assistant.workers import MIN_FILES_PER_WORKER, first_error, ingest_parallel, merge_reports, worker_count
from ingest.load import Skipped
from tests.conftest import SAMPLE_FILES
from tests.ingest.test_metadata import SAMPLE_METADATA
from vectorstore.chroma import ChromaIndex
from vectorstore.ingestor import Ingestor, IngestReport


@pytest.mark.parametrize(("requested", "n_files", "cpus", "expected"), [
    (0, 5, 2, 1),  # auto: a handful of files is not worth a second model load
    (0, 2 * MIN_FILES_PER_WORKER - 1, 2, 1),
    (0, 2 * MIN_FILES_PER_WORKER, 2, 2),
    (0, 10_000, 2, 2),  # auto: one per core
    (0, 0, 2, 1),
    (4, 3, 2, 3),  # asked for: never more than there are files
    (3, 100, 2, 3),  # asked for: more than the cores is the user's choice
])
def test_worker_count(requested: int, n_files: int, cpus: int, expected: int) -> None:
    assert worker_count(requested, n_files, cpus=cpus) == expected


def test_merged_report_adds_up_the_shards() -> None:
    a = IngestReport(added=["a.md"], unchanged=["c.md"], skipped=[Skipped("x", "empty")], chunks_written=7,
                     seconds=3.0)
    b = IngestReport(added=["b.md"], removed=["old.md"], chunks_written=5, seconds=4.0)
    merged = merge_reports([a, b])
    assert (merged.added, merged.unchanged, merged.removed) == (["a.md", "b.md"], ["c.md"], ["old.md"])
    assert [s.path for s in merged.skipped] == ["x"]
    assert (merged.chunks_written, merged.seconds) == (12, 4.0)


def test_a_worker_that_died_is_reported_as_what_to_do_and_a_workers_own_error_as_it_is() -> None:
    from concurrent.futures.process import BrokenProcessPool

    from ingest.errors import IndexUnavailable, IngestError

    assert first_error([None, None]) is None
    own = IndexUnavailable("the Chroma server at 127.0.0.1:8000 cannot be reached")
    assert first_error([None, own]) is own
    died = first_error([own, BrokenProcessPool("A process in the process pool was terminated abruptly")])
    assert isinstance(died, IngestError)
    assert "run the same ingest again" in str(died) and "--workers" in str(died)


def test_shards_together_do_one_runs_work(ingestor: Ingestor, sample_corpus: Path, tmp_path: Path,
                                          chroma_index: ChromaIndex) -> None:
    (sample_corpus / "empty.txt").write_text("")  # skipped by the shard that loads it
    other = tmp_path / "other"
    other.mkdir()
    (other / SAMPLE_FILES[0]).write_text("Một văn bản khác cùng tên.")  # skipped by discovery, before sharding
    first = ingestor.run([sample_corpus, other], shard=(0, 2))
    second = ingestor.run([sample_corpus, other], shard=(1, 2))
    assert not set(first.added) & set(second.added)
    assert sorted(first.added + second.added) == sorted(SAMPLE_FILES)
    skipped = sorted(str(Path(s.path).relative_to(tmp_path)) for s in first.skipped + second.skipped)
    assert skipped == ["corpus/empty.txt", f"other/{SAMPLE_FILES[0]}"]  # each reported once
    assert {s: r.metadata for s, r in chroma_index.documents().items()} == SAMPLE_METADATA
    assert first.chunks_written + second.chunks_written == chroma_index.count_chunks()
    with pytest.raises(ValueError, match="shard 2 of 2"):
        ingestor.run([sample_corpus], shard=(2, 2))


def test_a_renamed_file_in_another_shard_is_not_a_twin_of_the_name_being_removed(
        ingestor: Ingestor, sample_corpus: Path, chroma_index: ChromaIndex) -> None:
    ingestor.run([sample_corpus])
    old = sample_corpus / "002_ac6b037d9fc896f6.txt"
    old.rename(sample_corpus / "002_renamed.txt")  # third in sorted order: shard 0 of 2 takes it
    renaming = ingestor.run([sample_corpus], sync=True, shard=(0, 2))
    assert (renaming.added, renaming.removed, renaming.skipped) == (["002_renamed.txt"], [old.name], [])
    old_again = sample_corpus / "001_3ae45ea2c423948d.txt"
    old_again.rename(sample_corpus / "001_renamed.txt")  # second: shard 1 takes it, shard 0 removes the old name
    second = ingestor.run([sample_corpus], sync=True, shard=(1, 2))  # before shard 0 has removed it
    assert (second.added, second.removed, second.skipped) == (["001_renamed.txt"], [], [])
    first = ingestor.run([sample_corpus], sync=True, shard=(0, 2))
    assert first.removed == [old_again.name]
    assert set(chroma_index.documents()) == {p.name for p in sample_corpus.iterdir()}


def test_a_refused_sync_is_refused_by_every_shard(ingestor: Ingestor, sample_corpus: Path, tmp_path: Path,
                                                  chroma_index: ChromaIndex) -> None:
    ingestor.run([sample_corpus])
    for k in (0, 1):
        with pytest.raises(Exception, match="--sync needs every given path to exist"):
            ingestor.run([sample_corpus, tmp_path / "missing"], sync=True, shard=(k, 2))
    assert set(chroma_index.documents()) == set(SAMPLE_FILES)


def test_workers_setting_out_of_range_is_named(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CCHC_CHROMA_PATH", str(tmp_path / "chroma"))
    assert main(["ingest", "--workers", "-1", str(tmp_path)]) == 2
    assert "ingest_workers" in capsys.readouterr().err.lower()


@pytest.mark.model
@pytest.mark.slow
def test_two_worker_processes_ingest_the_sample_corpus(sample_corpus: Path, tmp_path: Path) -> None:
    """Real processes, each with the real model, writing one embedded store side by side."""
    import chromadb

    settings = Settings.from_env(chroma_path=tmp_path / "chroma", collection="workers")
    progress, embedded, notices = [], [], []
    report = ingest_parallel(settings, [sample_corpus], workers=2, on_progress=lambda *a: progress.append(a),
                             on_embedded=lambda n, started: embedded.append(n), on_notice=notices.append)
    assert sorted(report.added) == sorted(SAMPLE_FILES) and report.skipped == []
    assert progress[-1][:2] == (5, 5)  # both shards' progress, summed
    assert len(embedded) == 5 and sum(embedded) == report.chunks_written
    index = ChromaIndex(chromadb.PersistentClient(path=str(settings.chroma_path)), "workers",
                        settings.embedding_model)
    assert {s: r.metadata for s, r in index.documents().items()} == SAMPLE_METADATA
    assert index.count_chunks() == report.chunks_written
    again = ingest_parallel(settings, [sample_corpus], workers=2)  # resumable: nothing left to do
    assert sorted(again.unchanged) == sorted(SAMPLE_FILES) and again.chunks_written == 0
