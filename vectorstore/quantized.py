"""The optional quantized CPU path: the same multilingual-e5-small, exported to ONNX at setup and quantized to
int8 (ONNX Runtime dynamic quantization), run by ONNX Runtime instead of torch.

Built offline from the sentence-transformers folder that setup already makes (vectorstore/models.py); nothing
is downloaded. It is used only when its vectors keep quality: setup embeds the gold passages (the spans that
eval/gold.jsonl points at) with both models and records the lowest cosine in the folder's marker; below
``MIN_COSINE`` the marker says so and ``OnnxEmbedder`` refuses to load, naming the figure. An index built with
one path is searched with the other only within that tolerance, which is why the index still records the same
embedding model name for both.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from ingest.errors import ModelUnavailable

MIN_COSINE = 0.99  # the bar: a vector this close to fp32 keeps the neighbours (and R@5) of the fp32 index
ONNX_FOLDER_NAME = "multilingual-e5-small-onnx-int8"
MODEL_FILE = "model.int8.onnx"
MARKER_FILE = "quantized.json"
RECIPE = 2  # bump when the export or quantization changes: setup rebuilds
_MAX_LENGTH = 512  # the e5 folder's max_seq_length (its position embeddings)


def onnx_dir(build_dir: Path) -> Path:
    return build_dir / ONNX_FOLDER_NAME


def _source_identity(e5_folder: Path) -> dict[str, object]:
    weights = e5_folder / "model.safetensors"
    import onnxruntime

    return {"recipe": RECIPE, "source": str(e5_folder.resolve()), "source_size": weights.stat().st_size,
            "source_mtime": int(weights.stat().st_mtime), "onnxruntime": onnxruntime.__version__}


def read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def provision_onnx_int8(e5_folder: Path, target: Path, check_texts: Sequence[str], threads: int = 1) -> str:
    """Export ``e5_folder`` to ONNX, quantize it to int8 at ``target`` and check it against fp32 on
    ``check_texts`` (unless a current build is there). One line for the user: built or not, and the check."""
    expected = _source_identity(e5_folder)
    marker = read_marker(target)
    if marker and all(marker.get(k) == v for k, v in expected.items()) and (target / MODEL_FILE).is_file():
        return f"ONNX int8 e5-small in {target}: already built; {_verdict(marker)}"
    started = time.perf_counter()
    work = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        _export_and_quantize(e5_folder, work)
        for name in ("tokenizer.json",):
            shutil.copy2(e5_folder / name, work / name)
        fp32 = _st_embedder(e5_folder)
        int8 = OnnxEmbedder(work, query_prefix="passage: ", passage_prefix="passage: ", threads=threads, check=False)
        cosines = cosines_to(fp32, int8, check_texts)
        marker = dict(expected, min_cosine=round(min(cosines), 5), mean_cosine=round(sum(cosines) / len(cosines), 5),
                      passages=len(cosines), passed=min(cosines) >= MIN_COSINE, threshold=MIN_COSINE,
                      size_mb=round((work / MODEL_FILE).stat().st_size / 1024 / 1024, 1))
        (work / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", "utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.rename(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return f"ONNX int8 e5-small in {target}: built in {time.perf_counter() - started:.0f} s; {_verdict(marker)}"


def _verdict(marker: dict) -> str:
    word = "usable" if marker.get("passed") else "NOT usable (CCHC_EMBEDDING_BACKEND=onnx-int8 will refuse it)"
    return (f"{word}: cosine to fp32 on {marker.get('passages')} gold passages min {marker.get('min_cosine')}, "
            f"mean {marker.get('mean_cosine')} (needs >= {marker.get('threshold')})")


def _st_embedder(e5_folder: Path):
    from vectorstore.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(str(e5_folder), query_prefix="passage: ", passage_prefix="passage: ")


def cosines_to(reference, candidate, texts: Sequence[str]) -> list[float]:
    """Cosine of each text's two (L2-normalised) passage vectors."""
    left, right = reference.embed_documents(list(texts)), candidate.embed_documents(list(texts))
    return [sum(x * y for x, y in zip(u, v)) for u, v in zip(left, right)]


