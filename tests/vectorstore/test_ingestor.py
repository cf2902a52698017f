"""Ingest runs: idempotence, updates, --sync, bad input, and crash safety (simulated, then a real SIGKILL)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from assistant.pipeline import build_ingestor
from assistant.settings import PROJECT_ROOT, Settings
from ingest.errors import IngestError
from tests.conftest import CORPUS_DIR, SAMPLE_FILES
from tests.fakes import HashingEmbedder
from tests.ingest.test_load import lock  # noqa: F401  (a fixture)
from tests.ingest.test_metadata import SAMPLE_METADATA
from vectorstore.chroma import ChromaIndex
from vectorstore.ingestor import Ingestor


def snapshot(index: ChromaIndex) -> dict[str, tuple]:
    """What the index serves: chunk id → (text, start, end, heading path, metadata), and nothing else."""
    return {
        s.chunk.chunk_id: (s.chunk.text, s.chunk.start, s.chunk.end, s.chunk.heading_path, s.chunk.metadata)
        for s in index.served_chunks()
    }


def by_source(snap: dict[str, tuple], source: str) -> dict[str, tuple]:
    return {cid: v for cid, v in snap.items() if cid.startswith(source + "::")}


# --- a normal run ----------------------------------------------------------------------------------


def test_ingesting_the_sample_corpus(ingestor: Ingestor, sample_corpus: Path, chroma_index: ChromaIndex) -> None:
    calls = []
    report = ingestor.run([sample_corpus], on_progress=lambda *a: calls.append(a))
    assert report.added == list(SAMPLE_FILES)
    assert (report.updated, report.unchanged, report.removed, report.skipped) == ([], [], [], [])
    docs = chroma_index.documents(with_text=True)
    assert {s: r.metadata for s, r in docs.items()} == SAMPLE_METADATA  # stored metadata = the pinned table
    served = chroma_index.served_chunks()
    assert report.chunks_written == len(served) == chroma_index.count_chunks() == sum(r.n_chunks for r in docs.values())
    for stored in served:
        c = stored.chunk
        assert c.metadata == SAMPLE_METADATA[c.source]  # every chunk carries its document's metadata
        assert docs[c.source].text[c.start : c.end] == c.text
        assert stored.keyword_fields["seg"] and stored.keyword_fields["plain"]
    assert calls == [(i, 5, name) for i, name in enumerate(SAMPLE_FILES)] + [(5, 5, "")]
    assert "Documents added: 5, updated: 0, unchanged: 0, removed: 0, skipped: 0" in report.summary()


def test_embedding_and_keyword_text_carry_the_context(ingestor: Ingestor, sample_corpus: Path,
                                                       fake_embedder: HashingEmbedder,
                                                       chroma_index: ChromaIndex) -> None:
    ingestor.run([sample_corpus / "004_b20915e92c1cf682.txt"])
    embedded = [t for batch in fake_embedder.calls for t in batch]
    target = next(t for t in embedded if "Cắt giảm, đơn giản hóa tối thiểu 20% số quy định" in t)
    assert target.startswith("Tỉnh Lai Châu | Kế hoạch 2943/KH-UBND (20/09/2021), Lai Châu | II. NỘI DUNG")
    stored = next(s for s in chroma_index.served_chunks() if "đơn giản hóa tối thiểu 20%" in s.chunk.text)
    assert "lai_chau" in stored.keyword_fields["plain"] and "2025" in stored.keyword_fields["plain"]


def test_reingesting_unchanged_files_adds_and_removes_nothing(ingestor: Ingestor, sample_corpus: Path,
                                                             chroma_index: ChromaIndex,
                                                             fake_embedder: HashingEmbedder) -> None:
    ingestor.run([sample_corpus])
    before, registry = snapshot(chroma_index), chroma_index.documents()
    fake_embedder.calls.clear()
    report = ingestor.run([sample_corpus])
    assert report.unchanged == list(SAMPLE_FILES)
    assert (report.added, report.updated, report.removed, report.chunks_written) == ([], [], [], 0)
    assert fake_embedder.calls == []  # nothing was even embedded
    assert snapshot(chroma_index) == before
    assert chroma_index.documents() == registry  # same versions, same ingested_at
    assert chroma_index.count_chunks() == len(before)


def test_a_changed_file_replaces_exactly_its_own_chunks(ingestor: Ingestor, sample_corpus: Path,
                                                        chroma_index: ChromaIndex) -> None:
    ingestor.run([sample_corpus])
    before = snapshot(chroma_index)
    changed = sample_corpus / "003_66ba4e7d49b2dca2.txt"
    changed.write_text(changed.read_text("utf-8").replace("tối thiểu 20% chi phí", "tối thiểu 25% chi phí"), "utf-8")
    report = ingestor.run([sample_corpus])
    assert report.updated == [changed.name] and report.added == [] and len(report.unchanged) == 4
    after = snapshot(chroma_index)
    for name in SAMPLE_FILES:
        if name != changed.name:
            assert by_source(after, name) == by_source(before, name)
    new_version = chroma_index.document(changed.name).version
    new = by_source(after, changed.name)
    assert new and all(cid.split("::")[1] == new_version for cid in new)
    assert not set(new) & set(before)
    assert any("tối thiểu 25% chi phí" in v[0] for v in new.values())
    assert chroma_index.count_chunks() == len(after)  # the old version's chunks are gone
    assert report.chunks_written == len(new)


def test_sync_removes_documents_whose_files_are_gone(ingestor: Ingestor, sample_corpus: Path,
                                                     chroma_index: ChromaIndex) -> None:
    ingestor.run([sample_corpus])
    gone = sample_corpus / "001_3ae45ea2c423948d.txt"
    gone.unlink()
    assert ingestor.run([sample_corpus]).removed == []  # without --sync nothing is removed
    assert gone.name in chroma_index.documents()
    report = ingestor.run([sample_corpus], sync=True)
    assert report.removed == [gone.name] and len(report.unchanged) == 4
    assert gone.name not in chroma_index.documents()
    assert all(s.chunk.source != gone.name for s in chroma_index.served_chunks())
    assert chroma_index.count_chunks() == len(chroma_index.served_chunks())


def test_sync_follows_a_renamed_file(ingestor: Ingestor, sample_corpus: Path, chroma_index: ChromaIndex) -> None:
    ingestor.run([sample_corpus])
    old = sample_corpus / "002_ac6b037d9fc896f6.txt"
    old.rename(sample_corpus / "002_renamed.txt")
    report = ingestor.run([sample_corpus], sync=True)
    assert (report.removed, report.added) == ([old.name], ["002_renamed.txt"])
    assert chroma_index.document("002_renamed.txt").metadata.province == "Lai Châu"


def test_sync_with_a_missing_path_refuses_and_removes_nothing(ingestor: Ingestor, sample_corpus: Path,
                                                              chroma_index: ChromaIndex, tmp_path: Path) -> None:
    ingestor.run([sample_corpus])
    before = snapshot(chroma_index)
    typo = tmp_path / "corpsu"
    with pytest.raises(IngestError, match=f"--sync needs every given path to exist; not found: {typo}"):
        ingestor.run([typo], sync=True)
    assert snapshot(chroma_index) == before


def test_sync_refuses_folders_without_a_readable_supported_file(ingestor: Ingestor, sample_corpus: Path,
                                                                 chroma_index: ChromaIndex, tmp_path: Path) -> None:
    ingestor.run([sample_corpus])
    before = snapshot(chroma_index)
    empty, other = tmp_path / "empty", tmp_path / "other"
    empty.mkdir()
    other.mkdir()
    (other / "notes.odt").write_bytes(b"x")  # files, but none of a supported type
    for folders in ([empty], [empty, other]):
        given = ", ".join(map(str, folders))
        with pytest.raises(IngestError, match=re.escape(f"--sync found no readable supported file in {given}; "
                                                        "refusing to remove the 5 indexed documents. Nothing was "
                                                        "ingested or removed.")):
            ingestor.run(folders, sync=True)
    assert snapshot(chroma_index) == before


def test_sync_refuses_when_a_folder_cannot_be_read(ingestor: Ingestor, sample_corpus: Path,
                                                   chroma_index: ChromaIndex, lock) -> None:  # noqa: F811
    ingestor.run([sample_corpus])
    before = snapshot(chroma_index)
    sub = sample_corpus / "older"
    sub.mkdir()
    (sample_corpus / SAMPLE_FILES[0]).rename(sub / SAMPLE_FILES[0])  # its document's file is in there
    lock(sub)
    with pytest.raises(IngestError, match=rf"--sync needs every folder to be readable, or documents whose files "
                                          rf"are in there would be removed; 1 could not be read \({sub}: folder cannot "
                                          r"be read \(Permission denied\).*Nothing was ingested or removed\."):
        ingestor.run([sample_corpus], sync=True)
    with pytest.raises(IngestError, match=rf"--sync needs every folder to be readable.*\({sub}: cannot be read: "
                                          r"permission denied"):
        ingestor.run([sub], sync=True)
    assert snapshot(chroma_index) == before
    report = ingestor.run([sample_corpus])  # without --sync: the rest is ingested, the folder reported
    assert len(report.unchanged) == 4 and [s.path for s in report.skipped] == [str(sub)]


def test_sync_says_what_it_removes_before_removing(ingestor: Ingestor, sample_corpus: Path,
                                                   chroma_index: ChromaIndex) -> None:
    ingestor.run([sample_corpus])
    (sample_corpus / SAMPLE_FILES[1]).unlink()
    said: list[tuple[str, bool]] = []
    report = ingestor.run([sample_corpus], sync=True,
                          on_notice=lambda text: said.append((text, SAMPLE_FILES[1] in chroma_index.documents())))
    assert said == [(f"--sync: removing 1 document whose files are not among the given paths: {SAMPLE_FILES[1]}",
                     True)]  # said while the document was still there
    assert report.removed == [SAMPLE_FILES[1]]


def test_a_dry_run_prints_the_plan_and_changes_nothing(ingestor: Ingestor, sample_corpus: Path,
                                                       chroma_index: ChromaIndex, fake_embedder: HashingEmbedder) -> None:
    first = ingestor.run([sample_corpus], dry_run=True)
    assert first.added == list(SAMPLE_FILES) and chroma_index.documents() == {} and chroma_index.count_chunks() == 0
    ingestor.run([sample_corpus])
    before, registry = snapshot(chroma_index), chroma_index.documents()
    changed = sample_corpus / SAMPLE_FILES[2]
    changed.write_text(changed.read_text("utf-8") + "\nCâu mới.\n", "utf-8")
    (sample_corpus / SAMPLE_FILES[0]).rename(sample_corpus / "000_renamed.txt")
    (sample_corpus / "new.txt").write_text("Kế hoạch cải cách hành chính tỉnh Sơn La năm 2024.\nCắt giảm 10% chi phí.\n",
                                           "utf-8")
    fake_embedder.calls.clear()
    plan = ingestor.run([sample_corpus], sync=True, dry_run=True)
    assert (plan.added, plan.updated, plan.removed) == (["000_renamed.txt", "new.txt"], [SAMPLE_FILES[2]],
                                                        [SAMPLE_FILES[0]])
    assert plan.unchanged == list(SAMPLE_FILES[1:2] + SAMPLE_FILES[3:]) and plan.chunks_written == 0
    assert fake_embedder.calls == []  # nothing was embedded
    assert snapshot(chroma_index) == before and chroma_index.documents() == registry
    lines = plan.summary().splitlines()
    assert lines[0] == "Dry run, nothing was changed. Would add: 2, update: 1, remove: 1; unchanged: 3, skipped: 0"
    assert lines[1:] == ["  would add 000_renamed.txt", "  would add new.txt", f"  would update {SAMPLE_FILES[2]}",
                         f"  would remove {SAMPLE_FILES[0]}"]
    assert plan.to_dict()["dry_run"] is True
    done = ingestor.run([sample_corpus], sync=True)  # the plan is what a real run does
    assert (done.added, done.updated, done.removed) == (plan.added, plan.updated, plan.removed)


def test_a_file_with_a_few_invalid_bytes_is_ingested_with_a_note(ingestor: Ingestor, sample_corpus: Path,
                                                                 chroma_index: ChromaIndex, tmp_path: Path) -> None:
    data = (sample_corpus / SAMPLE_FILES[3]).read_bytes()
    cut = data.index(b"\n", 500)
    damaged = tmp_path / "damaged.txt"
    damaged.write_bytes(data[:cut] + b"\x96\x97" + data[cut:])  # two Windows dashes in a UTF-8 file
    report = ingestor.run([damaged])
    assert report.added == ["damaged.txt"] and report.skipped == []
    assert [(n.path, n.reason) for n in report.notes] == [(str(damaged), (
        f"2 invalid UTF-8 bytes replaced by U+FFFD (at byte offsets {cut}, {cut + 1}); the rest is valid UTF-8. "
        "Fix the file and ingest it again to index those characters"))]
    assert f"  note {damaged}: 2 invalid UTF-8 bytes replaced" in report.summary()
    assert chroma_index.document("damaged.txt").text.count("\ufffd") == 2


# --- bad input -------------------------------------------------------------------------------------

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 stores it: precomposed vowel letters plus combining tone marks."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)


CP1258_TEXT = (
    "Kế hoạch cải cách hành chính tỉnh Yên Bái năm 2022\n"
    "Số: 77/KH-UBND\n"
    "Yên Bái, ngày 10 tháng 2 năm 2022\n"
    "Cắt giảm tối thiểu 20% chi phí tuân thủ quy định; số hoá 100% hồ sơ thủ tục hành chính.\n"
)


def bad_inputs(folder: Path, corpus: Path) -> dict[str, tuple[Path, str]]:
    """Each bad input and a regex its message must match."""
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(3000))
    (folder / "huge.txt").write_text("Cải cách hành chính. " * 3000, "utf-8")  # ~66 KB, over the 0.05 MB limit
    (folder / "chrome.txt").write_text(
        "Trang chủ Tin tức Home\nĐăng nhập\nLượt xem: 12\nBản in  Gởi bài viết\nThống kê truy cập\n"
        "• Hôm nay: 3\n• Tất cả: 99\n[Trở về]\n", "utf-8")
    (folder / "copy_of_004.txt").write_bytes((corpus / "004_b20915e92c1cf682.txt").read_bytes())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ngarbage")
    return {
        "empty.txt": (folder / "empty.txt", r"is empty \(0 bytes\)"),
        "binary.txt": (folder / "binary.txt", r"looks like a binary file.*PNG image"),
        "huge.txt": (folder / "huge.txt", r"over the size limit of 0\.05 MB \(52,428 bytes\); raise CCHC_MAX_FILE_MB"),
        "chrome.txt": (folder / "chrome.txt", r"no body text left after removing page chrome"),
        "copy_of_004.txt": (folder / "copy_of_004.txt", r"same content as 004_b20915e92c1cf682\.txt, already ingested"),
        "broken.pdf": (folder / "broken.pdf", r"is not a readable PDF"),
        "missing": (folder / "no-such-file.txt", r"path does not exist"),
    }


@pytest.fixture
def small_limit_ingestor(settings: Settings, fake_embedder: HashingEmbedder, chroma_index: ChromaIndex) -> Ingestor:
    return build_ingestor(settings.replace(max_file_mb=0.05), embedder=fake_embedder, index=chroma_index)


BAD = ["empty.txt", "binary.txt", "huge.txt", "chrome.txt", "copy_of_004.txt", "broken.pdf", "missing"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_gets_a_clear_message_and_leaves_the_index_intact(
    case: str, small_limit_ingestor: Ingestor, sample_corpus: Path, chroma_index: ChromaIndex, tmp_path: Path
) -> None:
    assert small_limit_ingestor.run([sample_corpus]).added == list(SAMPLE_FILES)
    before, registry = snapshot(chroma_index), chroma_index.documents()
    path, message = bad_inputs(tmp_path / "bad", sample_corpus)[case]
    report = small_limit_ingestor.run([path])
    assert [s.path for s in report.skipped] == [str(path)]
    assert re.search(message, report.skipped[0].reason), report.skipped[0].reason
    assert report.added == report.updated == report.removed == []
    assert f"skipped {path}: " in report.summary()
    assert snapshot(chroma_index) == before
    assert chroma_index.documents() == registry
    assert chroma_index.count_chunks() == len(before)


def test_all_bad_inputs_in_one_folder_with_sync_keep_the_good_ones(
    small_limit_ingestor: Ingestor, sample_corpus: Path, chroma_index: ChromaIndex, tmp_path: Path
) -> None:
    cases = bad_inputs(tmp_path / "bad", sample_corpus)
    for name, (path, _) in cases.items():
        if path.exists():
            path.rename(sample_corpus / name)
    report = small_limit_ingestor.run([sample_corpus], sync=True)
    assert report.added == list(SAMPLE_FILES)
    assert sorted(Path(s.path).name for s in report.skipped) == sorted(n for n in cases if n != "missing")
    assert set(chroma_index.documents()) == set(SAMPLE_FILES)


def test_a_windows_1258_file_is_ingested_as_nfc(ingestor: Ingestor, tmp_path: Path,
                                                chroma_index: ChromaIndex) -> None:
    path = tmp_path / "yenbai.txt"
    path.write_bytes(cp1258(CP1258_TEXT))
    assert b"\xd2" in path.read_bytes()  # a combining tone mark byte: really not precomposed
    report = ingestor.run([path])
    assert report.added == ["yenbai.txt"]
    record = chroma_index.document("yenbai.txt")
    assert record.encoding == "cp1258"
    assert record.text == unicodedata.normalize("NFC", CP1258_TEXT)
    assert (record.metadata.province, record.metadata.number, record.metadata.issue_date) == (
        "Yên Bái", "77/KH-UBND", "2022-02-10")
    assert any("số hoá 100%" in s.chunk.text for s in chroma_index.served_chunks())  # the quote keeps "hoá"


def test_decomposed_unicode_is_stored_composed_and_matches_its_composed_twin(ingestor: Ingestor, tmp_path: Path,
                                                                           chroma_index: ChromaIndex) -> None:
    nfc = (CORPUS_DIR / "003_66ba4e7d49b2dca2.txt").read_text("utf-8")
    (tmp_path / "nfd.txt").write_text(unicodedata.normalize("NFD", nfc), "utf-8")
    (tmp_path / "nfc.txt").write_text(nfc, "utf-8")
    report = ingestor.run([tmp_path / "nfd.txt", tmp_path / "nfc.txt"])
    assert report.added == ["nfd.txt"]
    assert "same content as nfd.txt" in report.skipped[0].reason  # one document, whatever its normal form
    for stored in chroma_index.served_chunks():
        assert unicodedata.is_normalized("NFC", stored.chunk.text)
    assert chroma_index.document("nfd.txt").metadata == SAMPLE_METADATA["003_66ba4e7d49b2dca2.txt"]


def test_a_file_that_turns_bad_keeps_serving_its_previous_version(
    ingestor: Ingestor, sample_corpus: Path, chroma_index: ChromaIndex
) -> None:
    ingestor.run([sample_corpus])
    before = snapshot(chroma_index)
    (sample_corpus / "000_26a92794eaf00280.txt").write_bytes(b"\x00\x01\x02" * 500)
    report = ingestor.run([sample_corpus], sync=True)
    assert [Path(s.path).name for s in report.skipped] == ["000_26a92794eaf00280.txt"]
    assert report.removed == []
    assert snapshot(chroma_index) == before


def test_content_no_longer_indexed_under_a_name_is_not_a_duplicate(ingestor: Ingestor, tmp_path: Path,
                                                                   chroma_index: ChromaIndex) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    first = "Kế hoạch cải cách hành chính tỉnh Sơn La giai đoạn 2021 - 2025.\nCắt giảm 20% chi phí.\n"
    (folder / "a.txt").write_text(first, "utf-8")
    ingestor.run([folder])
    (folder / "a.txt").write_text(first + "Bổ sung một câu.\n", "utf-8")
    (folder / "b.txt").write_text(first, "utf-8")  # a.txt's old content, which nothing serves any more
    report = ingestor.run([folder])
    assert (report.updated, report.added, report.skipped) == (["a.txt"], ["b.txt"], [])


# --- crash safety, simulated in-process ------------------------------------------------------------


class Crash(Exception):
    pass


def touch_all(corpus: Path) -> None:
    for name in SAMPLE_FILES:
        path = corpus / name
        path.write_text(path.read_text("utf-8") + "\nCâu bổ sung để văn bản thay đổi.\n", "utf-8")


@pytest.mark.parametrize("crash_at", ["embed", "commit", "delete_stale"])
def test_a_crash_mid_run_leaves_unfinished_documents_answering_as_before(
    crash_at: str, settings: Settings, sample_corpus: Path, chroma_index: ChromaIndex, monkeypatch
) -> None:
    embedder = HashingEmbedder()
    ingestor = build_ingestor(settings, embedder=embedder, index=chroma_index)
    ingestor.run([sample_corpus])
    before = snapshot(chroma_index)
    touch_all(sample_corpus)

    # Crash while handling the third document, at the chosen step.
    seen = {"n": 0}
    target = {"embed": (embedder, "embed_documents"), "commit": (chroma_index, "commit_document"),
              "delete_stale": (chroma_index, "delete_stale_chunks")}[crash_at]
    original = getattr(*target)

    def crashing(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] == 3:
            raise Crash(crash_at)
        return original(*args, **kwargs)

    monkeypatch.setattr(*target, crashing)
    with pytest.raises(Crash):
        ingestor.run([sample_corpus])
    monkeypatch.setattr(*target, original)

    during = snapshot(chroma_index)
    finished = SAMPLE_FILES[:2] if crash_at != "delete_stale" else SAMPLE_FILES[:3]
    for name in SAMPLE_FILES:
        if name in finished:
            assert not set(by_source(during, name)) & set(by_source(before, name))  # the new version
        else:
            assert by_source(during, name) == by_source(before, name), name  # exactly as before
    versions = {s: r.version for s, r in chroma_index.documents().items()}
    assert all(cid.split("::")[1] == versions[cid.split("::")[0]] for cid in during)  # no orphan is served

    report = ingestor.run([sample_corpus])
    assert report.updated == [n for n in SAMPLE_FILES if n not in finished]
    assert report.unchanged == list(finished)
    assert chroma_index.count_chunks() == len(snapshot(chroma_index))  # the orphans are gone


# --- crash safety, for real: SIGKILL an `assistant ingest` process ---------------------------------

ASSISTANT = [str(PROJECT_ROOT / ".venv" / "bin" / "assistant")]
SNAPSHOT_CODE = """
import json, sys
from assistant.pipeline import build_index
from assistant.settings import Settings
index = build_index(Settings.from_env())
docs = index.documents()
served = {s.chunk.chunk_id: [s.chunk.text, s.chunk.start, s.chunk.end] for s in index.served_chunks()}
print(json.dumps({"versions": {s: r.version for s, r in docs.items()}, "served": served,
                  "n_chunks": {s: r.n_chunks for s, r in docs.items()}, "raw": index.count_chunks()}))
