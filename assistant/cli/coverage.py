"""The ``coverage`` and ``feedback`` commands of :mod:`assistant.cli`: their options and handlers.

Part of the command line: argv parsing, terminal output and exit codes for these two commands;
:mod:`assistant.cli` adds them to its parser (:data:`assistant.cli.COMMANDS`) and runs them.
The logic is in :mod:`assistant.coverage` and :mod:`assistant.feedback_loop`.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from . import CliError, _add_kb_option, _load_kb, _retriever
from ..problems import KnowledgeBaseError
from ..rendering import plural as _plural

if TYPE_CHECKING:
    from ..retrieval import TfidfRetriever

__all__ = ["add_coverage", "add_feedback"]


def add_coverage(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="which tickets the FAQ answers: coverage, gap topics, overlapping entries",
                       description="Search every ticket of TICKETS (a CSV (.csv, .tsv, .txt) or Parquet (.parquet, "
                                   ".pq) export with a header row, a glob of them, or a folder of FAQ pages whose "
                                   "questions are taken as tickets) and report the coverage rate, gap topics of the "
                                   "uncovered tickets, hits per FAQ entry, overlapping entries and the rows that "
                                   "could not be read. Emails, phone numbers and access tokens are redacted in every "
                                   "output. Tickets are read in chunks: memory does not grow with their number.")
    p.add_argument("tickets", metavar="TICKETS",
                   help="tickets file (.csv, .tsv, .txt or .parquet, .pq), a quoted glob of them "
                        "(\"tickets/*.parquet\"; with --engine dask also an fsspec URL), or a folder of FAQ markdown")
    p.add_argument("--text-column", action="append", dest="text_columns", metavar="COL",
                   help="column holding the ticket text; repeat to join columns (--text-column subject "
                        "--text-column body). Default: subject + body, else text, body, description, message, ...")
    _add_kb_option(p)
    p.add_argument("--threshold", type=float, default=0.5, metavar="C",
                   help="confidence the best entry needs for a ticket to count as covered "
                        "(default 0.5, the retriever's answering threshold)")
    p.add_argument("--margin", type=float, default=None, metavar="S",
                   help="score difference within which the top two entries make a ticket ambiguous "
                        "(default 0.05)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: tickets, covered, coverage_rate, clustered, gaps, entries, "
                        "ambiguous_pairs, bad_rows")
    p.add_argument("--html", metavar="REPORT.html", help="also write a self-contained HTML report with the plots")
    p.add_argument("--out", metavar="RESULTS.parquet",
                   help="write each ticket's result to this Parquet file as it is scored (columns: row, ref, text, "
                        "best_id, best_question, score, confidence, second_id, second_score, margin, covered, "
                        "ambiguous)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="processes that redact, clean and score tickets (default 1; the local engine)")
    p.add_argument("--sample-size", type=int, default=20_000, metavar="N",
                   help="uncovered tickets kept for the gap clustering (default 20000)")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="local (default) or dask: score each file on a Dask cluster (pip install "
                        "\"faq-assistant[dask]\")")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: address of an existing Dask scheduler (tcp://host:8786); "
                        "default: a local cluster, one worker per core")
    p.add_argument("--compare", metavar="OLD_KB",
                   help="replay the tickets against OLD_KB too and report what changed (exit 1 when a ticket "
                        "became uncovered)")
    p.add_argument("--compare-ref", metavar="GIT_REF",
                   help="like --compare, with the --kb folder as it was at GIT_REF (git archive; the working "
                        "tree is not touched)")
    p.set_defaults(func=_cmd_coverage)


def _finite(value: float | None, option: str, low: float, high: float | None = None) -> None:
    import math

    if value is None:
        return
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"a finite number, {low:g} or more"
        raise CliError(f"{option} must be {span}, got {value}")


def _cmd_coverage(args: argparse.Namespace) -> int:
    from ..coverage import DEFAULT_MARGIN, analyze_coverage
    from ..problems import TicketsError

    if not 0.0 <= args.threshold <= 1.0:  # also false for nan
        raise CliError(f"--threshold is a confidence between 0 and 1, got {args.threshold}")
    _finite(args.margin, "--margin", 0.0)
    if args.jobs < 1:
        raise CliError(f"--jobs must be at least 1, got {args.jobs}")
    if args.sample_size < 2:
        raise CliError(f"--sample-size must be at least 2, got {args.sample_size}")
    if args.scheduler and args.engine != "dask":
        raise CliError("--scheduler needs --engine dask")
    if args.engine == "dask" and (args.compare or args.compare_ref or args.out):
        raise CliError("--engine dask does not take --compare, --compare-ref or --out (use the local engine)")
    if args.compare and args.compare_ref:
        raise CliError("give --compare or --compare-ref, not both")
    margin = DEFAULT_MARGIN if args.margin is None else args.margin
    retriever = _retriever(_load_kb(args.kb))
    if args.compare or args.compare_ref:
        return _coverage_compare(args, retriever, margin)
    try:
        if args.engine == "dask":
            from ..coverage.dask_engine import analyze_coverage_dask

            report = analyze_coverage_dask(args.tickets, retriever, scheduler=args.scheduler,
                                           text_columns=args.text_columns, min_confidence=args.threshold,
                                           margin=margin, sample_size=args.sample_size)
        else:
            report = analyze_coverage(args.tickets, retriever, text_columns=args.text_columns,
                                      min_confidence=args.threshold, margin=margin, out=args.out, jobs=args.jobs,
                                      sample_size=args.sample_size)
    except TicketsError as exc:
        raise CliError(str(exc)) from None
    if not report.n_tickets:
        for b in report.bad_rows:
            print(f"{args.tickets}: row {b.line}: {b.message}", file=sys.stderr)
        raise CliError(f"{args.tickets}: no ticket could be analyzed ({_plural(len(report.bad_rows), 'bad row')})")
    if args.out:
        print(f"wrote {args.out}", file=sys.stderr)
    if args.html:
        try:
            Path(args.html).write_text(report.to_html(title=f"FAQ coverage of {Path(args.tickets).name}"),
                                       encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.html}: cannot write the report: {exc.strerror or exc}") from None
        print(f"wrote {args.html}", file=sys.stderr)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.to_text())
    return 0


def _coverage_compare(args: argparse.Namespace, retriever: TfidfRetriever, margin: float) -> int:
    import tempfile

    from ..coverage.compare import compare_coverage, knowledge_base_at_ref
    from ..problems import TicketsError

    with tempfile.TemporaryDirectory(prefix="faq-kb-") as tmp:
        old_path = args.compare
        if args.compare_ref:
            from ..config import Settings
            from ..knowledge_base import default_kb_path

            folder = args.kb or Settings.from_env().kb or default_kb_path()
            try:
                old_path = knowledge_base_at_ref(folder, args.compare_ref, into=tmp)
            except KnowledgeBaseError as exc:
                raise CliError(str(exc)) from None
        old = _retriever(_load_kb(str(old_path)))
        try:
            result = compare_coverage(args.tickets, old, retriever, text_columns=args.text_columns,
                                      min_confidence=args.threshold, margin=margin, sample_size=args.sample_size)
        except TicketsError as exc:
            raise CliError(str(exc)) from None
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if args.json else result.to_text())
    return 1 if result.n_became_uncovered else 0


def add_feedback(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback", help="the feedback store for doc maintainers: suggested alternate questions, "
                                        "an eval file of the team's verdicts",
                       description="Read the feedback store (accept/dismiss verdicts from the support console).")
    fsub = p.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)
    for name, help_text in (("suggest", "list queries accepted for an entry at least --min-accepts times as "
                                        "suggested alternate questions; --write adds them to the pages' "
                                        "*.alternates.yaml"),
                            ("export", "write the accepted and dismissed suggestions as an eval CSV (--eval FILE)")):
        q = fsub.add_parser(name, help=help_text, description=help_text)
        _add_kb_option(q)
        q.add_argument("--feedback-db", metavar="FILE",
                       help="feedback database (default: $FAQ_ASSISTANT_FEEDBACK_DB, else "
                            "~/.local/share/faq-assistant/feedback.sqlite3)")
        if name == "suggest":
            q.add_argument("--min-accepts", type=int, default=2, metavar="N",
                           help="accepts a query needs for an entry (and more than its dismissals; default 2)")
            q.add_argument("--write", action="store_true",
                           help="write the changes to the *.alternates.yaml files (default: only show the diff)")
        else:
            q.add_argument("--eval", required=True, metavar="FILE.csv", dest="eval_file",
                           help="eval CSV to write (query, expected, kind), read by faq-assistant eval")
    p.set_defaults(func=_cmd_feedback)


def _cmd_feedback(args: argparse.Namespace) -> int:
    from ..config import Settings
    from ..feedback import FeedbackStore
    from ..feedback_loop import alternates_changes, export_eval, suggest_alternates, write_alternates

    db = Path(args.feedback_db).expanduser() if args.feedback_db else Settings.from_env().feedback_db
    if not db.is_file():
        raise CliError(f"{db}: no feedback database (the support console writes it; --feedback-db FILE names another)")
    kb = _load_kb(args.kb)
    with FeedbackStore(db) as store:
        rows = store.to_frame()
    if args.feedback_command == "export":
        text = export_eval(rows, kb)
        try:
            Path(args.eval_file).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.eval_file}: cannot write the eval file: {exc.strerror or exc}") from None
        n = text.count("\n") - 1
        print(f"wrote {args.eval_file} ({_plural(n, 'question')}); measure with: faq-assistant eval {args.eval_file}")
        return 0
    if args.min_accepts < 1:
        raise CliError(f"--min-accepts must be at least 1, got {args.min_accepts}")
    found = suggest_alternates(rows, kb, args.min_accepts)
    print(f"{_plural(len(found), 'suggested alternate question')} (queries accepted at least "
          f"{args.min_accepts} times for an entry)")
    for r in found.itertuples():
        print(f"  {r.accepted:3d}x  {textwrap.shorten(r.query, 70, placeholder=' ...')}")
        print(f"         -> {textwrap.shorten(r.question, 70, placeholder=' ...')}  ({r.source})")
    changes = alternates_changes(found, kb)
    for change in changes:
        print()
        print(change.diff, end="")
    if args.write and changes:
        for path in write_alternates(changes):
            print(f"wrote {path}", file=sys.stderr)
    elif changes:
        print("\n(not written: add --write to apply these changes, then review them in version control)")
    return 0
