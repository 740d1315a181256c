"""The ``faq-assistant`` command line: a thin layer over the library.

This is the only module that parses argv, prints for the terminal or calls ``sys.exit``.
Exit codes: 0 success, 1 a check failed (e.g. lint errors), 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from .problems import KnowledgeBaseError
from .rendering import plural as _plural

if TYPE_CHECKING:  # each command imports what it needs when it runs, so --help stays fast
    from .knowledge_base import KnowledgeBase
    from .retrieval import TfidfRetriever


class CliError(Exception):
    """A user-facing error: printed as ``faq-assistant: error: ...`` with exit code 2."""


def _load_kb(path: str | None) -> KnowledgeBase:
    """The knowledge base in ``--kb``, else ``$FAQ_ASSISTANT_KB``, else the bundled one."""
    from .config import Settings
    from .knowledge_base import KnowledgeBase

    try:
        kb = KnowledgeBase.load(path or Settings.from_env().kb)
    except KnowledgeBaseError as exc:
        raise CliError(str(exc)) from None
    for p in kb.problems:
        if p.severity in ("error", "warning"):
            print(p, file=sys.stderr)  # "file:line: warning: message [code]"
    return kb


def _retriever(kb: KnowledgeBase) -> TfidfRetriever:
    from .retrieval import TfidfRetriever

    if not len(kb):
        where = ", ".join(sorted({p.file for p in kb.problems if p.code == "no-entries"})) or str(kb.root)
        raise CliError(f"{where}: the knowledge base has no FAQ entries (no question headings found)")
    with warnings.catch_warnings():  # printed below as one line each
        warnings.simplefilter("ignore")
        retriever = TfidfRetriever().fit(kb)
    for p in retriever.problems_:
        print(p, file=sys.stderr)
    return retriever


def _add_kb_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kb", metavar="DIR", help="folder of FAQ markdown files, read recursively (default: $FAQ_ASSISTANT_KB, else the bundled KB)")


# --- ask ------------------------------------------------------------------------------------


def _add_ask(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question (or a whole ticket) from the knowledge base",
                       description="Print the best FAQ entry for QUERY, its answer, source and confidence, "
                                   "then the next best candidates.")
    p.add_argument("query", metavar="QUERY", help="the question or ticket text ('-' reads standard input)")
    _add_kb_option(p)
    p.add_argument("-k", "--top-k", type=int, default=3, metavar="N", help="how many matches to list (default 3)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=_cmd_ask)


def _cmd_ask(args: argparse.Namespace) -> int:
    query = sys.stdin.read() if args.query == "-" else args.query
    if not query.strip():
        raise CliError("the query is empty: pass a question, e.g. faq-assistant ask \"Can I enforce SSO?\"")
    if args.top_k < 1:
        raise CliError(f"-k must be at least 1, got {args.top_k}")
    from .tickets import clean_ticket

    result = _retriever(_load_kb(args.kb)).search(clean_ticket(query), top_k=args.top_k)
    if args.json:  # "query": the text as given, not the cleaned ticket that was searched
        print(json.dumps({**result.to_dict(), "query": query}, ensure_ascii=False, indent=2))
    else:
        print(result.to_text())
    return 0


# --- kb -------------------------------------------------------------------------------------


def _add_kb(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kb", help="list the knowledge base: one row per FAQ entry",
                       description="List every FAQ entry of the knowledge base.")
    _add_kb_option(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (default table)")
    p.set_defaults(func=_cmd_kb)


def _cmd_kb(args: argparse.Namespace) -> int:
    kb = _load_kb(args.kb)
    frame = kb.to_frame()
    if args.format == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=2))
    elif args.format == "csv":
        flat = frame.drop(columns=["answer_markdown", "links"])
        for col in ("keywords", "tags", "aliases", "alternate_questions"):
            flat[col] = flat[col].map("; ".join)
        sys.stdout.write(flat.to_csv(index=False))
    else:
        width = max((len(f"{e.source}:{e.line}") for e in kb), default=8)
        print(f"{'SOURCE:LINE':{width}}  QUESTION")
        for e in kb:
            print(f"{e.source + ':' + str(e.line):{width}}  {textwrap.shorten(e.question, 80)}")
        n_files = len({e.source for e in kb})
        print(f"\n{_plural(len(kb), 'entry', 'entries')} from {_plural(n_files, 'file')}")
    return 0


# --- simulate -------------------------------------------------------------------------------

_ORG_FLAGS = {"plan": "--plan", "verified_domains": "--verified-domain", "sso": "--sso",
              "signin_enforced": "--signin-enforced", "test_org": "--test-org"}
_USER_FLAGS = {"email": "--email", "account": "--account", "has_password": "--has-password/--no-password",
               "has_pat": "--has-pat", "in_idp": "--in-idp/--not-in-idp", "member": "--member", "uses": "--uses"}


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate", help="what an organization's SSO settings do to a user or a roster, citing the FAQ",
        description="Simulate an organization's SSO settings for one user (--email) or a roster (--roster CSV). "
                    "Organization settings come from flags or from a YAML file (--org). Every finding cites the "
                    "FAQ entries it comes from.")
    org = p.add_argument_group("organization (or --org FILE)")
    org.add_argument("--org", metavar="FILE", help="YAML file with plan, verified_domains, sso, signin_enforced, test_org")
    org.add_argument("--plan", metavar="PLAN", help="personal, pro, team or business (default business)")
    org.add_argument("--verified-domain", dest="verified_domains", action="append", metavar="DOMAIN",
                     help="a domain verified for SSO (repeat for several)")
    org.add_argument("--sso", metavar="MODE", help="off, enabled or enforced (default off)")
    org.add_argument("--signin-enforced", action="store_true", default=None,
                     help="Desktop sign-in enforcement is on (a separate feature from SSO)")
    org.add_argument("--test-org", action="store_true", default=None, help="the organization is a test organization")
    user = p.add_argument_group("one user (or --roster FILE)")
    user.add_argument("--roster", metavar="CSV", help="CSV of users: email, account, has_password, has_pat, "
                                                     "in_idp, member, uses (one row per user)")
    user.add_argument("--email", help="the user's email (required without --roster)")
    user.add_argument("--account", metavar="KIND", help="human or service (default human)")
    pw = user.add_mutually_exclusive_group()
    pw.add_argument("--has-password", dest="has_password", action="store_const", const=True, default=None,
                    help="the account has an iEchor ID password (default)")
    pw.add_argument("--no-password", dest="has_password", action="store_const", const=False,
                    help="the account has no password")
    user.add_argument("--has-pat", action="store_true", default=None, help="the account has a personal access token")
    idp = user.add_mutually_exclusive_group()
    idp.add_argument("--in-idp", dest="in_idp", action="store_const", const=True, default=None,
                     help="the email is unaliased and enabled in the identity provider (default)")
    idp.add_argument("--not-in-idp", dest="in_idp", action="store_const", const=False,
                     help="the email is not (or not enabled, or aliased) in the identity provider")
    user.add_argument("--member", action="store_true", default=None, help="already a member of the organization")
    user.add_argument("--uses", action="append", metavar="USE",
                      help="web, desktop, cli, api or ci (repeat for several; default desktop)")
    _add_kb_option(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (default table)")
    p.add_argument("--json", action="store_const", dest="format", const="json", help="same as --format json")
    p.set_defaults(func=_cmd_simulate)


def _given(args: argparse.Namespace, flags: dict[str, str]) -> dict[str, object]:
    return {k: getattr(args, k) for k in flags if getattr(args, k) is not None}


def _cmd_simulate(args: argparse.Namespace) -> int:
    org_fields, user_fields = _given(args, _ORG_FLAGS), _given(args, _USER_FLAGS)
    if args.org and org_fields:
        raise CliError(f"{', '.join(_ORG_FLAGS[k] for k in org_fields)} cannot be combined with --org: "
                       "put the setting in the org file")
    if args.roster and user_fields:
        raise CliError(f"{', '.join(_USER_FLAGS[k] for k in user_fields)} cannot be combined with --roster: "
                       "put the user settings in the roster's columns")
    if not args.roster and not args.email:
        raise CliError("pass --email for one user or --roster FILE for many, "
                       "e.g. faq-assistant simulate --sso enforced --verified-domain example.com --email ana@example.com")
    from .simulator import Org, Simulator, User, load_org, load_roster  # only this command needs the simulator

    try:
        org = load_org(args.org) if args.org else Org(**org_fields)
        roster = load_roster(args.roster) if args.roster else None
        user = None if roster else User(**user_fields)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    kb = _load_kb(args.kb)
    simulator = Simulator(kb)
    if roster is None:
        outcome = simulator.simulate(org, user)
        if args.format == "json":
            print(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
        elif args.format == "csv":
            sys.stdout.write(outcome.to_csv())
        else:
            print(outcome.to_text(kb))
        return 0
    for p in roster.problems:
        print(f"warning: {p.file}:{p.line}: {p.message} (row skipped)", file=sys.stderr)
    if not roster.users and not roster.problems:
        raise CliError(f"{args.roster}: the roster has no users (one row per user under a header row)")
    result = simulator.simulate_roster(org, roster)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(result.to_csv())
        print(result.to_text(table=False), file=sys.stderr)
    else:
        print(result.to_text())
    return 0


# --- eval -----------------------------------------------------------------------------------


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure retrieval on an eval CSV: top-1/top-3, MRR, abstention, latency",
                       description="Search every question of FILE.csv (columns query, expected, kind; expected "
                                   "holds the exact FAQ question texts that answer it, joined by ' || ', empty "
                                   "when the FAQ does not answer it) and print the metrics and the misses.")
    p.add_argument("file", metavar="FILE.csv", help="the eval questions")
    _add_kb_option(p)
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: n, top1, top3, mrr, oos_auroc, answered_in_scope, "
                        "abstained_out_of_scope, answered_precision, p50_ms, p99_ms, misses")
    p.set_defaults(func=_cmd_eval)


def _cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, read_eval_csv

    try:
        questions = read_eval_csv(args.file)
    except OSError as exc:
        raise CliError(f"{args.file}: cannot read the eval file: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not questions:
        raise CliError(f"{args.file}: the eval file has no questions")
    kb = _load_kb(args.kb)
    try:
        evaluation = evaluate(_retriever(kb), questions, kb, source=args.file)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2) if args.json else evaluation.to_text())
    return 0


# --- coverage and lint (issue 6) ---------------------------------------------------------------


def _add_coverage(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="which tickets the FAQ answers: coverage, gap topics, overlapping entries",
                       description="Search every ticket of TICKETS (a CSV (.csv, .tsv, .txt) or Parquet (.parquet, "
                                   ".pq) export with a header row, or a folder of FAQ pages whose questions are "
                                   "taken as tickets) and report the coverage rate, gap topics of the uncovered "
                                   "tickets, hits per FAQ entry, overlapping entries and the rows that could not be "
                                   "read. Emails, phone numbers and access tokens are redacted in every output.")
    p.add_argument("tickets", metavar="TICKETS",
                   help="tickets file (.csv, .tsv, .txt or .parquet, .pq) or a folder of FAQ markdown")
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
                   help="print one JSON object: tickets, covered, coverage_rate, gaps, entries, ambiguous_pairs, bad_rows")
    p.add_argument("--html", metavar="REPORT.html", help="also write a self-contained HTML report with the plots")
    p.set_defaults(func=_cmd_coverage)


def _cmd_coverage(args: argparse.Namespace) -> int:
    from .coverage import DEFAULT_MARGIN, analyze_coverage
    from .problems import TicketsError

    if not 0.0 <= args.threshold <= 1.0:
        raise CliError(f"--threshold is a confidence between 0 and 1, got {args.threshold}")
    if args.margin is not None and args.margin < 0:
        raise CliError(f"--margin must be 0 or more, got {args.margin}")
    retriever = _retriever(_load_kb(args.kb))
    try:
        report = analyze_coverage(args.tickets, retriever, text_columns=args.text_columns,
                                  min_confidence=args.threshold,
                                  margin=DEFAULT_MARGIN if args.margin is None else args.margin)
    except TicketsError as exc:
        raise CliError(str(exc)) from None
    if not report.n_tickets:
        for b in report.bad_rows:
            print(f"{args.tickets}: row {b.line}: {b.message}", file=sys.stderr)
        raise CliError(f"{args.tickets}: no ticket could be analyzed ({_plural(len(report.bad_rows), 'bad row')})")
    if args.html:
        try:
            Path(args.html).write_text(report.to_html(title=f"FAQ coverage of {Path(args.tickets).name}"),
                                       encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.html}: cannot write the report: {exc.strerror or exc}") from None
        print(f"wrote {args.html}", file=sys.stderr)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.to_text())
    return 0


def _add_lint(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lint", help="check FAQ markdown files; exit 1 when any error is found",
                       description="Check every FAQ markdown file under each DIR: front matter, missing "
                                   "title/description, YAML values that change type, empty answers, duplicate "
                                   "and near-duplicate questions, headings that look like answers or setext traps, "
                                   "broken relative links and anchors, very long answers, unclosed code fences, "
                                   "a synonyms.yaml that does not parse. Exit code 1 when any finding is an error.")
    p.add_argument("dirs", nargs="*", metavar="DIR",
                   help="folders (read recursively) or files (default: the bundled KB as installed; "
                        "pass your own folder, e.g. kb)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text: one 'file:line: severity: message [code]' line each; json: "
                        "{files, entries, problems: [{file, line, severity, code, message}]}")
    p.add_argument("--min-severity", choices=["info", "warning", "error"], default="info",
                   help="hide findings below this severity (the exit code still counts every error)")
    p.set_defaults(func=_cmd_lint)


def _cmd_lint(args: argparse.Namespace) -> int:
    from .lint import lint_paths

    try:
        report = lint_paths(args.dirs or None)
    except KnowledgeBaseError as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(report.to_dict(args.min_severity), ensure_ascii=False, indent=2))
    else:
        print(report.to_text(args.min_severity))
    return report.exit_code


# --- entry point --------------------------------------------------------------------------------

#: Each function adds one subcommand; keep this list in the order ``--help`` shows them.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_ask, _add_kb, _add_eval, _add_simulate, _add_coverage, _add_lint,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faq-assistant", description="Answer questions and tickets from FAQ markdown.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by ``python -m assistant``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"faq-assistant: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
