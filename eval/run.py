"""The evaluation runner: answer a question file through the user's code path, score it, run the ablations.

    python -m eval.run [--questions FILE] [--mode extractive|llm] [--config NAME] [--out FILE] [--json]
                       [--report [DIR]] [--fresh-index]
    python -m eval.run --ablations [--fresh-index] [--llm-sample N]      (`make eval`)

Answers come from ``assistant.batch.answer_all`` on a pipeline built like ``assistant answer`` builds it, so
any question file in that format can be scored; items carrying gold fields ("answerable", "key_facts", ...)
are scored with ``eval.metrics``, a file without them gets latency only.

The real-document gold set is also measured as DOCX: the documents ``eval.formats.docx_selection`` picks are
ingested as Word files converted at evaluation time instead of their markdown, and their gold items re-pointed.

Recall@10 needs more passages than an answer retrieves (top_k, 6 by default): after each answer the question
is understood again (same previous turn) and searched with k=10, after the answer's latency was measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings
from eval import formats
from eval.metrics import item_format
from eval.report import write_report, write_suites_report
from eval.scoring import (  # noqa: F401  (re-exported: the runner's public names)
    CONFIGURATIONS,
    CORPORA,
    DEFAULT_CONFIGURATION,
    GATED_METRICS,
    RANKING_DEPTH,
    SUITES,
    THRESHOLDS_PATH,
    Configuration,
    EvalRun,
    Span,
    Suite,
    below_thresholds,
    configuration,
    failure_reasons,
    is_graded,
    load_thresholds,
    score,
)
from ingest.errors import AssistantError, ConfigError, IngestError

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "gold.jsonl"
GOLD_CORPUS = PROJECT_ROOT / "data" / "corpus"  # the files the gold spans index (eval.validate_gold.DEFAULT_CORPUS)
DEFAULT_REPORT_DIR = PROJECT_ROOT / "eval" / "reports"
DEFAULT_RECORDS_DIR = PROJECT_ROOT / "build" / "eval"
DOCX_GOLD = PROJECT_ROOT / "eval" / "gold_real.jsonl"  # the gold set whose documents eval.formats selects from
# Our own gold documents, converted by a fixture: CCHC_MAX_FILE_MB guards user uploads, not these.
_FIXTURE_MAX_BYTES = 500 * 1024 * 1024


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


class _RankingRecorder:
    """Stands in for the pipeline inside ``answer_all``: answers through it unchanged, then understands the
    question again with the same previous turn (a pure function) and searches that query RANKING_DEPTH deep.

    Not ``answer.query``: that is the context handed to the next turn (e.g. its focus is the answer's cited
    documents), not the query that was searched. ``head_mismatches`` in the scores catches any divergence."""

    def __init__(self, pipeline, depth: int, on_answer: Callable[[], None] | None = None) -> None:
        self.pipeline = pipeline
        self.on_answer = on_answer
        self.settings = pipeline.settings
        self.depth = depth
        self.rankings: list[tuple[str, list[Span]]] = []  # (question, ranking) per answered question, in order

    def answer(self, question: str, previous=None, mode: str | None = None):
        answer = self.pipeline.answer(question, previous=previous, mode=mode)
        searched = self.pipeline.understand(question, previous)
        embedder = getattr(self.pipeline, "embedder", None)
        with embedder.reusing() if isinstance(embedder, QueryVectorCache) else nullcontext():
            passages = self.pipeline.search.search(searched, k=self.depth)
        self.rankings.append((question, [(p.chunk.source, p.chunk.start, p.chunk.end) for p in passages]))
        if self.on_answer is not None:
            self.on_answer()
        return answer


def answer_with_rankings(pipeline, items: list[dict], mode: str | None, on_answer: Callable[[], None] | None = None
                         ) -> tuple[list[dict], dict[int, list[Span]]]:
    from assistant.batch import answer_all

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


# --- text output -----------------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_summary(run: EvalRun) -> str:
    s = run.summary
    lines = [f"Configuration {run.config} (mode {run.settings.mode}): "
             f"{len(run.records)} questions in {run.wall_s:.1f} s"]
    if run.graded:
        lines += [
            f"  answer accuracy      {_pct(s['answer_accuracy'])}  (answerable only: {_pct(s['answerable_accuracy'])})",
            f"  citation precision   {_pct(s['citation_precision'])}   recall {_pct(s['citation_recall'])}",
            f"  abstention accuracy  {_pct(s['abstention_accuracy'])}  precision {_pct(s['abstention_precision'])}"
            f"  recall {_pct(s['abstention_recall'])}",
            f"  other-province answers {s['other_province_answers']}",
        ]
        r = s.get("retrieval")
        if r:
            lines.append(f"  retrieval            R@1 {_pct(r['recall@1'])}  R@5 {_pct(r['recall@5'])}"
                         f"  R@10 {_pct(r['recall@10'])}  MRR@10 {_pct(r['mrr'])}  (n={r['n']})")
    else:
        lines.append("  no gold fields in this file: latency only")
    lat = s.get("latency")
    if lat:
        lines.append(f"  latency              p50 {lat['p50_s']:.2f} s  p95 {lat['p95_s']:.2f} s"
                     f"  max {lat['max_s']:.2f} s")
    if run.graded:
        lines.append("  per kind             n     answer  abstain  cit.rec  R@5")
        for kind, row in s["by_kind"].items():
            lines.append(f"    {kind:16s} {row['n']:4d}  {_pct(row['answer_accuracy']):>6}"
                         f"  {_pct(row['abstention_accuracy']):>6}"
                         f"  {_pct(row['citation_recall']):>6}  {_pct(row['recall@5']):>5}")
        lines.append("  per format           n     answer  abstain  cit.rec")
        for fmt, row in s.get("by_format", {}).items():
            lines.append(f"    {fmt:16s} {row['n']:4d}  {_pct(row['answer_accuracy']):>6}"
                         f"  {_pct(row['abstention_accuracy']):>6}  {_pct(row['citation_recall']):>6}")
        failed = sum(1 for item, record in zip(run.items, run.records)
                     if is_graded(item) and failure_reasons(item, record))
        lines.append(f"  {failed} question(s) failed (wrong answer or no gold citation)")
    return "\n".join(lines)


def write_records(path: Path, records: Sequence[Mapping]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


# --- entry points ----------------------------------------------------------------------------------

PipelineFactory = Callable[[Settings], object]


# --- the DOCX substitutes (issue 12 item 8: the gold set in more than one format) ---------------------

def docx_substitutes() -> list[str]:
    """The markdown documents of the real-document gold set evaluated as DOCX (``eval.formats.docx_selection``)."""
    from assistant.batch import read_questions

    return formats.docx_selection(read_questions(DOCX_GOLD))


def corpus_paths(corpora: Sequence[Path], folder: Path) -> list[Path]:
    """What the evaluation ingests: ``corpora``, the DOCX substitutes (written into ``folder``) in place of
    their markdown, never both (two copies would compete for every question)."""
    return formats.substitute(corpora, docx_substitutes(), folder)


def substitute_texts(corpora: Sequence[Path]) -> dict[str, tuple[str, str]]:
    """Markdown name -> (its text, the text of its DOCX substitute), both as ``ingest.load`` reads them."""
    from ingest.load import discover, load_file

    chosen = set(docx_substitutes())
    texts = {}
    with tempfile.TemporaryDirectory(prefix="cchc-eval-docx-") as folder:
        for path in discover(list(corpora))[0]:
            if path.name in chosen:
                docx = formats.markdown_to_docx(path, Path(folder) / formats.docx_name(path.name))
                texts[path.name] = (load_file(path, _FIXTURE_MAX_BYTES).text, load_file(docx, _FIXTURE_MAX_BYTES).text)
    return texts


def gold_items(items: list[dict], corpora: Sequence[Path]) -> formats.Remapped:
    """``items`` with the gold sources and spans of the DOCX substitutes re-pointed at the DOCX text."""
    if not any(s in set(docx_substitutes()) for item in items for s in formats.item_sources(item)):
        return formats.Remapped(items)
    return formats.remap_items(items, substitute_texts(corpora))


def format_note(remapped: formats.Remapped, what: str) -> str:
    """One line on the DOCX substitutes and the spans that could not be found in them."""
    lost = "; every gold span found in the DOCX text"
    if remapped.notes:
        lost = (f"; {len(remapped.notes)} gold span(s) not found in the DOCX text, left out of retrieval scores: "
                + "; ".join(remapped.notes))
    return (f"Note: {what}: {', '.join(docx_substitutes())} ingested as DOCX (converted by eval/formats.py) "
            f"instead of markdown{lost}")


def ingest_gold_corpus(settings: Settings, embedder, corpora: Sequence[Path] = (GOLD_CORPUS,)) -> None:
    """Ingest data/corpus (what the gold spans index) into the index ``settings`` name, as `assistant ingest` does;
    the DOCX substitutes (``docx_substitutes``) in place of their markdown."""
    from assistant.pipeline import build_ingestor

    with tempfile.TemporaryDirectory(prefix="cchc-eval-docx-") as folder:
        report = build_ingestor(settings, embedder).run(corpus_paths(corpora, Path(folder)))
    if report.skipped or not (report.added or report.updated or report.unchanged):
        raise IngestError(f"Ingesting {', '.join(map(_rel, corpora))} for the evaluation failed: {report.summary()}")


def shared_pipelines(base: Settings, fresh_index: bool = False,
                     corpora: Sequence[Path] = (GOLD_CORPUS,)) -> PipelineFactory:
    """Pipelines for several settings over ONE index and ONE embedder, so the model loads once.

    ``fresh_index``: first ingest ``corpora`` into ``base.chroma_path`` (an empty temporary folder)."""
    from assistant.pipeline import Pipeline, build_embedder, build_pipeline

    embedder = build_embedder(base)
    if fresh_index:
        ingest_gold_corpus(base, embedder, corpora)
    first = build_pipeline(base, QueryVectorCache(embedder))

    def pipeline_for(settings: Settings):
        if settings == base:
            return first
        return Pipeline(settings, first.index, first.embedder)

    return pipeline_for


def gold_index_problems(versions: Mapping[str, str], max_file_bytes: int,
                        corpora: Sequence[Path] = (GOLD_CORPUS,)) -> list[str]:
    """How the served index differs from a fresh ingest of the gold corpus (empty: it is the same).

    ``versions``: source -> stored version, as the pipeline serves them. A stale or partial index would score
    the code that built it, not the code under test."""
    from ingest.load import discover, load_file
    from ingest.prepare import document_version

    with tempfile.TemporaryDirectory(prefix="cchc-eval-docx-") as folder:
        files, _ = discover(corpus_paths(corpora, Path(folder)))
        wanted = {p.name: document_version(load_file(p, max_file_bytes)) for p in files}
    problems = []
    missing = sorted(set(wanted) - set(versions))
    stale = sorted(s for s in wanted if s in versions and versions[s] != wanted[s])
    extra = sorted(set(versions) - set(wanted))
    where = ", ".join(_rel(c) for c in corpora)
    hint = f"run `assistant ingest {where}`, or evaluate with --fresh-index"
    if missing:
        problems.append(f"WARNING: the index lacks {', '.join(missing)} from {where}, "
                        f"where the gold spans point; {hint}")
    if stale:
        problems.append(f"WARNING: {', '.join(f'{s} ({versions[s]}, current {wanted[s]})' for s in stale)} "
                        f"were indexed by another version of the files or of the ingest recipe; {hint}")
    if extra:
        problems.append(f"Note: the index also holds {len(extra)} document(s) outside {where} "
                        f"({', '.join(extra[:5])}{', ...' if len(extra) > 5 else ''}); they compete in retrieval")
    return problems


def index_notes(pipeline, check_gold: bool, fresh: bool = False, corpora: Sequence[Path] = (GOLD_CORPUS,)) -> list[str]:
    """A line saying which index answered, then the ways it differs from the gold corpus (when graded)."""
    settings, view = pipeline.settings, pipeline.view
    if fresh:
        where = f"a fresh temporary index of {', '.join(map(_rel, corpora))} (--fresh-index)"
    elif settings.chroma_host:
        where = f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
    else:
        where = f"Chroma store {_rel(settings.chroma_path)}"
    notes = [f"{where}, collection {settings.collection}: {len(view.versions)} documents, {view.n_chunks} chunks"]
    if check_gold:
        notes += gold_index_problems(view.versions, settings.max_file_bytes, corpora)
    return notes


def _rel(path: Path) -> str:
    path = Path(path)
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def select_split(items: list[dict], split: str | None) -> list[dict]:
    """The items of one split (all when ``split`` is None); a split no item has is an error."""
    if split is None:
        return items
    chosen = [item for item in items if item.get("split") == split]
    if not chosen:
        found = sorted({str(item.get("split")) for item in items})
        raise ConfigError(f"No question has split {split!r}. Splits in the file: {', '.join(found)}")
    return chosen


def sample_positions(items: Sequence[Mapping], n: int) -> list[int]:
    """About ``n`` evenly spaced questions (first and last included), plus the earlier turns any of them
    follows, so a follow-up is asked in its conversation. Positions in file order."""
    if n < 1:
        raise ConfigError(f"The LLM sample needs at least 1 question. Currently it is {n}")
    if n >= len(items):
        return list(range(len(items)))
    picked = {round(i * (len(items) - 1) / max(n - 1, 1)) for i in range(n)}
    position_of = {item.get("id"): pos for pos, item in enumerate(items) if item.get("id") is not None}
    for pos in sorted(picked):
        while items[pos].get("follows") is not None and items[pos]["follows"] in position_of:
            pos = position_of[items[pos]["follows"]]
            picked.add(pos)
    return sorted(picked)


def subset_run(run: EvalRun, positions: Sequence[int], config: str) -> EvalRun:
    """``run`` scored on the questions at ``positions`` only (to compare with a run on that sample)."""
    items = [run.items[p] for p in positions]
    records = [run.records[p] for p in positions]
    rankings = {new: run.rankings[old] for new, old in enumerate(positions) if old in run.rankings}
    wall = sum(float(r.get("latency_s") or 0.0) for r in records)
    return EvalRun(config, run.settings, records, rankings, items, score(items, records, rankings), wall, run.overrides)


def run_ablations(items: list[dict], base: Settings, pipeline_for: PipelineFactory | None = None,
                  log: Callable[[str], None] = print, progress: bool = False,
                  llm_sample: int | None = None) -> tuple[list[EvalRun], list[str]]:
    """Every configuration of ``ablation_plan`` on ``items``; returns the runs and the skipped lines.

    ``llm_sample``: the LLM configuration answers only that many questions (``sample_positions``): a local
    LLM answer takes minutes on a small shared CPU. The default configuration is then also scored on the same
    questions, as the row to compare it with."""
    plan, skipped = ablation_plan(base)
    pipeline_for = pipeline_for or shared_pipelines(plan[0].settings(base))
    runs: list[EvalRun] = []
    for config in plan:
        settings = config.settings(base)
        positions = list(range(len(items)))
        if settings.mode == "llm" and llm_sample is not None:
            positions = sample_positions(items, llm_sample)
        log(f"[{config.name}] answering {len(positions)} questions ...")
        run = evaluate(pipeline_for(settings), [items[p] for p in positions], config.name, settings.mode,
                       dict(config.overrides), progress)
        log(f"[{config.name}] done in {run.wall_s:.0f} s")
        if len(positions) < len(items):
            default = next((r for r in runs if r.config == DEFAULT_CONFIGURATION), None)
            if default is not None:
                runs.append(subset_run(default, positions, f"{DEFAULT_CONFIGURATION} (llm sample)"))
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
    """`python -m eval.run`. ``pipeline_for`` replaces the real pipelines in tests."""
    from assistant.batch import read_questions

    if args.suites:
        return run_suites(args, pipeline_for)
    corpora = [Path(c) for c in args.corpus] if args.corpus else [GOLD_CORPUS]
    remapped = gold_items(select_split(read_questions(Path(args.questions)), args.split), corpora)
    items = remapped.items
    for note in remapped.notes:
        print(f"Note: {note}", file=sys.stderr)
    if args.ablations and (args.config or args.mode):
        raise ConfigError("--ablations runs every configuration; leave out --config and --mode")
    if args.llm_sample is not None and not args.ablations:
        raise ConfigError("--llm-sample goes with --ablations (it limits the llm configuration's questions)")
    with tempfile.TemporaryDirectory(prefix="cchc-eval-index-") as scratch:
        if args.ablations:
            name, settings, overrides = DEFAULT_CONFIGURATION, Settings.from_env(), {}
        else:
            name, settings, overrides = _single_settings(args)
        if args.fresh_index:
            settings = settings.replace(chroma_path=Path(scratch), chroma_host="")
        if pipeline_for is None:
            pipeline_for = shared_pipelines(settings, fresh_index=args.fresh_index, corpora=corpora)
        return _run(args, items, name, settings, overrides, pipeline_for, corpora)


def _run(args: argparse.Namespace, items: list[dict], name: str, settings: Settings, overrides: dict,
         pipeline_for: PipelineFactory, corpora: Sequence[Path] = (GOLD_CORPUS,)) -> int:
    notes = index_notes(pipeline_for(settings), check_gold=any(is_graded(i) for i in items), fresh=args.fresh_index,
                        corpora=corpora)
    for note in notes[1:]:
        print(note, file=sys.stderr)
    if args.ablations:
        runs, skipped = run_ablations(items, settings, pipeline_for, log=lambda line: print(line, file=sys.stderr),
                                      progress=sys.stderr.isatty(), llm_sample=args.llm_sample)
        records_dir = Path(args.out) if args.out else DEFAULT_RECORDS_DIR
        for run in runs:
            if run.config in {c.name for c in CONFIGURATIONS}:  # not the derived "(llm sample)" row
                write_records(records_dir / f"{run.config}.jsonl", run.records)
        report_dir = Path(args.report) if args.report else DEFAULT_REPORT_DIR
    else:
        runs = [evaluate(pipeline_for(settings), items, name, settings.mode, overrides, progress=sys.stderr.isatty())]
        skipped = []
        if args.out:
            write_records(Path(args.out), runs[0].records)
        report_dir = Path(args.report) if args.report else None
    if args.json:
        print(json.dumps({run.config: run.summary for run in runs}, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(format_summary(run) for run in runs))
    if report_dir is not None:
        command = " ".join(getattr(args, "argv", None) or _command(args))
        md, png = write_report(runs, skipped, report_dir, command=command, questions=Path(args.questions), notes=notes)
        print(f"Report: {md}" + (f" and {png}" if png else ""), file=sys.stderr)
    return 0


def suite_gold(suite: Suite) -> formats.Remapped:
    """The suite's gold items, re-pointed at the DOCX substitutes, and what could not be re-pointed."""
    from assistant.batch import read_questions

    return gold_items(select_split(read_questions(suite.questions), suite.split), CORPORA)


