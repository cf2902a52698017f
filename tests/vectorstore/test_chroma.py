"""The Chroma index: chunks and registry, version-based serving, cleanup, persistence and connection errors."""

from __future__ import annotations

import socket
from pathlib import Path

import chromadb
import pytest

from assistant.pipeline import build_index
from assistant.settings import Settings
from ingest.document import Chunk, DocumentMetadata
from ingest.errors import ConfigError, IndexUnavailable
from tests.fakes import HashingEmbedder
from vectorstore.chroma import ChromaIndex, DocumentRecord, StoredChunk, open_client
from vectorstore.keyword import analyse

META = DocumentMetadata(province="Lai Châu", issuing_body="UBND tỉnh Lai Châu", doc_type="Kế hoạch",
                        number="2943/KH-UBND", issue_date="2021-09-20", period="2021-2030",
                        signer="Trần Tiến Dũng", title="Kế hoạch cải cách hành chính")


def make_doc(source: str, version: str, passages: list[str], meta: DocumentMetadata = META):
    """Chunks over a made-up file text: the passages joined by blank lines."""
    text = "\n\n".join(passages)
    chunks, pos = [], 0
    for i, passage in enumerate(passages):
        chunks.append(StoredChunk(
            Chunk(source, version, i, pos, pos + len(passage), passage, ("II. NỘI DUNG", "a) Chỉ tiêu"), meta,
                  len(passage.split())),
            analyse(passage)))
        pos += len(passage) + 2
    record = DocumentRecord(source=source, version=version, metadata=meta, n_chunks=len(chunks), encoding="utf-8",
                            path=f"/data/{source}", text=text)
    return chunks, record


EMBEDDER = HashingEmbedder()  # one shared instance, as the former call in the default argument was


def ingest(index: ChromaIndex, chunks, record, embedder=EMBEDDER) -> None:
    index.put_chunks(chunks, embedder.embed_documents([c.chunk.text for c in chunks]))
    index.commit_document(record)
    index.delete_stale_chunks(record.source, keep_version=record.version)


def served(index: ChromaIndex) -> dict[str, tuple]:
    return {s.chunk.chunk_id: (s.chunk.text, s.chunk.start, s.chunk.end) for s in index.served_chunks()}


A1 = make_doc("a.txt", "v1", ["Cắt giảm tối thiểu 20% chi phí tuân thủ.", "Chính quyền số đến năm 2030."])
A2 = make_doc("a.txt", "v2", ["Cắt giảm tối thiểu 30% chi phí tuân thủ.", "Chuyển đổi số.", "Một đoạn mới."])
B1 = make_doc("b.txt", "w1", ["Sơn La cắt giảm 25% thời gian giải quyết."],
              DocumentMetadata(province="Sơn La", doc_type="Nghị quyết"))


def test_a_chunk_round_trips_with_offsets_heading_path_metadata_and_keywords(chroma_index: ChromaIndex) -> None:
    chunks, record = A1
    ingest(chroma_index, chunks, record)
    stored = chroma_index.served_chunks()
    assert [s.chunk for s in stored] == [c.chunk for c in chunks]
    assert [s.keyword_fields for s in stored] == [c.keyword_fields for c in chunks]


def test_the_registry_round_trips_the_document(chroma_index: ChromaIndex) -> None:
    chunks, record = A1
    ingest(chroma_index, chunks, record)
    assert chroma_index.document("a.txt") == record
    assert chroma_index.documents(with_text=True) == {"a.txt": record}
    assert chroma_index.documents()["a.txt"].text == ""  # text only when asked for
    assert chroma_index.document("missing.txt") is None


