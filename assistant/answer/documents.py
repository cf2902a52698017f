"""Questions about the collection itself: which documents it holds, of which type, issued by which body,
for which province ("Which documents are resolutions of a Tỉnh ủy, and what are their numbers?", "Kho
có những văn bản nào của Lai Châu?"). Answered from the documents' metadata, each document cited at the
place where its number (or else its title) is written.
"""

from __future__ import annotations

import re

from assistant.answer.extractive import written_at
from assistant.retrieve import CorpusView
from assistant.types import Answer, Citation, Query
from assistant.question.asked import has_cue
from ingest.textnorm import fold
from vectorstore.chroma import DocumentRecord

# Asks for documents in the plural: "những văn bản nào", "how many documents", "which resolutions".
_ASKS = (r"(?:những|các)\s+(?:văn bản|tài liệu)(?:\s+\w+)?\s+(?:nào|gì)|(?:bao nhiêu|mấy)\s+(?:văn bản|tài liệu)|danh sách\s+(?:các\s+)?(?:văn bản|tài liệu)|"
         r"kho\s+(?:tài liệu|văn bản)|(?:văn bản|tài liệu)\s+nào\s+(?:trong kho|hiện có|có trong)|"
         r"(?:which|what|list(?: the| all)?|how many)\s+(?:\w+\s+)?(?:documents|resolutions|directives|plans|decisions)|"
         r"documents (?:in|of) the (?:collection|corpus)")
# "căn cứ những văn bản nào": documents a text refers to, which the retrieval answers, not the metadata.
_REFERS = (r"căn cứ|triển khai|quán triệt|thực hiện|theo|implements?|implementing|based on|pursuant|refers?|"
           r"referred|cites?|cited|under")
_ISSUERS = (
    (r"tỉnh ủy|đảng bộ|ban thường vụ|party committee|party", ("tỉnh ủy", "đảng bộ")),
    (r"ubnd|ủy ban nhân dân|people's committee", ("ubnd", "ủy ban nhân dân")),
    (r"hđnd|hội đồng nhân dân|people's council", ("hđnd", "hội đồng nhân dân")),
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
