# Two commands matter: `make run` and `make test`. Everything they need is installed from PyPI/Debian here.
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test lint setup index bench bench-load bench-scale eval llm browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: this machine's disk holds the CPU wheel; an unpinned torch pulls a CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## venv + packages + offline models (tiktoken rank files, multilingual-e5-small folder)
	$(BIN)/assistant setup

index: setup  ## ingest the sample corpus (idempotent: unchanged files cost ~1 s, a newer ingest recipe re-ingests)
	$(BIN)/assistant ingest data/corpus --quiet

run: index  ## start the web app on http://127.0.0.1:7860
	$(BIN)/assistant serve

browser:  ## Debian chromium for the browser tests
	bash scripts/install_browser.sh

lint: $(STAMP)  ## ruff, and the import-linter contracts that keep the layers (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: lint index browser  ## lint, then the whole test suite (real model, Chroma server, browser, evaluation gate)
	$(BIN)/pytest

eval: index  ## every suite (sample, real-dev, real-heldout) with the ablations; report in eval/reports/latest.md
	# a local LLM answer takes ~20 s on 2 cores: LLM mode answers 16 questions per suite
	$(PY) -m eval.run --suites --ablations --fresh-index --llm-sample 16

bench: index  ## speed and memory figures (see README "Performance"); `make llm` first to include LLM mode
	$(PY) bench/bench_answer.py
	$(PY) bench/bench_ingest.py

bench-load: index  ## 20 simultaneous users on /ask: latency, throughput, memory (bench/load_results.json)
	$(PY) bench/load_test.py

N ?= 2000
bench-scale: setup  ## N documents (default 2000, N=all) of the scale corpus beside the samples (bench/scale_results.json)
	$(PY) bench/bench_scale.py --n $(N)

llm: setup  ## optional: build llama-cpp-python and assemble the local GGUF model
	$(BIN)/assistant setup --llm

clean:
	rm -rf build test-output
