"""Tests for vectorstore/quantized.py: the int8 ONNX export keeps the fp32 vectors (cosine >= 0.99 on the gold
passages), and an export that is missing or failed its check is refused with the figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from ingest.errors import ConfigError, ModelUnavailable
from vectorstore.quantized import MARKER_FILE, MIN_COSINE, OnnxEmbedder, gold_passages, provision_onnx_int8

GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"


def test_gold_passages_are_the_distinct_gold_spans() -> None:
    passages = gold_passages(GOLD, PROJECT_ROOT / "data" / "corpus", 20 * 1024 * 1024)
    items = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines()]
    spans = {(i.get("gold_sources", [i.get("gold_source")] * 9)[n], *s) for i in items
             for n, s in enumerate(i.get("gold_spans") or ())}
    assert len(passages) == len(spans) > 50
    assert all(p.strip() and len(p) > 20 for p in passages)  # a span past the end of its file would be ""


def test_a_missing_or_failed_export_is_refused_with_its_figure(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="not built .* Run `assistant setup`"):
        OnnxEmbedder(tmp_path, query_prefix="", passage_prefix="")
    (tmp_path / "model.int8.onnx").write_bytes(b"")
    (tmp_path / MARKER_FILE).write_text(json.dumps({"passed": False, "min_cosine": 0.97, "mean_cosine": 0.98,
                                                    "passages": 70, "threshold": 0.99}))
    with pytest.raises(ModelUnavailable, match=r"failed its quality check: .*min 0.97.*CCHC_EMBEDDING_BACKEND=torch"):
        OnnxEmbedder(tmp_path, query_prefix="", passage_prefix="")


def test_the_backend_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="embedding_backend must be one of: torch, onnx-int8"):
        Settings(embedding_backend="onnx")
    with pytest.raises(ConfigError, match="the int8 export is of that model only"):
        Settings(embedding_backend="onnx-int8", embedding_model="/some/other/model")


@pytest.mark.model
@pytest.mark.slow
def test_the_int8_export_keeps_the_fp32_vectors_on_the_gold_passages(e5_folder: Path, tmp_path: Path) -> None:
    passages = gold_passages(GOLD, PROJECT_ROOT / "data" / "corpus", 20 * 1024 * 1024)
    line = provision_onnx_int8(e5_folder, tmp_path / "int8", passages)
    marker = json.loads((tmp_path / "int8" / MARKER_FILE).read_text())
    assert marker["passages"] == len(passages) and marker["min_cosine"] >= MIN_COSINE and marker["passed"], line
    embedder = OnnxEmbedder(tmp_path / "int8", query_prefix="passage: ", passage_prefix="passage: ")
    vectors = embedder.embed_documents(passages[:3] + [""])
    assert len(vectors) == 4 and all(abs(sum(x * x for x in v) - 1) < 1e-4 for v in vectors)
    # activations are quantized per batch: alone, a passage's vector moves a little, within the bar
    alone = embedder.embed_query(passages[0])
    assert sum(x * y for x, y in zip(alone, vectors[0])) >= MIN_COSINE
    assert "already built" in provision_onnx_int8(e5_folder, tmp_path / "int8", passages)
