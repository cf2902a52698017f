"""Questions about the collection itself: which documents it holds, of which type, issued by which body,
for which province ("Which documents are resolutions of a Tỉnh ủy, and what are their numbers?", "Kho
có những văn bản nào của Lai Châu?"). Answered from the documents' metadata, each document cited at the
place where its number (or else its title) is written.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.answer.extractive import written_at
from assistant.question.asked import has_cue
from assistant.retrieve import CorpusView
from assistant.types import Answer, Citation, Query
from ingest.textnorm import canonical_tones, fold
from ingest.vocab import read_kinds, read_table
from vectorstore.chroma import DocumentRecord

_DATA = Path(__file__).parent / "data"
# Asks for documents in the plural: "những văn bản nào", "how many documents", "which resolutions"; but
# "căn cứ những văn bản nào" asks for documents a text refers to, which the retrieval answers, not the
# metadata (data/documents_cues.tsv).
_CUES = read_kinds(_DATA / "documents_cues.tsv", ("asks", "refers"))
_ASKS = "|".join(canonical_tones(cue) for cue in _CUES["asks"])
_REFERS = "|".join(canonical_tones(cue) for cue in _CUES["refers"])
# (how a question names an issuer, words of such an issuing body), from data/documents_issuers.tsv.
_ISSUERS = tuple(
    ("|".join(re.escape(fold(w.strip())) for w in named.split(",")), tuple(fold(w.strip()) for w in body.split(",")))
    for named, body in read_table(_DATA / "documents_issuers.tsv", 2)
)


def asks_for_documents(query: Query) -> bool:
    return has_cue(_ASKS, query, own=True) and not query.doc_numbers and not has_cue(_REFERS, query, own=True)


def documents_answer(query: Query, view: CorpusView, sources: set[str] | None = None,
                     max_clause_words: int = 70) -> Answer | None:
    """The documents the question describes, listed with their numbers and citations; None when the
    question is not about the collection itself."""
    if not asks_for_documents(query) or (query.unknown_provinces and not query.provinces):
        return None
    issuers = [bodies for pattern, bodies in _ISSUERS if has_cue(pattern, query, own=True)]
    matching = [r for name, r in sorted(view.documents.items())
                if (sources is None or name in sources)
                and (not query.provinces or r.metadata.province in query.provinces)
                and (not query.doc_types or r.metadata.doc_type in query.doc_types)
                and all(any(b in fold(r.metadata.issuing_body or "") for b in bodies) for bodies in issuers)]
    english = query.language == "en"
    if not matching:
        text = ("The collection holds no document of that description." if english
                else "Kho tài liệu không có văn bản nào như vậy.")
        return Answer(question=query.text, text=text, abstained=True, mode="extractive", language=query.language)
    lines, citations = [], []
    for n, record in enumerate(matching, start=1):
        citation = _cite(view, record, n, max_clause_words)
        citations.append(citation)
        m = record.metadata
        about = " — ".join(x for x in (m.issuing_body, m.title) if x)
        lines.append(f"- {m.label() or record.source}{': ' + about if about else ''} [{n}]")
    head = (f"The collection holds {len(matching)} such document{'s' if len(matching) > 1 else ''}:" if english
            else f"Kho có {len(matching)} văn bản như vậy:")
    return Answer(question=query.text, text="\n".join([head, *lines]), abstained=False, mode="extractive",
                  citations=tuple(citations), language=query.language)


def _cite(view: CorpusView, record: DocumentRecord, n: int, max_clause_words: int) -> Citation:
    """Where the document's number is written; else its title; else its first passage."""
    m = record.metadata
    for value in (m.number, m.title):
        found = value and written_at(view, record.source, re.escape(value), n, max_clause_words)
        if found:
            return found[0]
    found = written_at(view, record.source, r"\S", n, max_clause_words)
    assert found is not None, f"{record.source} is served without any chunk"
    return found[0]
