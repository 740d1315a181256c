"""One page into FAQ entries: :func:`parse_markdown` (text) and :func:`parse_file` (a file).

The walk: normalize the text, split off the front matter (:mod:`.front_matter`), apply the
overrides (:mod:`.settings`), rewrite collapsible and MkDocs/Hugo/MDX lines (:mod:`.preprocess`),
parse with markdown-it, find the question candidates (:mod:`.candidates`), decide which headings
are questions (:mod:`.questions`), then cut each question's answer (:mod:`.answers`) up to the next
heading of its level or higher, or the next question. Everything that goes wrong is a
:class:`~assistant.problems.Problem` in :attr:`ParsedPage.problems`; nothing here raises on bad
markdown.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it.token import Token

from ..entries import FaqEntry, as_list
from ..files import decode, parse_error_problem, shown_path
from ..problems import Problem
from .answers import answer_markdown, answer_text_and_links, top_level_blocks
from .candidates import Item, find_candidates
from .front_matter import split_front_matter
from .preprocess import preprocess
from .questions import (QUESTION_LABEL_RE, TRAILING_ATTR_LIST_RE, is_boilerplate, is_question, mark_question_headings,
                        slugify)
from .settings import page_settings
from .text import MD, normalize_source

__all__ = ["ParsedPage", "parse_markdown", "parse_file"]


@dataclass
class ParsedPage:
    """Result of parsing one page: its front matter, entries and problems.

    ``faq_page`` says whether the FAQ-page heading convention applied, and ``question_level`` at
    which heading level (``None`` when it did not apply).
    """

    source: str
    front_matter: dict[str, Any]
    entries: list[FaqEntry]
    problems: list[Problem]
    faq_page: bool = False
    question_level: int | None = None
    #: Every heading, paragraph question and collapsible block found, in page order, each with
    #: ``.question`` and ``.rule`` (why it is or is not an entry; ``kb --explain``). 0-based lines.
    candidates: list[Item] = field(default_factory=list)
    #: The text the parser's first markdown-it pass read (:data:`.text.MD`; front matter blanked,
    #: collapsible and MkDocs/Hugo/MDX lines rewritten, lines as in the page) and that pass's block
    #: tokens, for a caller that would parse the same text with the same settings (lint's
    #: :func:`~assistant.lint.pages.read_page`) to reuse instead; read-only. Not compared.
    markdown_text: str = field(default="", repr=False, compare=False)
    tokens: list[Token] = field(default_factory=list, repr=False, compare=False)


def parse_markdown(text: str, source: str = "<string>", *, doc_id: str | None = None,
                   settings: dict[str, Any] | None = None) -> ParsedPage:
    """Parse FAQ markdown text into entries.

    Parameters
    ----------
    text : str
        The page's markdown (any line endings; BOMs are ignored; NFC-normalized).
    source : str
        The page's path relative to the knowledge-base root, used in ids, problems, and to tell
        an FAQ page by its file name.
    doc_id : str, optional
        Document part of entry ids; defaults to ``source`` without its suffix.
    settings : dict, optional
        Folder-level overrides (``question_headings``, ``question_level``; see
        :class:`~.settings.FolderSettings`); the page's front matter ``faq:`` wins over them.

    Returns
    -------
    ParsedPage
        Never raises on bad markdown: problems are collected in ``ParsedPage.problems``.
    """
    problems: list[Problem] = []
    raw_lines = normalize_source(text).split("\n")
    lines = list(raw_lines)
    front_matter = split_front_matter(lines, source, problems)
    opts = page_settings(settings, front_matter, source, raw_lines, problems)
    pseudo, containers = preprocess(lines)
    for c in containers:
        if is_boilerplate(c.text):  # "??? question "Missing something?"": feedback, not an entry
            c.question, c.rule = False, "not a question: feedback, navigation or guide boilerplate block"
    env: dict[str, Any] = {}
    first_text = "\n".join(lines)
    tokens = first_tokens = MD.parse(first_text, env)
    traps = _setext_traps(tokens, lines)
    if traps:  # "answer" + "---" right under a question: a paragraph and a rule, as the author meant
        raw_lines = list(raw_lines)
        for line in traps:
            problems.append(Problem(source, line, "warning", "setext-heading",
                                    f"the '---' on line {line + 1} turns the answer line(s) above it into a heading; "
                                    "read as an answer and a horizontal rule (put a blank line before '---')"))
            lines[line] = raw_lines[line] = ""
        env = {}
        tokens = MD.parse("\n".join(lines), env)
    references = env.get("references", {})
    doc = doc_id if doc_id is not None else re.sub(r"\.(md|mdx|markdown)$", "", source, flags=re.I)
    heads, paras = find_candidates(tokens, pseudo)
    for it in paras:
        if is_boilerplate(it.text):  # "**Are you missing something? Open a discussion!**"
            it.question, it.rule = False, "not a question: feedback, navigation or guide boilerplate paragraph"

    # Which headings are questions.
    starts = sorted({h.line for h in heads} | {p.line for p in paras} | {c.line for c in containers})
    for h in heads:
        k = bisect.bisect_right(starts, h.line)
        h.own_content = any(line.strip() for line in lines[h.start[0]:starts[k] if k < len(starts) else len(lines)])
    for n, h in enumerate(heads):  # content below it, deeper headings included (a problem with its "Solution")
        h.deep_content = h.own_content or any(d.level > h.level and not is_question(d.text) for d in heads[n + 1:n + 2])
    faq_page, level = mark_question_headings(heads, opts, front_matter, source)

    items = sorted(heads + paras + containers, key=lambda it: (it.line, it.kind != "heading"))
    blocks = top_level_blocks(tokens)
    base_url = _page_url(front_matter)
    alternates = _alternates_from_front_matter(front_matter, source, problems)
    entries: list[FaqEntry] = []
    slugs: dict[str, int] = {}
    stack: list[Item] = []
    for n, it in enumerate(items):
        if it.kind == "heading":
            while stack and stack[-1].level >= it.level:
                stack.pop()
        section = " > ".join(h.text for h in stack if not h.question)
        if it.kind == "heading":
            stack.append(it)
        title = TRAILING_ATTR_LIST_RE.sub("", it.text) if "{" in it.text else it.text  # "in": cheaper than a scan
        question = " ".join(QUESTION_LABEL_RE.sub("", title).split())
        # A heading's slug is the site's anchor; other questions have none, so use the question.
        anchor = _unique_slug(it.anchor or slugify(it.text if it.kind == "heading" else question), slugs)
        if not it.question:
            continue
        end = it.end
        if end is None:
            if it.kind == "container":
                problems.append(Problem(source, it.line + 1, "warning", "block-unclosed",
                                        f"the collapsible block of question {question!r} never closes; "
                                        "its answer runs to the next heading or question (add the closing tag)"))
            end = (len(lines), 0)
            for m in range(n + 1, len(items)):  # no slice copy: one page, any number of questions
                other = items[m]
                if other.kind == "heading" and (other.level <= it.level or other.question) or other.kind == "para":
                    end = (other.line, 0)
                    break
            for c in containers:  # a question inside a collapsible block ends with it
                if c is not it and c.end and (c.line, 0) < (it.line, 0) < c.end and c.end < end:
                    end = c.end
        markdown = answer_markdown(raw_lines, lines, it.start, end, it.dedent, references)
        answer_text, links = answer_text_and_links(tokens, blocks, lines, it.start, end, it.dedent, references)
        entries.append(FaqEntry(
            id=f"{doc}#{anchor}",
            question=question,
            answer_markdown=markdown,
            answer_text=answer_text,
            source=source,
            line=it.line + 1,
            anchor=anchor,
            section=section,
            links=links,
            url=f"{base_url}#{anchor}" if base_url else None,
            alternate_questions=list(alternates.get(question, [])) + list(alternates.get(anchor, [])),
            front_matter=front_matter,
        ))
        if not answer_text:
            problems.append(Problem(source, it.line + 1, "warning", "empty-answer",
                                    f"question {question!r} has no answer"))
    for it in paras:
        it.rule = it.rule or "question: a paragraph that is only a bold question, or a Q: line"
    for c in containers:
        c.rule = c.rule or "question: a collapsible block (details, admonition, accordion) with a question title"
    return ParsedPage(source=source, front_matter=front_matter, entries=entries, problems=problems,
                      faq_page=faq_page, question_level=level, candidates=items,
                      markdown_text=first_text, tokens=first_tokens)


def _setext_traps(tokens: list[Token], lines: list[str]) -> list[int]:
    """0-based lines of ``---`` underlines that made a setext heading of an answer: the heading
    comes right after a question-shaped heading (nothing but blank lines between) and is not
    question-shaped itself. The heading's text starts the line after its underline's block start."""
    out = []
    prev_question_end: int | None = None
    for i, tok in enumerate(tokens):
        if tok.level != 0 or not tok.map or tok.nesting == -1:
            continue
        if tok.type == "heading_open":
            text = tokens[i + 1].content if i + 1 < len(tokens) else ""
            start, end = tok.map
            if tok.markup == "-" and prev_question_end is not None and not is_question(text) \
                    and not any(ln.strip() for ln in lines[prev_question_end:start]):
                out.append(end - 1)
                prev_question_end = None
                continue
            prev_question_end = end if is_question(text) else None
        else:
            prev_question_end = None
    return out


def _unique_slug(slug: str, seen: dict[str, int]) -> str:
    """``slug``, or ``slug-1``, ``slug-2``... when the page already has it (as GitHub numbers anchors)."""
    if slug in seen:
        seen[slug] += 1
        return f"{slug}-{seen[slug]}"
    seen[slug] = 0
    return slug


def _page_url(front_matter: dict[str, Any]) -> str | None:
    """The page's URL: front matter ``url`` or ``permalink``, else the first of ``aliases``; None without."""
    url = front_matter.get("url") or front_matter.get("permalink")
    if not url:
        aliases = as_list(front_matter.get("aliases"))
        url = aliases[0] if aliases else None
    return str(url) if url else None


