"""The ``faq-assistant`` command line: a thin layer over the library.

This is the only module that parses argv, prints for the terminal or calls ``sys.exit``.
Exit codes: 0 success, 1 a check failed (e.g. lint errors), 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Callable, Sequence

from .knowledge_base import KnowledgeBase, KnowledgeBaseError
from .retrieval import SearchResult, TfidfRetriever


class CliError(Exception):
    """A user-facing error: printed as ``faq-assistant: error: ...`` with exit code 2."""


def _load_kb(path: str | None) -> KnowledgeBase:
    try:
        kb = KnowledgeBase.load(path)
    except KnowledgeBaseError as exc:
        raise CliError(str(exc)) from None
    for p in kb.problems:
        if p.severity in ("error", "warning"):
            print(f"warning: {p}", file=sys.stderr)
    return kb


def _retriever(kb: KnowledgeBase) -> TfidfRetriever:
    if not len(kb):
        raise CliError(f"{kb.root}: the knowledge base has no FAQ entries (no question headings found)")
    return TfidfRetriever().fit(kb)


def _add_kb_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kb", metavar="DIR", help="folder of FAQ markdown files, read recursively (default: the bundled KB)")


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
    result = _retriever(_load_kb(args.kb)).search(query, top_k=args.top_k)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_result(result))
    return 0


def format_result(result: SearchResult, width: int = 88) -> str:
    """Human-readable text for a search result (best entry in full, then candidates)."""
    lines: list[str] = []
    best = result.best
    if best is None:
        return "The knowledge base is empty."
    if result.abstained:
        lines.append(f"No FAQ entry answers this confidently (best confidence {best.confidence:.2f}, "
                     f"below the threshold). Closest candidates:")
        rest = result.matches
    else:
        e = best.entry
        lines += [f"Best match (confidence {best.confidence:.2f}, score {best.score:.3f})", "", f"Q: {e.question}", ""]
        for para in e.answer_text.split("\n"):
            lines.append(textwrap.fill(para, width, initial_indent="   ", subsequent_indent="     ")
                         if para.strip() else "")
        lines += ["", f"Source: {e.source}:{e.line}"]
        if e.url:
            lines.append(f"URL:    {e.url}")
        if best.terms:
            lines.append(f"Why:    matched {', '.join(best.terms)}")
        rest = result.matches[1:]
        if rest:
            lines += ["", "Other candidates:"]
    for m in rest:
        lines.append(f"  {m.rank}. [{m.confidence:.2f}] {textwrap.shorten(m.entry.question, width - 12)}")
        lines.append(f"       {m.entry.source}:{m.entry.line}")
    return "\n".join(lines)


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
        for e in kb:
            print(f"{e.source}:{e.line}  {e.id.split('#', 1)[1][:40]:40}  {textwrap.shorten(e.question, 70)}")
        print(f"\n{len(kb)} entries from {len({e.source for e in kb})} files")
    return 0


# --- entry point --------------------------------------------------------------------------------

#: Each function adds one subcommand; keep this list in the order ``--help`` shows them.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_ask, _add_kb]


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
