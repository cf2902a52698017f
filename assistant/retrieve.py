"""Hybrid retrieval: dense (sentence-transformers vectors in Chroma) + BM25 over word-segmented text +
BM25 over accent-less text, fused by weighted reciprocal rank, filtered and boosted by metadata.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.question.understand import blank_doc_numbers, doc_numbers_in, paraphrase_terms
from assistant.types import Query, ScoredChunk
from ingest.provinces import merged_into
from ingest.textnorm import fold, has_diacritics, norm_number, plain
from ingest.vocab import read_lines, read_table
from vectorstore.bm25_store import Passage
from vectorstore.chroma import ChromaIndex, DocumentRecord, StoredChunk
from vectorstore.embeddings import Embedder
from vectorstore.keyword import FIELDS, KeywordSearch, keyword_store, plain_tokens, segment_words
from vectorstore.passages import DocumentTexts, MemoryPassages, PassageSource, StoredPassages

_QUESTION_DATA = Path(__file__).parent / "question" / "data"


@dataclass(frozen=True)
class RetrievalSettings:
    """How the hybrid search ranks. The fields without a default are user settings: their defaults live in
    ``assistant.settings.Settings`` (CCHC_* variables) and ``assistant.pipeline.retrieval_settings`` passes
    them; the fields with a default are the search's own tuning."""

    top_k: int  # passages returned
    candidates: int  # hits taken from each retriever before fusion
    weight_dense: float  # reciprocal-rank fusion weight of each ranking
    weight_bm25: float
    weight_plain: float
    use_dense: bool
    use_bm25: bool
    use_metadata: bool  # province / document-number / document-type filters and the year boost
    # Reciprocal-rank constant, weight / (rrf_k + rank + 1): small, so with a few hundred chunks the first
    # ranks dominate (with the common 60, ranks 1 and 10 differ by ~13%; with 20, by ~30%).
    rrf_k: int = 20
    # A chunk that names an asked year (in its text or headings) scores 1 + year_boost times as much: with
    # rrf_k = 20 that lifts it up to six ranks in one retriever (1.3/27 > 1/21), not over the retrievers' agreement.
    year_boost: float = 0.3
    # A chunk of a document of the type the question names scores 1 + type_boost times as much: as much as a
    # year, a lift within a retriever's first ranks.
    type_boost: float = 0.3

    def __post_init__(self) -> None:
        if self.top_k <= 0:
            raise ValueError(f"top_k must be greater than 0. Currently, the top_k is {self.top_k}")
        if self.candidates < self.top_k:
            raise ValueError(f"candidates must be >= top_k ({self.top_k}). Currently it is {self.candidates}")
        if not (self.use_dense or self.use_bm25):
            raise ValueError("At least one of use_dense and use_bm25 must be on")


