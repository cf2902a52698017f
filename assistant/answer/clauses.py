"""Clauses and citations: a chunk split into the sentences and ';' clauses an answer can quote, and a
citation of a span at its exact offsets in the document (``quote == document_text[start:end]``).

Shared by the extractive answerer, the documents answer and the generative reader's citation cutting.
"""

from __future__ import annotations

import re

from assistant.retrieve import CorpusView
from assistant.types import Citation
from ingest.document import Chunk

_CLAUSE_BOUNDARY = re.compile(r"[.;!?](?=\s|$)|\n")
_SENTENCE_BOUNDARY = re.compile(r"[.!?](?=\s|$)|\n")

# A whole sentence (asked for a list or an explanation) may be this many times as long as a clause before it
# is cut at commas: it holds several ';' clauses, and cutting it would drop items of the list.
_SENTENCE_WORDS_FACTOR = 2
# A clause over the limit is cut at a comma once the piece has at least max_words // this many words: pieces
# of half to a whole limit, where cutting at every comma would quote fragments without their subject.
_MIN_PIECE_DIVISOR = 2
# A clause of one word (a heading number "1.", a stray "a)") is no answer.
_MIN_CLAUSE_WORDS = 2


def split_clauses(chunk: Chunk, max_words: int, sentences_only: bool = False) -> list[tuple[int, int]]:
    """Sentences and ';' clauses of the chunk as absolute (start, end) offsets. "2.000" and "0,3" have no
    space after the mark, so they stay whole; a clause over ``max_words`` is cut at commas."""
    out, pos = [], 0
    boundary = _SENTENCE_BOUNDARY if sentences_only else _CLAUSE_BOUNDARY
    if sentences_only:
        max_words *= _SENTENCE_WORDS_FACTOR
    bounds = [m.end() for m in boundary.finditer(chunk.text)] + [len(chunk.text)]
    for b in bounds:
        piece = chunk.text[pos:b]
        s = pos + len(piece) - len(piece.lstrip())
        e = pos + len(piece.rstrip(" \n;"))
        pos = b
        if e > s and len(chunk.text[s:e].split()) >= _MIN_CLAUSE_WORDS:
            out.extend(_cut_long(chunk.text, s, e, max_words))
    return [(chunk.start + s, chunk.start + e) for s, e in out] or [(chunk.start, chunk.end)]


def _cut_long(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    if len(text[start:end].split()) <= max_words:
        return [(start, end)]
    out, piece_start = [], start
    for m in re.finditer(r",\s", text[start:end]):
        cut = start + m.start()
        if len(text[piece_start:cut].split()) >= max_words // _MIN_PIECE_DIVISOR:
            out.append((piece_start, cut))
            piece_start = start + m.end()
    out.append((piece_start, end))
    return out


def sentence_end(full: str, end: int, chunk_end: int, max_continuation: int) -> int:
    """Where a clause that runs to its chunk's end ("…; tập trung nâng cao chỉ số PCI;") ends in the
    document: the chunker splits long sentences at ';', and a list is answered whole. The sentence is
    followed at most ``max_continuation`` characters past the chunk."""
    if full[end:chunk_end].strip(" \n;,:") or not full[:chunk_end].rstrip().endswith((";", ",", ":")):
        return end
    stop = _SENTENCE_BOUNDARY.search(full, chunk_end, min(len(full), chunk_end + max_continuation))
    if stop is None:
        return end
    return stop.end() if full[stop.start()] != "\n" else len(full[: stop.start()].rstrip(" ;,"))


def paragraph_prefix(full: str, start: int) -> str:
    """The text of ``start``'s line before it (where "Đến năm 2025, …" gives a clause its year)."""
    line_start = full.rfind("\n", 0, start) + 1
    return full[line_start:start]


def cite_span(n: int, chunk: Chunk, start: int, end: int, quote: str) -> Citation:
    """Citation ``n`` of ``quote``, the document's text at the absolute offsets [start, end) in ``chunk``."""
    m = chunk.metadata
    return Citation(n=n, source=chunk.source, title=m.title or m.label() or chunk.source, province=m.province or "",
                    quote=quote, start=start, end=end, number=m.number or "", doc_type=m.doc_type or "",
                    issue_date=m.issue_date or "", heading=" > ".join(chunk.heading_path))


def written_at(view: CorpusView, source: str, pattern: str, n: int,
               max_clause_words: int) -> tuple[Citation, str] | None:
    """Citation ``n`` of the first clause of ``source`` where ``pattern`` is written, and what it matched."""
    for chunk in (s.chunk for s in view.document_chunks(source)):
        hit = re.search(pattern, chunk.text)
        if hit:
            start = chunk.start + hit.start()
            clause = next(((s, e) for s, e in split_clauses(chunk, max_clause_words) if s <= start < e),
                          (chunk.start, chunk.end))
            clause = (clause[0], max(clause[1], chunk.start + hit.end()))  # a match over a line break, whole
            quote = chunk.text[clause[0] - chunk.start : clause[1] - chunk.start]
            return cite_span(n, chunk, clause[0], clause[1], quote), hit.group(0)
    return None
