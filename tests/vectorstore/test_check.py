"""`assistant check` (vectorstore/check.py): the registry against the stored chunks and vectors, and repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.document import Chunk, SourceDocument
from tests.conftest import SAMPLE_FILES
from tests.fakes import HashingEmbedder
from vectorstore.check import IndexCheck
from vectorstore.chroma import ChromaIndex, DocumentRecord, StoredChunk
from vectorstore.ingestor import Ingestor
from vectorstore.keyword import analyse

LAI_CHAU = "004_b20915e92c1cf682.txt"
QUANG_BINH = "003_66ba4e7d49b2dca2.txt"


@pytest.fixture
def checked(ingestor: Ingestor, sample_corpus: Path) -> IndexCheck:
    assert ingestor.run([sample_corpus]).added == list(SAMPLE_FILES)
    return IndexCheck(ingestor)


def served_ids(index: ChromaIndex) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for stored in index.served_chunks():
        out.setdefault(stored.chunk.source, []).append(stored.chunk.chunk_id)
    return out


def test_a_fresh_index_is_healthy(checked: IndexCheck, chroma_index: ChromaIndex) -> None:
    report = checked.check(full=True)
    assert report.healthy and report.problems == [] and report.orphans == 0
    assert report.documents == 5 and report.chunks == report.vectors_checked == chroma_index.count_chunks()
    assert report.summary().splitlines()[-1].startswith("OK: the registry and the stored chunks agree")
    sampled = checked.check(sample=7, seed=1)
    assert sampled.healthy and sampled.vectors_checked == 7 and "a sample of 7" in sampled.summary()


def test_missing_chunks_are_found_and_re_ingested_from_the_stored_text(checked: IndexCheck,
                                                                         chroma_index: ChromaIndex) -> None:
    before = {s.chunk.chunk_id: s.chunk for s in chroma_index.served_chunks()}
    record = chroma_index.document(LAI_CHAU)
    lost = chroma_index.delete_stale_chunks(LAI_CHAU, keep_version=record.version, n_chunks=2)  # keep 0 and 1
    gone = chroma_index.delete_stale_chunks(QUANG_BINH, keep_version="no such version")  # all of them
    assert lost and gone
    report = checked.check()
    assert not report.healthy
    assert [p.source for p in report.problems] == [QUANG_BINH, LAI_CHAU]
    assert report.problems[1].what.startswith(f"registered {record.n_chunks} chunks, 2 stored; missing chunks 2, 3")
    assert report.problems[0].what.startswith("registered ")
    assert "`assistant check --repair`" in report.summary()

    repaired = checked.repair(report)
    assert repaired.healthy, repaired.summary()
    assert repaired.actions == [
        f"re-ingested {QUANG_BINH} from the text the registry keeps ({chroma_index.document(QUANG_BINH).n_chunks} chunks)",
        f"re-ingested {LAI_CHAU} from the text the registry keeps ({record.n_chunks} chunks)"]
    assert repaired.found == report.problem_lines()
    assert {s.chunk.chunk_id: s.chunk for s in chroma_index.served_chunks()} == before  # exactly as ingested
    assert chroma_index.document(LAI_CHAU).version == record.version


def test_orphans_are_counted_and_deleted(checked: IndexCheck, chroma_index: ChromaIndex) -> None:
    kept = served_ids(chroma_index)
    record = chroma_index.document(LAI_CHAU)
    text = record.text[:200]

    orphan = StoredChunk(Chunk(LAI_CHAU, "killed-run-version", 0, 0, len(text), text, (), record.metadata),
                         analyse(text))
    chroma_index.put_chunks([orphan], HashingEmbedder().embed_documents([text]))
    report = checked.check()
    assert report.orphans == 1 and report.problems == [] and not report.healthy
    assert report.problem_lines() == ["1 orphan chunk (of no registered version)"]
    repaired = checked.repair(report)
    assert repaired.healthy and repaired.actions == ["deleted 1 orphan chunk"]
    assert served_ids(chroma_index) == kept and chroma_index.count_chunks() == sum(map(len, kept.values()))


def test_chunks_without_keyword_fields_are_re_analysed(checked: IndexCheck, chroma_index: ChromaIndex) -> None:
    first = next(s for s in chroma_index.served_chunks() if s.chunk.source == LAI_CHAU)
    emptied = StoredChunk(first.chunk, {"seg": "", "plain": ""})  # (an upsert keeps keys it is not given)
    chroma_index.put_chunks([emptied], HashingEmbedder().embed_documents([first.chunk.text]))
    report = checked.check()
    assert [(p.source, p.what) for p in report.problems] == [(LAI_CHAU, "1 chunk without keyword fields")]
    assert checked.repair(report).healthy
    again = next(s for s in chroma_index.served_chunks() if s.chunk.chunk_id == first.chunk.chunk_id)
    assert again.keyword_fields == first.keyword_fields


def test_a_chunk_its_own_vector_does_not_find_is_reported(checked: IndexCheck, chroma_index: ChromaIndex,
                                                          monkeypatch) -> None:
    hidden = served_ids(chroma_index)[LAI_CHAU][3]
    search = chroma_index.search
    monkeypatch.setattr(chroma_index, "search",
                        lambda *args: [hit for hit in search(*args) if hit[0] != hidden])  # a broken vector index
    report = checked.check(full=True)
    assert [(p.source, p.what) for p in report.problems] == [(LAI_CHAU, f"1 chunk not found by its own vector ({hidden})")]
    after = checked.repair(report)  # re-ingested, but the (simulated) index still hides it: the problem remains
    assert not after.healthy and after.found == report.problem_lines()
    assert after.summary().splitlines()[-1] == "1 problem"


def test_a_document_without_stored_text_cannot_be_repaired_and_says_why(checked: IndexCheck,
                                                                         chroma_index: ChromaIndex) -> None:
    record = chroma_index.document(LAI_CHAU)
    chroma_index.commit_document(DocumentRecord(LAI_CHAU, record.version, record.metadata, record.n_chunks, text=""))
    chroma_index.delete_stale_chunks(LAI_CHAU, keep_version="none")
    after = checked.repair(checked.check())
    assert not after.healthy
    assert after.actions == [f"could not repair {LAI_CHAU}: {LAI_CHAU}: the registry keeps no text for it; "
                             "ingest its file again"]


def test_repair_re_prepares_with_the_same_preparer(checked: IndexCheck, chroma_index: ChromaIndex) -> None:
    record = chroma_index.document(QUANG_BINH)
    expected = checked.ingestor.preparer.prepare(SourceDocument(QUANG_BINH, record.path, record.text, record.encoding))
    chroma_index.delete_stale_chunks(QUANG_BINH, keep_version="none")
    assert checked.repair(checked.check()).healthy
    assert [s.chunk for s in chroma_index.served_chunks() if s.chunk.source == QUANG_BINH] == list(expected.chunks)
