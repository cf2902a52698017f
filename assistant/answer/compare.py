"""Questions that name several provinces ("So sánh: Điện Biên đặt tỷ lệ … bao nhiêu, còn Quảng Bình …?")
are answered province by province — each part retrieved, answered and abstained on for its own province
only — then put side by side with the citations renumbered. A province's figure can never stand in for
another's, and a province whose documents are silent says so on its own line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path

from assistant.question.understand import province_mentions, understand
from assistant.types import Answer, Query
from ingest.textnorm import plain
from ingest.vocab import read_lines

# Words that carry no subject of their own in a part of a comparison ("và", "còn", "thì sao"), accent-less
# (data/compare_joiners.txt).
_JOINERS = {word for line in read_lines(Path(__file__).parent / "data" / "compare_joiners.txt")
            for word in plain(line).split()}


def split_by_province(query: Query, known_provinces: Collection[str]) -> list[Query]:
    """One question per named province: the words from its name to the next province's name (with what
    comes before the first name), or the whole question when that part says nothing on its own ("Lai
    Châu và Sơn La cắt giảm …?")."""
    if query.inherited:  # "còn Sơn La và Quảng Bình thì sao?": the carried topic is the question
        return [replace(query, provinces=(p,)) for p in query.provinces]
    mentions = [m for m in province_mentions(query.text) if m.province in query.provinces]
    first_of = {}
    for i, m in enumerate(mentions):
        first_of.setdefault(m.province, i)
    prefix = query.text[: mentions[0].start] if mentions else ""
    parts = []
    for province in query.provinces:
        i = first_of.get(province)
        end = mentions[i + 1].start if i is not None and i + 1 < len(mentions) else len(query.text)
        own = query.text[mentions[i].end : end] if i is not None else ""
        words = [w for w in re.findall(r"[a-z]+", plain(own)) if w not in _JOINERS]
        text = f"{prefix}{province}{own}" if len(words) >= 2 else query.text
        sub = understand(text, known_provinces)
        parts.append(replace(sub, provinces=(province,), unknown_provinces=(), years=sub.years or query.years,
                             language=query.language))
    return parts


def compare(query: Query, known_provinces: Collection[str], answer_one: Callable[[Query], Answer]) -> Answer:
    parts = [(sub.provinces[0], answer_one(sub)) for sub in split_by_province(query, known_provinces)]
    english = query.language == "en"
    lines = ["By province:" if english else "Theo từng tỉnh:"]
    citations, related = [], []
    for province, answer in parts:
        renumber = {}
        for c in answer.citations:
            renumber[c.n] = len(citations) + 1
            citations.append(replace(c, n=len(citations) + 1))
        text = re.sub(r"\[(\d+)\]", lambda m, renumber=renumber: f"[{renumber.get(int(m.group(1)), m.group(1))}]",
                      answer.text)
        lines.append(f"- {province}: " + text.replace("\n", "\n  "))
        related.extend(answer.related)
    abstained = all(a.abstained for _, a in parts)
    return Answer(question=query.text, text="\n".join(lines), abstained=abstained, mode="extractive",
                  citations=tuple(citations), language=query.language,
                  related=tuple(replace(c, n=i) for i, c in enumerate(related[:3], start=1)) if abstained else ())
