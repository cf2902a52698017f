"""The evaluation runner: answer a question file through the user's code path, score it, run the ablations.

    assistant eval [--questions FILE] [--mode extractive|llm] [--config NAME] [--out FILE] [--json] [--report [DIR]]
    assistant eval --ablations        (what `make eval` runs, as `python -m eval.run --ablations`)

Answers come from ``assistant.cli.answer_all`` on a pipeline built like ``assistant answer`` builds it, so
any question file in that format can be scored; items carrying gold fields ("answerable", "key_facts", ...)
are scored with ``eval.metrics``, a file without them gets latency only.

Recall@10 needs more passages than an answer retrieves (top_k, 6 by default): after each answer the same
understood query is searched again with k=10. That search runs after the answer's latency was measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError, ConfigError
from assistant.settings import PROJECT_ROOT, Settings
from eval.metrics import (
    citation_recall,
    gold_span_triples,
    percentile,
    recall_at_k,
    reciprocal_rank,
    summarize,
)

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "gold.jsonl"
DEFAULT_REPORT_DIR = PROJECT_ROOT / "eval" / "reports"
DEFAULT_RECORDS_DIR = PROJECT_ROOT / "build" / "eval"
THRESHOLDS_PATH = PROJECT_ROOT / "eval" / "thresholds.json"
RANKING_DEPTH = 10  # Recall@10 and MRR@10 are computed over this many passages
GATED_METRICS = ("answer_accuracy", "citation_recall", "abstention_accuracy")

Span = tuple[str, int, int]


# --- configurations --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Configuration:
    name: str
    about: str
    overrides: tuple[tuple[str, object], ...]  # Settings fields; every retrieval switch is explicit

    def settings(self, base: Settings) -> Settings:
        return base.replace(**dict(self.overrides))


def _switches(dense: bool, bm25: bool, metadata: bool, mode: str = "extractive") -> tuple[tuple[str, object], ...]:
    # All three switches and the mode are set, so a CCHC_USE_* variable cannot make a name lie.
    return (("use_dense", dense), ("use_bm25", bm25), ("use_metadata", metadata), ("mode", mode))


CONFIGURATIONS = (
    Configuration("bm25-only", "keyword search only (BM25 on segmented and on accent-less text)",
                  _switches(dense=False, bm25=True, metadata=False)),
    Configuration("dense-only", "multilingual-e5-small vectors in Chroma only",
                  _switches(dense=True, bm25=False, metadata=False)),
    Configuration("hybrid", "dense + BM25 fused by reciprocal rank, no metadata filter or boost",
                  _switches(dense=True, bm25=True, metadata=False)),
    Configuration("hybrid+metadata", "hybrid, filtered by province / document number, boosted by year (the default)",
                  _switches(dense=True, bm25=True, metadata=True)),
    Configuration("llm", "hybrid+metadata retrieval, answer written by the local LLM and verified",
                  _switches(dense=True, bm25=True, metadata=True, mode="llm")),
)
DEFAULT_CONFIGURATION = "hybrid+metadata"


def configuration(name: str) -> Configuration:
    for config in CONFIGURATIONS:
        if config.name == name:
            return config
    raise ConfigError(f"Unknown configuration {name!r}. Valid configurations: {', '.join(c.name for c in CONFIGURATIONS)}")


def llm_unavailable(settings: Settings) -> str:
    """Why the LLM configuration cannot run here ("" when it can)."""
    if settings.llm_base_url or settings.llm_gguf_path.is_file():
        return ""
    return (f"no local model at {settings.llm_gguf_path} and no CCHC_LLM_BASE_URL "
            "(provision it with `make llm` to add this row)")


def ablation_plan(settings: Settings) -> tuple[list[Configuration], list[str]]:
    """The configurations to run, and one line per configuration skipped (with the reason)."""
    plan, skipped = [], []
    for config in CONFIGURATIONS:
        reason = llm_unavailable(settings) if dict(config.overrides)["mode"] == "llm" else ""
        if reason:
            skipped.append(f"{config.name}: skipped, {reason}")
        else:
            plan.append(config)
    return plan, skipped


# --- one run ---------------------------------------------------------------------------------------

@dataclass
class EvalRun:
    config: str
    settings: Settings
    records: list[dict]
    rankings: dict[int, list[Span]]  # record position -> top RANKING_DEPTH passages of the same query
    items: list[dict]
    summary: dict
    wall_s: float
    overrides: dict = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        return bool(self.summary.get("graded"))


class QueryVectorCache:
    """The embedder, remembering its last query vector so the 10-deep search of an answered question does
    not embed it a second time (on shared CPUs that would double the run). Only ``reusing()`` reads the
    memory, so every answer still pays, and its latency still counts, its own embedding."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self._last: tuple[str, list[float]] | None = None
        self._reuse = False

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        if self._reuse and self._last is not None and self._last[0] == text:
            return self._last[1]
        vector = self.embedder.embed_query(text)
        self._last = (text, vector)
        return vector

    @contextmanager
    def reusing(self) -> Iterator[None]:
        self._reuse = True
        try:
            yield
        finally:
            self._reuse = False