def test_only_the_registered_version_is_served(chroma_index: ChromaIndex) -> None:
    ingest(chroma_index, *A1)
    before = served(chroma_index)
    new_chunks, new_record = A2
    chroma_index.put_chunks(new_chunks, HashingEmbedder().embed_documents([c.chunk.text for c in new_chunks]))
    # Written but not committed (an ingest killed here): readers still see exactly version 1.
    assert served(chroma_index) == before
    hits = chroma_index.search(HashingEmbedder().embed_query("Cắt giảm tối thiểu 30% chi phí tuân thủ."), 10,
                               {"a.txt": "v1"})
    assert {cid for cid, _ in hits} == set(before)
    assert chroma_index.count_chunks() == 5
    chroma_index.commit_document(new_record)  # the commit point
    assert set(served(chroma_index)) == {c.chunk.chunk_id for c in new_chunks}
    assert chroma_index.delete_stale_chunks("a.txt", keep_version="v2") == 2
    assert chroma_index.count_chunks() == 3


def test_delete_orphans_removes_uncommitted_and_superseded_chunks_only(chroma_index: ChromaIndex) -> None:
    ingest(chroma_index, *A1)
    ingest(chroma_index, *B1)
    kept = served(chroma_index)
    orphan_chunks, _ = A2
    chroma_index.put_chunks(orphan_chunks, HashingEmbedder().embed_documents([c.chunk.text for c in orphan_chunks]))
    ghost, _ = make_doc("ghost.txt", "g1", ["Một tài liệu chưa bao giờ được ghi nhận."])
    chroma_index.put_chunks(ghost, HashingEmbedder().embed_documents([c.chunk.text for c in ghost]))
    assert chroma_index.delete_orphans() == 4
    assert served(chroma_index) == kept
    assert chroma_index.count_chunks() == len(kept)
    assert chroma_index.delete_orphans() == 0


def test_delete_document_removes_registry_and_chunks(chroma_index: ChromaIndex) -> None:
    ingest(chroma_index, *A1)
    ingest(chroma_index, *B1)
    chroma_index.delete_document("a.txt")
    assert set(chroma_index.documents()) == {"b.txt"}
    assert {s.chunk.source for s in chroma_index.served_chunks()} == {"b.txt"}
    assert chroma_index.count_chunks() == 1


def test_search_ranks_by_cosine_and_respects_the_version_filter(chroma_index: ChromaIndex) -> None:
    ingest(chroma_index, *A1)
    ingest(chroma_index, *B1)
    embedder = HashingEmbedder()
    versions = {"a.txt": "v1", "b.txt": "w1"}
    hits = chroma_index.search(embedder.embed_query("Sơn La cắt giảm 25% thời gian giải quyết."), 3, versions)
    assert hits[0][0] == "b.txt::w1::0000"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)  # the same text: cosine 1
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    only_a = chroma_index.search(embedder.embed_query("cắt giảm"), 3, {"a.txt": "v1"})
    assert only_a and all(cid.startswith("a.txt::v1::") for cid, _ in only_a)
    assert chroma_index.search(embedder.embed_query("cắt giảm"), 3, {}) == []


def test_mismatched_lengths_and_empty_batches(chroma_index: ChromaIndex) -> None:
    chunks, _ = A1
    with pytest.raises(ValueError, match="2 chunks but 1 embeddings"):
        chroma_index.put_chunks(chunks, [[1.0] * 256])
    chroma_index.put_chunks([], [])
    assert chroma_index.count_chunks() == 0


def test_the_embedded_store_persists_on_disk(chroma_dir: Path) -> None:
    settings = Settings(chroma_path=chroma_dir, collection="persist", embedding_model="fake")
    ingest(build_index(settings), *A1)
    assert chroma_dir.is_dir()
    reopened = ChromaIndex(chromadb.PersistentClient(path=str(chroma_dir)), "persist", "fake")
    assert set(reopened.documents()) == {"a.txt"}
    assert len(reopened.served_chunks()) == 2


def test_collections_keep_their_embedding_model(chroma_dir: Path) -> None:
    client = chromadb.PersistentClient(path=str(chroma_dir))
    ingest(ChromaIndex(client, "models", "e5-small-local"), *A1)
    with pytest.raises(ConfigError, match="built with embedding model 'e5-small-local', but the setting is 'other'"):
        ChromaIndex(client, "models", "other")
    assert ChromaIndex(client, "models_other", "other").count_chunks() == 0  # another collection is fine


