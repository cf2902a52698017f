"""Ingest runs over a JSONL source: documents stored under their ids, bad lines skipped, --sync kept safe, and
an interrupted run resumed (what was committed is skipped as unchanged, never embedded again)."""

from __future__ import annotations

import json
import lzma
from pathlib import Path

import pytest

from ingest.errors import IngestError
from tests.conftest import CORPUS_DIR, SAMPLE_FILES
from tests.fakes import HashingEmbedder
from vectorstore.chroma import ChromaIndex
from vectorstore.ingestor import Ingestor

IDS = [f"doc{i}" for i in range(len(SAMPLE_FILES))]


def library(path: Path, extra: list[str] = ()) -> Path:
    """The sample documents as one xz-compressed JSONL file, ids doc0…doc4, then ``extra`` lines."""
    lines = [json.dumps({"id": i, "text": (CORPUS_DIR / n).read_text("utf-8")}, ensure_ascii=False)
             for i, n in zip(IDS, SAMPLE_FILES)]
    with lzma.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines + list(extra)) + "\n")
    return path


def test_a_jsonl_library_is_ingested_under_its_ids(ingestor: Ingestor, tmp_path: Path,
                                                   chroma_index: ChromaIndex) -> None:
    path = library(tmp_path / "lib.jsonl.xz", ['{"id": "bad"'])
    report = ingestor.run([path])
    assert report.added == [f"{i}.md" for i in IDS]
    assert [(s.path, s.unreadable) for s in report.skipped] == [(f"{path}:6", True)]
    stored = chroma_index.documents()
    assert set(stored) == {f"{i}.md" for i in IDS}
    assert stored["doc0.md"].path == f"{path}:1 (doc0)"
    again = ingestor.run([path])
    assert again.unchanged == [f"{i}.md" for i in IDS] and again.chunks_written == 0


def test_an_interrupted_run_resumes_where_it_stopped(settings, chroma_index: ChromaIndex, tmp_path: Path) -> None:
    from assistant.pipeline import build_ingestor

    path = library(tmp_path / "lib.jsonl.xz")

    class Interrupted(HashingEmbedder):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            if len(self.calls) == 2:  # Ctrl-C while the third document is embedded
                raise KeyboardInterrupt
            return super().embed_documents(texts)

    with pytest.raises(KeyboardInterrupt):
        build_ingestor(settings, embedder=Interrupted(), index=chroma_index).run([path])
    assert set(chroma_index.documents()) == {"doc0.md", "doc1.md"}
    embedder = HashingEmbedder()
    report = build_ingestor(settings, embedder=embedder, index=chroma_index).run([path])
    assert report.unchanged == ["doc0.md", "doc1.md"] and report.added == ["doc2.md", "doc3.md", "doc4.md"]
    assert len(embedder.calls) == 3  # the committed documents are not embedded again


def test_sync_refuses_when_a_line_cannot_be_read(ingestor: Ingestor, tmp_path: Path,
                                                 chroma_index: ChromaIndex) -> None:
    path = library(tmp_path / "lib.jsonl.xz")
    ingestor.run([path])
    damaged = tmp_path / "damaged.jsonl.xz"
    lines = lzma.open(path, "rt", encoding="utf-8").read().splitlines()
    with lzma.open(damaged, "wt", encoding="utf-8") as out:  # doc3's line is cut: its id cannot be known
        out.write("\n".join(lines[:3] + [lines[3][:40]] + lines[4:]) + "\n")
    with pytest.raises(IngestError, match=rf"--sync needs every folder to be readable.*{damaged}:4"):
        ingestor.run([damaged], sync=True)
    assert len(chroma_index.documents()) == 5  # nothing stored was lost


def test_sync_keeps_a_document_whose_line_has_its_id_but_a_bad_text(ingestor: Ingestor, tmp_path: Path,
                                                                   chroma_index: ChromaIndex) -> None:
    path = library(tmp_path / "lib.jsonl.xz")
    ingestor.run([path])
    lines = lzma.open(path, "rt", encoding="utf-8").read().splitlines()
    changed = tmp_path / "changed.jsonl.xz"
    with lzma.open(changed, "wt", encoding="utf-8") as out:  # doc1 lost its text, doc4 is gone
        out.write("\n".join([lines[0], json.dumps({"id": "doc1", "text": ""}), *lines[2:4]]) + "\n")
    report = ingestor.run([changed], sync=True)
    assert report.removed == ["doc4.md"]
    assert [s.path for s in report.skipped] == [f"{changed}:2 (doc1)"]
    assert set(chroma_index.documents()) == {"doc0.md", "doc1.md", "doc2.md", "doc3.md"}