class CorpusView:
    """A snapshot of what the index serves: the documents' metadata and commitments (read at start from the
    registry), the keyword index over their chunks (a persisted file, see vectorstore/bm25_store.py), and
    passages and texts fetched from the store by id when an answer needs them (``passages``, a bounded
    cache): memory and start-up do not grow with the collection's text."""

    def __init__(self, documents: dict[str, DocumentRecord], passages: PassageSource, keyword: KeywordSearch) -> None:
        self.documents = documents
        self.passages = passages
        self.keyword = keyword
        self.versions = {s: r.version for s, r in documents.items()}
        self._province_sources: dict[str, set[str]] = {}
        self.texts: Mapping[str, str] = DocumentTexts(passages, list(documents))

    @classmethod
    def load(cls, index: ChromaIndex) -> CorpusView:
        """The index's current state. Its keyword file is brought up to the registry first (what another
        process or machine committed); without a file (``ChromaIndex(keyword_path=None)``) one is built in
        memory from the chunks' stored keyword fields."""
        documents = index.documents()
        versions = {s: r.version for s, r in documents.items()}
        store = index.keyword if index.keyword is not None else keyword_store(None)
        index.sync_keyword(store, current=versions)
        return cls(documents, StoredPassages(index, versions), store.reader(versions))

    @classmethod
    def from_chunks(cls, documents: dict[str, DocumentRecord], chunks: Sequence[StoredChunk]) -> CorpusView:
        """A view over chunks given in memory (tests, small throw-away corpora)."""
        store = keyword_store(None)
        by_document: dict[tuple[str, str], list] = {}
        for s in chunks:
            by_document.setdefault((s.chunk.source, s.chunk.doc_version), []).append(
                Passage(s.chunk.chunk_id, s.chunk.index, {f: s.keyword_fields.get(f, "") for f in FIELDS}))
        store.put((source, version, passages) for (source, version), passages in by_document.items())
        texts = {source: record.text for source, record in documents.items()}
        return cls(documents, MemoryPassages(chunks, texts), store.reader())

    @property
    def provinces(self) -> set[str]:
        return {r.metadata.province for r in self.documents.values() if r.metadata.province}

    @property
    def known_provinces(self) -> KnownProvinces:
        """The provinces a question may name and get answers for (``province_sources`` is not empty)."""
        return KnownProvinces(self)

    def province_sources(self, province: str) -> set[str]:
        """The documents of a province: those its metadata names; without any, those of the province it merged
        into (1 July 2025) that name it in their text ("… Quyết định số 02/2007/QĐ-UBND của UBND tỉnh Quảng
        Bình" in a Quảng Trị decision): the successor's documents govern its former territory."""
        if province not in self._province_sources:
            own = {s for s, r in self.documents.items() if r.metadata.province == province}
            successor = merged_into(province)
            if not own and successor and successor != province:
                name = re.compile(rf"(?<!\w){re.escape(fold(province))}(?!\w)")
                own |= {s for s, r in self.documents.items()
                        if r.metadata.province == successor and name.search(fold(self.text(s)))}
            self._province_sources[province] = own
        return self._province_sources[province]

    def named_documents(self, numbers: Sequence[str]) -> set[str]:
        """The documents a question names by number: those that are that number; else those whose title (or,
        without a title, the opening of its text) names it ("Kế hoạch triển khai Quyết định 06/QĐ-TTg")."""
        wanted = {norm_number(n) for n in numbers}
        if not wanted:
            return set()
        own = {s for s, r in self.documents.items() if norm_number(r.metadata.number or "") in wanted}
        if own:
            return own
        # only a document whose opening passage holds the number's words can name it there: the keyword index
        # finds those, so a number no document has costs a search, not a read of every text
        holding = {s for s, r in self.documents.items() if r.metadata.title and wanted & {
            norm_number(n) for n in doc_numbers_in(r.metadata.title)}}
        for number in numbers:
            hits = self.keyword.search("plain", plain_tokens(number), _NAMING_PASSAGES)
            holding |= {stored.chunk.source for stored in self.chunks_by_id([h.chunk_id for h in hits]).values()
                        if stored.chunk.start < _OPENING_CHARS}
        return {s for s in holding if s in self.documents and wanted & {
            norm_number(n) for n in doc_numbers_in(document_opening(self.documents[s], self.text(s)))}}

    @property
    def n_chunks(self) -> int:
        return sum(r.n_chunks for r in self.documents.values())

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The served chunks of ``ids`` (a chunk changed since this snapshot is left out)."""
        return self.passages.get(ids)

    def document_chunks(self, source: str) -> list[StoredChunk]:
        """The served chunks of one document, in order."""
        return self.passages.of_document(source)

    def text(self, source: str) -> str:
        """A document's full text (what citation offsets index); empty when it is not served."""
        return self.passages.text(source) if source in self.documents else ""

    def is_empty(self) -> bool:
        return not self.n_chunks

    def restore_diacritics(self, text: str) -> str:
        """A question typed without diacritics, written as the collection writes its words: each run of up to
        three accent-less words becomes its most frequent spelling in the passages those words find ("thu tuc
        hanh chinh" → "thủ tục hành chính"), so word segmentation and the vectors read it as Vietnamese; the
        words of questions ("bao nhieu" → "bao nhiêu") are read first. Words those passages never write,
        numbers and words typed with diacritics stay as typed."""
        words = list(re.finditer(r"\w+", text))
        spelled: dict[int, str] = {}
        # the phrases of questions, then the collection's phrases, then single words (questions' first)
        phrases = range(_RESTORE_WORDS, 1, -1)
        local = self._spellings(text)
        passes = ((_question_spellings(), phrases), (local, phrases), (_question_spellings(), (1,)), (local, (1,)))
        for table, sizes in passes:
            i = 0
            while i < len(words):
                for n in sizes:
                    run = words[i : i + n]
                    if (len(run) < n or any(j in spelled for j in range(i, i + n))
                            or any(has_diacritics(w.group(0)) or w.group(0).isdigit() for w in run)
                            or any(text[x.end() : y.start()].strip() for x, y in zip(run, run[1:]))):
                        continue  # a phrase is accent-less words separated by spaces only, not yet spelled
                    found = table.get(tuple(plain(w.group(0)) for w in run))
                    if found is not None:
                        spelled.update({i + k: form for k, form in enumerate(found)})
                        i += n
                        break
                else:
                    i += 1
        out, pos = [], 0
        for j, w in enumerate(words):
            if j in spelled:
                typed, form = w.group(0), spelled[j]
                form = form.upper() if typed.isupper() and len(typed) > 1 else (
                    form[:1].upper() + form[1:] if typed[:1].isupper() else form)
                out.append(text[pos : w.start()] + form)
                pos = w.end()
        return "".join(out) + text[pos:]

    def _spellings(self, text: str) -> dict[tuple[str, ...], tuple[str, ...]]:
        """The spellings of the passages closest to ``text`` by its accent-less words (the keyword index's
        plain field): the words as the documents the question is about write them. Reading only those keeps
        the cost of a question independent of the collection's size, and picks the spelling that fits its
        subject ("ban hành" in a decree, "bản" where a text counts copies)."""
        hits = self.keyword.search("plain", plain_tokens(text), _RESTORE_PASSAGES)
        found = self.chunks_by_id([h.chunk_id for h in hits])
        return spelling_table(found[h.chunk_id].chunk.text for h in hits if h.chunk_id in found)


