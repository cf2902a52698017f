"""The `assistant` command. Domain errors become one-line messages here (exit status 2)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.settings import Settings
from ingest.errors import AssistantError


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    return Settings.from_env(**overrides)


def cmd_setup(args: argparse.Namespace) -> int:
    from assistant.pipeline import provision

    settings = _settings(args)
    for line in provision(settings, onnx=args.onnx):
        print(line)
    if args.llm:
        from assistant.llm.provision import provision_llm

        for r in provision_llm(settings.llm_gguf_path, settings.llm_threads,
                               engine=not args.skip_engine, model=not args.skip_model):
            print(f"[llm] {r.name}: {'done' if r.done else 'skipped'} in {r.seconds:.1f} s - {r.detail}")
    return 0


def _notice(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.progress import IngestProgress
    from assistant.workers import ingest

    settings = _settings(args) if args.workers is None else _settings(args, ingest_workers=args.workers)
    progress = IngestProgress(sys.stderr, enabled=not args.quiet and not args.dry_run)

    def notice(text: str) -> None:  # a line of its own, above the bar
        if args.quiet or args.dry_run:
            _notice(text)
        else:
            progress.write(text)

    try:
        report = ingest(settings, [Path(p) for p in args.paths], sync=args.sync, dry_run=args.dry_run,
                        progress=progress, on_notice=notice)
    finally:
        progress.close()
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.summary())
    if report.all_skipped:  # nothing ingested: the reasons are in the report just printed
        print(f"error: every given path was skipped ({len(report.skipped)}); nothing was ingested",
              file=sys.stderr)
        return 1
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from assistant.pipeline import build_check

    check = build_check(_settings(args))
    report = check.check(full=args.full, sample=args.sample, on_notice=_notice)
    if args.repair and not report.healthy:
        report = check.repair(report, sample=args.sample, on_notice=_notice)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.summary())
    return 0 if report.healthy else 1


def cmd_stats(args: argparse.Namespace) -> int:
    from assistant.pipeline import build_index

    index = build_index(_settings(args))
    docs = sorted(index.documents().values(), key=lambda r: r.source)
    rows = [{"source": r.source, "chunks": r.n_chunks, **r.metadata.to_dict(), "ingested_at": r.ingested_at}
            for r in docs]
    if args.json:
        print(json.dumps({"documents": rows, "chunks": sum(r.n_chunks for r in docs)}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No documents ingested yet. Run: assistant ingest data/corpus")
        return 0
    for r in rows:
        print(f"{r['source']}  chunks={r['chunks']}  {r['province'] or '?'} | {r['doc_type'] or '?'} "
              f"{r['number'] or ''} | {r['issue_date'] or '?'} | {r['period'] or ''} | {r['signer'] or ''}")
        print(f"    {r['title'] or ''}")
    print(f"{len(rows)} documents, {sum(r['chunks'] for r in rows)} chunks")
    return 0


def cmd_commitments(args: argparse.Namespace) -> int:
    import shutil

    from assistant.answer.ledger import Ledger, text_table
    from assistant.pipeline import build_index

    # the registry alone: no embedding model, no chunks
    ledger = Ledger(build_index(_settings(args)).documents().values())
    try:
        rows = ledger.rows(province=args.province, year=args.year, topic=args.topic)
    except ValueError as exc:
        raise AssistantError(str(exc)) from None
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(ledger.to_csv(rows))
    elif not len(ledger):
        print("No commitments in the index. Run: assistant ingest data/corpus")
    elif not rows:
        print(f"No commitments match. Provinces with commitments: {', '.join(ledger.provinces)}; "
              f"years: {', '.join(map(str, ledger.years))}; topics: {', '.join(ledger.topics)}")
    else:
        print(text_table(rows, shutil.get_terminal_size((120, 24)).columns))
        documents = len({r.source for r in rows})
        print(f"{len(rows)} commitment{'s' * (len(rows) != 1)} in {documents} document{'s' * (documents != 1)} "
              "(--json or --csv for quotes and their offsets)")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.pipeline import build_pipeline

    pipeline = build_pipeline(_settings(args))
    answer = pipeline.answer(args.question, mode=args.mode)
    if args.json:
        print(json.dumps(answer.to_record(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    shown = answer.citations or answer.related
    if shown:
        print("\nRelated passages (not support):" if answer.abstained else "\nCitations:")
    for c in shown:
        print(f"[{c.n}] {c.source} {c.start}-{c.end} | {c.province} | {c.title}\n    “{c.quote}”")
    if answer.note:
        print(f"\nNote: {answer.note}")
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.batch import answered_ids, iter_answers, read_questions
    from assistant.pipeline import build_pipeline

    items = read_questions(Path(args.questions))
    out_path = Path(args.out)
    done = answered_ids(out_path) if args.resume else set()
    pending = sum(item.get("id") not in done for item in items)
    if args.resume:
        print(f"Resuming: {len(items) - pending} of {len(items)} already in {out_path}", file=sys.stderr)
    pipeline = build_pipeline(_settings(args))
    # each record is written and flushed as it is produced: an interrupted run keeps what it answered
    with open(out_path, "a" if args.resume else "w", encoding="utf-8") as out, \
            tqdm(total=pending, unit="q", desc="Answered", file=sys.stderr, disable=args.quiet) as bar:
        for _, record in iter_answers(pipeline, items, args.mode, done):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            bar.update()
    print(f"Answered {pending} questions → {out_path}", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.app.server import serve

    serve(_settings(args, host=args.host, port=args.port))
    return 0


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="CCHC assistant: answers questions about Vietnamese administrative-reform documents with "
        "exact citations. Settings come from CCHC_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("setup", help="provision the offline models (tiktoken files, embedding model)")
    p.add_argument("--onnx", action="store_true",
                   help="also the int8 ONNX Runtime export of the embedding model (CCHC_EMBEDDING_BACKEND=onnx-int8), "
                   "checked against fp32 on the gold passages (cosine >= 0.99)")
    p.add_argument("--llm", action="store_true",
                   help="also the optional local LLM: build llama-cpp-python, assemble the GGUF, test a decode")
    p.add_argument("--skip-engine", action="store_true", help="with --llm: do not build llama-cpp-python")
    p.add_argument("--skip-model", action="store_true", help="with --llm: do not assemble the GGUF file")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("ingest", help="ingest files or folders (.txt .md .html .pdf .docx) or JSONL libraries",
                       description="Ingest files, folders, and JSONL libraries (.jsonl, .jsonl.gz, .jsonl.xz: one "
                       'document per line, {"id": …, "text": …}, stored as <id>.md; bad lines are named and '
                       "skipped). Unchanged documents are skipped, so an interrupted run resumes when run again.")
    p.add_argument("paths", nargs="+", help="files, folders or JSONL files")
    p.add_argument("--sync", action="store_true",
                   help="also remove indexed documents whose files are not given (refused when a path is missing or "
                   "unreadable, or holds no readable supported file; what is removed is printed first)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan (add, update, remove, skip) and change nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar (documents done, documents/s and chunks/s embedded, ETA on stderr)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes embedding side by side, one model each; this process alone writes (default "
                   "CCHC_INGEST_WORKERS, 0: one per core when there are at least 8 files per worker)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("check", help="verify the index: registry against stored chunks and vectors; --repair fixes",
                       description="Per document: its registered chunk count against the chunks stored for its "
                       "version, their keyword fields, and that each chunk is found by a search with its own "
                       "vector (a sample, or all with --full); orphan chunks of no registered version. Exit 0 "
                       "when healthy (or repaired), 1 when problems remain.")
    p.add_argument("--repair", action="store_true",
                   help="re-ingest failing documents from the text the registry keeps, delete orphan chunks, "
                   "check again")
    p.add_argument("--full", action="store_true", help="search every chunk by its own vector, not a sample")
    p.add_argument("--sample", type=_at_least_one, default=200, metavar="N",
                   help="chunks searched by their own vector without --full (default 200)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("stats", help="list the ingested documents with their metadata and chunk counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    from ingest.commitments import TOPICS  # light: the topic keys for the help text

    p = sub.add_parser("commitments", help="list the quantified targets (the commitments ledger), filtered",
                       description="Every quantified target in the ingested documents: province, year, topic, "
                       "value, and the quoted source span. Reads the index only (no model is loaded).")
    p.add_argument("--province", help='a province, with or without diacritics ("Lai Châu" or "Lai Chau")')
    p.add_argument("--year", type=int, help="target year, e.g. 2025")
    p.add_argument("--topic", metavar="TOPIC", help=f"one of: {', '.join(TOPICS)}")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the rows as a JSON list (with quotes and offsets)")
    output.add_argument("--csv", action="store_true", help="print the rows as CSV (with quotes and offsets)")
    p.set_defaults(func=cmd_commitments)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer record as JSON")
    p.add_argument("--mode", choices=["extractive", "llm"], help="default: CCHC_MODE or extractive")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("answer", help="answer a JSONL file of questions (models load once)")
    p.add_argument("--questions", required=True, help='input JSONL: {"id": …, "question": …, "follows": id?}')
    p.add_argument("--out", required=True, help="output JSONL, one answer record per line, written as answered")
    p.add_argument("--mode", choices=["extractive", "llm"])
    p.add_argument("--resume", action="store_true",
                   help="keep the records already in --out and answer only the questions whose id is not there")
    p.add_argument("--quiet", action="store_true", help="no progress bar (answered/total, rate, ETA on stderr)")
    p.set_defaults(func=cmd_answer)

    p = sub.add_parser("serve", help="start the web app (Gradio)")
    p.add_argument("--host", help="address to bind (default 127.0.0.1; anything else is an explicit choice)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
