"""Hybrid retrieval: dense + BM25 fused by reciprocal rank, narrowed by province and document number.

Fast tests build a handful of chunks by hand (their vectors too), so each ranking is known; the `model`
tests run the LangChain retriever over the sample corpus with the real embedder.
"""

from __future__ import annotations

import dataclasses

import pytest
from langchain_core.documents import Document

from assistant.pipeline import retrieval_settings
from assistant.retrieve import CCHCRetriever, CorpusView, HybridSearch, RetrievalSettings, to_langchain
from assistant.settings import Settings
from assistant.types import Query
from ingest.document import Chunk, DocumentMetadata
from tests.assistant.conftest import (
    DIEN_BIEN_RESOLUTION,
    LAI_CHAU_DIRECTIVE,
    LAI_CHAU_PLAN,
    QUANG_BINH_PLAN,
)
from vectorstore.chroma import ChromaIndex, DocumentRecord, StoredChunk
from vectorstore.keyword import analyse


class FixedQueryEmbedder:
    """Every query becomes the same vector: the dense ranking is then decided by the chunk vectors alone."""

    def __init__(self, vector: list[float]) -> None:
        self.vector = vector
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("search must not embed documents")

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return self.vector


# (source, province, number, text, vector). The query vector is (1, 0, 0).
ROWS = [
    ("a.txt", "Lai Châu", "1/KH-UBND", "cắt giảm chi phí tuân thủ, chi phí tuân thủ quy định kinh doanh", [0.0, 0.0, 1.0]),
    ("b.txt", "Lai Châu", "1/KH-UBND", "chi phí tuân thủ giảm dần theo lộ trình của tỉnh", [0.9, 0.43, 0.0]),
    ("c.txt", "Sơn La", "2-NQ/TU", "sự hài lòng của người dân và doanh nghiệp", [1.0, 0.0, 0.0]),
    ("d.txt", "Sơn La", "2-NQ/TU", "tập huấn kỹ năng giao tiếp cho công chức cấp xã", [0.0, 1.0, 0.0]),
    ("e.txt", "Quảng Bình", "3/KH-UBND", "số hóa hồ sơ công việc tại cấp huyện", [0.0, 0.7, 0.7]),
    ("f.txt", "Quảng Bình", "3/KH-UBND", "mục tiêu năm 2025 về kết nối dữ liệu dùng chung", [0.5, 0.5, 0.7]),
    ("g.txt", "Quảng Bình", "3/KH-UBND", "mục tiêu năm 2030 về kết nối dữ liệu dùng chung", [0.5, 0.5, 0.7]),
]


@pytest.fixture
def view_and_index(chroma_index: ChromaIndex) -> tuple[CorpusView, ChromaIndex]:
    """One chunk per document, so a source names a chunk."""
    for source, province, number, text, vector in ROWS:
        metadata = DocumentMetadata(province=province, number=number, doc_type="Kế hoạch")
        chunk = Chunk(source=source, doc_version="v1", index=0, start=0, end=len(text), text=text, metadata=metadata)
        chroma_index.put_chunks([StoredChunk(chunk, analyse(text))], [vector])
        chroma_index.commit_document(DocumentRecord(source=source, version="v1", metadata=metadata, n_chunks=1,
                                                    text=text))
    return CorpusView.load(chroma_index), chroma_index


def retrieval(**changes) -> RetrievalSettings:
    """The search settings the app runs with (Settings' defaults, through the composition root), changed."""
    return dataclasses.replace(retrieval_settings(Settings()), **changes)


def search(view_and_index, query: Query, embedder=None, k: int = 10, restrict=None, **settings) -> list:
    view, index = view_and_index
    hs = HybridSearch(retrieval(top_k=k, candidates=max(k, settings.pop("candidates", k)), **settings),
                      index, embedder or FixedQueryEmbedder([1.0, 0.0, 0.0]), view)
    return hs.search(query, restrict=restrict)


def vi(text: str, **fields) -> Query:
    return Query(text=text, language="vi", keywords_vi=text, **fields)


def sources(results) -> list[str]:
    return [r.chunk.source for r in results]