def _export_and_quantize(e5_folder: Path, work: Path) -> None:
    # Imported here: torch/transformers/onnx cost seconds, and only a build needs them.
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(e5_folder))
    bert.eval()

    class HiddenStates(torch.nn.Module):  # the two inputs by position, one output: what the exporter traces
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert  # a submodule: its weights export as initializers, which quantization rewrites

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    fp32 = work / "model.fp32.onnx"
    # the tracer warns about every shape-dependent branch of BERT (some warnings print whole weight tensors)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the TorchScript exporter: the dynamo one needs onnxscript, and a BERT graph has nothing it would add
        torch.onnx.export(HiddenStates(), (ids, ids), str(fp32), dynamo=False,
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"},
                                        "last_hidden_state": {0: "batch", 1: "tokens"}},
                          opset_version=17)
    # Dynamic quantization: int8 weights, activations quantized per batch at run time; no calibration data.
    # Measured on the gold passages (2026-12-03): the defaults gave min cosine 0.969 to fp32; per-channel
    # scales and reduce_range (7-bit weights: AVX2 without VNNI saturates u8*s8 pairs) give 0.992, ~3x fp32 speed.
    quantize_dynamic(str(fp32), str(work / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=True)
    fp32.unlink()
    for leftover in work.glob("*.data"):  # external tensor files of the fp32 export
        leftover.unlink()


class OnnxEmbedder:
    """An ``Embedder`` over the int8 ONNX model: e5 prefixes, mean pooling over the attention mask, L2-normalised,
    as the sentence-transformers folder computes them. Texts are batched by length to pad little.

    Dynamic quantization scales activations per batch, so a text's vector moves slightly with the texts it is
    batched with (measured: cosine > 0.99 between a passage alone and in a batch), as it does against fp32."""

    def __init__(self, folder: Path, *, query_prefix: str, passage_prefix: str, batch_size: int = 32,
                 threads: int = 1, check: bool = True) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0. Currently, the batch_size is {batch_size}")
        folder = Path(folder)
        if check:
            marker = read_marker(folder)
            if marker is None or not (folder / MODEL_FILE).is_file():
                raise ModelUnavailable(f"The ONNX int8 model is not built at {folder}. Run `assistant setup` "
                                       "(or set CCHC_EMBEDDING_BACKEND=torch).")
            if not marker.get("passed"):
                raise ModelUnavailable(f"The ONNX int8 model at {folder} failed its quality check: {_verdict(marker)}. "
                                       "Set CCHC_EMBEDDING_BACKEND=torch.")
        import numpy as np
        import onnxruntime
        from tokenizers import Tokenizer

        self._np = np
        self.query_prefix, self.passage_prefix, self.batch_size = query_prefix, passage_prefix, batch_size
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(_MAX_LENGTH)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        # one thread per inference by default, for the reason CCHC_TORCH_THREADS gives (settings.py)
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(folder / MODEL_FILE), options,
                                                     providers=["CPUExecutionProvider"])
        self.model_name = str(folder)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> list[list[float]]:
        np = self._np
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = None
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.ones((len(batch), width), dtype=np.int64)  # 1: the pad id (config.json pad_token_id)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n], mask[row, :n] = encodings[i].ids, 1
            hidden = self._session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[batch] = pooled
        return out.tolist()

    def __repr__(self) -> str:
        return f"OnnxEmbedder(model={self.model_name!r}, batch_size={self.batch_size})"


def gold_passages(gold_file: Path, corpus_dir: Path, max_file_bytes: int) -> list[str]:
    """The distinct gold spans of a gold question file (``gold_spans`` with ``gold_sources``, one per span, or
    ``gold_source``; offsets into the loaded
    text of a file in ``corpus_dir``): the passages whose vectors the quality check compares."""
    from ingest.load import load_file

    texts: dict[str, str] = {}
    spans: dict[tuple[str, int, int], None] = {}
    for line in Path(gold_file).read_text("utf-8").splitlines():
        item = json.loads(line) if line.strip() else {}
        gold = item.get("gold_spans") or []
        # a question across documents lists one source per span in "gold_sources"
        sources = item.get("gold_sources") or []
        if len(sources) != len(gold):
            sources = [item.get("gold_source")] * len(gold)
        for source, (start, end) in zip(sources, gold):
            spans[(source, start, end)] = None
    out = []
    for source, start, end in spans:
        if source not in texts:
            texts[source] = load_file(Path(corpus_dir) / source, max_file_bytes).text
        out.append(texts[source][start:end])
    return out
