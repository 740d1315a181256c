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
from typing import TYPE_CHECKING, Callable, Sequence

from ..problems import KnowledgeBaseError
from ..rendering import plural as _plural

if TYPE_CHECKING:  # each command imports what it needs when it runs, so --help stays fast
    from ..knowledge_base import KnowledgeBase
    from ..retrieval import TfidfRetriever


class CliError(Exception):
    """A user-facing error: printed as ``faq-assistant: error: ...`` with exit code 2."""


#: ``--index DIR`` of the command being run (set by :func:`_run`); ``None``: ``Settings.index_dir``.
_INDEX_OPTION: dict[str, str | None] = {"dir": None}
#: id(kb) -> the retriever :func:`_load_kb` read from the saved index with it (see :func:`_retriever`).
_FITTED: dict[int, TfidfRetriever] = {}


def _warn(message: str) -> None:
    print(f"faq-assistant: warning: {message}", file=sys.stderr)


def _load_kb(path: str | None) -> KnowledgeBase:
    """The knowledge base in ``--kb``, else ``$FAQ_ASSISTANT_KB``, else the bundled one, read through the
    saved index (:mod:`assistant.index`) with its fitted retriever, which :func:`_retriever` returns."""
    from ..config import Settings
    from ..index import load_index
    from ..knowledge_base import KnowledgeBase

    settings = Settings.from_env()
    try:
        try:
            with warnings.catch_warnings():  # the retriever's problems are printed by _retriever
                warnings.simplefilter("ignore")
                kb, retriever, _ = load_index(path or settings.kb, _INDEX_OPTION["dir"] or settings.index_dir,
                                              on_warning=_warn)
            _FITTED[id(kb)] = retriever
        except KnowledgeBaseError as exc:
            if "no FAQ entries" not in exc.message:
                raise
            kb = KnowledgeBase.load(path or settings.kb)  # listed as empty; _retriever says why it cannot answer
    except KnowledgeBaseError as exc:
        raise CliError(str(exc)) from None
    for p in kb.problems:
        if p.severity in ("error", "warning"):
            print(p, file=sys.stderr)  # "file:line: warning: message [code]"
    return kb


def _retriever(kb: KnowledgeBase) -> TfidfRetriever:
    from ..retrieval import TfidfRetriever

    retriever = _FITTED.get(id(kb))
    if retriever is not None and retriever.entries_ and retriever.entries_[0] is kb.entries[0]:
        for p in retriever.problems_:
            print(p, file=sys.stderr)
        return retriever
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
    p.add_argument("--index", metavar="DIR", help="folder of saved indexes (default: $FAQ_ASSISTANT_INDEX_DIR, "
                                                  "else $XDG_CACHE_HOME/faq-assistant)")


# --- ask ------------------------------------------------------------------------------------

MAX_TOP_K = 1_000  #: most matches ``ask -k`` lists (more is never read on a terminal; the library takes any number)


def _add_ask(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question (or a whole ticket) from the knowledge base",
                       description="Print the best FAQ entry for QUERY, its answer, source and confidence, "
                                   "then the next best candidates. A ticket that asks several questions is "
                                   "split like the support console does: one block (--json: one object) per question.")
    p.add_argument("query", metavar="QUERY", help="the question or ticket text ('-' reads standard input)")
    _add_kb_option(p)
    p.add_argument("-k", "--top-k", type=int, default=3, metavar="N", help="how many matches to list (default 3)")
    p.add_argument("--json", action="store_true",
                   help="print JSON instead of text: one object, or a list of one per question when the ticket asks several")
    p.set_defaults(func=_cmd_ask)


def _cmd_ask(args: argparse.Namespace) -> int:
    query = sys.stdin.read() if args.query == "-" else args.query
    if not query.strip():
        raise CliError("the query is empty: pass a question, e.g. faq-assistant ask \"Can I enforce SSO?\"")
    if not 1 <= args.top_k <= MAX_TOP_K:
        raise CliError(f"-k must be between 1 and {MAX_TOP_K:,}, got {args.top_k:,}")
    from ..replies import analyze_ticket

    # Split like the console: a ticket asking several questions gets a block (an object) per question.
    questions = analyze_ticket(query, _retriever(_load_kb(args.kb)), top_k=args.top_k).questions
    if len(questions) == 1:
        result = questions[0].result
        if args.json:  # "query": the text as given, not the cleaned ticket that was searched
            print(json.dumps({**result.to_dict(), "query": query}, ensure_ascii=False, indent=2))
        else:
            print(result.to_text())
        return 0
    if args.json:
        print(json.dumps([{"question_no": n, **q.result.to_dict(), "query": q.question}
                          for n, q in enumerate(questions, 1)], ensure_ascii=False, indent=2))
        return 0
    print(f"The ticket asks {len(questions)} questions.")
    for n, q in enumerate(questions, 1):
        print(f"\n=== Question {n} of {len(questions)}: {q.question}\n")
        print(q.result.to_text())
    return 0