def test_fusion_prefers_a_passage_both_retrievers_rank_high(view_and_index) -> None:
    # BM25 ranks a first, b second; the dense ranking has c first, b second, and a not at all (candidates=2).
    # Reciprocal-rank fusion puts b, which both retrievers rank high, above either retriever's favourite.
    results = search(view_and_index, vi("chi phí tuân thủ"), k=3, candidates=2)
    assert sources(results)[0] == "b.txt"
    assert set(sources(results)) == {"a.txt", "b.txt", "c.txt"}
    by_source = {r.chunk.source: r for r in results}
    assert set(by_source["b.txt"].scores) == {"dense", "bm25", "plain"}  # per retriever, for the eval report
    assert "dense" not in by_source["a.txt"].scores and "bm25" not in by_source["c.txt"].scores
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_an_unaccented_question_finds_the_same_passages_by_keywords(view_and_index) -> None:
    accented = search(view_and_index, vi("chi phí tuân thủ"), use_dense=False)
    plain = search(view_and_index, vi("chi phi tuan thu"), use_dense=False)
    assert sources(plain)[:2] == sources(accented)[:2] == ["a.txt", "b.txt"]


def test_dense_only_and_keywords_only(view_and_index) -> None:
    embedder = FixedQueryEmbedder([1.0, 0.0, 0.0])
    keyword_only = search(view_and_index, vi("chi phí tuân thủ"), embedder=embedder, use_dense=False)
    assert embedder.queries == []  # the model is not asked at all
    assert sources(keyword_only)[:2] == ["a.txt", "b.txt"]
    assert all("dense" not in r.scores for r in keyword_only)

    dense_only = search(view_and_index, vi("chi phí tuân thủ"), use_bm25=False, k=2)
    assert sources(dense_only) == ["c.txt", "b.txt"]


def test_a_province_keeps_only_that_provinces_documents(view_and_index) -> None:
    results = search(view_and_index, vi("chi phí tuân thủ", provinces=("Sơn La",)))
    assert results and set(sources(results)) <= {"c.txt", "d.txt"}
    both = search(view_and_index, vi("chi phí tuân thủ", provinces=("Sơn La", "Lai Châu")))
    assert set(sources(both)) <= {"a.txt", "b.txt", "c.txt", "d.txt"}


def test_without_metadata_use_the_province_does_not_filter(view_and_index) -> None:
    results = search(view_and_index, vi("chi phí tuân thủ", provinces=("Sơn La",)), use_metadata=False)
    assert "a.txt" in sources(results)


def test_a_document_number_narrows_to_that_document(view_and_index) -> None:
    results = search(view_and_index, vi("kết nối dữ liệu", doc_numbers=("2-NQ/TU",)))
    assert results and set(sources(results)) <= {"c.txt", "d.txt"}
    # spelled differently (spaces, lower case) it is the same number
    assert set(sources(search(view_and_index, vi("x", doc_numbers=("2 - nq/tu",))))) <= {"c.txt", "d.txt"}


def test_an_unknown_document_number_does_not_hide_everything(view_and_index) -> None:
    assert search(view_and_index, vi("kết nối dữ liệu", doc_numbers=("999/KH-UBND",)))


def test_restrict_limits_the_search_to_the_chosen_documents(view_and_index) -> None:
    results = search(view_and_index, vi("chi phí tuân thủ"), restrict={"b.txt", "e.txt"})
    assert set(sources(results)) <= {"b.txt", "e.txt"} and "b.txt" in sources(results)
    assert search(view_and_index, vi("chi phí tuân thủ", provinces=("Sơn La",)), restrict={"a.txt"}) == []


def test_a_passage_naming_the_asked_year_outranks_an_otherwise_equal_one(view_and_index) -> None:
    # f and g differ only in the year; the question's text does not contain it, only its parsed years.
    plain_order = sources(search(view_and_index, vi("mục tiêu kết nối dữ liệu dùng chung", years=(2025,))))
    assert plain_order.index("f.txt") < plain_order.index("g.txt")
    asked_2030 = sources(search(view_and_index, vi("mục tiêu kết nối dữ liệu dùng chung", years=(2030,))))
    assert asked_2030.index("g.txt") < asked_2030.index("f.txt")


