"""Markdown text and tokens as plain text: the parser's one markdown-it instance and the helpers on its tokens.

:data:`MD` parses CommonMark + tables with raw HTML allowed. :func:`normalize_source` is applied
to every page before parsing; :func:`tokens_to_text` and :func:`tokens_links` turn a slice of
block tokens into an entry's ``answer_text`` and ``links``; Hugo shortcodes, MkDocs icons and
MDX comments are dropped from text (:func:`strip_shortcodes`).
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .questions import ANSWER_LABEL_RE

__all__ = [
    "MD", "SHORTCODE_LABEL_RE", "normalize_source", "strip_shortcodes", "children_text", "inline_text",
    "tokens_to_text", "tokens_links",
]

#: The parser's markdown-it: CommonMark + tables, raw HTML allowed.
MD = MarkdownIt("commonmark", {"html": True}).enable("table")

_SHORTCODE_RE = re.compile(r"\{\{[<%](.*?)[%>]\}\}", re.S)
#: A shortcode's or component's label attribute: ``title="..."``, ``name='...'``.
SHORTCODE_LABEL_RE = re.compile(r"""\b(?:title|name|summary|label|header)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ICON_SHORTCODE_RE = re.compile(r":(?:material|fontawesome|octicons|simple)-[a-z0-9-]+:")
_JSX_COMMENT_RE = re.compile(r"\{/\*.*?\*/\}", re.S)
_ALERT_RE = re.compile(r"^\[!([A-Za-z]+)\][ \t]*\n?")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2007\u202f]+")
_TRAILING_SPACES_RE = re.compile(r"[ \t]+\n")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def normalize_source(text: str) -> str:
    """Drop BOMs, turn CRLF and lone CR into LF, and NFC-normalize."""
    text = text.replace("\ufeff", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def strip_shortcodes(text: str) -> str:
    """Remove Hugo shortcodes, keeping a ``title=``/``name=`` label (a tab's or accordion's name)."""

    def label(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if inner.startswith("/") or inner.startswith("*"):
            return ""
        lab = SHORTCODE_LABEL_RE.search(inner)
        return (lab.group(1) or lab.group(2) or "") if lab else ""

    text = _SHORTCODE_RE.sub(label, text)
    text = _ICON_SHORTCODE_RE.sub("", text)
    return _JSX_COMMENT_RE.sub("", text)


def children_text(children: list[Token]) -> str:
    """Plain text of inline child tokens: text, code and image alt text; spaces collapsed, shortcodes removed."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(children_text(child.children) if child.children else child.content)
    return _collapse_spaces(strip_shortcodes("".join(parts))).strip()


def _collapse_spaces(text: str) -> str:
    """Runs of spaces, tabs and no-break spaces as one space (most text has none: ``in`` is far
    cheaper than the regex's scan)."""
    if "  " in text or "\t" in text or "\u00a0" in text or "\u2007" in text or "\u202f" in text:
        return _SPACES_RE.sub(" ", text)
    return text


def inline_text(token: Token) -> str:
    """Plain text of an ``inline`` token: markup, HTML tags and shortcodes removed."""
    return children_text(token.children or [])


def tokens_to_text(tokens: list[Token], *, strip_answer_label: bool = False) -> str:
    """Readable plain text for a slice of block tokens.

    Lists keep bullets and numbers, code keeps its lines, table rows become ``a | b``, raw HTML
    keeps only its text, GitHub alert markers (``[!NOTE]``) and Hugo shortcodes are dropped.
    With ``strip_answer_label`` the first paragraph starting ``A:``/``Answer:``/``回答：`` loses
    that label.
    """
    out: list[str] = []
    list_stack: list[list[int | None]] = []
    row: list[str] = []
    table_depth = 0
    alert_next = False
    paragraph = False
    for tok in tokens:
        t = tok.type
        if t == "inline":
            text = inline_text(tok)
            if alert_next:
                text = _ALERT_RE.sub("", text)
                alert_next = False
            if strip_answer_label and paragraph and ANSWER_LABEL_RE.match(text):
                text = ANSWER_LABEL_RE.sub("", text, count=1)
                strip_answer_label = False
            if table_depth:
                row.append(text)
            else:
                out.append(text)
        elif t == "paragraph_open":
            paragraph = True
        elif t in ("paragraph_close", "heading_close", "blockquote_close"):
            paragraph = False
            if not tok.hidden:  # hidden: a paragraph in a tight list
                out.append("\n\n")
        elif t == "blockquote_open":
            alert_next = True
        elif t == "bullet_list_open":
            list_stack.append([None])
        elif t == "ordered_list_open":
            list_stack.append([int(tok.attrs.get("start", 1) or 1)])
        elif t in ("bullet_list_close", "ordered_list_close"):
            if list_stack:
                list_stack.pop()
            out.append("\n" if list_stack else "\n\n")
        elif t == "list_item_open":
            indent = "  " * (len(list_stack) - 1)
            counter = list_stack[-1] if list_stack else [None]
            if counter[0] is None:
                out.append(f"\n{indent}- ")
            else:
                out.append(f"\n{indent}{counter[0]}. ")
                counter[0] += 1
        elif t in ("fence", "code_block"):
            out.append("\n" + tok.content.rstrip("\n") + "\n\n")
        elif t == "html_block":
            stripped = html.unescape(nh3.clean(strip_shortcodes(tok.content), tags=set())).strip()
            if stripped:
                out.append(stripped + "\n")
        elif t == "table_open":
            table_depth += 1
        elif t == "table_close":
            table_depth -= 1
            out.append("\n")
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            out.append(" | ".join(row) + "\n")
            row = []
    text = "".join(out)
    if " \n" in text or "\t\n" in text:  # "in" is cheaper than the regexes' scans
        text = _TRAILING_SPACES_RE.sub("\n", text)
    return (_BLANK_LINES_RE.sub("\n\n", text) if "\n\n\n" in text else text).strip()


def tokens_links(tokens: list[Token]) -> list[dict[str, str]]:
    """``[{"text", "target"}]`` for every link (inline or reference-style) in the tokens."""
    links: list[dict[str, str]] = []
    for tok in tokens:
        if tok.type != "inline":
            continue
        current: dict[str, str] | None = None
        buf: list[str] = []
        for child in tok.children or []:
            if child.type == "link_open":
                current = {"target": str(child.attrs.get("href", ""))}
                buf = []
            elif child.type == "link_close" and current is not None:
                links.append({"text": "".join(buf).strip(), "target": current["target"]})
                current = None
            elif current is not None and child.type in ("text", "code_inline"):
                buf.append(child.content)
            elif current is not None and child.type == "image":
                buf.append(children_text(child.children or []))
    return links