def test_one_model_named_by_its_setting_or_by_its_folder_is_the_same_model(tmp_path: Path, monkeypatch) -> None:
    models = tmp_path / "models"
    (models / "multilingual-e5-small").mkdir(parents=True)
    by_name = Settings(chroma_path=tmp_path / "chroma", collection="identity", models_dir=models,
                       embedding_model="e5-small-local")
    ingest(build_index(by_name), *A1)
    monkeypatch.chdir(tmp_path)
    for folder in (str(models / "multilingual-e5-small"), "models/multilingual-e5-small", "models/../models/multilingual-e5-small/"):
        assert set(build_index(by_name.replace(embedding_model=folder)).documents()) == {"a.txt"}, folder
    with pytest.raises(ConfigError, match="built with embedding model 'e5-small-local', but the setting is 'other'"):
        build_index(by_name.replace(embedding_model="other"))
    # and the other way round: built with the folder's path, opened with the name
    by_path = by_name.replace(collection="identity2", embedding_model="models/multilingual-e5-small")
    ingest(build_index(by_path), *A1)
    assert set(build_index(by_path.replace(embedding_model="e5-small-local")).documents()) == {"a.txt"}


def test_an_unusable_store_path_is_index_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(IndexUnavailable, match=f"Cannot open the Chroma index at {blocker}"):
        open_client(blocker)


def test_an_unreachable_server_is_index_unavailable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(IndexUnavailable, match=f"127.0.0.1:{port}"):
        ChromaIndex(open_client(Path("unused"), "127.0.0.1", port), "test", "fake")


def test_generation_changes_with_every_registry_change_seen_from_another_client(tmp_path: Path) -> None:
    writer = ChromaIndex(chromadb.PersistentClient(path=str(tmp_path / "g")), "gen", "fake")
    assert writer.generation() == ""
    ingest(writer, *A1)
    first = writer.generation()
    reader = ChromaIndex(chromadb.PersistentClient(path=str(tmp_path / "g")), "gen", "fake")
    assert first and reader.generation() == first
    writer.delete_document(A1[1].source)
    assert reader.generation() not in ("", first)


# --- reading a whole collection ------------------------------------------------------------------


def test_whole_collection_reads_go_page_by_page(chroma_index: ChromaIndex, monkeypatch) -> None:
    import vectorstore.chroma

    monkeypatch.setattr(vectorstore.chroma, "_GET_PAGE", 2)  # every read below spans several pages
    docs = [make_doc(f"d{i}.txt", f"v{i}", [f"Đoạn {i}.{j} về cải cách hành chính." for j in range(3)])
            for i in range(4)]
    for chunks, record in docs:
        ingest(chroma_index, chunks, record)
    orphan, _ = make_doc("ghost.txt", "g1", ["Một đoạn chưa ghi nhận.", "Đoạn thứ hai.", "Đoạn thứ ba."])
    chroma_index.put_chunks(orphan, EMBEDDER.embed_documents([c.chunk.text for c in orphan]))
    assert len(chroma_index.chunk_rows()) == 15
    assert set(chroma_index.documents()) == {f"d{i}.txt" for i in range(4)}
    assert len(chroma_index.served_chunks()) == 12
    pairs = [(f"d{i}.txt", f"v{i}") for i in range(4)]
    assert all(len(p) == 3 for p in chroma_index.keyword_passages(pairs).values())
    assert chroma_index.delete_orphans() == 3 and chroma_index.count_chunks() == 12


@pytest.mark.slow
def test_a_collection_beyond_sqlites_variable_limit_is_read_whole(chroma_index: ChromaIndex) -> None:
    """~2,000 real documents hold over 32,766 chunks: one read of them all failed ("too many SQL variables")."""
    n = 33_000
    chunks = [StoredChunk(Chunk("big.txt", "v1", i, i, i + 1, "x", (), META, 1), {}) for i in range(n)]
    vectors = [[1.0, 0.0, 0.0, float(i % 7)] for i in range(n)]
    chroma_index.put_chunks(chunks, vectors)
    chroma_index.commit_document(DocumentRecord(source="big.txt", version="v1", metadata=META, n_chunks=n))
    assert len(chroma_index.chunk_rows()) == n
    assert chroma_index.delete_orphans() == 0