def test_top_k_limits_the_results(view_and_index) -> None:
    assert len(search(view_and_index, vi("chi phí tuân thủ công chức hồ sơ dữ liệu"), k=2)) == 2


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"top_k": 0}, "top_k must be greater than 0"),
        ({"top_k": 10, "candidates": 5}, "candidates must be >= top_k"),
        ({"use_dense": False, "use_bm25": False}, "At least one"),
    ],
)
def test_retrieval_settings_are_checked(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        retrieval(**fields)


def test_the_user_settings_of_the_search_have_their_defaults_in_one_place() -> None:
    with pytest.raises(TypeError, match="top_k"):
        RetrievalSettings()  # type: ignore[call-arg]  # Settings holds them; pipeline.retrieval_settings passes them
    assert retrieval().top_k == Settings().top_k and retrieval().rrf_k == 20


def test_to_langchain_carries_the_citation_fields(view_and_index) -> None:
    (best,) = search(view_and_index, vi("chi phí tuân thủ", provinces=("Lai Châu",)), k=1)
    doc = to_langchain(best)
    assert isinstance(doc, Document)
    assert doc.page_content == best.chunk.text
    assert (doc.metadata["source"], doc.metadata["start"], doc.metadata["end"]) == (
        best.chunk.source, best.chunk.start, best.chunk.end)
    assert doc.metadata["province"] == "Lai Châu" and doc.metadata["score"] == best.score


# --- the LangChain retriever ------------------------------------------------------------------------


def test_the_langchain_retriever_over_the_tiny_corpus(tiny_pipeline) -> None:
    docs = CCHCRetriever(pipeline=tiny_pipeline).invoke("Quảng Bình cắt giảm chi phí tuân thủ bao nhiêu?")
    assert docs and all(isinstance(d, Document) for d in docs)
    assert {d.metadata["source"] for d in docs} == {"102_quang_binh.txt"}


@pytest.fixture(scope="module")
def retriever(corpus_pipeline) -> CCHCRetriever:
    return CCHCRetriever(pipeline=corpus_pipeline)


@pytest.mark.model
def test_retriever_returns_documents_that_quote_the_source_exactly(retriever, corpus_pipeline) -> None:
    docs = retriever.invoke("Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?")
    assert 0 < len(docs) <= corpus_pipeline.settings.top_k
    for d in docs:
        source, start, end = d.metadata["source"], d.metadata["start"], d.metadata["end"]
        assert corpus_pipeline.view.text(source)[start:end] == d.page_content
    # the province filter: Lai Châu has two documents, and nothing else comes back
    assert {d.metadata["source"] for d in docs} <= {LAI_CHAU_PLAN, LAI_CHAU_DIRECTIVE}
    assert docs[0].metadata["source"] == LAI_CHAU_PLAN
    assert "tối thiểu 20% chi phí tuân thủ" in docs[0].page_content


@pytest.mark.model
def test_an_unaccented_question_finds_the_same_top_passage(retriever) -> None:
    accented = retriever.invoke("mục tiêu cắt giảm chi phí tuân thủ Lai Châu 2025")
    plain = retriever.invoke("muc tieu cat giam chi phi tuan thu Lai Chau 2025")
    assert plain[0].id == accented[0].id
    assert plain[0].metadata["source"] == LAI_CHAU_PLAN


@pytest.mark.model
def test_an_english_question_reaches_the_vietnamese_passage(retriever) -> None:
    docs = retriever.invoke("What is Lai Chau's 2025 compliance cost reduction target?")
    assert docs[0].metadata["source"] == LAI_CHAU_PLAN
    assert "chi phí tuân thủ" in docs[0].page_content


@pytest.mark.model
@pytest.mark.parametrize(
    "question, source",
    [
        ("Nghị quyết 12-NQ/TU đặt mục tiêu gì?", DIEN_BIEN_RESOLUTION),
        ("Kế hoạch 2943/KH-UBND có những nội dung gì?", LAI_CHAU_PLAN),
        ("Quyết định 3028/QĐ-UBND ban hành kế hoạch nào?", QUANG_BINH_PLAN),
    ],
)
def test_a_document_number_question_reaches_that_document(retriever, question: str, source: str) -> None:
    docs = retriever.invoke(question)
    assert docs and {d.metadata["source"] for d in docs} == {source}


# --- questions typed without diacritics ------------------------------------------------------------------

def test_a_question_without_diacritics_is_spelled_as_the_documents_write_it(view_and_index):
    view, _ = view_and_index
    assert view.restore_diacritics("chi phi tuan thu giam dan") == "chi phí tuân thủ giảm dần"


def test_words_typed_with_diacritics_numbers_and_unknown_words_stay_as_typed(view_and_index):
    view, _ = view_and_index
    assert view.restore_diacritics("muc tieu nam 2025 xyzzy Hà Nội") == "mục tiêu năm 2025 xyzzy Hà Nội"


def test_restoring_reads_only_the_passages_the_words_find(view_and_index, monkeypatch):
    # the cost of a question must not grow with the collection: the spellings come from the keyword hits
    view, _ = view_and_index
    import assistant.retrieve as retrieve

    seen: list[list[str]] = []
    original = retrieve.spelling_table
    monkeypatch.setattr(retrieve, "spelling_table", lambda texts: seen.append(list(texts)) or original(seen[-1]))
    view.restore_diacritics("tap huan ky nang")
    assert seen and seen[0] == ["tập huấn kỹ năng giao tiếp cho công chức cấp xã"]
