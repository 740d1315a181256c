"""Reading one markdown page for lint's line-level checks: lines, tokens, headings, front matter, anchors.

A :class:`Page` is read once (:func:`read_page`) and shared by every check. Its ``tokens`` are
the parser's markdown-it-py's (:data:`assistant.parsing.text.MD`: CommonMark, raw HTML allowed,
tables) over the page with its front matter blanked out, so a token's ``map`` gives the page's own
0-based lines and text inside code fences is never taken for a heading or a link. When the parser
has just parsed that very text, its tokens are reused rather than parsed again.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown_it.token import Token

from ..files import TOMLDecodeError, load_toml, load_yaml, read_text
from ..parsing import normalize_source, slugify
from ..parsing.text import MD

__all__ = ["Heading", "Page", "read_page", "walk_tokens", "short"]

# Front matter as lint sees it: the first non-blank line opens it, the first closing line ends it.
_YAML_FM_RE = re.compile(r"\A(?:[ \t]*\n)*---[ \t]*\n(.*?)(?:\n|^)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_TOML_FM_RE = re.compile(r"\A(?:[ \t]*\n)*\+\+\+[ \t]*\n(.*?)(?:\n|^)\+\+\+[ \t]*(?:\n|\Z)", re.S | re.M)
_SHORTCODE_RE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_ATTR_ID_RE = re.compile(r"\{:?[^{}\n]*?#([\w\-:.]+)[^{}\n]*\}")
#: ``{ id="9.7.0" }`` / ``{ id=x }`` in an attribute list (Python-Markdown attr_list).
_ATTR_ID_KEY_RE = re.compile(r"""\{:?[^{}\n]*?\bid=(?:"([^"]+)"|'([^']+)'|([^\s}"']+))[^{}\n]*\}""")
#: Material for MkDocs' docs shortcodes: ``<!-- md:setting name -->`` is the anchor ``name``,
#: ``<!-- md:option name -->`` the anchor ``+name`` (its docs hook renders them as headings).
_MATERIAL_SHORTCODE_RE = re.compile(r"<!--\s*md:(setting|option)\s+(\S+)\s*-->")
#: Python-Markdown / GitHub footnotes: ``[^1]:`` defines ``#fn:1``, ``[^1]`` links back as ``#fnref:1``.
_FOOTNOTE_RE = re.compile(r"\[\^([^\]\s]+)\]")
_CONTENT_TAB_RE = re.compile(r'^\s*===\+?\s+"(.*)"\s*$')
_HTML_ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>"']+))""", re.I)
_TRAILING_ATTRS_RE = re.compile(r"\s*\{:?[^{}]*\}\s*$")


_UNSET = object()


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
    _fm: Any = None

    def __post_init__(self) -> None:
        self._fm = _UNSET

    def front_matter(self) -> Any:
        """The parsed front matter (any YAML/TOML value), ``None`` when there is none or it does not
        parse (the parser reports that). Parsed once."""
        if self._fm is not _UNSET:
            return self._fm
        value = None
        try:
            if self.fm_kind == "yaml":
                value = load_yaml(self.fm_raw)
            elif self.fm_kind == "toml":
                value = load_toml(self.fm_raw)
        except (yaml.YAMLError, TOMLDecodeError):
            value = None
        self._fm = value
        return value

    def anchors(self) -> set[str]:
        """Lower-cased anchors of the page: heading slugs (deduplicated -1, -2 as Hugo and GitHub
        do; also Python-Markdown's, which folds runs of ``-`` into one), ``{#id}`` and ``{ id=x }``
        attributes, HTML ``id``/``name`` attributes, footnotes (``fn:1``, ``fnref:1``) and Material
        for MkDocs' ``<!-- md:setting x -->`` / ``<!-- md:option x -->`` anchors."""
        if self._anchors is None:
            found: set[str] = set()
            seen: Counter[str] = Counter()
            by_line: dict[int, str] = {}  # 1-based line -> the heading's slug
            for h in self.headings:
                if "{" in h.text:
                    m = _ATTR_ID_RE.search(h.text)
                    if m and _TRAILING_ATTRS_RE.search(h.text):
                        found.add(m.group(1).lower())
                    for m2 in _ATTR_ID_KEY_RE.finditer(h.text):
                        found.add(next(g for g in m2.groups() if g).lower())
                slug = by_line[h.line] = slugify(_TRAILING_ATTRS_RE.sub("", h.text))
                found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
                found.add(re.sub(r"-{2,}", "-", slug).strip("-"))  # Python-Markdown's toc slug
                seen[slug] += 1
            for tok in walk_tokens(self.tokens):  # each pattern needs its character: skip the rest unsearched
                if tok.type in ("html_block", "html_inline"):
                    if "=" in tok.content:
                        found.update(next(g for g in m.groups() if g).lower()
                                     for m in _HTML_ID_RE.finditer(tok.content))
                    if "md:" in tok.content:
                        for m in _MATERIAL_SHORTCODE_RE.finditer(tok.content):
                            found.add(("+" if m.group(1) == "option" else "") + m.group(2).lower())
                elif tok.type == "text" and "{" in tok.content:
                    found.update(m.group(1).lower() for m in _ATTR_ID_RE.finditer(tok.content))
            heading_lines = sorted(by_line)
            for i, ln in enumerate(self.lines):
                tab = _CONTENT_TAB_RE.match(ln) if "===" in ln else None
                if tab:  # pymdownx.tabbed: the tab's slug, or the heading's + the tab's (combine_header_slug)
                    title = re.sub(r":[a-z0-9_]+(?:-[a-z0-9_]+)+:", "", tab.group(1)).strip()  # icons render as SVG
                    found.add(slugify(title))
                    k = bisect.bisect_right(heading_lines, i + 1)  # the last heading at or above the tab
                    heading_slug = by_line[heading_lines[k - 1]] if k else ""
                    if heading_slug:
                        found.add(f"{heading_slug}-{slugify(title)}")
                if "[^" in ln:
                    for m in _FOOTNOTE_RE.finditer(ln):
                        found.update((f"fn:{m.group(1).lower()}", f"fnref:{m.group(1).lower()}"))
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


def read_page(path: Path, shown: str, front_matter: dict | None = None,
              parsed: tuple[str, list[Token]] | None = None) -> Page:
    """Read the markdown file ``path`` (named ``shown`` in problems) into a :class:`Page`.

    ``front_matter``: the page's front matter mapping as the parser already read it (non-empty),
    which :meth:`Page.front_matter` then returns instead of parsing the same block again.
    ``parsed``: ``(text, tokens)`` of a pass of :data:`~assistant.parsing.text.MD` the parser already
    made (:attr:`~assistant.parsing.ParsedPage.markdown_text`, ``.tokens``); when ``text`` is
    exactly what lint would parse, those tokens are the page's (not copied: read-only).
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
    tokens = parsed[1] if parsed is not None and parsed[0] == text else MD.parse(text)
    headings = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            headings.append(Heading(tok.map[0] + 1, int(tok.tag[1]), _heading_text(tokens[i + 1]), tok.markup == "-"))
    page = Page(path, shown, lines, tokens, fm_kind, fm_raw, fm_line, headings)
    if front_matter and fm_kind is not None:
        page._fm = front_matter
    return page
