"""Line-level preprocessing: collapsible blocks and MkDocs/Hugo/MDX syntax markdown-it does not know.

:func:`preprocess` rewrites a page's lines in place (keeping their number, so every line number
stays right) before markdown-it reads them, and returns the collapsible blocks whose title is a
question as question :class:`~.candidates.Item` s ("containers"). Fenced code is never touched.
"""

from __future__ import annotations

import re

from markdown_it.common.html_blocks import block_names as _HTML_BLOCK_NAMES

from .candidates import HTML_ID_RE, Item
from .questions import is_question
from .text import MD, SHORTCODE_LABEL_RE, children_text, strip_shortcodes

__all__ = ["ADMONITION_QUESTION_TYPES", "preprocess"]

#: MkDocs admonition types whose collapsible block is a question.
ADMONITION_QUESTION_TYPES = frozenset({"question", "help", "faq"})
_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_ADMONITION_RE = re.compile(
    r'^([ \t]*)(\?\?\?\+?|!!!)[ \t]+([A-Za-z][\w-]*)((?:[ \t]+[A-Za-z][\w-]*)*)[ \t]*(?:"(.*)")?[ \t]*$'
)
_CONTENT_TAB_RE = re.compile(r'^([ \t]*)(===\+?)[ \t]+"(.*)"[ \t]*$')
_DETAILS_OPEN_RE = re.compile(r"^[ \t]*<details\b([^>]*)>", re.I)
_HUGO_OPEN_RE = re.compile(r"^[ \t]*\{\{([<%])\s*([A-Za-z][\w-]*)\b(.*?)\s*[%>]\}\}[ \t]*$")
_JSX_LINE_RE = re.compile(r"^[ \t]*<(/?)([A-Z][\w.]*)\b((?:[^<>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>[ \t]*$")
_ESM_RE = re.compile(
    r"""^(?:import\s+(?:[\w*{}\s,$]+\s+from\s+)?["'][^"']+["'];?\s*$|export\s+(?:const|let|var|function|default|async)\b)"""
)
_ESM_MULTILINE_START_RE = re.compile(r"^import\s+(?:type\s+)?\{[^}]*$")
#: Names of shortcodes and components that are collapsible blocks.
_COLLAPSIBLE_RE = re.compile(r"accordion|expand|collaps|details|toggle|spoiler|faq|question", re.I)
#: Tag names that are HTML, never an MDX component, whatever their case.
_HTML_NAMES = frozenset(_HTML_BLOCK_NAMES) | frozenset(
    "a abbr b bdi bdo br cite code data del dfn em i img input ins kbd label mark q s samp small span "
    "strong sub sup time u var video audio picture source svg button select option textarea".split()
)


def _fence_mask(lines: list[str]) -> list[bool]:
    """True for lines inside (or opening/closing) a fenced code block, at any indent."""
    mask = [False] * len(lines)
    fence: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE_RE.match(line) if line.lstrip(" \t")[:1] in ("`", "~") else None  # no regex for most lines
        if fence is None:
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = m.group(1)
                mask[i] = True
        else:
            mask[i] = True
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
                fence = None
    return mask


def _dedent4(line: str, k: int) -> str:
    """Remove 4 columns of indentation after the first ``k`` characters."""
    head, rest = line[:k], line[k:]
    if rest.startswith("    "):
        return head + rest[4:]
    if rest.startswith("\t"):
        return head + rest[1:]
    return head + rest.lstrip(" \t")


def _indent_width(line: str) -> int:
    n = 0
    for ch in line:
        if ch == " ":
            n += 1
        elif ch == "\t":
            n += 4 - n % 4
        else:
            break
    return n


