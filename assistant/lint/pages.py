"""Reading one markdown page for lint's line-level checks: lines, tokens, headings, front matter, anchors.

A :class:`Page` is read once (:func:`read_page`) and shared by every check. Its ``tokens`` are
markdown-it-py's (CommonMark, raw HTML allowed, tables) over the page with its front matter blanked
out, so a token's ``map`` gives the page's own 0-based lines and text inside code fences is never
taken for a heading or a link.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..files import TOMLDecodeError, load_toml, load_yaml, read_text
from ..parsing import normalize_source, slugify

__all__ = ["Heading", "Page", "read_page", "walk_tokens", "short"]

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
# Front matter as lint sees it: the first non-blank line opens it, the first closing line ends it.
_YAML_FM_RE = re.compile(r"\A(?:[ \t]*\n)*---[ \t]*\n(.*?)(?:\n|^)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_TOML_FM_RE = re.compile(r"\A(?:[ \t]*\n)*\+\+\+[ \t]*\n(.*?)(?:\n|^)\+\+\+[ \t]*(?:\n|\Z)", re.S | re.M)
_SHORTCODE_RE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_ATTR_ID_RE = re.compile(r"\{:?[^{}\n]*?#([\w\-:.]+)[^{}\n]*\}")
_HTML_ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>"']+))""", re.I)
_TRAILING_ATTRS_RE = re.compile(r"\s*\{:?[^{}]*\}\s*$")


@dataclass
class Heading:
    """A heading of the page: 1-based ``line``, ``level`` 1-6, plain ``text`` (shortcodes dropped),
    ``setext`` when it is a setext heading underlined with ``---``."""

    line: int
    level: int
    text: str
    setext: bool


@dataclass
class Page:
    """A markdown file read for line-level checks.

    ``path`` is the file (absolute, normalized, for link resolution), ``shown`` how problems name
    it, ``lines`` the page's text split on ``\\n`` (front matter included), ``fm_kind`` ``"yaml"``,
    ``"toml"`` or ``None``, ``fm_raw`` the front matter text between its delimiters and ``fm_line``
    the 1-based line of the opening delimiter.
    """

    path: Path
    shown: str
    lines: list[str]
    tokens: list[Token]
    fm_kind: str | None
    fm_raw: str
    fm_line: int
    headings: list[Heading]
    _anchors: set[str] | None = None

    def front_matter(self) -> Any:
        """The parsed front matter (any YAML/TOML value), ``None`` when there is none or it does not
        parse (the parser reports that)."""
        try:
            if self.fm_kind == "yaml":
                return load_yaml(self.fm_raw)
            if self.fm_kind == "toml":
                return load_toml(self.fm_raw)
        except (yaml.YAMLError, TOMLDecodeError):
            return None
        return None

    def anchors(self) -> set[str]:
        """Lower-cased anchors of the page: heading slugs (deduplicated -1, -2 as Hugo and GitHub
        do), ``{#id}`` attributes and HTML ``id``/``name`` attributes."""
        if self._anchors is None:
            found: set[str] = set()
            seen: Counter[str] = Counter()
            for h in self.headings:
                m = _ATTR_ID_RE.search(h.text)
                if m and _TRAILING_ATTRS_RE.search(h.text):
                    found.add(m.group(1).lower())
                slug = slugify(_TRAILING_ATTRS_RE.sub("", h.text))
                found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
                seen[slug] += 1
            for tok in walk_tokens(self.tokens):
                if tok.type in ("html_block", "html_inline"):
                    found.update(next(g for g in m.groups() if g).lower() for m in _HTML_ID_RE.finditer(tok.content))
                elif tok.type == "text":
                    found.update(m.group(1).lower() for m in _ATTR_ID_RE.finditer(tok.content))
            self._anchors = found
        return self._anchors


def walk_tokens(tokens: Iterable[Token]) -> Iterable[Token]:
    """Every token of ``tokens`` and, depth first, of their children."""
    for tok in tokens:
        yield tok
        if tok.children:
            yield from walk_tokens(tok.children)


def short(text: str, n: int = 70) -> str:
    """``text`` cut to ``n`` characters (``...`` at the end) for quoting in a message."""
    return text if len(text) <= n else text[: n - 3] + "..."


def _heading_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return re.sub(r"\s+", " ", _SHORTCODE_RE.sub("", "".join(parts))).strip()


def read_page(path: Path, shown: str) -> Page:
    """Read the markdown file ``path`` (named ``shown`` in problems) into a :class:`Page`.

    Never raises: bytes that are not UTF-8 become U+FFFD (:func:`assistant.files.read_text`) and an
    unreadable file reads as empty; the parser reports both.
    """
    try:
        text = normalize_source(read_text(path, shown)[0])
    except OSError:
        text = ""
    lines = text.split("\n")
    fm_kind, fm_raw, fm_line = None, "", 1
    for kind, rx in (("yaml", _YAML_FM_RE), ("toml", _TOML_FM_RE)):
        m = rx.match(text)
        if m:
            fm_kind, fm_raw = kind, m.group(1)
            fm_line = text[: m.start(1)].count("\n")  # the line of the opening delimiter
            n = m.group(0).count("\n")
            text = "\n" * n + text[m.end():]  # blank it out, keeping line numbers
            break
    tokens = _MD.parse(text)
    headings = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            headings.append(Heading(tok.map[0] + 1, int(tok.tag[1]), _heading_text(tokens[i + 1]), tok.markup == "-"))
    return Page(path, shown, lines, tokens, fm_kind, fm_raw, fm_line, headings)
