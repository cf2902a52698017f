"""User feedback on answers, appended to a JSONL log (one JSON object a line).

Each record carries the question, the answer and its citations, so the log is a source of new evaluation
questions: a thumbs-down with a comment is a candidate gold item. A rating and a later comment on the
same answer are two records with the same ``answer_id``; the later one has the user's final word.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.types import Answer

RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class Feedback:
    answer_id: str  # one id per answered turn, so a rating and a later comment can be joined
    question: str
    answer_text: str  # what the user saw (the answer, or the error message)
    answer: Answer | None  # None when the turn ended in an error message
    rating: str | None = None  # "up", "down" or None (a comment without a rating)
    comment: str = ""
    ui_language: str = "vi"

    def __post_init__(self) -> None:
        if self.rating is not None and self.rating not in RATINGS:
            raise ValueError(f"Feedback rating must be one of {RATINGS} or None. Currently it is {self.rating!r}")
        if len(self.comment) > MAX_COMMENT_CHARS:
            raise ValueError(f"Feedback comment is {len(self.comment)} characters; the limit is {MAX_COMMENT_CHARS}")

    def to_record(self) -> dict:
        answer = self.answer
        return {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "answer_id": self.answer_id,
            "rating": self.rating,
            "comment": self.comment,
            "question": self.question,
            "answer": self.answer_text,
            "abstained": answer.abstained if answer else None,
            "mode": answer.mode if answer else None,
            "language": answer.language if answer else None,
            "ui_language": self.ui_language,
            "citations": [c.to_dict() for c in answer.citations] if answer else [],
            "note": answer.note if answer else "",
        }


class FeedbackLog:
    """Appends records to ``path``; safe to share between the app's worker threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, feedback: Feedback) -> dict:
        record = feedback.to_record()
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)
        return record

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line.strip()]
