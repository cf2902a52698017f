"""CI gate: the extractive evaluation on eval/gold.jsonl must stay at or above eval/thresholds.json.

Runs the function behind `assistant eval` (eval.run.evaluate) with the default configuration on a fresh
index of data/corpus (the files the gold spans point into) built in a temporary folder, so the result does
not depend on whatever the local build/chroma holds. Raise the thresholds as the system improves.
"""

from __future__ import annotations

import pytest

from assistant.batch import read_questions
from assistant.settings import Settings
from eval import run as runner
from eval.validate_gold import DEFAULT_GOLD

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def gold_run(tmp_path_factory) -> runner.EvalRun:
    base = Settings.from_env(chroma_path=tmp_path_factory.mktemp("gate-chroma"), chroma_host="")
    settings = runner.configuration(runner.DEFAULT_CONFIGURATION).settings(base)
    pipeline = runner.shared_pipelines(settings, fresh_index=True)(settings)  # as `assistant eval --fresh-index`
    assert runner.gold_index_problems(pipeline.view.versions, settings.max_file_bytes) == []
    run = runner.evaluate(pipeline, read_questions(DEFAULT_GOLD), runner.DEFAULT_CONFIGURATION, "extractive")
    print("\n" + runner.format_summary(run))  # visible with -s, and in the CI log on failure
    return run


def test_every_gold_question_is_answered_and_graded(gold_run):
    assert gold_run.summary["graded"] == len(gold_run.items) and gold_run.summary["missing_ids"] == []
    assert [r["id"] for r in gold_run.records if "error" in r] == []
    assert set(gold_run.summary["modes"]) == {"extractive"}
    assert gold_run.summary["retrieval"]["head_mismatches"] == 0  # the 10-deep search repeats the answer's search


def test_gated_metrics_stay_above_thresholds(gold_run):
    thresholds = runner.load_thresholds()
    problems = runner.below_thresholds(gold_run.summary, thresholds)
    assert not problems, (
        "The extractive evaluation on eval/gold.jsonl dropped below eval/thresholds.json:\n  "
        + "\n  ".join(problems)
        + "\n" + runner.format_summary(gold_run)
    )