def spelling_table(texts: Iterable[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Accent-less runs of 1 to _RESTORE_WORDS words → their most frequent spelling in ``texts``."""
    counts: dict[tuple[str, ...], dict[tuple[str, ...], int]] = {}
    for text in texts:
        tokens = re.findall(r"\w+", fold(text))
        for n in range(1, _RESTORE_WORDS + 1):
            for j in range(len(tokens) - n + 1):
                gram = tuple(tokens[j : j + n])
                key = tuple(plain(t) for t in gram)
                forms = counts.setdefault(key, {})
                forms[gram] = forms.get(gram, 0) + 1
    # a phrase of several words counts when the passages write it twice: once may be an accident
    return {key: max(forms, key=forms.get) for key, forms in counts.items()
            if len(key) == 1 or sum(forms.values()) >= _RESTORE_MIN_COUNT}


# Words restore_diacritics reads as one phrase, at most: three tell "ban hành"/"bản hành" apart by context.
_RESTORE_WORDS = 3
_RESTORE_MIN_COUNT = 2
# Passages searched for the documents whose opening names a document number: a much-cited number ("06/QĐ-TTg")
# is in many passages; this many reach past those that only cite it to the openings that name it.
_NAMING_PASSAGES = 100
# Passages whose spellings restore a question: about the first page of keyword hits on its accent-less words.
_RESTORE_PASSAGES = 40


@lru_cache(maxsize=1)
def _question_spellings() -> dict[tuple[str, ...], tuple[str, ...]]:
    """How questions spell their own words (question/data/question_words_vi.txt, and the cues of
    answer_cues.tsv that are plain words)."""
    words = list(read_lines(_QUESTION_DATA / "question_words_vi.txt"))
    words += [cue for _, cue in read_table(_QUESTION_DATA / "answer_cues.tsv", 2)
              if re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)*", cue) and has_diacritics(cue)]
    out = {}
    for phrase in words:
        tokens = tuple(fold(phrase).split())
        if 0 < len(tokens) <= _RESTORE_WORDS:
            out[tuple(plain(t) for t in tokens)] = tokens
    return out

# The opening of a document's text that holds its title: the letterhead and the trích yếu, before the legal
# bases ("Căn cứ …") or the body begin. Its length is a bound, not a rule: the title ends within it.
_OPENING_CHARS = 800


def document_opening(record: DocumentRecord, text: str) -> str:
    opening = text[:_OPENING_CHARS]
    basis = re.search(r"(?i)căn\s+cứ", opening)
    return f"{record.metadata.title or ''} {opening[: basis.start()] if basis else opening}"


class KnownProvinces(Collection[str]):
    """The provinces with documents in a view, as ``understand`` needs them: a province is known when the
    view has documents of it (``CorpusView.province_sources``), its own or its successor's."""

    def __init__(self, view: CorpusView) -> None:
        self.view = view

    def __contains__(self, province: object) -> bool:
        return isinstance(province, str) and bool(self.view.province_sources(province))

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.view.provinces))

    def __len__(self) -> int:
        return len(self.view.provinces)


