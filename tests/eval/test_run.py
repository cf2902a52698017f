"""The evaluation runner and report with a fake pipeline (no model, no index): configurations, scoring of a
tiny gold set by hand, follow-up context, the report files, a question file without gold fields."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.settings import Settings
from assistant.types import Answer, Citation, Query
from eval import run as runner
from eval.report import render_markdown, write_report
from ingest.errors import BadQuestion, ConfigError

DOC = "000_db.txt"
OTHER = "001_other.txt"
FILLER = "009_filler.txt"


def filler(n: int) -> list[tuple[str, int, int]]:
    return [(FILLER, 1000 * i, 1000 * i + 500) for i in range(n)]


def ranking_with_gold_at(rank: int, gold: tuple[str, int, int]) -> tuple:
    spans = filler(10)
    spans[rank - 1] = gold
    return tuple(spans)


@dataclass
class Canned:
    text: str
    abstained: bool = False
    cited: tuple = ()  # (source, start, end, quote)
    ranking: tuple = tuple(filler(10))
    latency: float = 1.0


class FakeSearch:
    def __init__(self, canned: dict[str, Canned], top_k: int) -> None:
        self.canned = canned
        self.top_k = top_k
        self.queries: list[tuple[Query, int | None]] = []
        self.embedder = None  # when set, each search embeds its query as the dense retriever does

    def search(self, query: Query, k: int | None = None, restrict=None):
        self.queries.append((query, k))
        if self.embedder is not None:
            self.embedder.embed_query(query.text)
        spans = self.canned[query.text].ranking[: k or self.top_k]
        return [SimpleNamespace(chunk=SimpleNamespace(source=s, start=a, end=b)) for s, a, b in spans]


class FakePipeline:
    """What eval/run.py uses of assistant.pipeline.Pipeline: settings, answer(), search.search()."""

    def __init__(self, settings: Settings, canned: dict[str, Canned]) -> None:
        self.settings = settings
        self.canned = canned
        self.search = FakeSearch(canned, settings.top_k)
        self.view = SimpleNamespace(versions={DOC: "v1", OTHER: "v1"}, n_chunks=2)
        self.calls: list[tuple[str, Query | None, str | None]] = []

    def understand(self, question: str, previous: Query | None = None) -> Query:
        if not question.strip():
            raise BadQuestion("The question is empty")
        return Query(text=question, language="vi", provinces=previous.provinces if previous else ("Điện Biên",),
                     inherited=("province",) if previous else ())

    def answer(self, question: str, previous: Query | None = None, mode: str | None = None) -> Answer:
        self.calls.append((question, previous, mode))
        query = self.understand(question, previous)
        c = self.canned[question]
        passages = self.search.search(query)
        citations = tuple(Citation(n=i, source=s, title="t", province="p", quote=q, start=a, end=b)
                          for i, (s, a, b, q) in enumerate(c.cited, start=1))
        handed_on = Query(text="next-turn context, not the searched query", language="vi", provinces=query.provinces)
        return Answer(question=question, text=c.text, abstained=c.abstained, mode=mode or self.settings.mode,
                      citations=citations, query=handed_on, latency_s=c.latency,
                      retrieved=tuple((p.chunk.source, p.chunk.start, p.chunk.end) for p in passages))


def gold_item(qid: str, question: str, answerable: bool = True, facts=(), span=(DOC, 100, 300), kind=("target",),
              follows=None) -> dict:
    return {"id": qid, "question": question, "kind": list(kind) + (["follow-up"] if follows else []),
            "answerable": answerable, "key_facts": [list(a) for a in facts] if answerable else [],
            "gold_source": span[0] if answerable else None, "gold_spans": [[span[1], span[2]]] if answerable else [],
            "province": "Điện Biên", "follows": follows}


GOLD_SPAN = (DOC, 100, 300)
Q1, Q2, Q3, Q4, Q5 = ("Điện Biên 2025 đạt bao nhiêu?", "Còn năm 2030 thì sao?", "Nghị quyết số mấy?",
                      "Hà Nội năm 2025 đạt bao nhiêu?", "Đà Nẵng năm 2030 đạt bao nhiêu?")
GOLD = [
    gold_item("g1", Q1, facts=[["50%"]]),
    gold_item("g2", Q2, facts=[["55%"]], follows="g1"),
    gold_item("g3", Q3, facts=[["12-NQ/TU"]], kind=("entity",)),
    gold_item("g4", Q4, answerable=False, kind=("abstain",)),
    gold_item("g5", Q5, answerable=False, kind=("abstain",)),
]
CANNED = {
    # right, cites the gold passage, gold ranked first
    Q1: Canned("Tối thiểu đạt 50% [1]", cited=((DOC, 120, 200, "đạt 50% vào năm 2025"),),
               ranking=ranking_with_gold_at(1, GOLD_SPAN), latency=1.0),
    # wrong figure (its citation still holds the key fact), gold at rank 3
    Q2: Canned("Đạt 60% [1]", cited=((DOC, 120, 200, "đạt 55% vào năm 2030"),),
               ranking=ranking_with_gold_at(3, GOLD_SPAN), latency=2.0),
    # right, but cites another document; gold only at rank 8, beyond the answer's 6 passages
    Q3: Canned("Nghị quyết 12-NQ/TU [1]", cited=((OTHER, 0, 50, "Nghị quyết của Tỉnh ủy"),),
               ranking=ranking_with_gold_at(8, GOLD_SPAN), latency=3.0),
    Q4: Canned("Không tìm thấy thông tin.", abstained=True, latency=4.0),  # right abstention
    Q5: Canned("Đạt 70%", latency=5.0),  # should have abstained
}


@pytest.fixture(autouse=True)
def keep_repository_outputs(tmp_path: Path, monkeypatch):
    """A test that forgets --report or --out must not overwrite eval/reports/latest.* or build/eval/."""
    monkeypatch.setattr(runner, "DEFAULT_REPORT_DIR", tmp_path / "default-reports")
    monkeypatch.setattr(runner, "DEFAULT_RECORDS_DIR", tmp_path / "default-records")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(llm_gguf_path=tmp_path / "absent.gguf", llm_base_url="")


@pytest.fixture
def gold_file(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in GOLD), "utf-8")
    return path


def parse(*argv: str) -> argparse.Namespace:
    return runner.add_arguments(argparse.ArgumentParser()).parse_args(list(argv))


# --- configurations ------------------------------------------------------------------------------

def test_ablation_plan_without_local_llm_runs_four_configurations_and_says_why_llm_is_skipped(settings):
    plan, skipped = runner.ablation_plan(settings)
    assert [c.name for c in plan] == ["bm25-only", "dense-only", "hybrid", "hybrid+metadata"]
    assert len(skipped) == 1 and skipped[0].startswith("llm: skipped") and "absent.gguf" in skipped[0]
    flags = {c.name: (s.use_dense, s.use_bm25, s.use_metadata, s.mode)
             for c in plan for s in [c.settings(settings)]}
    assert flags == {
        "bm25-only": (False, True, False, "extractive"),
        "dense-only": (True, False, False, "extractive"),
        "hybrid": (True, True, False, "extractive"),
        "hybrid+metadata": (True, True, True, "extractive"),
    }


def test_ablation_plan_adds_llm_when_the_gguf_exists(tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    plan, skipped = runner.ablation_plan(Settings(llm_gguf_path=gguf, llm_base_url=""))
    assert skipped == []
    llm = plan[-1]
    assert llm.name == "llm" and llm.settings(Settings()).mode == "llm" and llm.settings(Settings()).use_metadata


def test_configuration_names_do_not_depend_on_the_environment_settings():
    # Base settings with metadata off (e.g. CCHC_USE_METADATA=0) must not turn "hybrid+metadata" into hybrid.
    base = Settings(use_metadata=False, use_dense=False, mode="llm")
    assert runner.configuration("hybrid+metadata").settings(base).use_metadata is True
    assert runner.configuration("hybrid+metadata").settings(base).use_dense is True
    assert runner.configuration("bm25-only").settings(base).mode == "extractive"
    assert runner.configuration_name(Settings()) == "hybrid+metadata"
    assert runner.configuration_name(Settings(weight_plain=0.9)) == "hybrid+metadata"  # weights are not switches
    assert runner.configuration_name(Settings(use_bm25=False, use_metadata=False)) == "dense-only"
    assert runner.configuration_name(Settings(use_bm25=False)) == "custom"


def test_unknown_configuration_names_the_valid_ones():
    with pytest.raises(ConfigError, match=r"'hybrid-meta'.*bm25-only, dense-only, hybrid, hybrid\+metadata, llm"):
        runner.configuration("hybrid-meta")


# --- scoring ---------------------------------------------------------------------------------------

def test_tiny_gold_set_is_scored_as_computed_by_hand(settings):
    pipeline = FakePipeline(settings, CANNED)
    run = runner.evaluate(pipeline, GOLD, "hybrid+metadata", "extractive")
    s = run.summary
    assert s["graded"] == 5 and s["ungraded"] == 0
    assert s["answer_accuracy"] == pytest.approx(3 / 5)  # g1, g3 right; g4 abstained; g2 wrong; g5 answered
    assert s["citation_recall"] == pytest.approx(1 / 2)  # of g1, g3 (correct), only g1 cites the gold document
    assert s["citation_precision"] == pytest.approx(2 / 3)  # g1's and g2's quotes hold a key fact, g3's does not
    assert s["abstention_accuracy"] == pytest.approx(4 / 5)
    assert s["abstention_precision"] == pytest.approx(1.0) and s["abstention_recall"] == pytest.approx(1 / 2)
    r = s["retrieval"]
    assert r["n"] == 3 and r["head_mismatches"] == 0
    assert r["recall@1"] == pytest.approx(1 / 3)  # g1 only
    assert r["recall@5"] == pytest.approx(2 / 3)  # g1, g2
    assert r["recall@10"] == pytest.approx(1.0)  # g3's gold is at rank 8: found only by the 10-deep search
    assert r["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 8) / 3)
    assert s["latency"]["p50_s"] == pytest.approx(3.0) and s["latency"]["n"] == 5
    assert s["by_kind"]["abstain"]["abstention_accuracy"] == pytest.approx(1 / 2)
    assert s["by_kind"]["entity"]["citation_recall"] == pytest.approx(0.0)
    assert s["by_kind"]["follow-up"]["recall@5"] == pytest.approx(1.0)


def test_answers_go_through_answer_all_with_follow_up_context_and_rankings_search_the_answered_query(settings):
    pipeline = FakePipeline(settings, CANNED)
    run = runner.evaluate(pipeline, GOLD, mode="extractive")
    questions, previous, modes = zip(*pipeline.calls)
    assert list(questions) == [Q1, Q2, Q3, Q4, Q5]
    assert previous[1].text.startswith("next-turn context")  # g2 follows g1: g1's answer.query is handed on
    assert [p for i, p in enumerate(previous) if i != 1] == [None] * 4
    assert set(modes) == {"extractive"}
    searched = [q for q, k in pipeline.search.queries if k is None]  # the answers' own searches
    deep = [q for q, k in pipeline.search.queries if k == runner.RANKING_DEPTH]
    assert deep == searched  # the deep search repeats the searched query, follow-up context included
    assert deep[1].text == Q2 and deep[1].inherited == ("province",)
    assert run.summary["retrieval"]["head_mismatches"] == 0
    assert [len(run.rankings[i]) for i in range(5)] == [10] * 5
    assert [len(r["retrieved"]) for r in run.records] == [settings.top_k] * 5


class CountingEmbedder:
    def __init__(self) -> None:
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return [float(len(self.queries))]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("the evaluation embeds no documents")


def test_deep_search_reuses_the_answers_query_vector_but_every_answer_embeds_its_own(settings):
    counting = CountingEmbedder()
    pipeline = FakePipeline(settings, CANNED)
    pipeline.embedder = pipeline.search.embedder = runner.QueryVectorCache(counting)
    items = [{"id": "a", "question": Q1}, {"id": "b", "question": Q1}, {"id": "c", "question": Q3}]
    runner.evaluate(pipeline, items)
    assert counting.queries == [Q1, Q1, Q3]  # 3 answers, 3 deep searches, 3 model calls
    assert len(pipeline.search.queries) == 6


def test_failure_reasons_name_what_went_wrong(settings):
    run = runner.evaluate(FakePipeline(settings, CANNED), GOLD)
    reasons = {item["id"]: runner.failure_reasons(item, record) for item, record in zip(run.items, run.records)}
    assert reasons["g1"] == [] and reasons["g4"] == []
    assert reasons["g2"] == ['missing key fact "55%"']
    assert reasons["g3"] == [f"right answer, but no citation of {DOC}"]
    assert reasons["g5"] == ["answered a question the corpus cannot answer"]


def test_a_bad_question_becomes_an_abstention_without_a_ranking(settings):
    items = [gold_item("g1", Q1, facts=[["50%"]]), gold_item("g9", "   ", answerable=False, kind=("abstain",))]
    run = runner.evaluate(FakePipeline(settings, CANNED), items)
    assert run.records[1]["abstained"] is True and "error" in run.records[1]
    assert set(run.rankings) == {0}
    assert run.summary["abstention_accuracy"] == pytest.approx(1.0)


def test_run_ablations_builds_each_configuration_from_the_base_settings(settings):
    seen: list[Settings] = []

    def pipeline_for(s: Settings) -> FakePipeline:
        seen.append(s)
        return FakePipeline(s, CANNED)

    runs, skipped = runner.run_ablations(GOLD, settings.replace(top_k=4, candidates=12), pipeline_for, log=lambda _: None)
    assert [r.config for r in runs] == ["bm25-only", "dense-only", "hybrid", "hybrid+metadata"]
    assert [(s.use_dense, s.use_bm25, s.use_metadata) for s in seen] == [
        (False, True, False), (True, False, False), (True, True, False), (True, True, True)]
    assert {s.top_k for s in seen} == {4}  # everything else comes from the base settings
    assert runs[0].overrides["use_dense"] is False
    assert len(skipped) == 1


def test_llm_sample_is_evenly_spaced_and_keeps_the_turns_a_follow_up_continues():
    items = [{"id": "a"}, {"id": "b"}, {"id": "c", "follows": "b"}, {"id": "d"}, {"id": "e"}]
    assert runner.sample_positions(items, 3) == [0, 1, 2, 4]  # picks a, c, e; c needs b
    assert runner.sample_positions(items, 2) == [0, 4]
    assert runner.sample_positions(items, 9) == [0, 1, 2, 3, 4]
    with pytest.raises(ConfigError, match="at least 1 question. Currently it is 0"):
        runner.sample_positions(items, 0)


def test_llm_configuration_on_a_sample_comes_with_the_default_configuration_on_the_same_questions(tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    modes: list[str] = []

    def pipeline_for(s: Settings) -> FakePipeline:
        modes.append(s.mode)
        return FakePipeline(s, CANNED)

    runs, skipped = runner.run_ablations(GOLD, Settings(llm_gguf_path=gguf), pipeline_for, log=lambda _: None,
                                         llm_sample=2)
    assert skipped == [] and modes[-1] == "llm"
    assert [(r.config, len(r.records)) for r in runs] == [
        ("bm25-only", 5), ("dense-only", 5), ("hybrid", 5), ("hybrid+metadata", 5),
        ("hybrid+metadata (llm sample)", 2), ("llm", 2)]
    sample, llm = runs[-2], runs[-1]
    assert [i["id"] for i in sample.items] == [i["id"] for i in llm.items] == ["g1", "g5"]
    assert sample.summary["answer_accuracy"] == pytest.approx(0.5) and sample.settings.mode == "extractive"
    assert llm.records[0]["mode"] == "llm"
    md = render_markdown(runs, skipped, "make eval", Path("eval/gold.jsonl"), chart=None)
    line = next(line for line in md.splitlines() if line.startswith("- **llm** ("))
    assert line.startswith("- **llm** (1): g5")  # g2 and g3 fail in hybrid+metadata but were not asked here
    assert md.splitlines()[md.splitlines().index(line) + 1].endswith("passing here but failing in hybrid+metadata: none")


# --- thresholds --------------------------------------------------------------------------------------

def test_below_thresholds_names_each_metric_value_and_threshold():
    summary = {"answer_accuracy": 0.70, "citation_recall": None, "abstention_accuracy": 0.95}
    problems = runner.below_thresholds(summary, {"answer_accuracy": 0.75, "citation_recall": 0.9,
                                                 "abstention_accuracy": 0.95})
    assert problems == ["answer_accuracy = 0.700 is below the threshold 0.750",
                        "citation_recall = undefined is below the threshold 0.900"]
    assert runner.below_thresholds({"answer_accuracy": 0.8}, {"answer_accuracy": 0.8}) == []


@pytest.mark.parametrize("suite", [s.name for s in runner.SUITES])
def test_repository_thresholds_cover_the_gated_metrics_of_every_suite(suite):
    thresholds = runner.load_thresholds(suite=suite)
    assert set(thresholds) == set(runner.GATED_METRICS)
    assert all(0.0 < v <= 1.0 for v in thresholds.values())


def test_threshold_file_missing_a_metric_is_named(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"sample": {"answer_accuracy": 0.5}}', "utf-8")
    with pytest.raises(ConfigError, match="citation_recall, abstention_accuracy in 'sample'"):
        runner.load_thresholds(path)
    with pytest.raises(ConfigError, match="no suite 'real-dev'. Suites in it: sample"):
        runner.load_thresholds(path, suite="real-dev")


# --- report ------------------------------------------------------------------------------------------

def test_report_has_the_table_the_failures_the_environment_and_a_png(settings, tmp_path):
    runs, skipped = runner.run_ablations(GOLD, settings, lambda s: FakePipeline(s, CANNED), log=lambda _: None)
    md_path, png_path = write_report(runs, skipped, tmp_path / "reports", command="make eval",
                                     questions=Path("eval/gold.jsonl"))
    md = md_path.read_text("utf-8")
    assert md_path.name == "latest.md" and png_path == tmp_path / "reports" / "latest.png"
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png_path.stat().st_size > 5000
    table = [line for line in md.splitlines() if line.startswith("| **")]
    assert [line.split("|")[1].strip() for line in table] == [
        "**bm25-only**", "**dense-only**", "**hybrid**", "**hybrid+metadata**"]
    assert "| extractive | 5 | 0.600 | " in table[3]  # questions and answer accuracy of hybrid+metadata
    assert "llm: skipped" in md and "![Configurations](latest.png)" in md
    failures = md.split("## Failures (hybrid+metadata)")[1].split("\n## ")[0]
    assert [h.split()[1] for h in failures.splitlines() if h.startswith("### ")] == ["g2", "g3", "g5"]
    assert Q2 in failures and "“55%”" in failures and "Đạt 60% [1]" in failures
    assert "first gold passage at rank 3" in failures and "**Abstained:** no" in failures
    assert f"[1] {OTHER} 0-50" in failures  # g3's cited source
    for needle in ("## Per kind (hybrid+metadata)", "| abstain | 2 |", "## Settings", "| use_metadata |",
                   "## Environment", "| CPU |", "| RAM |", "| Git commit |", "| chromadb |", "| torch |",
                   "| sentence-transformers |", "| langchain-core |", "| gradio |", "| tiktoken |", "| Python |"):
        assert needle in md, needle


def test_report_hides_secret_settings(settings, tmp_path):
    secret = settings.replace(llm_api_key="sk-123456", admin_password="hunter2")
    run = runner.evaluate(FakePipeline(secret, CANNED), GOLD)
    md = render_markdown([run], [], "assistant eval", Path("eval/gold.jsonl"), chart=None)
    assert "sk-123456" not in md and "hunter2" not in md and "(set, not shown)" in md


# --- entry points ------------------------------------------------------------------------------------

def test_question_file_without_gold_fields_reports_latency_only(settings, tmp_path, capsys):
    path = tmp_path / "qs.jsonl"
    path.write_text(json.dumps({"id": "a", "question": Q1}) + "\n" + json.dumps({"id": "b", "question": Q4}) + "\n",
                    "utf-8")
    args = parse("--questions", str(path), "--out", str(tmp_path / "out.jsonl"), "--report", str(tmp_path / "r"))
    assert runner.main(args, pipeline_for=lambda s: FakePipeline(settings, CANNED)) == 0
    out = capsys.readouterr().out
    assert "latency only" in out and "p50 2.50 s" in out and "answer accuracy" not in out
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a", "b"] and "retrieved" in records[0]
    md = (tmp_path / "r" / "latest.md").read_text("utf-8")
    assert "2 questions without gold fields (latency only)" in md and not (tmp_path / "r" / "latest.png").exists()

    assert runner.main(parse("--questions", str(path), "--json"), pipeline_for=lambda s: FakePipeline(settings, CANNED)) == 0
    summary = json.loads(capsys.readouterr().out)
    assert list(summary) == ["hybrid+metadata"]
    assert summary["hybrid+metadata"]["graded"] == 0 and summary["hybrid+metadata"]["latency"]["n"] == 2


def test_main_scores_a_gold_file_and_prints_json(gold_file, settings, capsys, monkeypatch):
    received: list[Settings] = []

    def pipeline_for(s: Settings) -> FakePipeline:
        received.append(s)
        return FakePipeline(s, CANNED)

    assert runner.main(parse("--questions", str(gold_file), "--config", "bm25-only", "--json"), pipeline_for) == 0
    summary = json.loads(capsys.readouterr().out)["bm25-only"]
    assert summary["answer_accuracy"] == pytest.approx(0.6) and summary["retrieval"]["recall@10"] == pytest.approx(1.0)
    assert received[0].use_dense is False and received[0].use_metadata is False


def test_main_reports_an_index_that_is_not_the_gold_corpus(gold_file, settings, tmp_path, capsys):
    args = parse("--questions", str(gold_file), "--report", str(tmp_path / "r"))
    assert runner.main(args, pipeline_for=lambda s: FakePipeline(s, CANNED)) == 0
    err = capsys.readouterr().err
    assert "WARNING: the index lacks 000_26a92794eaf00280.txt" in err
    md = (tmp_path / "r" / "latest.md").read_text("utf-8")
    assert "**WARNING: the index lacks 000_26a92794eaf00280.txt" in md
    assert "| Index | Chroma store build/chroma, collection cchc: 2 documents, 2 chunks |" in md


def test_gold_index_problems_compare_versions_with_a_fresh_ingest_of_data_corpus():
    from ingest.load import discover, load_file
    from ingest.prepare import document_version

    max_bytes = Settings().max_file_bytes
    files, _ = discover([runner.GOLD_CORPUS])
    fresh = {p.name: document_version(load_file(p, max_bytes)) for p in files}
    assert len(fresh) >= 5 and runner.gold_index_problems(fresh, max_bytes) == []
    name = sorted(fresh)[0]
    stale = {**fresh, name: "0000-r0"}
    assert len(problems := runner.gold_index_problems(stale, max_bytes)) == 1
    assert problems[0].startswith(f"WARNING: {name} (0000-r0, current {fresh[name]})") and "--fresh-index" in problems[0]
    missing = {k: v for k, v in fresh.items() if k != name}
    assert runner.gold_index_problems(missing, max_bytes)[0].startswith(f"WARNING: the index lacks {name}")
    extra = runner.gold_index_problems({**fresh, "upload.pdf": "x"}, max_bytes)
    assert extra == ["Note: the index also holds 1 document(s) outside data/corpus (upload.pdf); they compete in retrieval"]


def test_fresh_index_points_every_configuration_at_an_empty_temporary_folder(gold_file, capsys, monkeypatch):
    monkeypatch.setenv("CCHC_LLM_GGUF_PATH", str(gold_file.parent / "absent.gguf"))  # no llm row here
    monkeypatch.delenv("CCHC_LLM_BASE_URL", raising=False)
    received: list[Settings] = []

    def pipeline_for(s: Settings) -> FakePipeline:
        received.append(s)
        assert s.chroma_host == "" and s.chroma_path.is_dir() and not any(s.chroma_path.iterdir())
        return FakePipeline(s, CANNED)

    assert runner.main(parse("--questions", str(gold_file), "--ablations", "--fresh-index", "--out",
                             str(gold_file.parent / "records"), "--report", str(gold_file.parent / "r")),
                       pipeline_for) == 0
    assert (gold_file.parent / "r" / "latest.md").is_file()
    assert len({s.chroma_path for s in received}) == 1 and "cchc-eval-index-" in str(received[0].chroma_path)
    assert not received[0].chroma_path.exists()  # removed after the run
    assert sorted(p.name for p in (gold_file.parent / "records").iterdir()) == [
        "bm25-only.jsonl", "dense-only.jsonl", "hybrid+metadata.jsonl", "hybrid.jsonl"]


def test_ablations_refuse_a_single_configuration(gold_file):
    with pytest.raises(ConfigError, match="--ablations runs every configuration"):
        runner.main(parse("--questions", str(gold_file), "--ablations", "--config", "hybrid"))


def test_mode_contradicting_the_configuration_is_an_error(gold_file, settings):
    with pytest.raises(ConfigError, match="--mode extractive contradicts configuration llm"):
        runner.main(parse("--questions", str(gold_file), "--config", "llm", "--mode", "extractive"),
                    pipeline_for=lambda s: FakePipeline(s, CANNED))


def test_eval_flags_have_their_documented_defaults():
    args = parse("--ablations", "--report", "--json")
    assert args.ablations and args.json and args.report == str(runner.DEFAULT_REPORT_DIR)
    assert args.questions == str(runner.DEFAULT_QUESTIONS)
    assert parse("--config", "hybrid").config == "hybrid"


def test_missing_question_file_is_a_one_line_error(tmp_path, capsys):
    assert runner._cli(["--questions", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl does not exist" in capsys.readouterr().err
