"""The evaluation report: eval/reports/latest.md (tables, failures, settings, environment) and latest.png.

Takes the ``EvalRun``s of eval/run.py and writes files; computes no metric of its own.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings
from eval.metrics import gold_span_triples, reciprocal_rank
from eval.scoring import CONFIGURATIONS, SUITES, EvalRun, failure_reasons, is_graded

PACKAGES = ("langchain-core", "chromadb", "sentence-transformers", "torch", "transformers", "gradio", "tiktoken",
            "rank-bm25", "pyvi", "llama-cpp-python", "matplotlib")
SECRET_SETTINGS = ("llm_api_key", "admin_password")
DETAIL_CONFIGURATION = "hybrid+metadata"  # the default: its failures are listed question by question
CHART_METRICS = (("answer accuracy", "answer_accuracy"), ("citation recall", "citation_recall"),
                 ("abstention accuracy", "abstention_accuracy"), ("Recall@5", "recall@5"))
MAX_ANSWER_CHARS = 600
METRICS_NOTE = (
    "Answer accuracy: share of all questions answered with every key fact (answerable) or abstained on "
    "(unanswerable). Citation P: share of citations (on answered, answerable questions) that contain a key fact. "
    "Citation R: share of correct answers citing a gold document. Abstention P/R: unanswerable questions are the "
    "positives. R@k: share of gold passages overlapped by the top k retrieved passages (R@1, R@5 from the answer's "
    "own passages, R@10 and MRR@10 from the same query searched 10 deep). Latency: per answer, in the pipeline.")


# --- environment -----------------------------------------------------------------------------------

def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _proc_field(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text("utf-8", errors="replace").splitlines():
            if line.split(":", 1)[0].strip() == key:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> dict[str, str]:
    mem_kb = _proc_field("/proc/meminfo", "MemTotal").split()
    return {
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": str(os.cpu_count() or "unknown"),
        "ram": f"{int(mem_kb[0]) / 1024 / 1024:.1f} GiB" if mem_kb and mem_kb[0].isdigit() else "unknown",
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def git_commit(root: Path = PROJECT_ROOT) -> str:
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        status = git("status", "--porcelain")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    if head.returncode != 0:
        return "no commit yet"
    changed = len([line for line in status.stdout.splitlines() if line.strip()])
    return head.stdout.strip() + (f" + {changed} uncommitted change(s)" if changed else "")


def settings_rows(settings: Settings) -> list[tuple[str, str]]:
    rows = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.name in SECRET_SETTINGS and value and value != f.default:
            value = "(set, not shown)"
        elif isinstance(value, Path):
            value = os.path.relpath(value, PROJECT_ROOT) if value.is_relative_to(PROJECT_ROOT) else str(value)
        rows.append((f.name, str(value)))
    return rows


# --- markdown --------------------------------------------------------------------------------------

def _n(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def _retrieval(summary: Mapping, key: str) -> float | None:
    return (summary.get("retrieval") or {}).get(key)


def _latency(summary: Mapping, key: str) -> str:
    lat = summary.get("latency")
    return _n(lat[key], 2) if lat else "n/a"


def configuration_table(runs: Sequence[EvalRun]) -> list[str]:
    header = ["Configuration", "Mode", "Questions", "Answer acc.", "Answerable acc.", "Citation P", "Citation R",
              "Abstention acc.", "Abstention P", "Abstention R",
              "Other-province answers", "R@1", "R@5", "R@10", "MRR@10", "p50 s", "p95 s"]
    rows = []
    for run in runs:
        s = run.summary
        if run.graded:
            scores = [_n(s["answer_accuracy"]), _n(s["answerable_accuracy"]), _n(s["citation_precision"]),
                      _n(s["citation_recall"]), _n(s["abstention_accuracy"]), _n(s["abstention_precision"]),
                      _n(s["abstention_recall"]), s["other_province_answers"]] + [_n(_retrieval(s, k))
                                                     for k in ("recall@1", "recall@5", "recall@10", "mrr")]
        else:
            scores = ["n/a"] * 12
        rows.append([f"**{run.label}**", run.settings.mode, len(run.records), *scores,
                     _latency(s, "p50_s"), _latency(s, "p95_s")])
    return _table(header, rows)


def kind_table(run: EvalRun) -> list[str]:
    rows = [[kind, row["n"], _n(row["answer_accuracy"]), _n(row["abstention_accuracy"]), _n(row["citation_recall"]),
             _n(row["recall@5"])] for kind, row in run.summary["by_kind"].items()]
    return _table(["Kind", "n", "Answer acc.", "Abstention acc.", "Citation R", "R@5"], rows)


def format_table(run: EvalRun) -> list[str]:
    """Per file format of the gold documents (md, docx, txt; "none": unanswerable items)."""
    rows = [[fmt, row["n"], _n(row["answer_accuracy"]), _n(row["abstention_accuracy"]), _n(row["citation_recall"])]
            for fmt, row in run.summary.get("by_format", {}).items()]
    return _table(["Format", "n", "Answer acc.", "Abstention acc.", "Citation R"], rows)


def _facts(item: Mapping) -> str:
    if not item["answerable"]:
        return "none: the corpus does not answer this, the assistant should abstain"
    return "; ".join(" or ".join(f"“{a}”" for a in alts) for alts in item["key_facts"])


def _gold_rank(item: Mapping, ranking: Sequence[tuple[str, int, int]]) -> str:

    if not ranking:
        return "nothing retrieved"
    rr = reciprocal_rank(ranking, gold_span_triples(item))
    return f"first gold passage at rank {round(1 / rr)}" if rr else f"no gold passage in the top {len(ranking)}"


def failures(run: EvalRun) -> list[tuple[Mapping, Mapping, list[str], list]]:

    out = []
    for position, (item, record) in enumerate(zip(run.items, run.records)):
        if is_graded(item):
            reasons = failure_reasons(item, record)
            if reasons:
                out.append((item, record, reasons, run.rankings.get(position, [])))
    return out


def failure_section(run: EvalRun) -> list[str]:
    found = failures(run)
    if not found:
        return ["No failures."]
    lines = [f"{len(found)} of {run.summary['graded']} questions fail (wrong answer, wrong abstention, or a right "
             "answer that cites no gold source)."]
    for item, record, reasons, ranking in found:
        kinds = ", ".join(item.get("kind", []))
        follows = f", follows {item['follows']}" if item.get("follows") else ""
        answer = record["answer"].strip()
        if len(answer) > MAX_ANSWER_CHARS:
            answer = answer[:MAX_ANSWER_CHARS].rstrip() + " …"
        cited = ", ".join(f"[{c['n']}] {c['source']} {c['start']}-{c['end']}" for c in record["citations"]) or "none"
        gold = ", ".join(f"{s} {a}-{b}" for s, a, b in _gold_spans(item)) or "none"
        lines += [
            "",
            f"### {item['id']} ({kinds}{follows})",
            "",
            f"- **Why:** {'; '.join(reasons)}",
            f"- **Question:** {item['question']}",
            f"- **Expected key facts:** {_facts(item)}",
            f"- **Abstained:** {'yes' if record['abstained'] else 'no'}",
            f"- **Cited:** {cited}",
            f"- **Gold passages:** {gold}" + (f" ({_gold_rank(item, ranking)})" if item["answerable"] else ""),
            "- **Answer given:**",
            "",
            *["  > " + line for line in answer.splitlines() or [""]],
        ]
        if record.get("note"):
            lines.append(f"- **Note:** {record['note']}")
    return lines


def _gold_spans(item: Mapping) -> list[tuple[str, int, int]]:

    return gold_span_triples(item) if item["answerable"] else []


def other_failures(runs: Sequence[EvalRun], detailed: EvalRun | None) -> list[str]:
    lines = []
    detail_ids = {item["id"] for item, *_ in failures(detailed)} if detailed else set()
    for run in runs:
        if run is detailed or not run.graded:
            continue
        ids = [item["id"] for item, *_ in failures(run)]
        asked = {item["id"] for item in run.items}  # a sample row is compared on its own questions only
        extra = [i for i in ids if i not in detail_ids]
        fixed = sorted((detail_ids & asked) - set(ids))
        lines.append(f"- **{run.config}** ({len(ids)}): {', '.join(ids) or 'none'}"
                     + (f"  \n  failing here but not in {detailed.config}: {', '.join(extra) or 'none'}; "
                        f"passing here but failing in {detailed.config}: {', '.join(fixed) or 'none'}"
                        if detailed else ""))
    return lines


def render_markdown(runs: Sequence[EvalRun], skipped: Sequence[str], command: str, questions: Path,
                    chart: str | None, notes: Sequence[str] = (), now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    first = runs[0]
    graded = [r for r in runs if r.graded]
    detailed = next((r for r in graded if r.config == DETAIL_CONFIGURATION), graded[0] if graded else None)
    n_items = len(first.items)
    s = first.summary
    scope = (f"{n_items} questions ({s['n_answerable']} answerable, {s['n_unanswerable']} unanswerable"
             + (f", {s['ungraded']} without gold fields" if s.get("ungraded") else "") + ")") if first.graded \
        else f"{n_items} questions without gold fields (latency only)"
    lines = [
        "# CCHC assistant: evaluation report",
        "",
        f"Generated {now.strftime('%Y-%m-%d %H:%M UTC')} by `{command}` on `{_rel(questions)}`: {scope}.",
        "",
        *[line for note in notes[1:] for line in (f"**{note}**" if note.startswith("WARNING") else note, "")],
        "## Configurations",
        "",
        *configuration_table(runs),
        "",
    ]
    lines += [f"- **{r.config}**: {_about(r)}" for r in runs]
    lines += [f"- {line}" for line in skipped]
    lines += ["", METRICS_NOTE, ""]
    if chart:
        lines += [f"![Configurations]({chart})", ""]
    mismatched = [r.config for r in graded if (r.summary.get("retrieval") or {}).get("head_mismatches")]
    if mismatched:
        lines += ["Warning: the 10-deep ranking did not start with the answer's passages in "
                  f"{', '.join(mismatched)}.", ""]
    if detailed is not None:
        lines += [f"## Per kind ({detailed.config})", "", *kind_table(detailed), "",
                  f"## Per document format ({detailed.config})", "", *format_table(detailed), "",
                  f"## Failures ({detailed.config}), question by question", "", *failure_section(detailed), ""]
        others = other_failures(graded, detailed)
        if others:
            lines += ["## Failing questions in the other configurations", "", *others, ""]
    shown = detailed or first
    lines += ["## Settings", "", f"Settings of `{shown.config}` (defaults, then CCHC_* variables, then the "
              "configuration's switches); the configurations differ only in the fields listed under the table.", ""]
    lines += _table(["Setting", "Value"], settings_rows(shown.settings))
    lines += [""] + [f"- {r.config}: " + (", ".join(f"{k}={v}" for k, v in r.overrides.items()) or "no overrides")
                     for r in runs]
    lines += environment_section(runs, notes, now)
    return "\n".join(lines) + "\n"


def _rel(path: Path) -> str:
    path = Path(path).resolve()
    return os.path.relpath(path, PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _about(run: EvalRun) -> str:

    for config in CONFIGURATIONS:
        if config.name == run.config:
            return config.about
        if run.config == f"{config.name} (llm sample)":
            return f"{config.name}'s answers to the llm configuration's questions only: the row to compare llm with"
    return "the settings given (CCHC_* variables)"


# --- chart -----------------------------------------------------------------------------------------

def write_chart(runs: Sequence[EvalRun], path: Path) -> bool:
    """Grouped bars, one group per configuration; False (and no file) when no run was graded."""
    from matplotlib.figure import Figure  # a bare Figure renders with Agg and leaves pyplot's global state alone

    graded = [r for r in runs if r.graded]
    if not graded:
        return False
    fig = Figure(figsize=(max(6.0, 1.9 * len(graded) + 2), 4.2), dpi=110)
    ax = fig.subplots()
    width = 0.8 / len(CHART_METRICS)
    for m, (label, key) in enumerate(CHART_METRICS):
        values = [(r.summary.get(key) if key in r.summary else _retrieval(r.summary, key)) for r in graded]
        xs = [g + (m - (len(CHART_METRICS) - 1) / 2) * width for g in range(len(graded))]
        bars = ax.bar(xs, [v or 0.0 for v in values], width, label=label)
        for bar, value in zip(bars, values):
            ax.annotate("n/a" if value is None else f"{value:.2f}",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    full = max(r.summary["n"] for r in graded)
    ax.set_xticks(range(len(graded)), [r.label if r.summary["n"] == full else f"{r.label}\n{r.summary['n']} questions"
                                       for r in graded])
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score")
    ax.set_title(f"CCHC assistant, {full} gold questions")
    ax.legend(loc="upper center", ncols=len(CHART_METRICS), fontsize=8, bbox_to_anchor=(0.5, -0.1), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return True


def render_suites_markdown(runs: Sequence[EvalRun], skipped: Sequence[str], command: str, chart: str | None,
                           notes: Sequence[str] = (), now: datetime | None = None) -> str:
    """Every suite's configurations in one table, then per suite the default configuration's kinds and
    failures: the held-out real documents are the number that counts, the sample is the regression check."""
    now = now or datetime.now(UTC)
    suites = [s for s in SUITES if any(r.suite == s.name for r in runs)]
    lines = [
        "# CCHC assistant: evaluation report",
        "",
        f"Generated {now.strftime('%Y-%m-%d %H:%M UTC')} by `{command}`.",
        "",
        *[line for note in notes[1:] for line in (f"**{note}**" if note.startswith("WARNING") else note, "")],
        "## Suites and configurations side by side",
        "",
        *[f"- **{s.name}**: {s.about}; `{_rel(s.questions)}`"
          + (f' (split "{s.split}")' if s.split else "") for s in suites],
        "",
        *configuration_table(runs),
        "",
    ]
    lines += [f"- **{c.name}**: {c.about}" for c in CONFIGURATIONS if any(r.config == c.name for r in runs)]
    lines += [f"- {line}" for line in skipped]
    lines += ["", METRICS_NOTE, ""]
    if chart:
        lines += [f"![Suites]({chart})", ""]
    for s in suites:
        suite_runs = [r for r in runs if r.suite == s.name and r.graded]
        detailed = next((r for r in suite_runs if r.config == DETAIL_CONFIGURATION),
                        suite_runs[0] if suite_runs else None)
        if detailed is None:
            continue
        lines += [f"## {s.name}: per kind ({detailed.config})", "", *kind_table(detailed), "",
                  f"## {s.name}: per document format ({detailed.config})", "", *format_table(detailed), "",
                  f"## {s.name}: failures ({detailed.config}), question by question", "",
                  *failure_section(detailed), ""]
        others = other_failures(suite_runs, detailed)
        if others:
            lines += [f"## {s.name}: failing questions in the other configurations", "", *others, ""]
    shown = next((r for r in runs if r.config == DETAIL_CONFIGURATION), runs[0])
    lines += ["## Settings", "", f"Settings of `{shown.config}` (defaults, then CCHC_* variables, then the "
              "configuration's switches).", "", *_table(["Setting", "Value"], settings_rows(shown.settings))]
    lines += environment_section(runs, notes, now)
    return "\n".join(lines) + "\n"


def environment_section(runs: Sequence[EvalRun], notes: Sequence[str], now: datetime) -> list[str]:
    env = machine()
    return ["", "## Environment", "", *_table(["", ""], [
        ("Index", notes[0] if notes else "not recorded"),  # which index answered: a result depends on it
        ("Date", now.isoformat(timespec="seconds")),
        ("Git commit", git_commit()),
        ("Python", env["python"]),
        ("OS", env["os"]),
        ("CPU", env["cpu"]),
        ("Cores", env["cores"]),
        ("RAM", env["ram"]),
        *[(name, version) for name, version in package_versions().items()],
        *[(f"wall time, {r.label}", f"{r.wall_s:.0f} s") for r in runs],
    ])]


def write_suites_report(runs: Sequence[EvalRun], skipped: Sequence[str], out_dir: Path, command: str,
                        notes: Sequence[str] = ()) -> tuple[Path, Path | None]:
    """latest.md (and latest.png: the default configuration of each suite) for a --suites run."""
    if not runs:
        raise ValueError("write_suites_report needs at least one run")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "latest.png"
    charted = [r for r in runs if r.config == DETAIL_CONFIGURATION] or list(runs)
    has_chart = write_chart(charted, png)
    if not has_chart and png.exists():
        png.unlink()
    md = out_dir / "latest.md"
    md.write_text(render_suites_markdown(runs, skipped, command, png.name if has_chart else None, notes), "utf-8")
    return md, png if has_chart else None


def write_report(runs: Sequence[EvalRun], skipped: Sequence[str], out_dir: Path, command: str,
                 questions: Path, notes: Sequence[str] = ()) -> tuple[Path, Path | None]:
    """Write latest.md (and latest.png when a run was graded) into ``out_dir``; returns their paths.

    ``notes``: the index line, then warnings about the index (eval.run.index_notes)."""
    if not runs:
        raise ValueError("write_report needs at least one run")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "latest.png"
    has_chart = write_chart(runs, png)
    if not has_chart and png.exists():
        png.unlink()  # a chart of an earlier run would sit next to a report it does not describe
    md = out_dir / "latest.md"
    md.write_text(render_markdown(runs, skipped, command, questions, png.name if has_chart else None, notes), "utf-8")
    return md, png if has_chart else None
