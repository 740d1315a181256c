"""Checks on one page: front matter, headings, code fences, answers.

Each ``check_*`` function takes a :class:`~assistant.lint.pages.Page` and returns a list of
:class:`~assistant.problems.Problem` (file = ``page.shown``, 1-based lines); none raises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import yaml

from ..entries import FaqEntry
from ..files import compose_yaml, load_yaml
from ..parsing import is_question
from ..problems import Problem
from .pages import Heading, Page, short, walk_tokens

__all__ = ["LONG_ANSWER_WORDS", "check_front_matter", "check_headings", "check_fences", "check_entries"]

#: Answers longer than this many words get a ``long-answer`` warning.
LONG_ANSWER_WORDS = 500

#: Front matter keys where a date is what the author means.
_DATE_KEYS = {"date", "lastmod", "publishdate", "expirydate", "pubdate", "published", "modified", "updated",
              "created", "last_update", "last_updated"}
#: A whole scalar (after ``key:``, ``-``, ``[`` or ``,``) that YAML 1.1 may read as a boolean or a date.
_MAY_CHANGE_TYPE_RE = re.compile(
    r"(?im)(?:[:\-]\s+|[\[,]\s*)['\"]?(?:y|n|yes|no|on|off|\d{4}-\d{1,2}-\d{1,2}(?:[Tt ][\d:.+\-Zz ]*)?)['\"]?\s*(?:$|[,\]#}])")
_ANSWER_START_RE = re.compile(r"^(?:(?:yes|no|yep|nope)\b\s*[,.!:;\u2014\u2013-]|(?:a|answer|回答|答)\s*[:：])", re.I)


# --- front matter ----------------------------------------------------------------------------------


def check_front_matter(page: Page, has_entries: bool) -> list[Problem]:
    """``front-matter-missing``, ``missing-title``, ``missing-description`` (only on pages with FAQ
    entries) and ``yaml-type-changed``. Front matter that does not parse or is not a mapping is the
    parser's finding, not repeated here."""
    out: list[Problem] = []
    f = page.shown
    # A first heading that is not a question titles the page ("# FAQ", "ripgrep (rg)").
    titled = bool(page.headings) and not is_question(page.headings[0].text)
    if page.fm_kind is None:
        starts = page.lines[0].strip() if page.lines else ""
        if has_entries and starts not in ("---", "+++"):
            out.append(Problem(f, 1, "info" if titled else "warning", "front-matter-missing",
                               "FAQ page without front matter" + (" (its first heading serves as the title)" if titled else
                                                                  ": add a '---' block with title and description")))
        return out
    if page.fm_kind == "yaml":
        out += _yaml_type_changes(page)
    if not has_entries:
        return out  # title and description matter on FAQ pages only (and parsing YAML is not free)
    data = page.front_matter()
    if not isinstance(data, dict):
        return out
    if not _filled(data.get("title")):
        out.append(Problem(f, page.fm_line, "info" if titled else "warning", "missing-title",
                           "front matter has no title" + (" (the first heading serves as one)" if titled else
                                                          ": add 'title: ...' (pages, search results and citations show it)")))
    if not _filled(data.get("description")):
        out.append(Problem(f, page.fm_line, "warning", "missing-description",
                           "front matter has no description: add 'description: ...' (search engines and link previews show it)"))
    return out


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _key_nodes(node: yaml.Node | None) -> dict[str, tuple[int, yaml.Node]]:
    """``{key: (0-based line of the key, value node)}`` of a YAML mapping node; ``{}`` for anything else."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    out: dict[str, tuple[int, yaml.Node]] = {}
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode):
            out.setdefault(str(k.value), (k.start_mark.line, v))
    return out


def _yaml_type_changes(page: Page) -> list[Problem]:
    """Values this parser keeps as text but YAML 1.1 readers (``yaml.safe_load``) turn into booleans
    or dates; each named at the line of its key (of its item, in a list)."""
    if not _MAY_CHANGE_TYPE_RE.search(page.fm_raw):
        return []  # no scalar YAML 1.1 reads as a boolean or a date: nothing to compare (fast path)
    try:
        ours = load_yaml(page.fm_raw)  # first: it refuses values too large or deep for the others
        root = compose_yaml(page.fm_raw)
        theirs = yaml.safe_load(page.fm_raw)  # what other site tools read
    except (yaml.YAMLError, ValueError):  # ValueError: PyYAML on a date like 2024-13-45
        return []
    out: list[Problem] = []

    def walk(a: Any, b: Any, node: yaml.Node | None, path: str, key: str, line: int) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            keys = _key_nodes(node)
            for k, v in a.items():
                if k in b:
                    k_line, v_node = keys.get(str(k), (line, None))
                    walk(v, b[k], v_node, f"{path}.{k}" if path else str(k), str(k), k_line)
            return
        if isinstance(a, list) and isinstance(b, list):
            items = node.value if isinstance(node, yaml.SequenceNode) else []
            for i, (x, y) in enumerate(zip(a, b)):
                item = items[i] if i < len(items) else None
                walk(x, y, item, f"{path}[{i}]", key, item.start_mark.line if item is not None else line)
            return
        if not isinstance(a, str):
            return
        where = page.fm_line + 1 + line  # fm_raw starts on the line after the opening delimiter
        if isinstance(b, bool):
            out.append(Problem(page.shown, where, "warning", "yaml-type-changed",
                               f"'{path}: {a}' is the boolean {str(b).lower()} to YAML 1.1 readers (PyYAML and "
                               f"many site tools) but the text {a!r} to YAML 1.2 readers and this parser; write "
                               f"\"{a}\" (quoted) for text or {str(b).lower()} for a boolean"))
        elif isinstance(b, (date, datetime)) and key.lower() not in _DATE_KEYS:
            out.append(Problem(page.shown, where, "warning", "yaml-type-changed",
                               f"'{path}: {a}' becomes a date in YAML 1.1 readers but stays text here; "
                               f"write \"{a}\" (quoted) if it is text"))

    walk(ours, theirs, root, "", "", -1)
    return out


# --- headings and fences ---------------------------------------------------------------------------


def check_headings(page: Page) -> list[Problem]:
    """``setext-heading`` traps and ``heading-looks-like-answer``."""
    out: list[Problem] = []
    for h in page.headings:
        if h.setext and _setext_trap(page, h):
            out.append(Problem(page.shown, h.line, "warning", "setext-heading",
                               f"the line(s) above '---' became a level-2 heading ({short(h.text)!r}); put a "
                               "blank line before '---' for a horizontal rule, or write '## ...' for a heading"))
            continue
        if _ANSWER_START_RE.match(h.text):
            out.append(Problem(page.shown, h.line, "warning", "heading-looks-like-answer",
                               f"heading {short(h.text)!r} reads like an answer: make it a paragraph under its question"))
        elif len(h.text.split()) >= 25 and h.text.rstrip().endswith((".", "!")) and not is_question(h.text):
            out.append(Problem(page.shown, h.line, "warning", "heading-looks-like-answer",
                               f"heading {short(h.text)!r} is a whole paragraph ({len(h.text.split())} words): "
                               "make it a paragraph"))
    return out


def _setext_trap(page: Page, h: Heading) -> bool:
    """A ``---`` setext heading that was meant as text + horizontal rule: several lines, sentence
    punctuation at the end, or an underline much shorter than the text ("Title\\n-----" of about
    the text's width is a deliberate heading)."""
    tok = next(t for t in page.tokens if t.type == "heading_open" and t.map and t.map[0] + 1 == h.line)
    start, end = tok.map
    underline = page.lines[end - 1].strip() if end - 1 < len(page.lines) else "---"
    text_lines = [ln.strip() for ln in page.lines[start:end - 1]]
    width = max((len(t) for t in text_lines), default=0)
    return len(text_lines) > 1 or text_lines[-1].endswith((".", ",", ";", ":", "!")) or len(underline) < width / 2


def check_fences(page: Page) -> list[Problem]:
    """``unclosed-fence``: a code fence (also inside lists and block quotes) with no closing line."""
    out = []
    for tok in walk_tokens(page.tokens):
        if tok.type != "fence" or not tok.map:
            continue
        start, end = tok.map
        last = page.lines[end - 1] if end - 1 < len(page.lines) else ""
        last = re.sub(r"^(?:\s*>)*\s*", "", last)  # blockquote markers and indentation
        marker = tok.markup[0]
        closed = end - start >= 2 and re.fullmatch(re.escape(marker) + "{%d,}\\s*" % len(tok.markup), last)
        if not closed:
            out.append(Problem(page.shown, start + 1, "error", "unclosed-fence",
                               f"code fence opened with {tok.markup} is never closed: everything after it "
                               f"(to line {end}) renders as code; add a closing {tok.markup} line"))
    return out


# --- answers -----------------------------------------------------------------------------------------


def check_entries(page: Page, entries: Sequence[FaqEntry], long_answer_words: int = LONG_ANSWER_WORDS) -> list[Problem]:
    """``empty-answer`` (a question whose answer is only deeper sub-questions is a group, not empty)
    and ``long-answer`` (over ``long_answer_words`` words) for the page's FAQ entries."""
    out: list[Problem] = []
    by_line = {h.line: i for i, h in enumerate(page.headings)}
    for e in entries:
        if not e.answer_text.strip():
            i = by_line.get(e.line)
            nxt = page.headings[i + 1] if i is not None and i + 1 < len(page.headings) else None
            if i is not None and nxt is not None and nxt.level > page.headings[i].level \
                    and not _content_between(page, e.line, nxt.line):
                continue  # a group of sub-questions
            out.append(Problem(page.shown, e.line, "error", "empty-answer",
                               f"question {short(e.question)!r} has no answer"))
        words = len(e.answer_text.split())
        if words > long_answer_words:
            out.append(Problem(page.shown, e.line, "warning", "long-answer",
                               f"the answer to {short(e.question, 50)!r} is {words} words; over {long_answer_words} "
                               "words readers skim past it: shorten it, split the question, or link to a page"))
    return out


def _content_between(page: Page, a: int, b: int) -> bool:
    return any(page.lines[i].strip() for i in range(a, b - 1) if i < len(page.lines))