def preprocess(lines: list[str]) -> tuple[set[int], list[Item]]:
    """Rewrite ``lines`` in place (same number of lines) so markdown-it reads them sensibly.

    * MkDocs admonitions and content tabs: the opener becomes a ``######`` heading carrying the
      title (recorded as a pseudo heading, never a question heading) and the 4-space indented
      body is dedented; ``??? question "..."`` blocks are recorded as questions.
    * ``<details><summary>``, Hugo ``{{< accordion title="..." >}}`` ... ``{{< /accordion >}}`` and
      MDX ``<Accordion title="...">`` ... ``</Accordion>`` blocks (any collapsible name: accordion,
      expand, collapse, details, toggle, spoiler, faq, question) with a question-shaped title are
      recorded as question containers.
    * MDX ``import``/``export`` lines and lines holding only a component tag are blanked (a
      component's ``title`` stays as text).

    Returns the pseudo heading line numbers and the containers.
    """
    pseudo: set[int] = set()
    containers: list[Item] = []
    fence: str | None = None
    for i in range(len(lines)):  # pass 1: admonitions (a body is dedented before it is scanned)
        line = lines[i]
        if line.lstrip(" \t")[:1] not in ("`", "~", "?", "!", "="):  # starts no fence, admonition or tab
            continue
        m = _FENCE_RE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
                fence = None
            continue
        if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            fence = m.group(1)
            continue
        am = _ADMONITION_RE.match(line)
        tm = None if am else _CONTENT_TAB_RE.match(line)
        if not (am or tm):
            continue
        indent = (am or tm).group(1)
        k, width = len(indent), _indent_width(indent)
        last = i
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indent_width(lines[j]) >= width + 4):
            if lines[j].strip():
                last = j
            j += 1
        for b in range(i + 1, last + 1):
            if lines[b].strip():
                lines[b] = _dedent4(lines[b], k)
        if am:
            kind, title = am.group(3), (am.group(5) or "").strip()
            label = title or kind.capitalize()
            if kind.lower() in ADMONITION_QUESTION_TYPES and title and last > i:
                containers.append(Item("container", i, 7, title, start=(i + 1, 0), end=(last + 1, 0),
                                        question=True, dedent=True))
        else:
            label = tm.group(3).strip()
        lines[i] = f"{indent}###### {label.rstrip('#').strip() or '-'}"
        pseudo.add(i)

    mask = _fence_mask(lines)  # pass 2: containers with closing markers, MDX
    i = 0
    while i < len(lines):
        line = lines[i]
        if mask[i] or not line.strip():
            i += 1
            continue
        dm = _DETAILS_OPEN_RE.match(line)
        if dm:
            item = _details(lines, mask, i, dm)
            if item is not None:
                containers.append(item)
        hm = _HUGO_OPEN_RE.match(line)
        if hm:
            label = SHORTCODE_LABEL_RE.search(hm.group(3))
            title = (label.group(1) or label.group(2) or "") if label else ""
            if title and _COLLAPSIBLE_RE.search(hm.group(2)) and is_question(title):
                close = _matching_line(lines, mask, i, re.compile(
                    r"^[ \t]*\{\{[<%]\s*" + re.escape(hm.group(2)) + r"\b"),
                    re.compile(r"^[ \t]*\{\{[<%]\s*/\s*" + re.escape(hm.group(2)) + r"\s*[%>]\}\}"))
                containers.append(Item("container", i, 7, strip_shortcodes(title), start=(i + 1, 0),
                                        end=None if close is None else (close, 0), question=True, dedent=True))
        if line.startswith(("import", "export")):
            if _ESM_RE.match(line):
                lines[i] = ""
            elif _ESM_MULTILINE_START_RE.match(line):
                j = i
                while j < len(lines) and j < i + 50 and not re.search(r"""\bfrom\s+["'][^"']+["'];?\s*$""", lines[j]):
                    j += 1
                if j < len(lines) and j < i + 50:
                    for k in range(i, j + 1):
                        lines[k] = ""
                    i = j + 1
                    continue
        jm = _JSX_LINE_RE.match(line)
        if jm and jm.group(2).lower() not in _HTML_NAMES:
            closing, name, attrs, selfclose = jm.groups()
            label = re.search(r"""\btitle\s*=\s*(?:"([^"]*)"|'([^']*)'|\{\s*["']([^"']*)["']\s*\})""", attrs or "")
            title = next((g for g in label.groups() if g), "") if label else ""
            if not closing and not selfclose and title and _COLLAPSIBLE_RE.search(name) and is_question(title):
                close = _matching_line(lines, mask, i, re.compile(r"^[ \t]*<" + re.escape(name) + r"\b(?![^>]*/>)"),
                                       re.compile(r"^[ \t]*</" + re.escape(name) + r"\s*>"))
                containers.append(Item("container", i, 7, title, start=(i + 1, 0),
                                        end=None if close is None else (close, 0), question=True, dedent=True))
            # Keep a title (an accordion's question, a tab's name) as text, never as markdown syntax.
            lines[i] = re.sub(r"^(\d*)([#>+*=|`~.)-])", r"\1\\\2", title.strip()) if not closing and title else ""
        i += 1
    return pseudo, containers


def _matching_line(lines: list[str], mask: list[bool], i: int, open_re: re.Pattern[str],
                   close_re: re.Pattern[str]) -> int | None:
    """The line closing the block opened on line ``i`` (nested openers counted; fenced lines skipped), else None."""
    depth = 1
    for j in range(i + 1, len(lines)):
        if mask[j]:
            continue
        if close_re.match(lines[j]):
            depth -= 1
            if depth == 0:
                return j
        elif open_re.match(lines[j]):
            depth += 1
    return None


def _details(lines: list[str], mask: list[bool], i: int, dm: re.Match[str]) -> Item | None:
    """A ``<details>`` block opening on line ``i`` whose ``<summary>`` is a question, else None."""
    # The summary: on the details line or within the next few lines.
    col = dm.end()
    chunk_lines = []
    for j in range(i, min(len(lines), i + 10)):
        chunk_lines.append(lines[j][col:] if j == i else lines[j])
        if "</summary>" in lines[j].lower():
            break
    chunk = "\n".join(chunk_lines)
    sm = re.match(r"\s*<summary\b[^>]*>(.*?)</summary\s*>", chunk, re.S | re.I)
    if not sm:
        return None
    question = children_text(MD.parseInline(" ".join(sm.group(1).split()))[0].children or [])
    if not is_question(question):
        return None
    # Answer starts right after </summary>.
    prefix = chunk[: sm.end()]
    line = i + prefix.count("\n")
    after = col + sm.end() if line == i else sm.end() - (prefix.rfind("\n") + 1)
    idm = HTML_ID_RE.search(dm.group(1) or "")
    item = Item("container", i, 7, question, anchor=next((g for g in idm.groups() if g), None) if idm else None,
                 start=(line, after), question=True, dedent=True)
    depth = 1
    for j in range(line, len(lines)):
        if mask[j]:
            continue
        from_col = after if j == line else 0
        for tag in re.finditer(r"<(/?)details\b[^>]*>", lines[j][from_col:], re.I):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                item.end = (j, from_col + tag.start())
                return item
    return item  # never closed: the answer runs like a bold question's
