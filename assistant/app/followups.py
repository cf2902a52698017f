"""Suggested next questions under an answer, from the document that answered it: its other targets (the
commitments ledger's rows of that document that the answer did not cite), then who signed it and when.

Each suggestion is a question in the page's language that the pipeline answers from that document; the
chat shows them as buttons that ask it. Nothing is suggested for an abstention (no document answered).
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.answer.ledger import topic_label
from assistant.app.render import format_date
from assistant.types import Answer
from vectorstore.chroma import DocumentRecord

MAX_SUGGESTIONS = 3
MAX_TARGETS = 2  # the rest of the room is for the signer and the date
MAX_METRIC_CHARS = 90  # a longer metric is cut at a word: a button is one or two lines

QUESTIONS = {
    "vi": {"target": "{metric} của {province} vào năm {year} là bao nhiêu?",
           "signer": "Ai ký {document}?", "date": "{document} được ban hành ngày nào?"},
    "en": {"target": "What is {province}'s target for {topic} by {year}?",
           "signer": "Who signed {document}?", "date": "When was {document} issued?"},
}


def _short(metric: str) -> str:
    if len(metric) <= MAX_METRIC_CHARS:
        return metric
    return metric[:MAX_METRIC_CHARS].rsplit(" ", 1)[0]


def suggestions(answer: Answer, documents: Mapping[str, DocumentRecord], language: str) -> list[str]:
    """Up to MAX_SUGGESTIONS questions about the answer's (first cited) document that the answer did not cover."""
    if answer.abstained or not answer.citations:
        return []
    q = QUESTIONS[language]
    source = answer.citations[0].source
    record = documents.get(source)
    if record is None:
        return []
    cited = [(c.start, c.end) for c in answer.citations if c.source == source]
    out: list[str] = []
    seen: set[tuple[str, int]] = set()
    m = record.metadata
    for row in record.commitments:
        if len(out) >= MAX_TARGETS:
            break
        if row.year is None or not (row.province or m.province):
            continue
        if any(row.start < end and start < row.end for start, end in cited):
            continue  # what the answer already says
        key = (row.metric if language == "vi" else row.topic, row.year)
        if key in seen:
            continue
        seen.add(key)
        metric, topic = _short(row.metric), topic_label(row.topic, language)
        out.append(q["target"].format(metric=metric[:1].upper() + metric[1:], province=row.province or m.province,
                                      topic=topic[:1].lower() + topic[1:], year=row.year))
    document = " ".join(p for p in (m.doc_type, m.number) if p)
    if document and m.signer and m.signer not in answer.text:
        out.append(q["signer"].format(document=document))
    if document and m.issue_date and format_date(m.issue_date, "vi") not in answer.text and m.issue_date not in \
            answer.text:
        out.append(q["date"].format(document=document))
    asked = answer.question.strip().casefold()
    return [s for s in dict.fromkeys(out) if s.casefold() != asked][:MAX_SUGGESTIONS]
