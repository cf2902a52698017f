"""Fixtures shared by the tests of every stage: the sample corpus, the real token counter, a fake embedder
and a throw-away Chroma store.

Fast tests never load the embedding model: they use ``tests.fakes.HashingEmbedder``. Tests that need the
real model carry ``@pytest.mark.model`` and get it from the session-scoped ``real_embedder`` (loaded once).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import chromadb
import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.fakes import HashingEmbedder
from vectorstore.chroma import ChromaIndex
from vectorstore.ingestor import Ingestor

CORPUS_DIR = PROJECT_ROOT / "data" / "corpus"
SAMPLE_FILES = tuple(sorted(p.name for p in CORPUS_DIR.glob("*.txt")))


@pytest.fixture
def sample_corpus(tmp_path: Path) -> Path:
    """A writable copy of data/corpus (the originals are read-only), so tests can change and delete files."""
    target = tmp_path / "corpus"
    target.mkdir()
    for name in SAMPLE_FILES:
        (target / name).write_bytes((CORPUS_DIR / name).read_bytes())
    return target


@pytest.fixture(scope="session")
def count_tokens() -> Callable[[str], int]:
    """The tiktoken counter the pipeline uses (cl100k_base from the provisioned cache, offline)."""
    from vectorstore.models import tiktoken_encoding

    settings = Settings()
    encoding = tiktoken_encoding(settings.tiktoken_encoding, settings.tiktoken_cache_dir)
    return lambda text: len(encoding.encode(text, disallowed_special=()))


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def chroma_dir(tmp_path: Path) -> Path:
    return tmp_path / "chroma"


@pytest.fixture
def chroma_index(chroma_dir: Path) -> ChromaIndex:
    return ChromaIndex(chromadb.PersistentClient(path=str(chroma_dir)), "test", "fake")


@pytest.fixture
def settings(chroma_dir: Path) -> Settings:
    """Defaults with the Chroma store in tmp_path (models and tiktoken files stay where setup put them)."""
    return Settings(chroma_path=chroma_dir, collection="test", embedding_model="fake")


@pytest.fixture
def ingestor(settings: Settings, fake_embedder: HashingEmbedder, chroma_index: ChromaIndex) -> Ingestor:
    """The real ingest wiring (assistant.pipeline.build_ingestor) with the fake embedder."""
    from assistant.pipeline import build_ingestor

    return build_ingestor(settings, embedder=fake_embedder, index=chroma_index)


@pytest.fixture(scope="session")
def real_embedder():
    """The real multilingual-e5-small embedder, loaded once per session (tests using it are `model`)."""
    from assistant.pipeline import build_embedder

    return build_embedder(Settings())