def _alternates_from_front_matter(front_matter: dict[str, Any], source: str, problems: list[Problem]) -> dict[str, list[str]]:
    """``alternate_questions:`` maps a question (exact text or anchor slug) to a list of phrasings."""
    raw = front_matter.get("alternate_questions")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(source, 1, "error", "alternate-questions-invalid",
                                "front matter 'alternate_questions' must map a question (or its anchor) "
                                "to a list of alternate phrasings"))
        return {}
    return {str(k).strip(): as_list(v) if not isinstance(v, str) else [v] for k, v in raw.items()}


def parse_file(path: str | Path, root: str | Path | None = None, *, doc_id: str | None = None,
               settings: dict[str, Any] | None = None) -> ParsedPage:
    """Read and parse one FAQ file.

    ``root`` is the knowledge-base folder; entry ids and ``source`` are relative to it.
    ``settings`` are folder-level overrides (see :class:`~.settings.FolderSettings`). An
    unreadable file gives an empty page with an ``unreadable`` error; bytes that are not UTF-8
    are replaced (``\\ufffd``) with a ``not-utf8`` warning naming the line
    (:func:`assistant.files.decode`), and the rest of the page still parses.
    """
    path = Path(path)
    rel = shown_path(path.relative_to(root).as_posix() if root is not None else path.as_posix())
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ParsedPage(rel, {}, [], [parse_error_problem(exc, rel, "unreadable", "file")])
    text, problems = decode(data, rel)
    page = parse_markdown(text, rel, doc_id=doc_id, settings=settings)
    page.problems[:0] = problems
    return page