def build_eval_pipeline(settings: Settings, embedder=None):
    """``build_pipeline`` (what `assistant answer` uses) with the embedder wrapped in a QueryVectorCache."""
    from assistant.pipeline import build_embedder, build_pipeline

    return build_pipeline(settings, QueryVectorCache(embedder or build_embedder(settings)))


class _RankingRecorder:
    """Stands in for the pipeline inside ``answer_all``: answers through it unchanged, then searches the
    answer's own understood query (follow-up context included) again, RANKING_DEPTH deep."""

    def __init__(self, pipeline, depth: int, on_answer: Callable[[], None] | None = None) -> None:
        self.pipeline = pipeline
        self.on_answer = on_answer
        self.settings = pipeline.settings
        self.depth = depth
        self.rankings: list[tuple[str, list[Span]]] = []  # (question, ranking) per answered question, in order

    def answer(self, question: str, previous=None, mode: str | None = None):
        answer = self.pipeline.answer(question, previous=previous, mode=mode)
        embedder = getattr(self.pipeline, "embedder", None)
        with embedder.reusing() if isinstance(embedder, QueryVectorCache) else nullcontext():
            passages = self.pipeline.search.search(answer.query, k=self.depth)
        self.rankings.append((question, [(p.chunk.source, p.chunk.start, p.chunk.end) for p in passages]))
        if self.on_answer is not None:
            self.on_answer()
        return answer


def answer_with_rankings(pipeline, items: list[dict], mode: str | None, on_answer: Callable[[], None] | None = None
                         ) -> tuple[list[dict], dict[int, list[Span]]]:
    from assistant.cli import answer_all

    recorder = _RankingRecorder(pipeline, RANKING_DEPTH, on_answer)
    records = answer_all(recorder, items, mode)
    rankings: dict[int, list[Span]] = {}
    answered = iter(recorder.rankings)
    for position, record in enumerate(records):
        if "error" in record:  # answer_all's record for a BadQuestion: the pipeline raised, nothing was searched
            continue
        question, ranking = next(answered)
        if question != str(items[position]["question"]):
            raise AssertionError(f"Ranking for {question!r} lined up with record {record.get('id')!r}")
        rankings[position] = ranking
    return records, rankings


