"""Generative answers (opt-in, issue 3 §6): the model writes, ``verify`` checks, extractive is the net.

The caller has already decided that the question is answerable and built the extractive answer from
the same passages. This stage asks the chat model for a short cited answer and keeps it only if every
marker points to a given passage and every figure is in a cited one; otherwise the extractive answer
is returned, in "llm" mode, with a note saying why. An abstention is never handed to the model: the
small local model invents answers to unanswerable questions (DESIGN §1).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator, Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.answer.extractive import split_clauses
from assistant.answer.prompts import AnswerPrompts, passage_header
from assistant.answer.verify import (
    Mention,
    VerificationResult,
    claimed_by,
    find_mentions,
    keep_markers,
    supported_by,
    verify_answer,
)
from assistant.types import Answer, Citation, Query, ScoredChunk

Cite = Callable[[int, ScoredChunk], Citation]


def citation_from_chunk(n: int, scored: ScoredChunk) -> Citation:
    """The whole passage as the quote; the extractive stage may pass a finer ``cite``."""
    chunk = scored.chunk
    meta = chunk.metadata
    return Citation(
        n=n,
        source=chunk.source,
        title=meta.title or meta.label() or chunk.source,
        province=meta.province or "",
        quote=chunk.text,
        start=chunk.start,
        end=chunk.end,
        number=meta.number or "",
        doc_type=meta.doc_type or "",
        issue_date=meta.issue_date or "",
        heading=" > ".join(chunk.heading_path),
    )


class AnswerStream:
    """Iterate for the model's text as it is generated; ``answer`` holds the checked result afterwards.

    The streamed text is provisional: when verification fails, ``answer`` is the extractive answer
    and the user interface must replace what it showed.
    """

    def __init__(self, pieces: Iterator[str], finish: Callable[[str, str], Answer]) -> None:
        self._pieces = pieces
        self._finish = finish
        self._text: list[str] = []
        self._answer: Answer | None = None

    def __iter__(self) -> AnswerStream:
        return self

    def __next__(self) -> str:
        if self._answer is not None:
            raise StopIteration
        try:
            piece = next(self._pieces)
        except StopIteration:
            self._answer = self._finish("".join(self._text), "")
            raise
        except Exception as error:  # the endpoint dropped mid-answer: fall back, and say so
            self._answer = self._finish("", f"{type(error).__name__}: {error}")
            raise StopIteration from None
        self._text.append(piece)
        return piece

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            raise RuntimeError("AnswerStream.answer is known only once the stream has been read to the end")
        return self._answer


class LLMAnswerer:
    def __init__(self, chat_model: BaseChatModel, prompts: AnswerPrompts, cite: Cite = citation_from_chunk) -> None:
        self.chat_model = chat_model
        self.prompts = prompts
        self.cite = cite

    def answer(self, query: Query, passages: Sequence[ScoredChunk], extractive: Answer) -> Answer:
        if extractive.abstained:
            return dataclasses.replace(extractive, mode="llm")
        messages = self._messages(query, passages)
        started = time.perf_counter()
        try:
            text = _text(self.chat_model.invoke(messages).content)
        except Exception as error:  # an unreachable endpoint must not cost the user the extractive answer
            return self._result(query, passages, extractive, "", f"{type(error).__name__}: {error}", started)
        return self._result(query, passages, extractive, text, "", started)

    def stream(self, query: Query, passages: Sequence[ScoredChunk], extractive: Answer) -> AnswerStream:
        if extractive.abstained:
            return AnswerStream(iter(()), lambda _text, _error: dataclasses.replace(extractive, mode="llm"))
        messages = self._messages(query, passages)
        started = time.perf_counter()
        pieces = (_text(chunk.content) for chunk in self.chat_model.stream(messages))
        return AnswerStream(pieces, lambda text, error: self._result(query, passages, extractive, text, error, started))

    def _messages(self, query: Query, passages: Sequence[ScoredChunk]) -> list[BaseMessage]:
        if not passages:
            raise ValueError("LLMAnswerer needs at least one passage; with none the caller abstains")
        return self.prompts.render(query.language, query.text, [p.chunk for p in passages])

    def _result(self, query: Query, passages: Sequence[ScoredChunk], extractive: Answer, text: str, error: str,
                started: float) -> Answer:
        elapsed = time.perf_counter() - started
        if error:
            return _fallback(extractive, f"LLM call failed ({error}); extractive answer shown", elapsed)
        text = text.strip()
        # The model saw each passage's header (province, document number and date) as part of it.
        given = {n: f"{passage_header(p.chunk, query.language)}\n{p.chunk.text}"
                 for n, p in enumerate(passages, start=1)}
        result = verify_answer(text, given, key_figures(extractive.text))
        if not result.ok:
            return _fallback(extractive,
                             f"LLM answer failed verification ({result.summary()}); extractive answer shown", elapsed)
        stated = claimed_by(text)
        citations = [_narrow(c, passages[c.n - 1], stated) for c in _citations(result, passages, self.cite)]
        text, citations = _drop_unsupporting(text, citations, given, stated)
        # Everything else (question, language, related, any note on how the question was read) stays.
        return dataclasses.replace(
            extractive,
            text=text,
            mode="llm",
            citations=tuple(citations),
            latency_s=extractive.latency_s + elapsed,
        )



def _citations(result: VerificationResult, passages: Sequence[ScoredChunk], cite: Cite) -> tuple[Citation, ...]:
    # Numbered as in the prompt, so the [n] in the text and Citation.n agree.
    return tuple(cite(n, passages[n - 1]) for n in sorted(result.markers))


def _narrow(citation: Citation, passage: ScoredChunk, stated: set) -> Citation:
    """The cited passage cut to the clauses that hold the answer's figures (``stated``: what they claim) —
    "citations to the exact passage"; the whole passage when the answer states no figure or no clause holds one."""
    chunk = passage.chunk
    if (citation.start, citation.end) != (chunk.start, chunk.end):
        return citation  # a finer ``cite`` chose already
    holding = [(s, e) for s, e in split_clauses(chunk, max_words=70)
               if stated & supported_by(chunk.text[s - chunk.start : e - chunk.start])]
    if not holding:
        return citation
    start, end = holding[0][0], holding[-1][1]
    return dataclasses.replace(citation, start=start, end=end,
                               quote=chunk.text[start - chunk.start : end - chunk.start])


def _drop_unsupporting(text: str, citations: list[Citation], given: dict[int, str],
                       stated: set) -> tuple[str, list[Citation]]:
    """A small model cites every passage it was shown ("[1][2][3][4][5][6]"): when the answer states figures,
    only the passages that hold one of them stay cited, and the other markers go from the text."""
    holds = {c.n for c in citations if stated & supported_by(given[c.n])}
    if not stated or not holds or holds == {c.n for c in citations}:
        return text, citations
    return keep_markers(text, holds), [c for c in citations if c.n in holds]


def key_figures(extractive_text: str) -> tuple[Mention, ...]:
    """The figures an extractive answer leads with: its lines but the quoted sources, without what stands
    in parentheses (province and year, the Vietnamese original) or after " — " (the document)."""
    leads = [line for line in extractive_text.splitlines() if not line.strip().startswith(("Nguồn:", "Source:"))]
    bare = [re.sub(r"\([^)]*\)", " ", line.split(" — ")[0]) for line in leads]
    return tuple(find_mentions("\n".join(bare)))


def _fallback(extractive: Answer, note: str, elapsed: float) -> Answer:
    note = f"{extractive.note}; {note}" if extractive.note else note
    return dataclasses.replace(extractive, mode="llm", note=note, latency_s=extractive.latency_s + elapsed)


def _text(content: object) -> str:
    if not isinstance(content, str):
        raise TypeError(f"Expected the chat model to return text; got {type(content).__name__}")
    return content
