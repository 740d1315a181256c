"""``faq-assistant kb --explain FILE``: heading by heading, whether it became an FAQ entry and why.

:func:`explain_file` parses one page as :meth:`KnowledgeBase.load` would (with the ``.faq.yaml``
overrides of the folder it is linted or loaded from) and returns one row per heading, paragraph
question and collapsible block: ``{"line": int (1-based), "level": int | None (None for a
paragraph question or block), "text": str, "entry": bool, "rule": str}``, plus the page verdict
(FAQ page or not, at which question level). A maintainer reads it to fix a heading or to add a
``faq:`` override.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .page import ParsedPage, parse_file
from .settings import FolderSettings

__all__ = ["PageExplanation", "explain_file"]


@dataclass
class PageExplanation:
    """Why each heading of one page is (not) an FAQ entry; see :func:`explain_file`."""

    source: str
    faq_page: bool
    question_level: int | None
    rows: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """``{"source", "faq_page", "question_level", "headings": [{"line", "level", "text", "entry", "rule"}]}``."""
        return {"source": self.source, "faq_page": self.faq_page, "question_level": self.question_level,
                "headings": self.rows}

    def to_text(self) -> str:
        """Terminal text: the page verdict, then ``line  H2  entry|-  text`` and the rule below it.
        Heading texts are the page's (untrusted): control characters are replaced."""
        kind = (f"an FAQ page, questions at level {self.question_level}" if self.faq_page and self.question_level
                else "an FAQ page without a question level" if self.faq_page else "not an FAQ page")
        n = sum(r["entry"] for r in self.rows)
        out = [f"{_safe(self.source)}: {kind}; {n} of {len(self.rows)} headings and blocks are entries"]
        for r in self.rows:
            tag = f"H{r['level']}" if r["level"] else "--"
            out.append(f"{r['line']:>5}  {tag}  {'entry' if r['entry'] else '-    '}  {_safe(r['text'])}")
            out.append(f"{'':>5}      {r['rule']}")
        return "\n".join(out)


def _safe(text: str) -> str:
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)


def explain_page(page: ParsedPage) -> PageExplanation:
    """The explanation of an already parsed page."""
    rows = []
    for it in page.candidates:
        rows.append({"line": it.line + 1, "level": it.level if it.kind == "heading" else None,
                     "text": it.text, "entry": bool(it.question), "rule": it.rule or
                     ("not a question: the block's title is not question-shaped" if it.kind != "heading" else "")})
    return PageExplanation(page.source, page.faq_page, page.question_level, rows)


def explain_file(path: str | Path, root: str | Path | None = None) -> PageExplanation:
    """Parse ``path`` (with the ``.faq.yaml`` overrides between ``root`` and it; ``root`` defaults to
    the file's folder) and explain each heading.

    Raises ``FileNotFoundError`` when ``path`` is not a file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    base = Path(root) if root is not None else path.parent
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        base = path.parent
    settings = FolderSettings(base.resolve())
    page = parse_file(path.resolve(), base.resolve(), settings=settings.for_file(path.resolve()))
    return explain_page(page)