class HybridSearch:
    def __init__(self, settings: RetrievalSettings, index: ChromaIndex, embedder: Embedder, view: CorpusView) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.view = view

    def named_sources(self, query: Query, restrict: set[str] | None = None) -> set[str]:
        """The documents the question names by number (``CorpusView.named_documents``), within ``restrict``,
        unless their metadata puts them in a province other than the question's: a number is unique only
        within one issuer, and the province the question names decides."""
        if not self.settings.use_metadata or not query.doc_numbers:
            return set()
        named = self.view.named_documents(query.doc_numbers)
        if restrict is not None:
            named &= set(restrict)
        if query.provinces:
            allowed = set().union(*(self.view.province_sources(p) for p in query.provinces))
            named = {s for s in named if s in allowed or not self.view.documents[s].metadata.province}
        return named

    def allowed_sources(self, query: Query, restrict: set[str] | None = None) -> set[str]:
        """Documents the question is about: the document it names by number (whatever province its text
        names or not), else its provinces' documents, within ``restrict`` (a filter the user chose)."""
        sources = set(self.view.documents) if restrict is None else set(self.view.documents) & set(restrict)
        if not self.settings.use_metadata:
            return sources
        named = self.named_sources(query, restrict)
        if named:
            return named
        if query.provinces:
            allowed = set().union(*(self.view.province_sources(p) for p in query.provinces))
            sources &= allowed
        if query.focus and not query.provinces:
            focused = sources & set(query.focus)
            sources = focused or sources
        return sources

    def search(self, query: Query, k: int | None = None, restrict: set[str] | None = None) -> list[ScoredChunk]:
        k = k or self.settings.top_k
        sources = self.allowed_sources(query, restrict)
        if not any(self.view.documents[s].n_chunks for s in sources):
            return []
        rankings: dict[str, list[str]] = {}
        weights = {"dense": self.settings.weight_dense, "bm25": self.settings.weight_bm25,
                   "plain": self.settings.weight_plain}
        n = self.settings.candidates
        if self.settings.use_dense:
            versions = {s: v for s, v in self.view.versions.items() if s in sources}
            hits = self.index.search(self.embedder.embed_query(self._dense_text(query)), n, versions)
            rankings["dense"] = [cid for cid, _ in hits]  # of the allowed sources' served versions only
        if self.settings.use_bm25:
            keywords = query.keywords_vi or query.text
            if query.doc_numbers and self.named_sources(query, restrict):
                keywords = blank_doc_numbers(keywords)  # the search is already within that document
            if query.language == "vi":  # "nộp phí trên mạng" finds "thanh toán trực tuyến"
                keywords = f"{keywords} {paraphrase_terms(keywords)}"
            keyword = self.view.keyword
            rankings["bm25"] = [h.chunk_id for h in keyword.search("seg", segment_words(keywords), n, sources)]
            rankings["plain"] = [h.chunk_id for h in keyword.search("plain", plain_tokens(keywords), n, sources)]
        fused: dict[str, dict[str, float]] = {}
        for name, ranked in rankings.items():
            for rank, cid in enumerate(ranked):
                fused.setdefault(cid, {})[name] = weights[name] / (self.settings.rrf_k + rank + 1)
        scored = []
        stored = self.view.chunks_by_id(list(fused))  # one read for every candidate
        for cid, parts in fused.items():
            if cid not in stored:  # changed in the store since this snapshot
                continue
            chunk = stored[cid].chunk
            score = sum(parts.values()) * self._boost(query, chunk)
            scored.append(ScoredChunk(chunk, score, parts))
        scored.sort(key=lambda s: -s.score)
        return scored[:k]

    def _dense_text(self, query: Query) -> str:
        if query.language == "en" or query.inherited:
            return f"{query.text} {query.keywords_vi}".strip()
        if not has_diacritics(query.text) and query.keywords_vi:
            return query.keywords_vi  # typed without diacritics: as restored (CorpusView.restore_diacritics)
        return query.text

    def _boost(self, query: Query, chunk) -> float:
        """An asked year in the chunk, and a document of the asked type ("chỉ thị", "kế hoạch"), lift it: a
        type word is also an ordinary word ("theo quy định mới"), so it ranks, never filters."""
        if not self.settings.use_metadata:
            return 1.0
        boost = 1.0
        if query.years:
            context = chunk.text + " " + " ".join(chunk.heading_path)
            boost += self.settings.year_boost * any(str(y) in context for y in query.years)
        if query.doc_types:
            boost += self.settings.type_boost * (chunk.metadata.doc_type in query.doc_types)
        return boost


class CCHCRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever: a question in, LangChain ``Document``s out."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    pipeline: object  # assistant.pipeline.Pipeline; typed loosely to avoid an import cycle

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        understood = self.pipeline.understand(query)  # type: ignore[attr-defined]
        return [to_langchain(s) for s in self.pipeline.search.search(understood)]  # type: ignore[attr-defined]


def to_langchain(scored: ScoredChunk) -> Document:
    c = scored.chunk
    meta = {"source": c.source, "start": c.start, "end": c.end, "score": scored.score,
            "heading_path": " > ".join(c.heading_path), "chunk_id": c.chunk_id}
    meta.update({k: v for k, v in c.metadata.to_dict().items() if v})
    return Document(page_content=c.text, metadata=meta, id=c.chunk_id)
