"""Answering a file of questions: the batch behind `assistant answer`, the evaluation and the benchmarks.

Input lines are ``{"id", "question", "follows"?}``; ``follows`` names an earlier item whose conversation
the question continues. One record per answer (``Answer.to_record``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from pathlib import Path

from assistant.types import Query
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
    return [record for _, record in iter_answers(pipeline, items, mode)]


def iter_answers(pipeline, items: list[dict], mode: str | None,
                 done: Collection[object] = ()) -> Iterator[tuple[int, dict]]:
    """(position, record) for each item not in ``done`` (ids already answered), as soon as it is answered.

    An item whose id is in ``done`` is answered again, silently, only when a later item follows it: the
    follow-up needs that turn's understood question, which a record on disk does not keep."""
    needed = {item.get("follows") for item in items if item.get("id") not in done}
    understood: dict[object, Query] = {}
    for position, item in enumerate(items):
        skip = item.get("id") in done
        if skip and item.get("id") not in needed:
            continue
        previous = understood.get(item.get("follows"))
        try:
            answer = pipeline.answer(str(item["question"]), previous=previous, mode=mode)
        except BadQuestion as exc:
            record = {"id": item.get("id"), "question": item["question"], "answer": str(exc), "abstained": True,
                      "mode": mode or pipeline.settings.mode, "latency_s": 0.0, "citations": [], "error": str(exc)}
        else:
            understood[item.get("id")] = answer.query
            record = answer.to_record(item.get("id"))
        if not skip:
            yield position, record


def answered_ids(path: Path) -> set[object]:
    """The ids of the complete records in an output file of an interrupted run. A last line cut off
    mid-write is removed from the file, so the resumed run appends after whole records only."""
    if not path.exists():
        return set()
    raw = path.read_bytes()
    keep = raw if raw.endswith(b"\n") or not raw else raw[: raw.rfind(b"\n") + 1]
    if keep != raw:
        path.write_bytes(keep)
    ids = set()
    for n, line in enumerate(keep.decode("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                ids.add(json.loads(line)["id"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise AssistantError(f"{path}:{n} is not an answer record; --resume needs the output of "
                                     "an earlier `assistant answer` run (or start without --resume)") from None
    return ids