def suite_items(suite: Suite) -> list[dict]:
    return suite_gold(suite).items


def run_suites(args: argparse.Namespace, pipeline_for: PipelineFactory | None = None) -> int:
    """Every suite (sample, real dev, real held-out) on one index of all their documents, each with the
    ablations when asked; one report with the suites side by side."""
    if args.config or args.mode or args.split or args.corpus:
        raise ConfigError("--suites chooses the questions, documents and splits itself; leave out "
                          "--config, --mode, --split and --corpus")
    log = lambda line: print(line, file=sys.stderr)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="cchc-eval-index-") as scratch:
        settings = Settings.from_env()
        if args.fresh_index:
            settings = settings.replace(chroma_path=Path(scratch), chroma_host="")
        if pipeline_for is None:
            pipeline_for = shared_pipelines(settings, fresh_index=args.fresh_index, corpora=CORPORA)
        notes = index_notes(pipeline_for(settings), check_gold=True, fresh=args.fresh_index, corpora=CORPORA)
        for note in notes[1:]:
            log(note)
        runs, skipped = [], []
        records_dir = Path(args.out) if args.out else DEFAULT_RECORDS_DIR
        for suite in SUITES:
            gold = suite_gold(suite)
            items = gold.items
            if any(item_format(i) == "docx" for i in items):
                notes.append(format_note(gold, suite.name))
                log(notes[-1])
            log(f"== {suite.name}: {len(items)} questions")
            if args.ablations:
                suite_runs, skipped = run_ablations(items, settings, pipeline_for, log=log,
                                                    progress=sys.stderr.isatty(), llm_sample=args.llm_sample)
            else:
                suite_runs = [evaluate(pipeline_for(settings), items, configuration_name(settings), settings.mode,
                                       progress=sys.stderr.isatty())]
            for run in suite_runs:
                run.suite = suite.name
                if run.config in {c.name for c in CONFIGURATIONS}:
                    write_records(records_dir / suite.name / f"{run.config}.jsonl", run.records)
            runs += suite_runs
    if args.json:
        print(json.dumps({run.label: run.summary for run in runs}, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(f"[{run.suite}] " + format_summary(run) for run in runs))
    report_dir = Path(args.report) if args.report else (DEFAULT_REPORT_DIR if args.ablations else None)
    if report_dir is not None:
        command = " ".join(getattr(args, "argv", None) or _command(args))
        md, png = write_suites_report(runs, skipped, report_dir, command=command, notes=notes)
        log(f"Report: {md}" + (f" and {png}" if png else ""))
    return 0


def _command(args: argparse.Namespace) -> list[str]:
    words = ["assistant", "eval", "--questions", str(args.questions)]
    for flag in ("mode", "config", "out", "report", "llm_sample"):
        if getattr(args, flag, None):
            words += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    return words + [f"--{flag.replace('_', '-')}" for flag in ("suites", "ablations", "fresh_index")
                    if getattr(args, flag, False)]


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
    parser.add_argument("--llm-sample", type=int, metavar="N",
                        help="with --ablations: the llm configuration answers only about N evenly spaced questions "
                        "(a local LLM answer can take minutes); hybrid+metadata is also scored on them")
    parser.add_argument("--fresh-index", action="store_true",
                        help="answer from a new temporary index of data/corpus (the gold corpus) instead of the "
                        "configured one, so the score does not depend on what was ingested locally")
    parser.add_argument("--corpus", action="append", metavar="DIR",
                        help="a folder the gold spans point into, indexed by --fresh-index and checked against the "
                        "index (repeatable; default data/corpus; eval/gold_real.jsonl needs data/realdocs)")
    parser.add_argument("--split", help='only the questions whose "split" is this (e.g. dev, heldout)')
    parser.add_argument("--suites", action="store_true",
                        help="every suite side by side: the sample gold set, and the real-document gold set's dev and "
                        "held-out halves, on one index of data/corpus + data/realdocs (`make eval` adds --ablations)")
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