def evaluate(pipeline, items: list[dict], config: str = DEFAULT_CONFIGURATION, mode: str | None = None,
             overrides: Mapping | None = None, progress: bool = False) -> EvalRun:
    """Answer ``items`` with ``pipeline`` (as `assistant answer` does) and score the result.

    ``progress``: a progress bar on stderr (a gold run takes minutes on a busy CPU)."""
    if not items:
        raise AssistantError("The question file holds no questions")
    mode = mode or pipeline.settings.mode
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), desc=config, unit="q", file=sys.stderr, leave=False)
    try:
        records, rankings = answer_with_rankings(pipeline, items, mode, bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - started
    return EvalRun(config, pipeline.settings, records, rankings, items, score(items, records, rankings), wall,
                   dict(overrides or {}))


# --- scoring ---------------------------------------------------------------------------------------

def is_graded(item: Mapping) -> bool:
    return "answerable" in item and "key_facts" in item


def latency(records: Sequence[Mapping]) -> dict | None:
    values = [float(r["latency_s"]) for r in records if r.get("latency_s") is not None]
    if not values:
        return None
    return {"n": len(values), "p50_s": percentile(values, 50), "p95_s": percentile(values, 95),
            "max_s": max(values), "mean_s": sum(values) / len(values)}


def _record_spans(record: Mapping) -> list[Span]:
    return [(r["source"], int(r["start"]), int(r["end"])) for r in record.get("retrieved", [])]


def retrieval_scores(pairs: Sequence[tuple[Mapping, Mapping, list[Span]]]) -> dict | None:
    """R@1 and R@5 over the answer's own passages (``retrieved``), R@10 and MRR@10 over the deeper ranking.

    ``pairs`` are (gold item, record, ranking). Only answerable items count. ``head_mismatches`` counts
    rankings whose head differs from the answer's passages; the search is deterministic, so it should be 0.
    """
    rows = [(i, r, ranking) for i, r, ranking in pairs if i["answerable"]]
    if not rows:
        return None
    r1 = r5 = r10 = rr = 0.0
    mismatches = 0
    for item, record, ranking in rows:
        gold = gold_span_triples(item)
        retrieved = _record_spans(record)
        r1 += recall_at_k(retrieved, gold, 1)
        r5 += recall_at_k(retrieved, gold, 5)
        r10 += recall_at_k(ranking, gold, 10)
        rr += reciprocal_rank(ranking[:10], gold)
        mismatches += ranking[: len(retrieved)] != retrieved
    n = len(rows)
    return {"n": n, "recall@1": r1 / n, "recall@5": r5 / n, "recall@10": r10 / n, "mrr": rr / n,
            "head_mismatches": mismatches}


def score(items: Sequence[Mapping], records: Sequence[Mapping], rankings: Mapping[int, list[Span]]) -> dict:
    """``eval.metrics.summarize`` over the graded items, with Recall@1/5/10 + MRR@10 and per-kind citation
    recall and R@5 added. Latency is over every record. A file with no gold fields gets latency only."""
    if len(records) != len(items):
        raise ValueError(f"{len(records)} records for {len(items)} questions: answer_all must return one per question")
    graded = [(item, record, rankings.get(pos, [])) for pos, (item, record) in enumerate(zip(items, records))
              if is_graded(item)]
    base = {"graded": len(graded), "ungraded": len(items) - len(graded), "latency": latency(records)}
    if not graded:
        return {"n": len(records), **base}
    gold = [g for g, _, _ in graded]
    summary = summarize([r for _, r, _ in graded], gold)
    summary.update(base)
    summary["retrieval"] = retrieval_scores(graded)
    for kind, row in summary["by_kind"].items():
        sub = [(i, r, ranking) for i, r, ranking in graded if kind in i.get("kind", [])]
        row["citation_recall"] = citation_recall([(i, r) for i, r, _ in sub])
        sub_retrieval = retrieval_scores(sub)
        row["recall@5"] = sub_retrieval["recall@5"] if sub_retrieval else None
    return summary


def failure_reasons(item: Mapping, record: Mapping) -> list[str]:
    """Why a graded item counts against the system: answer wrong, or right but citing no gold source."""
    from eval.metrics import answer_correct, contains_fact, gold_sources

    if not item["answerable"]:
        return [] if record["abstained"] else ["answered a question the corpus cannot answer"]
    if record["abstained"]:
        return ["abstained on an answerable question"]
    if not answer_correct(item, record):
        missing = [alts for alts in item["key_facts"] if not contains_fact(record["answer"], alts)]
        return ["missing key fact " + " / ".join(f'"{a}"' for a in alts) for alts in missing]
    sources = set(gold_sources(item))
    if not any(c.get("source") in sources for c in record["citations"]):
        return [f"right answer, but no citation of {', '.join(sorted(sources))}"]
    return []


# --- thresholds (the CI gate) -----------------------------------------------------------------------

def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict[str, float]:
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Threshold file {path} does not exist") from None
    missing = [m for m in GATED_METRICS if not isinstance(raw.get(m), (int, float))]
    if missing:
        raise ConfigError(f"Threshold file {path} needs a number for {', '.join(missing)}")
    return {m: float(raw[m]) for m in GATED_METRICS}


def below_thresholds(summary: Mapping, thresholds: Mapping[str, float]) -> list[str]:
    """One line per gated metric under its threshold (an undefined metric counts as under)."""
    problems = []
    for metric, floor in thresholds.items():
        value = summary.get(metric)
        if value is None or value < floor:
            shown = "undefined" if value is None else f"{value:.3f}"
            problems.append(f"{metric} = {shown} is below the threshold {floor:.3f}")
    return problems


# --- text output -----------------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_summary(run: EvalRun) -> str:
    s = run.summary
    lines = [f"Configuration {run.config} (mode {run.settings.mode}): {len(run.records)} questions in {run.wall_s:.1f} s"]
    if run.graded:
        lines += [
            f"  answer accuracy      {_pct(s['answer_accuracy'])}  (answerable only: {_pct(s['answerable_accuracy'])})",
            f"  citation precision   {_pct(s['citation_precision'])}   recall {_pct(s['citation_recall'])}",
            f"  abstention accuracy  {_pct(s['abstention_accuracy'])}  precision {_pct(s['abstention_precision'])}"
            f"  recall {_pct(s['abstention_recall'])}",
        ]
        r = s.get("retrieval")
        if r:
            lines.append(f"  retrieval            R@1 {_pct(r['recall@1'])}  R@5 {_pct(r['recall@5'])}"
                         f"  R@10 {_pct(r['recall@10'])}  MRR@10 {_pct(r['mrr'])}  (n={r['n']})")
    else:
        lines.append("  no gold fields in this file: latency only")
    lat = s.get("latency")
    if lat:
        lines.append(f"  latency              p50 {lat['p50_s']:.2f} s  p95 {lat['p95_s']:.2f} s  max {lat['max_s']:.2f} s")
    if run.graded:
        lines.append("  per kind             n     answer  abstain  cit.rec  R@5")
        for kind, row in s["by_kind"].items():
            lines.append(f"    {kind:16s} {row['n']:4d}  {_pct(row['answer_accuracy']):>6}  {_pct(row['abstention_accuracy']):>6}"
                         f"  {_pct(row['citation_recall']):>6}  {_pct(row['recall@5']):>5}")
        failed = sum(1 for item, record in zip(run.items, run.records) if is_graded(item) and failure_reasons(item, record))
        lines.append(f"  {failed} question(s) failed (wrong answer or no gold citation)")
    return "\n".join(lines)


def write_records(path: Path, records: Sequence[Mapping]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


# --- entry points ----------------------------------------------------------------------------------

PipelineFactory = Callable[[Settings], object]


def shared_pipelines(base: Settings) -> PipelineFactory:
    """Pipelines for several settings over ONE index and ONE embedder, so the model loads once."""
    from assistant.pipeline import Pipeline

    first = build_eval_pipeline(base)

    def pipeline_for(settings: Settings):
        if settings == base:
            return first
        return Pipeline(settings, first.index, first.embedder)

    return pipeline_for


def run_ablations(items: list[dict], base: Settings, pipeline_for: PipelineFactory | None = None,
                  log: Callable[[str], None] = print, progress: bool = False) -> tuple[list[EvalRun], list[str]]:
    """Every configuration of ``ablation_plan`` on ``items``; returns the runs and the skipped lines."""
    plan, skipped = ablation_plan(base)
    pipeline_for = pipeline_for or shared_pipelines(plan[0].settings(base))
    runs = []
    for config in plan:
        log(f"[{config.name}] answering {len(items)} questions ...")
        settings = config.settings(base)
        run = evaluate(pipeline_for(settings), items, config.name, settings.mode, dict(config.overrides), progress)
        log(f"[{config.name}] done in {run.wall_s:.0f} s")
        runs.append(run)
    for line in skipped:
        log(line)
    return runs, skipped


def configuration_name(settings: Settings) -> str:
    """The configuration these settings amount to, or "custom" (e.g. other CCHC_* retrieval weights)."""
    for config in CONFIGURATIONS:
        if config.settings(settings) == settings:
            return config.name
    return "custom"


def _single_settings(args: argparse.Namespace) -> tuple[str, Settings, dict]:
    base = Settings.from_env(mode=args.mode)
    if not args.config:
        return configuration_name(base), base, {}
    config = configuration(args.config)
    wanted = dict(config.overrides)
    if args.mode and args.mode != wanted["mode"]:
        raise ConfigError(f"--mode {args.mode} contradicts configuration {config.name} (mode {wanted['mode']})")
    return config.name, config.settings(base), wanted


def main(args: argparse.Namespace, pipeline_for: PipelineFactory | None = None) -> int:
    """`assistant eval` and `python -m eval.run`. ``pipeline_for`` replaces the real pipeline in tests."""
    from assistant.cli import read_questions
    from eval.report import write_report

    questions = Path(args.questions)
    items = read_questions(questions)
    command = " ".join(getattr(args, "argv", None) or _command(args))
    if args.ablations:
        if args.config or args.mode:
            raise ConfigError("--ablations runs every configuration; leave out --config and --mode")
        base = Settings.from_env()
        runs, skipped = run_ablations(items, base, pipeline_for, log=lambda line: print(line, file=sys.stderr),
                                      progress=sys.stderr.isatty())
        records_dir = Path(args.out) if args.out else DEFAULT_RECORDS_DIR
        for run in runs:
            write_records(records_dir / f"{run.config}.jsonl", run.records)
        report_dir = Path(args.report) if args.report else DEFAULT_REPORT_DIR
    else:
        name, settings, overrides = _single_settings(args)
        pipeline = (pipeline_for or build_eval_pipeline)(settings)
        runs, skipped = [evaluate(pipeline, items, name, settings.mode, overrides, progress=sys.stderr.isatty())], []
        if args.out:
            write_records(Path(args.out), runs[0].records)
        report_dir = Path(args.report) if args.report else None
    if args.json:
        print(json.dumps({run.config: run.summary for run in runs}, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(format_summary(run) for run in runs))
    if report_dir is not None:
        md, png = write_report(runs, skipped, report_dir, command=command, questions=questions)
        print(f"Report: {md}" + (f" and {png}" if png else ""), file=sys.stderr)
    return 0


def _command(args: argparse.Namespace) -> list[str]:
    words = ["assistant", "eval", "--questions", str(args.questions)]
    for flag in ("mode", "config", "out", "report"):
        if getattr(args, flag, None):
            words += [f"--{flag}", str(getattr(args, flag))]
    return words + (["--ablations"] if args.ablations else [])


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The evaluation flags, shared by `assistant eval` and `python -m eval.run`."""
    parser.add_argument("--questions", default=str(DEFAULT_QUESTIONS),
                        help="JSONL question file; items with gold fields are scored (default: eval/gold.jsonl)")
    parser.add_argument("--mode", choices=["extractive", "llm"], help="default: CCHC_MODE or extractive")
    parser.add_argument("--config", choices=[c.name for c in CONFIGURATIONS],
                        help="run one ablation configuration instead of the CCHC_* settings")
    parser.add_argument("--ablations", action="store_true",
                        help="run every configuration and write the report (what `make eval` does)")
    parser.add_argument("--out", help="per-question records: a JSONL file, or with --ablations a folder "
                        "(default build/eval/) with one file per configuration")
    parser.add_argument("--report", nargs="?", const=str(DEFAULT_REPORT_DIR), metavar="DIR",
                        help="write latest.md and latest.png to DIR (default eval/reports; always on with --ablations)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def _cli(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = add_arguments(argparse.ArgumentParser(prog="python -m eval.run", description=__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    args.argv = ["python", "-m", "eval.run", *argv]
    try:
        return main(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_cli())