"""


def index_state(env: dict[str, str]) -> dict:
    """Read the index from a fresh process (never hold a Chroma client open while another process writes)."""
    out = subprocess.run([sys.executable, "-c", SNAPSHOT_CODE], env=env, capture_output=True, text=True,
                         timeout=300, cwd=PROJECT_ROOT, check=True)
    return json.loads(out.stdout)


def run_ingest(env: dict[str, str], corpus: Path) -> dict:
    out = subprocess.run([*ASSISTANT, "ingest", str(corpus), "--json", "--quiet"], env=env, capture_output=True,
                         text=True, timeout=900, cwd=PROJECT_ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.model
@pytest.mark.slow
def test_sigkill_during_a_real_ingest(tmp_path: Path) -> None:
    # Six short documents (the first lines of each sample, and one more): small enough for a shared CPU,
    # many enough that "committed at least one but not all" is easy to hit.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, name in enumerate([*SAMPLE_FILES, SAMPLE_FILES[0]]):
        text = (CORPUS_DIR / name).read_text("utf-8")
        cut = max(text.rfind("\n", 0, 1500), text.rfind(". ", 0, 1500) + 1)  # at a line or sentence end
        (corpus / f"doc{i}.txt").write_text(text[:cut] + f"\nVăn bản thử số {i}.\n", "utf-8")
    names = sorted(p.name for p in corpus.iterdir())
    env = {**os.environ, "CCHC_CHROMA_PATH": str(tmp_path / "chroma"), "CCHC_COLLECTION": "killtest",
           "PYTHONUNBUFFERED": "1"}

    first = run_ingest(env, corpus)
    assert first["added"] == names
    before = index_state(env)

    for name in names:  # every document changes, so every one must be re-embedded
        path = corpus / name
        path.write_text(path.read_text("utf-8") + "\nCâu bổ sung để văn bản thay đổi.\n", "utf-8")
    proc = subprocess.Popen([*ASSISTANT, "ingest", str(corpus)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=PROJECT_ROOT)
    # The progress bar reports "k/6" before starting document k: k >= 1 means document 0 is committed.
    os.set_blocking(proc.stderr.fileno(), False)
    seen, deadline = b"", time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        seen += proc.stderr.read() or b""
        done = [int(k) for k in re.findall(rb"\| *(\d+)/6 \[", seen)]
        if done and max(done) >= 1:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"ingest was not killed mid-run: {seen[-500:]!r}"

    during = index_state(env)
    new_docs = [n for n in names if during["versions"][n] != before["versions"][n]]
    old_docs = [n for n in names if during["versions"][n] == before["versions"][n]]
    assert new_docs and old_docs, (new_docs, old_docs)
    assert set(during["versions"]) == set(names)
    for name in old_docs:  # untouched documents answer with exactly the same chunks as before
        assert by_source(during["served"], name) == by_source(before["served"], name), name
    for cid in during["served"]:  # no orphan chunk is served
        source, version, _ = cid.split("::")
        assert during["versions"][source] == version
    for name in new_docs:
        assert len(by_source(during["served"], name)) == during["n_chunks"][name]

    final = run_ingest(env, corpus)
    assert final["skipped"] == [] and final["added"] == [] and final["removed"] == []
    assert sorted(final["updated"]) == old_docs
    assert sorted(final["unchanged"]) == new_docs
    after = index_state(env)
    for name in new_docs:  # what the killed run committed is kept as it was
        assert by_source(after["served"], name) == by_source(during["served"], name)
    assert after["raw"] == len(after["served"]) == sum(after["n_chunks"].values())  # no leftovers at all