# --- console (serve the support console with Voilà) -------------------------------------------


def _add_console(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("console", help="serve the support console as a web page (Voilà), idle kernels shut down",
                       description="Serve the support console with Voilà at http://IP:PORT/, one kernel per tab; a "
                                   "kernel no tab uses is shut down after --cull-idle-timeout idle seconds. Checks "
                                   "first that the browser and Python sides of ipywidgets match.")
    _add_kb_option(p)
    p.add_argument("--feedback-db", metavar="FILE", help="feedback database (default: $FAQ_ASSISTANT_FEEDBACK_DB, "
                                                         "else ~/.local/share/faq-assistant/feedback.sqlite3)")
    p.add_argument("--site-url", metavar="URL", help="published FAQ site, for full links ($FAQ_ASSISTANT_SITE_URL)")
    p.add_argument("--port", type=int, default=8866, help="port to listen on (default 8866)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0: a team)")
    p.add_argument("--cull-idle-timeout", type=int, default=300, metavar="SECONDS",
                   help="shut down a kernel no tab uses after this many idle seconds (default 300)")
    p.add_argument("--open", action="store_true", help="open the page in a browser")
    p.add_argument("--check", action="store_true", help="only check the widget packages; print the Voilà command")
    p.set_defaults(func=_cmd_console)


def _cmd_console(args: argparse.Namespace) -> int:
    from .. import serve

    if problems := serve.widget_version_problems():
        raise CliError("the console's widgets would not render in the browser:\n  " + "\n  ".join(problems))
    if not args.check:
        from pathlib import Path

        from ..config import Settings  # build or refresh the saved index now: each tab's kernel reads it, no refit
        if not Settings.from_env().use_feedback and (args.kb is None or Path(args.kb).is_dir()):
            _retriever(_load_kb(args.kb))  # a folder without FAQ entries stops here, not in each tab
        print(f"Serving the support console at http://{args.ip}:{args.port}/ (idle kernels shut down after "
              f"{args.cull_idle_timeout} s); Ctrl+C stops it.", file=sys.stderr)
    try:
        cmd, code = serve.serve_console(kb=args.kb, feedback_db=args.feedback_db, site_url=args.site_url,
                                        port=args.port, ip=args.ip, cull_idle_timeout=args.cull_idle_timeout,
                                        open_browser=args.open, dry_run=args.check, index_dir=args.index)
    except (ValueError, FileNotFoundError) as exc:
        raise CliError(f"--kb {exc}" if isinstance(exc, FileNotFoundError) else str(exc)) from None
    if args.check:
        print("Widget packages match. Serving would run:\n  " + " ".join(cmd[1:]))
    return code


# --- kb -------------------------------------------------------------------------------------


def _add_kb(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kb", help="list the knowledge base: one row per FAQ entry",
                       description="List every FAQ entry of the knowledge base.")
    _add_kb_option(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (default table)")
    p.add_argument("--explain", metavar="FILE", help="show whether each heading of FILE is an entry and why")
    p.set_defaults(func=_cmd_kb)


def _cmd_kb(args: argparse.Namespace) -> int:
    if args.explain:
        from ..parsing.explain import explain_file
        try:
            explanation = explain_file(args.explain, args.kb)
        except FileNotFoundError as exc:
            raise CliError(str(exc)) from None
        print(json.dumps(explanation.to_dict(), ensure_ascii=False, indent=2) if args.format == "json"
              else explanation.to_text())
        return 0
    kb = _load_kb(args.kb)
    if not len(kb):  # every file unreadable or without questions: say why instead of "0 entries"
        from ..files import shown_path

        errors = [p for p in kb.problems if p.severity == "error"]
        raise CliError(f"{shown_path(kb.root or args.kb or '')}: the knowledge base has no FAQ entries ("
                       + (f"{_plural(len(errors), 'file')} could not be read: see the errors above)" if errors
                          else "no question headings found)"))
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
               "has_pat": "--has-pat", "in_idp": "--in-idp/--not-in-idp", "member": "--member", "uses": "--uses",
               "removed": "--removed", "other_emails": "--other-email", "other_orgs": "--other-org"}


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate", help="what an organization's SSO settings do to a user or a roster, citing the FAQ",
        description="Simulate an organization's SSO settings for one user (--email) or a roster (--roster CSV), "
                    "or compare current and proposed settings for a roster (--org FILE --proposed FILE --roster "
                    "CSV). Organization settings come from flags or from a YAML file (--org). The rules come "
                    "from simulator.yaml in the knowledge base; every finding cites the FAQ entries it comes from.")
    org = p.add_argument_group("organization (or --org FILE)")
    org.add_argument("--org", metavar="FILE", help="YAML file with plan, verified_domains, sso, signin_enforced, test_org")
    org.add_argument("--proposed", metavar="FILE", help="YAML file with the proposed settings: show what changing "
                                                        "--org to them does to each user of --roster (a what-if)")
    org.add_argument("--plan", metavar="PLAN", help="personal, pro, team or business (default business)")
    org.add_argument("--verified-domain", dest="verified_domains", action="append", metavar="DOMAIN",
                     help="a domain verified for SSO (repeat for several)")
    org.add_argument("--sso", metavar="MODE", help="off, enabled or enforced (default off)")
    org.add_argument("--signin-enforced", action="store_true", default=None,
                     help="Desktop sign-in enforcement is on (a separate feature from SSO)")
    org.add_argument("--test-org", action="store_true", default=None, help="the organization is a test organization")
    user = p.add_argument_group("one user (or --roster FILE)")
    user.add_argument("--roster", metavar="CSV", help="CSV of users: email, account, has_password, has_pat, in_idp, "
                                                     "member, uses, removed, other_emails, other_orgs")
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
    user.add_argument("--removed", action="store_true", default=None, help="an admin removed the user from the organization")
    user.add_argument("--other-email", dest="other_emails", action="append", metavar="EMAIL",
                      help="another email the person signs in with (repeat for several)")
    user.add_argument("--other-org", dest="other_orgs", action="append", metavar="NAME",
                      help="another organization the person belongs to (repeat for several)")
    user.add_argument("--uses", action="append", metavar="USE",
                      help="web, desktop, cli, api or ci (repeat for several; default desktop)")
    _add_kb_option(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (default table)")
    p.add_argument("--json", action="store_const", dest="format", const="json", help="same as --format json")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when the rollout is not ready (someone loses access, SSO would not be active, "
                        "invalid rows), 0 when ready; 2 stays bad input")
    p.add_argument("--explain", action="store_true",
                   help="also print, per user, every rule: applied or not, and the first condition that failed")
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
    if args.proposed and not (args.org and args.roster):
        raise CliError("--proposed needs --org (the current settings) and --roster, e.g. faq-assistant simulate "
                       "--org current.yaml --proposed proposed.yaml --roster users.csv")
    if not args.roster and not args.email:
        raise CliError("pass --email for one user or --roster FILE for many, "
                       "e.g. faq-assistant simulate --sso enforced --verified-domain example.com --email ana@example.com")
    from ..simulator import Org, Simulator, User, load_org, load_roster  # only this command needs the simulator
    from ..simulator.report import render

    try:
        org = load_org(args.org) if args.org else Org(**org_fields)
        proposed = load_org(args.proposed) if args.proposed else None
        roster = load_roster(args.roster) if args.roster else None
        user = None if roster else User(**user_fields)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    kb = _load_kb(args.kb)
    try:
        simulator = Simulator(kb)
    except ValueError as exc:  # the knowledge base's simulator.yaml cannot be used
        raise CliError(str(exc)) from None
    if roster is not None:
        for p in roster.problems:
            print(f"warning: {p.file}:{p.line}: {p.message} (row skipped)", file=sys.stderr)
        if not roster.users and not roster.problems:
            raise CliError(f"{args.roster}: the roster has no users (one row per user under a header row)")
    if roster is None:
        result = simulator.simulate(org, user)
    elif proposed is not None:
        result = simulator.diff(org, proposed, roster)
    else:
        result = simulator.simulate_roster(org, roster)
    out, err = render(result, args.format, kb=kb, explain=args.explain)
    sys.stdout.write(out)
    sys.stderr.write(err)
    ready = not result.loses_access if roster is None else result.summary["ready"]
    return 1 if args.check and not ready else 0


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
    from ..evaluation import evaluate, read_eval_csv

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
    from .coverage import add_coverage  # the coverage command's options and handler

    add_coverage(sub)


def _add_feedback(sub: argparse._SubParsersAction) -> None:
    from .coverage import add_feedback  # the feedback command group (issue 16)

    add_feedback(sub)


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
    p.add_argument("--format", choices=["text", "json", "sarif", "github", "junit"], default="text", help="text: "
                   "'file:line: severity: message [code]' lines; json: {files, entries, problems: [{file, line, "
                   "severity, code, message}]}; sarif: SARIF 2.1.0; github: annotations; junit: JUnit XML")
    p.add_argument("--min-severity", choices=["info", "warning", "error"], default="warning",
                   help="hide findings below this severity (default warning: info hidden; exit code counts every error)")
    p.add_argument("--site", choices=["hugo", "mkdocs", "docusaurus", "plain"], help="resolve links as this site "
                   "generator does (default: detected from its config files; else plain)")
    p.add_argument("--index", metavar="DIR", help="folder of saved indexes: a folder whose index is fresh is not "
                   "parsed again for its entries; lint never writes one (default: $FAQ_ASSISTANT_INDEX_DIR, "
                   "else $XDG_CACHE_HOME/faq-assistant)")
    changes = p.add_mutually_exclusive_group()
    changes.add_argument("--since", metavar="GIT_REF",
                         help="report only findings on lines changed since GIT_REF (git diff, plus untracked files)")
    changes.add_argument("--changed", nargs="+", metavar="FILE", help="report only findings in these files")
    p.set_defaults(func=_cmd_lint)


def _cmd_lint(args: argparse.Namespace) -> int:
    from ..config import Settings
    from ..lint import lint_paths
    from ..lint.changes import report_on_changes
    from ..problems import FaqAssistantError

    try:
        report = lint_paths(args.dirs or None, site=args.site, index_dir=args.index or Settings.from_env().index_dir)
        if args.since or args.changed:
            report = report_on_changes(report, args.since, args.changed, (args.dirs or ["."])[0])
    except FaqAssistantError as exc:  # no such folder; git failed for --since
        raise CliError(str(exc)) from None
    out = report.render(args.format, args.min_severity)
    if out:
        print(out)
    return report.exit_code


# --- index (issue 12) --------------------------------------------------------------------------


def _add_index(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build the saved index of a knowledge base (parsed pages + fitted retriever)",
                       description="Parse and fit once, save both (only changed pages are parsed again); other commands "
                                   "do it by themselves, this one shows progress and reports time, entries and size.")
    _add_kb_option(p)
    p.add_argument("--force", action="store_true", help="rebuild even when the saved index is fresh")
    p.set_defaults(func=_cmd_index)


def _cmd_index(args: argparse.Namespace) -> int:
    from ..config import Settings
    from ..index import load_index

    settings = Settings.from_env()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kb, retriever, info = load_index(args.kb or settings.kb, args.index or settings.index_dir,
                                             progress=sys.stderr.isatty(), force=args.force, on_warning=_warn)
    except KnowledgeBaseError as exc:
        raise CliError(str(exc)) from None
    for p in [*kb.problems, *retriever.problems_]:
        if p.severity in ("error", "warning"):
            print(p, file=sys.stderr)
    print(info.to_text())
    return 0


# --- entry point --------------------------------------------------------------------------------

#: Each function adds one subcommand; keep this list in the order ``--help`` shows them.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_ask, _add_kb, _add_eval, _add_simulate, _add_coverage, _add_feedback, _add_lint, _add_index, _add_console,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faq-assistant", description="Answer questions and tickets from FAQ markdown.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by ``python -m assistant``).

    Everything printed passes through :func:`assistant.rendering.terminal_safe` (no control sequence
    from FAQ, ticket or file-name text reaches the terminal; stderr keeps ``\\r`` for progress bars).
    """
    from ..rendering import TerminalSafeStream

    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafeStream(stdout), TerminalSafeStream(stderr, keep_cr=True)
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _INDEX_OPTION["dir"] = getattr(args, "index", None)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"faq-assistant: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
