"""Calibrate the abstention threshold (Settings.min_support) on the real-document dev questions.

Answers the dev suite once per candidate threshold, on one index and one embedder, and writes a table of
answer accuracy and abstention precision and recall per value (eval/reports/calibration.md). The chosen
value is the one with the best dev answer accuracy, the middle of the values that reach it when several
do. The held-out suite is never looked at here: it is reported by `make eval` at the chosen value.

    python -m eval.calibrate [--fresh-index] [--values 0.1,0.2,...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings
from eval.run import evaluate, shared_pipelines, suite_items
from eval.scoring import CORPORA, suite

DEFAULT_VALUES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
DEFAULT_OUT = PROJECT_ROOT / "eval" / "reports" / "calibration.md"


@dataclass(frozen=True)
class Point:
    threshold: float
    answer_accuracy: float
    abstention_precision: float | None
    abstention_recall: float | None
    abstained: int
    n: int


def choose(points: Sequence[Point]) -> Point:
    """The best dev answer accuracy; when several values reach it, the middle one of them (the lower middle of
    an even count): a value at the edge of the plateau is the one most likely to fall off it on documents
    the dev split does not hold."""
    best = max(round(p.answer_accuracy, 6) for p in points)
    tied = sorted((p for p in points if round(p.answer_accuracy, 6) == best), key=lambda p: p.threshold)
    return tied[(len(tied) - 1) // 2]


def sweep(settings: Settings, values: Sequence[float], pipeline_for, suite_name: str = "real-dev") -> list[Point]:
    items = suite_items(suite(suite_name))
    points = []
    for value in values:
        run = evaluate(pipeline_for(settings.replace(min_support=value)), items, f"min_support={value}")
        s = run.summary
        points.append(Point(value, s["answer_accuracy"], s["abstention_precision"], s["abstention_recall"],
                            sum(r["abstained"] for r in run.records), len(items)))
        print(f"min_support={value}: answer accuracy {s['answer_accuracy']:.3f}", file=sys.stderr)
    return points


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def report(points: Sequence[Point], chosen: Point, current: float, command: str) -> str:
    lines = ["# Abstention threshold (Settings.min_support) on the real-document dev questions", "",
             f"Command: `{command}`", "",
             "Abstention precision: of the questions answered \"the documents don't say\", the share that are "
             "unanswerable; recall: of the unanswerable questions, the share answered so.", "",
             "| min_support | answer accuracy | abstention precision | abstention recall | abstained |",
             "|---:|---:|---:|---:|---:|"]
    for p in points:
        mark = " **(chosen)**" if p is chosen else ""
        lines.append(f"| {p.threshold:g}{mark} | {p.answer_accuracy:.3f} | {_pct(p.abstention_precision)} | "
                     f"{_pct(p.abstention_recall)} | {p.abstained}/{p.n} |")
    lines += ["", f"Setting in use: {current:g}; best on dev: {chosen.threshold:g}."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--values", default=",".join(map(str, DEFAULT_VALUES)),
                        help="comma-separated thresholds to try (default: %(default)s)")
    parser.add_argument("--fresh-index", action="store_true",
                        help="answer from a new temporary index of data/corpus + data/realdocs")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="the table (default: %(default)s)")
    args = parser.parse_args(argv)
    values = sorted({float(v) for v in args.values.split(",") if v.strip()})
    with tempfile.TemporaryDirectory(prefix="cchc-calibrate-") as scratch:
        settings = Settings.from_env()
        if args.fresh_index:
            settings = settings.replace(chroma_path=Path(scratch), chroma_host="")
        points = sweep(settings, values, shared_pipelines(settings, fresh_index=args.fresh_index, corpora=CORPORA))
    chosen = choose(points)
    command = "python -m eval.calibrate " + " ".join(argv if argv is not None else sys.argv[1:])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(points, chosen, settings.min_support, command.strip()), encoding="utf-8")
    print(out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
