"""Answering a file of questions: the batch behind `assistant answer`, the evaluation and the benchmarks.

Input lines are ``{"id", "question", "follows"?}``; ``follows`` names an earlier item whose conversation
the question continues. One record per answer (``Answer.to_record``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.errors import AssistantError, BadQuestion


def read_questions(path: Path) -> list[dict]:
    if not path.exists():
        raise AssistantError(f"Question file {path} does not exist")
    items = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AssistantError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, dict) or "question" not in item:
            raise AssistantError(f'{path}:{n}: each line needs {{"id": …, "question": …}}')
        if not isinstance(item["question"], str):
            raise AssistantError(f"{path}:{n}: \"question\" must be a string, not {type(item['question']).__name__}")
        items.append(item)
    return items


def answer_all(pipeline, items: list[dict], mode: str | None) -> list[dict]:
    """Answer every item; an item with "follows": ID continues the conversation of that earlier item."""
    understood = {}
    records = []
    for item in items:
        previous = understood.get(item.get("follows"))
        try:
            answer = pipeline.answer(str(item["question"]), previous=previous, mode=mode)
        except BadQuestion as exc:
            records.append({"id": item.get("id"), "question": item["question"], "answer": str(exc),
                            "abstained": True, "mode": mode or pipeline.settings.mode, "latency_s": 0.0,
                            "citations": [], "error": str(exc)})
            continue
        understood[item.get("id")] = answer.query
        records.append(answer.to_record(item.get("id")))
    return records
