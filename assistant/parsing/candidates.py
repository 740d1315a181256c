"""Question candidates: headings and paragraph questions found in the page's token stream.

Every finder returns an :class:`Item` (0-based lines). :func:`find_candidates` walks the page's
top-level tokens for headings (ATX, setext, raw-HTML ``<h3 name="id">``) and for paragraphs that
are a question (``**...?**``, ``__...?__``, ``[__...?__](#id){ #id }``, ``Q: ...``). Which
headings are questions is decided later (:func:`~.questions.mark_question_headings`); collapsible
blocks are found by :mod:`.preprocess`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3
from markdown_it.token import Token

from .questions import ANSWER_LABEL_RE, ATTR_LIST_RE, QUESTION_LABEL_RE, TRAILING_ATTR_LIST_RE, is_question
from .text import children_text, inline_text

__all__ = ["Item", "HTML_ID_RE", "find_candidates"]

_HTML_HEADING_RE = re.compile(r"^\s*<h([1-6])(\s[^>]*)?>(.*?)</h\1\s*>\s*$", re.S | re.I)
#: An ``id=``/``name=`` attribute of a raw-HTML tag (its anchor).
HTML_ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>]+))""", re.I)


@dataclass
class Item:
    """A heading, or a question written another way, found on the page (0-based lines)."""

    kind: str  # "heading" | "para" | "container"
    line: int
    level: int  # heading level; 7 for paragraph questions and containers
    text: str
    anchor: str | None = None
    start: tuple[int, int] = (0, 0)  # (line, column) where the answer starts
    end: tuple[int, int] | None = None  # containers: where the body ends (None: never closed)
    question: bool = False
    own_content: bool = False
    rule: str = ""  # why it is (not) a question, for ``kb --explain``
    deep_content: bool = False  # headings: text below it before the next heading of its level or higher
    dedent: bool = False


def find_candidates(tokens: list[Token], pseudo: set[int]) -> tuple[list[Item], list[Item]]:
    """The page's headings and paragraph questions, from its top-level tokens.

    ``pseudo`` holds the lines of headings :func:`~.preprocess.preprocess` made from admonition
    and tab titles: those are never candidates. Returns ``(headings, paragraph questions)``; a
    heading's ``start`` is the line after it.
    """
    heads: list[Item] = []
    paras: list[Item] = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or not tok.map:
            continue
        if tok.type == "heading_open" and tok.map[0] not in pseudo:
            title, anchor = _heading_text(tokens[i + 1])
            heads.append(Item("heading", tok.map[0], int(tok.tag[1]), title, anchor, start=(tok.map[1], 0)))
        elif tok.type == "html_block":
            m = _HTML_HEADING_RE.match(tok.content)
            if m:
                title = " ".join(html.unescape(nh3.clean(m.group(3), tags=set())).split())
                idm = HTML_ID_RE.search(m.group(2) or "")
                anchor = next((g for g in idm.groups() if g), None) if idm else None
                heads.append(Item("heading", tok.map[0], int(m.group(1)), title, anchor, start=(tok.map[1], 0)))
        elif tok.type == "paragraph_open":
            item = _paragraph_question(tokens[i + 1], tok.map[0], tok.map[1])
            if item is not None:
                paras.append(item)
    return heads, paras


def _attr_id(text: str) -> str | None:
    m = re.search(r"(?:^|\s)#([\w-]+)", text)
    return m.group(1) if m else None


def _heading_text(inline: Token) -> tuple[str, str | None]:
    """Heading text without a trailing ``{ #id ... }`` attribute list, and that id."""
    text = inline_text(inline)
    m = TRAILING_ATTR_LIST_RE.search(text) if "{" in text else None  # "in": no scan of every character
    if m:
        return text[: m.start()].strip(), _attr_id(m.group(1))
    return text, None


def _lead_strong(children: list[Token]) -> tuple[str, str | None, int, str] | None:
    """A paragraph opening with a bold span (``**..**``, ``__..__``, optionally inside a link and
    followed by ``{ #id }``): its text, anchor, line breaks it spans, and what follows it
    (``"end"``, ``"next_line"`` or ``"inline"``)."""
    n = len(children)

    def skip_ws(i: int) -> int:
        while i < n and children[i].type == "text" and not children[i].content.strip():
            i += 1
        return i

    i = skip_ws(0)
    href = None
    if i < n and children[i].type == "link_open":
        href = str(children[i].attrs.get("href", ""))
        i = skip_ws(i + 1)
    if i >= n or children[i].type != "strong_open":
        return None
    depth, j = 0, i
    while j < n:
        if children[j].type == "strong_open":
            depth += 1
        elif children[j].type == "strong_close":
            depth -= 1
            if depth == 0:
                break
        j += 1
    if j >= n:
        return None
    inner = children[i + 1:j]
    k = j + 1
    if href is not None:
        k = skip_ws(k)
        if k >= n or children[k].type != "link_close":
            return None
        k += 1
    anchor = href[1:] if href and href.startswith("#") else None
    rest = "end"
    while k < n:
        child = children[k]
        if child.type == "text":
            content = child.content
            m = ATTR_LIST_RE.match(content.strip())
            if m and m.start() == 0:
                anchor = _attr_id(m.group(1)) or anchor
                content = content.strip()[m.end():]
            if content.strip():
                rest = "inline"
                break
        elif child.type in ("softbreak", "hardbreak"):
            rest = "next_line"
            break
        else:
            rest = "inline"
            break
        k += 1
    breaks = sum(1 for c in children[:k] if c.type in ("softbreak", "hardbreak"))
    return children_text(inner), anchor, breaks, rest


def _line_texts(children: list[Token]) -> list[str]:
    lines: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append([])
        else:
            lines[-1].append(child)
    return [children_text(chunk) for chunk in lines]


def _paragraph_question(inline: Token, start: int, end: int) -> Item | None:
    """A top-level paragraph that is a bold question or a ``Q:`` question, else None."""
    children = inline.children or []
    lead = _lead_strong(children)
    if lead is not None:
        text, anchor, breaks, rest = lead
        if rest != "inline" and is_question(text):
            ans = start + breaks + 1 if rest == "next_line" else end
            return Item("para", start, 7, text, anchor, start=(ans, 0), question=True)
    if not any(c in inline.content for c in ":：&"):  # a label's colon (or an entity that makes one)
        return None
    texts = _line_texts(children)
    if texts and QUESTION_LABEL_RE.match(texts[0]) and len(QUESTION_LABEL_RE.sub("", texts[0])) > 0:
        k = next((n for n in range(1, len(texts)) if ANSWER_LABEL_RE.match(texts[n])), None)
        question = " ".join(texts[:k] if k else texts)
        return Item("para", start, 7, question, start=((start + k) if k else end, 0), question=True)
    return None
