"""The keyword index file follows every ingest (add, change, remove), is rebuilt from the chunks stored in
Chroma when it is missing or behind, and a view over it holds no chunk or document text."""

from __future__ import annotations

from pathlib import Path

import chromadb
import pytest

from assistant.pipeline import build_ingestor
from assistant.retrieve import CorpusView
from assistant.settings import Settings
from tests.conftest import SAMPLE_FILES
from tests.fakes import HashingEmbedder
from vectorstore.chroma import ChromaIndex
from vectorstore.keyword import KeywordIndex, plain_tokens, segment_words

QUESTIONS = ["cắt giảm chi phí tuân thủ", "dịch vụ công trực tuyến mức độ 4", "cai cach hanh chinh nam 2025",
             "chính quyền điện tử", "Lai Châu"]


def _index(path: Path) -> ChromaIndex:
    return ChromaIndex(chromadb.PersistentClient(path=str(path)), "kwi", "fake", keyword_path=path / "kwi.keyword.sqlite")


def _ingestor(index: ChromaIndex, embedder: HashingEmbedder, chroma: Path):
    return build_ingestor(Settings(chroma_path=chroma, collection="kwi", embedding_model="fake"), embedder, index)


def _served(index: ChromaIndex) -> dict[str, set[str]]:
    return {s: {r.version} for s, r in index.documents().items()}


def _same_ranking_as_a_fresh_index(index: ChromaIndex) -> None:
    """The persisted, incrementally updated index ranks as an index built now from the served chunks."""
    served = index.served_chunks()
    fresh = KeywordIndex([s.chunk.chunk_id for s in served], [s.keyword_fields for s in served])
    reader = index.keyword.reader({s: r.version for s, r in index.documents().items()})
    for q in QUESTIONS:
        for field, tokens in (("seg", segment_words(q)), ("plain", plain_tokens(q))):
            got, want = reader.search(field, tokens, 8), fresh.search(field, tokens, 8)
            assert [h.score for h in got] == pytest.approx([h.score for h in want]), q
            assert {h.chunk_id for h in got} == {h.chunk_id for h in want} or len({h.score for h in want}) < 8


def test_ingest_keeps_the_file_current_through_add_change_and_remove(tmp_path: Path, sample_corpus: Path,
                                                                      fake_embedder: HashingEmbedder) -> None:
    chroma = tmp_path / "chroma"
    index = _index(chroma)
    _ingestor(index, fake_embedder, chroma).run([sample_corpus])
    assert index.keyword.documents() == _served(index) and len(_served(index)) == len(SAMPLE_FILES)
    assert index.keyword.count() == index.count_chunks()
    _same_ranking_as_a_fresh_index(index)

    changed, gone = sample_corpus / SAMPLE_FILES[0], sample_corpus / SAMPLE_FILES[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nĐến năm 2030, số hóa toàn bộ hồ sơ lưu trữ.\n",
                       encoding="utf-8")
    gone.unlink()
    _ingestor(index, fake_embedder, chroma).run([sample_corpus], sync=True)
    assert index.keyword.documents() == _served(index) and gone.name not in _served(index)
    assert index.keyword.count() == len(index.served_chunks())
    hits = index.keyword.reader().search("plain", plain_tokens("so hoa toan bo ho so luu tru"), 1)
    assert hits[0].chunk_id.startswith(f"{changed.name}::{index.documents()[changed.name].version}::")
    _same_ranking_as_a_fresh_index(index)


def test_a_missing_file_is_rebuilt_from_the_store_without_embedding(tmp_path: Path, sample_corpus: Path,
                                                                     fake_embedder: HashingEmbedder) -> None:
    chroma = tmp_path / "chroma"
    index = _index(chroma)
    _ingestor(index, fake_embedder, chroma).run([sample_corpus])
    before = CorpusView.load(index).keyword.search("plain", plain_tokens("chi phi tuan thu"), 5)
    index.keyword.close()
    for leftover in chroma.glob("kwi.keyword.sqlite*"):
        leftover.unlink()

    class NoEmbedding(HashingEmbedder):
        def embed_documents(self, texts):  # pragma: no cover - the point is that it is never called
            raise AssertionError("a keyword rebuild must not embed")

    reopened = _index(chroma)  # e.g. another machine serving the same Chroma server
    assert reopened.keyword.count() == 0
    view = CorpusView.load(reopened)
    assert reopened.keyword.documents() == _served(reopened)
    assert view.keyword.search("plain", plain_tokens("chi phi tuan thu"), 5) == before
    # the next ingest on this machine finds it current and embeds nothing
    assert _ingestor(reopened, NoEmbedding(), chroma).run([sample_corpus]).unchanged == list(SAMPLE_FILES)


def test_a_reader_adds_what_another_writer_committed_and_only_a_writer_removes(
        tmp_path: Path, sample_corpus: Path, fake_embedder: HashingEmbedder) -> None:
    chroma = tmp_path / "chroma"
    writer = _index(chroma)
    _ingestor(writer, fake_embedder, chroma).run([sample_corpus])
    # a reader on another machine keeps its own file, which has never seen these documents
    reader_index = ChromaIndex(chromadb.PersistentClient(path=str(chroma)), "kwi", "fake",
                               keyword_path=tmp_path / "elsewhere.sqlite")
    assert CorpusView.load(reader_index).n_chunks == writer.count_chunks()
    assert reader_index.keyword.documents() == _served(writer)
    (sample_corpus / SAMPLE_FILES[2]).unlink()
    _ingestor(writer, fake_embedder, chroma).run([sample_corpus], sync=True)
    view = CorpusView.load(reader_index)
    assert SAMPLE_FILES[2] in reader_index.keyword.documents()  # a reader does not remove ...
    assert all(not h.chunk_id.startswith(SAMPLE_FILES[2])  # ... but never serves what the registry dropped
               for h in view.keyword.search("plain", plain_tokens("cai cach hanh chinh"), 50))
    assert reader_index.sync_keyword(remove_stale=True) == 1
    assert reader_index.keyword.documents() == _served(writer)


def test_a_view_holds_metadata_not_texts_and_fetches_passages_by_id(chroma_index: ChromaIndex, ingestor,
                                                                    sample_corpus: Path) -> None:
    ingestor.run([sample_corpus])
    view = CorpusView.load(chroma_index)
    assert view.documents and all(r.text == "" for r in view.documents.values())
    assert all(r.commitments is not None for r in view.documents.values())
    source = SAMPLE_FILES[0]
    full = chroma_index.document(source).text
    assert view.text(source) == full and view.texts[source] == full and len(view.texts) == len(SAMPLE_FILES)
    chunks = view.document_chunks(source)
    assert [c.chunk.index for c in chunks] == list(range(view.documents[source].n_chunks))
    assert all(full[c.chunk.start:c.chunk.end] == c.chunk.text for c in chunks)
    ids = [c.chunk.chunk_id for c in chunks[:3]] + ["unknown::id::0000"]
    assert list(view.chunks_by_id(ids)) == ids[:3]
    assert view.n_chunks == chroma_index.count_chunks() and not view.is_empty()
