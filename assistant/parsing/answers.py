"""An answer's extent on the page as markdown (``answer_markdown``) and as plain text with links.

An answer runs from a (line, column) start to a (line, column) end of the page. Its markdown is
the page's own text there (dedented for a collapsible block's body, reference-link definitions
from elsewhere on the page appended); its text and links come from the page's tokens when the
answer is whole top-level blocks, else from parsing the fragment again.
"""

from __future__ import annotations

import bisect
import re
import textwrap
from typing import Any

from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token

from .text import MD, tokens_links, tokens_to_text

__all__ = ["Blocks", "top_level_blocks", "answer_markdown", "answer_text_and_links"]

#: (first line of each top-level block, its token index, the lines inside a block but not its first).
Blocks = tuple[list[int], list[int], set[int]]

_HR_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def top_level_blocks(tokens: list[Token]) -> Blocks:
    """Where the page's top-level blocks start, for :func:`answer_text_and_links`."""
    blocks: Blocks = ([], [], set())
    for i, tok in enumerate(tokens):
        if tok.level == 0 and tok.map:
            blocks[0].append(tok.map[0])
            blocks[1].append(i)
            blocks[2].update(range(tok.map[0] + 1, tok.map[1]))
    return blocks


def _slice(lines: list[str], start: tuple[int, int], end: tuple[int, int], cols_of: list[str]) -> str:
    """Text from (line, col) ``start`` to ``end`` of ``lines`` (columns measured in ``cols_of``)."""
    (l0, c0), (l1, c1) = start, end
    if l0 >= len(lines) or (l0, c0) >= (l1, c1):
        return ""

    def col(line: int, c: int) -> int:
        return c + len(lines[line]) - len(cols_of[line]) if c else 0

    if l0 == l1:
        return lines[l0][col(l0, c0):col(l1, c1)]
    parts = [lines[l0][col(l0, c0):]] + lines[l0 + 1:l1]
    if l1 < len(lines) and c1:
        parts.append(lines[l1][:col(l1, c1)])
    return "\n".join(parts)


def answer_markdown(raw_lines: list[str], lines: list[str], start: tuple[int, int], end: tuple[int, int],
                    dedent: bool, references: dict[str, Any]) -> str:
    """The answer from ``start`` to ``end`` as the author wrote it (``raw_lines``: the page before preprocessing).

    Columns are measured in ``lines`` (the preprocessed page); leading and trailing blank lines
    and a closing horizontal rule are dropped; reference-style link definitions the answer uses
    from elsewhere on the page are appended.
    """
    text = _slice(raw_lines, start, end, lines)
    if dedent:
        text = textwrap.dedent(text)
    out = text.split("\n")
    while out and (not out[-1].strip() or (_HR_RE.match(out[-1]) and (len(out) < 2 or not out[-2].strip()))):
        out.pop()  # trailing blank lines and a closing horizontal rule
    while out and not out[0].strip():
        out.pop(0)
    text = "\n".join(out).rstrip()
    # Reference-style links whose definitions live elsewhere on the page: append them.
    if not references or "]" not in text:
        return text
    own = {normalizeReference(m) for m in re.findall(r"^ {0,3}\[([^\]\n]+)\]:", text, re.M)}
    needed: list[str] = []
    for label in dict.fromkeys(re.findall(r"\[([^\[\]\n]+)\](?!\()", text)):
        key = normalizeReference(label)
        ref = references.get(key)
        if ref and key not in own and key not in needed:
            needed.append(key)
            title = f' "{ref["title"]}"' if ref.get("title") else ""
            text += ("\n" if len(needed) > 1 else "\n\n") + f"[{label}]: {ref['href']}{title}"
    return text


def answer_text_and_links(tokens: list[Token], blocks: Blocks, lines: list[str], start: tuple[int, int],
                          end: tuple[int, int], dedent: bool,
                          references: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """The answer from ``start`` to ``end`` (0-based (line, column)) as plain text and ``{"text", "target"}`` links.

    ``tokens``/``blocks`` are the page's (``lines`` as parsed); ``dedent`` for a collapsible
    block's indented body; ``references`` the page's link reference definitions.
    """
    body = _block_slice(tokens, blocks, start, end) if not dedent else None
    if body is not None:  # the answer is whole blocks of the page: reuse its tokens
        return tokens_to_text(body, strip_answer_label=True), tokens_links(body)
    return _render(_slice(lines, start, end, lines), dedent, references)


def _block_slice(tokens: list[Token], blocks: Blocks, start: tuple[int, int],
                 end: tuple[int, int]) -> list[Token] | None:
    """The page tokens of whole top-level blocks from ``start`` to ``end``; None if a block is cut.

    ``blocks`` is (first line of each top-level block, its token index, lines inside a block).
    """
    first_lines, indexes, interior = blocks
    if start[1] or end[1] or start[0] in interior or end[0] in interior:
        return None
    a = bisect.bisect_left(first_lines, start[0])
    b = bisect.bisect_left(first_lines, end[0])
    return tokens[indexes[a] if a < len(indexes) else len(tokens):indexes[b] if b < len(indexes) else len(tokens)]


def _render(fragment: str, dedent: bool, references: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """Plain text and links of an answer fragment (page reference definitions resolve)."""
    if dedent:
        fragment = textwrap.dedent(fragment)
    if not fragment.strip():
        return "", []
    tokens = MD.parse(fragment, {"references": dict(references)})
    return tokens_to_text(tokens, strip_answer_label=True), tokens_links(tokens)
