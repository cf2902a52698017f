"""The layout's promises that a linter does not check: importing any module of the product leaves the
process environment alone (settings are applied by the composition root, when it runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assistant.settings import OFFLINE_ENVIRONMENT, PROJECT_ROOT

PACKAGES = ("ingest", "vectorstore", "assistant", "eval")

IMPORT_ALL = """
import importlib, json, os, pkgutil, sys
before = dict(os.environ)
names = []
for package in sys.argv[1:]:
    root = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=package + "."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
        names.append(info.name)
changed = {k: os.environ.get(k) for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)}
print(json.dumps({"modules": names, "changed": changed}))
"""


def test_importing_every_module_leaves_the_environment_alone():
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENVIRONMENT and k != "TIKTOKEN_CACHE_DIR"}
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL, *PACKAGES], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "assistant.pipeline" in result["modules"] and "vectorstore.embeddings" in result["modules"]
    assert result["changed"] == {}, f"importing changed the environment: {result['changed']}"


def test_the_composition_root_applies_the_offline_environment(monkeypatch):
    from assistant.pipeline import prepare_process

    for key in OFFLINE_ENVIRONMENT:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "True")  # a user's own choice is kept
    prepare_process()
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["ANONYMIZED_TELEMETRY"] == "True"


def test_every_vocabulary_file_says_what_it_is():
    """Word lists and rule tables are data files a reviewer can extend: each opens with a # header."""
    files = sorted(p for package in PACKAGES for p in (PROJECT_ROOT / package).glob("**/data/*")
                   if p.suffix in (".txt", ".tsv") and "reports" not in p.parts)
    assert len(files) > 10
    for path in files:
        first = path.read_text("utf-8").splitlines()[:1]
        assert first and first[0].startswith("# ") and len(first[0]) > 20, f"{path} has no header line"
