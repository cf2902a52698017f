"""Prompt files (prompts/*.md) loaded into LangChain chat templates, with their variables checked.

A prompt file holds sections that start with a line ``## system`` or ``## human``; HTML comments are
notes for people and are dropped. Variables are f-string fields (``{question}``); literal braces are
written ``{{ }}``. A file whose fields differ from what the code supplies is refused at load time, and
a render call with missing or extra values is refused too: a typo in either place would otherwise
send the model a prompt with a hole in it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from ingest.document import Chunk
from ingest.errors import ConfigError

LANGUAGES = ("vi", "en")
ANSWER_VARIABLES = frozenset({"question", "passages"})

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SECTION = re.compile(r"^## (system|human)[ \t]*$", re.MULTILINE)
_LABELS = {
    "vi": {"province": "Tỉnh", "document": "Văn bản", "section": "Mục", "unknown": "không rõ"},
    "en": {"province": "Province", "document": "Document", "section": "Section", "unknown": "unknown"},
}


def load_chat_prompt(path: Path, expected: frozenset[str]) -> ChatPromptTemplate:
    """Read one prompt file; raise ConfigError if it is missing, malformed, or its fields differ."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Prompt file {path} does not exist") from None
    text = _COMMENT.sub("", raw)
    pieces = _SECTION.split(text)
    if pieces[0].strip():
        raise ConfigError(f"Prompt file {path} has text before its first '## system' or '## human' line")
    messages = [(role, body.strip()) for role, body in zip(pieces[1::2], pieces[2::2])]
    if not any(role == "human" for role, _ in messages):
        raise ConfigError(f"Prompt file {path} needs a '## human' section. Sections found: {[r for r, _ in messages]}")
    try:
        template = ChatPromptTemplate.from_messages(messages, template_format="f-string")
    except (KeyError, ValueError) as error:
        raise ConfigError(f"Prompt file {path} is not a valid template: {error}") from None
    found = frozenset(template.input_variables)
    if found != expected:
        raise ConfigError(
            f"Prompt file {path} uses variables {sorted(found)}; expected exactly {sorted(expected)}"
            + _difference(expected, found)
        )
    return template


def render_prompt(template: ChatPromptTemplate, variables: Mapping[str, str]) -> list[BaseMessage]:
    """Fill ``template``; raise ValueError naming any missing or extra variable."""
    expected = frozenset(template.input_variables)
    given = frozenset(variables)
    if given != expected:
        raise ValueError(f"Prompt variables do not match the template{_difference(expected, given)}")
    not_text = sorted(k for k, v in variables.items() if not isinstance(v, str))
    if not_text:
        raise ValueError(f"Prompt variables must be strings; these are not: {not_text}")
    return template.format_messages(**variables)


class AnswerPrompts:
    """The answer prompt in each language (prompts/answer.<lang>.md), loaded and checked once."""

    def __init__(self, directory: Path, languages: Sequence[str] = LANGUAGES) -> None:
        self.directory = directory
        self.templates = {lang: load_chat_prompt(directory / f"answer.{lang}.md", ANSWER_VARIABLES)
                          for lang in languages}

    def render(self, language: str, question: str, chunks: Sequence[Chunk]) -> list[BaseMessage]:
        if language not in self.templates:
            raise ValueError(f"No answer prompt for language {language!r}; available: {sorted(self.templates)}")
        passages = format_passages(chunks, language)
        return render_prompt(self.templates[language], {"question": question, "passages": passages})


def format_passages(chunks: Sequence[Chunk], language: str) -> str:
    """Number the passages [1]..[n] in the order given, each with its province and document.

    The text sits between <<< and >>> lines so the model can tell data from instructions; a passage
    that contains those delimiters itself has them defused (it could otherwise fake the end of its data).
    """
    blocks = []
    for n, chunk in enumerate(chunks, start=1):
        body = chunk.text.replace("<<<", "‹‹‹").replace(">>>", "›››").strip()
        blocks.append(f"[{n}] {passage_header(chunk, language)}\n<<<\n{body}\n>>>")
    return "\n\n".join(blocks)


def passage_header(chunk: Chunk, language: str) -> str:
    """'Tỉnh: Lai Châu | Văn bản: Kế hoạch 2943/KH-UBND (20/09/2021) | Mục: …' — what the model is told
    about a passage besides its text (so verification accepts figures taken from it too)."""
    labels = _LABELS[language]
    meta = chunk.metadata
    document = dataclasses.replace(meta, province=None).label() or meta.title or chunk.source
    header = [f"{labels['province']}: {meta.province or labels['unknown']}", f"{labels['document']}: {document}"]
    if chunk.heading_path:
        header.append(f"{labels['section']}: {' > '.join(chunk.heading_path)}")
    return " | ".join(header)


def _difference(expected: frozenset[str], found: frozenset[str]) -> str:
    missing, extra = sorted(expected - found), sorted(found - expected)
    return "".join([f"; missing: {missing}" if missing else "", f"; unexpected: {extra}" if extra else ""])
