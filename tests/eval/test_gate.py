"""CI gate: the extractive evaluation of every suite must stay at or above its floors in eval/thresholds.json.

One fresh index of data/corpus + data/realdocs (the files the gold spans point into) is built in a temporary
folder, as `python -m eval.run --suites --fresh-index` builds it, so the result does not depend on whatever
the local build/chroma holds; the sample gold set, and the real-document set's dev and held-out halves, are
answered from it with the default configuration. Raise the floors as the system improves.
"""

from __future__ import annotations

import pytest

from assistant.settings import Settings
from eval import metrics
from eval import run as runner

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    base = Settings.from_env(chroma_path=tmp_path_factory.mktemp("gate-chroma"), chroma_host="")
    settings = runner.configuration(runner.DEFAULT_CONFIGURATION).settings(base)
    built = runner.shared_pipelines(settings, fresh_index=True, corpora=runner.CORPORA)(settings)
    assert runner.gold_index_problems(built.view.versions, settings.max_file_bytes, runner.CORPORA) == []
    return built


@pytest.fixture(scope="module")
def suite_runs(pipeline) -> dict[str, runner.EvalRun]:
    runs = {}
    for suite in runner.SUITES:
        run = runner.evaluate(pipeline, runner.suite_items(suite), runner.DEFAULT_CONFIGURATION, "extractive")
        print(f"\n[{suite.name}] " + runner.format_summary(run))  # visible with -s, and in the CI log on failure
        runs[suite.name] = run
    return runs


@pytest.mark.parametrize("suite", [s.name for s in runner.SUITES])
def test_every_gold_question_is_answered_and_graded(suite_runs, suite):
    run = suite_runs[suite]
    assert run.summary["graded"] == len(run.items) and run.summary["missing_ids"] == []
    assert [r["id"] for r in run.records if "error" in r] == []
    assert set(run.summary["modes"]) == {"extractive"}
    assert run.summary["retrieval"]["head_mismatches"] == 0  # the 10-deep search repeats the answer's search


@pytest.mark.parametrize("suite", [s.name for s in runner.SUITES])
def test_gated_metrics_stay_above_thresholds(suite_runs, suite):
    problems = runner.below_thresholds(suite_runs[suite].summary, runner.load_thresholds(suite=suite))
    assert not problems, (
        f"The extractive evaluation of suite {suite} dropped below eval/thresholds.json:\n  "
        + "\n  ".join(problems)
        + "\n" + runner.format_summary(suite_runs[suite])
    )


@pytest.mark.parametrize("suite", [s.name for s in runner.SUITES])
def test_no_answer_is_taken_from_another_provinces_documents(suite_runs, suite):
    # the worst failure: a figure attributed to the wrong province (not a floor to lower, always zero)
    run = suite_runs[suite]
    wrong = [(i["id"], i["province"], [c.get("province") for c in r["citations"]])
             for i, r in metrics.pair_records(run.records, run.items) if metrics.other_province_answers([(i, r)])]
    assert run.summary["other_province_answers"] == 0, wrong
