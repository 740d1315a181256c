"""Parse one FAQ markdown page into FAQ entries and parse problems.

The parser reads the page with markdown-it-py (CommonMark + tables, raw HTML allowed), so lines
inside fenced code are never taken for headings, and turns every question into one
:class:`FaqEntry`. A question can be written as

* a heading (``##``/``###``/``####``..., setext, or a raw-HTML ``<h3 name="id">`` block);
* a bold paragraph: ``**Q: ...?**``, ``**...?**``, ``__...?__``, ``[__...?__](#id){ #id }``,
  with the answer below it (or on the next line of the same paragraph);
* a ``Q: ...`` paragraph, with the answer after it (an ``A:`` line may follow directly);
* a collapsible block whose title is the question: ``<details><summary>...?</summary>``,
  MkDocs ``??? question "..."`` (types ``question``, ``help``, ``faq``; 4-space indented body),
  Hugo ``{{< accordion title="...?" >}}`` ... ``{{< /accordion >}}``, MDX
  ``<Accordion title="...?">`` ... ``</Accordion>``.

Which headings are questions (``question_headings: auto``, the default):

1. A heading is *question-shaped* (:func:`is_question`) when it ends with a question mark
   (``?``, full-width ``？``, Arabic ``؟``; trailing spaces, quotes, emoji are ignored), starts
   with a ``Q:`` label, starts with an auxiliary verb (``Can I ...``, ``Is ...``, ``Does ...``) or
   with a question word followed by something other than ``to`` or a subject/determiner
   (``How do I ...`` counts; ``How to add the key`` and ``Where the key lives`` do not). A
   ``[TAG]`` prefix is ignored.
2. On an *FAQ page*, every heading at the page's *question level* that has an answer of its own
   also counts, question mark or not ("File sharing with Kubernetes and WSL 2", symptom headings
   on a troubleshooting page). A page is an FAQ page when its front matter ``tags``/``categories``/
   ``type`` say ``faq``, or its title, first ``#`` heading or file name (folder name for
   ``index``/``_index``/``README``) says FAQ, "frequently asked", Q&A or troubleshooting.
   The question level is the heading level holding most question-shaped headings (the
   shallower on a tie); with no question-shaped heading, the convention does not apply.
3. Feedback and navigation headings ("Was this page helpful?", "Related pages", "Next steps")
   are never questions.

Headings above a question that are not questions become its ``section``; deeper non-question
headings inside an answer stay part of it. Overrides, per page in front matter and per folder in
a ``.faq.yaml`` file (see :class:`FolderSettings`)::

    faq:
      question_headings: auto   # auto | all (always an FAQ page) | marked (rule 1 only) | none
      question_level: 3         # the level where questions live (turns rule 2 on)

Everything that goes wrong is collected as a :class:`Problem` (file, line, severity, code,
message) instead of raising, so one bad page never empties a knowledge base.
"""

from __future__ import annotations

import bisect
import fnmatch
import html
import re
import textwrap
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nh3
import yaml
from markdown_it import MarkdownIt
from markdown_it.common.html_blocks import block_names as _HTML_BLOCK_NAMES
from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token

from .entries import FaqEntry, _as_list
from .files import YamlTooLargeError, _FaqYamlLoader, load_yaml
from .problems import Problem

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "FaqEntry", "Problem", "ParsedPage", "FolderSettings", "parse_markdown", "parse_file",
    "slugify", "is_question", "is_boilerplate", "QUESTION_HEADING_MODES",
]

#: Question words: a heading starting with one is a question unless the next word is ``to`` or a
#: subject/determiner (``How to ...``, ``Where the ... lives`` are titles, not questions).
WH_WORDS = frozenset("how what why when where which who whom whose".split())
#: Auxiliary verbs: a heading starting with one (``Can I ...``, ``Is ...``) is a question.
AUXILIARIES = frozenset(
    "can could should would will is are am was were do does did has have had may might must shall isn aren".split()
)
_STATEMENT_AFTER_WH = frozenset(
    "to i you we they he she it the a an this that these those my your our their its his her".split()
)
#: Values of the ``question_headings`` override.
QUESTION_HEADING_MODES = ("auto", "all", "marked", "none")
#: MkDocs admonition types whose collapsible block is a question.
ADMONITION_QUESTION_TYPES = frozenset({"question", "help", "faq"})

_QUESTION_MARKS = "?\uff1f\u061f\u2e2e\ufe56\u055e\u2047\u2048\u2049"
_QUESTION_LABEL_RE = re.compile(r"^(?:Q|Question|问|問|问题|問題|質問)\s*[:：]\s*", re.I)
_ANSWER_LABEL_RE = re.compile(r"^(?:A|Ans|Answer|回答|答|答案|解答)\s*[:：]\s*", re.I)
_TAG_PREFIX_RE = re.compile(r"^(?:\[[^\]\n]{1,40}\]\s*)+")
_CJK_QUESTION_ENDINGS = "吗嗎呢か"
_BOILERPLATE_RE = re.compile(
    r"(?:(?:was|is|did) (?:this|the) (?:page|article|doc|document|documentation|section|guide|answer|"
    r"information|content|faq|tutorial)(?: \w+)? (?:helpful|useful|clear)"
    r"|did (?:this|you find (?:this|it|what you were looking for))(?: \w+)*"
    r"|(?:still )?(?:have|got) (?:more |any |other |further )?questions(?: \w+)*"
    r"|(?:need|want) (?:more |further |additional |some )?(?:help|support)"
    r"|(?:any|more|other) questions"
    r"|related(?: \w+)?|see also|next steps?|what'?s next|further reading|learn more|"
    r"additional resources|resources|feedback|contents|table of contents|on this page|"
    r"in this (?:article|page|section))",
    re.I,
)
_FAQ_WORD_RE = re.compile(
    r"\bfaqs?\b|\bq\s*&\s*a\b|frequently[\s-]+asked|troubleshoot|常见问题|常見問題|よくある質問|자주 묻는 질문", re.I
)
_SHORTCODE_RE = re.compile(r"\{\{[<%](.*?)[%>]\}\}", re.S)
_SHORTCODE_LABEL_RE = re.compile(r"""\b(?:title|name|summary|label|header)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ICON_SHORTCODE_RE = re.compile(r":(?:material|fontawesome|octicons|simple)-[a-z0-9-]+:")
_JSX_COMMENT_RE = re.compile(r"\{/\*.*?\*/\}", re.S)
_ATTR_ITEM = r"""(?:[#.][\w-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}]+))"""
_ATTR_LIST_RE = re.compile(r"\{:?\s*(" + _ATTR_ITEM + r"(?:\s+" + _ATTR_ITEM + r")*)\s*\}")
_TRAILING_ATTR_LIST_RE = re.compile(r"\s*" + _ATTR_LIST_RE.pattern + r"\s*$")
_ALERT_RE = re.compile(r"^\[!([A-Za-z]+)\][ \t]*\n?")
_HTML_HEADING_RE = re.compile(r"^\s*<h([1-6])(\s[^>]*)?>(.*?)</h\1\s*>\s*$", re.S | re.I)
_HTML_ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>]+))""", re.I)
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
_COLLAPSIBLE_RE = re.compile(r"accordion|expand|collaps|details|toggle|spoiler|faq|question", re.I)
_HR_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_HTML_NAMES = frozenset(_HTML_BLOCK_NAMES) | frozenset(
    "a abbr b bdi bdo br cite code data del dfn em i img input ins kbd label mark q s samp small span "
    "strong sub sup time u var video audio picture source svg button select option textarea".split()
)


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


# --- text helpers --------------------------------------------------------------------------------

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")


def slugify(text: str) -> str:
    """Anchor slug as GitHub and Hugo (goldmark ``github`` style) make it.

    Lower-cases, drops punctuation other than ``-`` and ``_``, turns each space into ``-``.
    Letters and digits of any script are kept. ``"How do I... (v2)?"`` -> ``"how-do-i-v2"``.
    """
    text = unicodedata.normalize("NFC", text).strip().lower()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "-_" or cat[0] in "LN" or cat == "Mn":
            out.append(ch)
        elif ch == " ":
            out.append("-")
    return "".join(out)


def _trim_question(text: str) -> str:
    """Drop a trailing attribute list and trailing spaces, quotes, periods, emoji, bidi marks."""
    t = _TRAILING_ATTR_LIST_RE.sub("", text).strip()
    end = len(t)
    while end and t[end - 1] not in _QUESTION_MARKS and not t[end - 1].isalnum() and (
        unicodedata.category(t[end - 1]) in ("Zs", "Cf", "So", "Sk", "Pe", "Pf", "Po", "Pd", "Cc")
    ):
        end -= 1
    return t[:end]


def is_question(text: str) -> bool:
    """True when a heading's (or bold paragraph's) text reads as a question.

    Rule (see the module docstring): ends with a question mark (``?``, ``？``, ``؟``...), starts
    with a ``Q:`` label, starts with an auxiliary verb (not followed by ``not`` or a number), or
    starts with a question word not followed by ``to``/a subject/a determiner. A leading ``[TAG]``
    is ignored; Chinese/Japanese text ending in 吗/呢/か counts.
    """
    t = _trim_question(unicodedata.normalize("NFC", text))
    if not t:
        return False
    if _QUESTION_LABEL_RE.match(t) or t[-1] in _QUESTION_MARKS:
        return True
    t = _TAG_PREFIX_RE.sub("", t)
    if t and t[-1] in _CJK_QUESTION_ENDINGS:
        return True
    words = re.findall(r"[^\W_]+", t.casefold())
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    if first in AUXILIARIES:
        return second != "not" and not second.isdigit()
    return first in WH_WORDS and second not in _STATEMENT_AFTER_WH


def is_boilerplate(text: str) -> bool:
    """True for feedback/navigation headings that are never FAQ entries ("Was this page helpful?")."""
    t = " ".join(re.sub(r"[^\w' ]+", " ", _trim_question(text).replace("\u2019", "'")).split())
    return bool(t) and _BOILERPLATE_RE.fullmatch(t.rstrip("?")) is not None


def normalize_source(text: str) -> str:
    """Drop BOMs, turn CRLF and lone CR into LF, and NFC-normalize."""
    text = text.replace("\ufeff", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _strip_shortcodes(text: str) -> str:
    """Remove Hugo shortcodes, keeping a ``title=``/``name=`` label (a tab's or accordion's name)."""

    def label(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if inner.startswith("/") or inner.startswith("*"):
            return ""
        lab = _SHORTCODE_LABEL_RE.search(inner)
        return (lab.group(1) or lab.group(2) or "") if lab else ""

    text = _SHORTCODE_RE.sub(label, text)
    text = _ICON_SHORTCODE_RE.sub("", text)
    return _JSX_COMMENT_RE.sub("", text)


def _children_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(_children_text(child.children) if child.children else child.content)
    text = _strip_shortcodes("".join(parts))
    return re.sub(r"[ \t\u00a0\u2007\u202f]+", " ", text).strip()


def inline_text(token: Token) -> str:
    """Plain text of an ``inline`` token: markup, HTML tags and shortcodes removed."""
    return _children_text(token.children or [])


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
            if strip_answer_label and paragraph and _ANSWER_LABEL_RE.match(text):
                text = _ANSWER_LABEL_RE.sub("", text, count=1)
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
            stripped = html.unescape(nh3.clean(_strip_shortcodes(tok.content), tags=set())).strip()
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
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


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
                buf.append(_children_text(child.children or []))
    return links


# --- overrides ---------------------------------------------------------------------------------


def _check_settings(raw: Any, where: str, lines: int | dict[str, int] | None, what: str, problems: list[Problem],
                    extra_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Validate an override mapping (``question_headings``, ``question_level``); keep the valid part.

    ``lines`` is the 1-based line of the mapping, or of each key (a dict), for the problems.
    """
    key_lines = lines if isinstance(lines, dict) else {}
    line = None if isinstance(lines, dict) else lines
    if isinstance(raw, bool):  # front matter `faq: true|false`
        return {"question_headings": "all" if raw else "marked"}
    if not isinstance(raw, dict):
        problems.append(Problem(where, line, "warning", "settings-invalid",
                                f"{what} must be a mapping with keys question_headings "
                                f"({'|'.join(QUESTION_HEADING_MODES)}) and question_level (1-6), "
                                f"not a {type(raw).__name__}"))
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        line = key_lines.get(str(key), line)
        if key == "question_headings":
            if isinstance(value, str) and value.strip().lower() in QUESTION_HEADING_MODES:
                out[key] = value.strip().lower()
            else:
                problems.append(Problem(where, line, "error", "settings-invalid",
                                        f"{what}.question_headings must be one of "
                                        f"{', '.join(QUESTION_HEADING_MODES)} (got {value!r})"))
        elif key == "question_level":
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 6:
                out[key] = value
            else:
                problems.append(Problem(where, line, "error", "settings-invalid",
                                        f"{what}.question_level must be a heading level from 1 to 6 (got {value!r})"))
        elif key not in extra_keys:
            problems.append(Problem(where, line, "warning", "settings-unknown-key",
                                    f"{what}: unknown key {key!r} (known: question_headings, question_level"
                                    f"{''.join(', ' + k for k in extra_keys)})"))
    return out


class FolderSettings:
    """Per-folder parser overrides from ``.faq.yaml`` files under a knowledge-base root.

    A ``.faq.yaml`` applies to every page in its folder and below; a deeper file overrides a
    shallower one, and a page's own front matter ``faq:`` overrides both::

        question_headings: marked        # auto | all | marked | none
        question_level: 3                # 1-6
        files:                           # fnmatch patterns, relative to this folder
          troubleshooting.md: {question_headings: all}
          "legacy/*.md": {question_headings: none}

    Parameters
    ----------
    root : str or Path
        The knowledge-base folder; ``.faq.yaml`` files above it are not read.

    Problems in the ``.faq.yaml`` files (bad YAML, unknown keys, bad values) are collected once
    in :attr:`problems`; the valid part of the file still applies.
    """

    FILENAME = ".faq.yaml"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.problems: list[Problem] = []
        self._cache: dict[Path, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]] | None] = {}

    def _load(self, folder: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]] | None:
        if folder in self._cache:
            return self._cache[folder]
        path = folder / self.FILENAME
        result = None
        if path.is_file():
            rel = path.relative_to(self.root).as_posix()
            text, data = "", {}
            try:
                text = path.read_text(encoding="utf-8-sig")
                data = load_yaml(text) or {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                mark = getattr(exc, "problem_mark", None)
                self.problems.append(Problem(rel, mark.line + 1 if mark else None, "error", "settings-invalid",
                                             f"cannot read folder settings: {getattr(exc, 'problem', None) or exc}"))
            lines = _yaml_key_lines(text)
            settings = _check_settings(data, rel, lines.get("", {}), "folder settings", self.problems,
                                       extra_keys=("files",))
            files: list[tuple[str, dict[str, Any]]] = []
            raw_files = data.get("files") if isinstance(data, dict) else None
            if raw_files is not None and not isinstance(raw_files, dict):
                self.problems.append(Problem(rel, lines.get("", {}).get("files"), "error", "settings-invalid",
                                             "folder settings: files must map a file pattern to settings"))
            elif raw_files:
                for pattern, value in raw_files.items():
                    files.append((str(pattern), _check_settings(value, rel, lines.get(str(pattern), {}),
                                                                f"files[{pattern!r}]", self.problems)))
            result = (settings, files)
        self._cache[folder] = result
        return result

    def for_file(self, path: str | Path) -> dict[str, Any]:
        """The merged settings for one page under the root (``{}`` when no ``.faq.yaml`` applies)."""
        path = Path(path)
        try:
            parts = path.parent.relative_to(self.root).parts
        except ValueError:
            return {}
        merged: dict[str, Any] = {}
        folder = self.root
        for i in range(len(parts) + 1):
            if i:
                folder = folder / parts[i - 1]
            cfg = self._load(folder)
            if cfg is None:
                continue
            merged.update(cfg[0])
            rel = path.relative_to(folder).as_posix()
            for pattern, settings in cfg[1]:
                if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(path.name, pattern):
                    merged.update(settings)
        return merged


def _yaml_key_lines(text: str) -> dict[str, dict[str, int]]:
    """1-based lines of a settings file's keys: ``{"": top-level keys, pattern: keys under files[pattern]}``."""
    try:
        node = yaml.compose(text, Loader=_FaqYamlLoader)
    except yaml.YAMLError:
        return {}
    out: dict[str, dict[str, int]] = {"": {}}
    if not isinstance(node, yaml.MappingNode):
        return out
    for key, value in node.value:
        out[""][str(key.value)] = key.start_mark.line + 1
        if key.value == "files" and isinstance(value, yaml.MappingNode):
            for pattern, settings in value.value:
                keys = {str(k.value): k.start_mark.line + 1 for k, _ in getattr(settings, "value", [])
                        if isinstance(settings, yaml.MappingNode)}
                out[str(pattern.value)] = keys or {"": pattern.start_mark.line + 1}
    return out


# --- front matter --------------------------------------------------------------------------------


def _markdown_question_line(lines: list[str], start: int, end: int) -> int | None:
    """First line in ``lines[start:end]`` that is plainly a markdown question (not YAML/TOML)."""
    for i in range(start, end):
        s = lines[i].strip()
        m = re.match(r"^#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?$", s)
        if m and is_question(m.group(1)):
            return i
        if re.match(r"^(?:\*\*|__|\[__|\[\*\*)", s) and is_question(re.sub(r"[*_\[\]]|\(#[^)]*\)|\{[^}]*\}", "", s)):
            return i
        if _QUESTION_LABEL_RE.match(s) or re.match(r"^(?:<details\b|<h[1-6]\b|\?\?\?\+? )", s, re.I):
            return i
    return None


def _split_front_matter(lines: list[str], source: str, problems: list[Problem]) -> dict[str, Any]:
    """Read YAML (``---``) or TOML (``+++``) front matter at the top of ``lines``.

    The front matter lines are blanked in place, so line numbers stay right. A block that never
    closes, that holds markdown questions, or that is not a mapping is read as markdown with a
    warning: no question vanishes into metadata.
    """
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].rstrip() not in ("---", "+++"):
        return {}
    opener = lines[i].rstrip()
    kind = "YAML" if opener == "---" else "TOML"
    close = re.compile(r"^(?:---|\.\.\.)[ \t]*$" if kind == "YAML" else r"^\+\+\+[ \t]*$")
    end = next((k for k in range(i + 1, len(lines)) if close.match(lines[k])), None)
    if end is None:
        problems.append(Problem(source, i + 1, "warning", "front-matter-unclosed",
                                f"file starts with {opener!r} but no closing {opener!r} line follows; read as "
                                f"markdown, not front matter (add a closing {opener!r} line)"))
        return {}
    q = _markdown_question_line(lines, i + 1, end)
    if q is not None:
        problems.append(Problem(source, i + 1, "warning", "front-matter-is-markdown",
                                f"{opener!r} on line {i + 1} and line {end + 1} enclose markdown (a question on "
                                f"line {q + 1}), so they are read as horizontal rules, not front matter"))
        return {}
    raw = "\n".join(lines[i + 1:end])
    data: Any
    try:
        data = load_yaml(raw) if kind == "YAML" else tomllib.loads(raw)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = i + 2 + mark.line if mark is not None else i + 1
        detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(source, line, "error", "front-matter-invalid",
                                f"{kind} front matter does not parse: {detail}"))
        data = {}
    if data is not None and not isinstance(data, dict):
        problems.append(Problem(source, i + 1, "warning", "front-matter-not-mapping",
                                f"the block between {opener!r} lines {i + 1} and {end + 1} is a "
                                f"{type(data).__name__}, not key: value front matter; read as markdown"))
        return {}
    if i:
        problems.append(Problem(source, i + 1, "warning", "front-matter-not-first",
                                "blank lines before the front matter (it still parsed; remove them)"))
    for k in range(i, end + 1):
        lines[k] = ""
    return data or {}


# --- line-level preprocessing ------------------------------------------------------------------


@dataclass
class _Item:
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
    dedent: bool = False


def _fence_mask(lines: list[str]) -> list[bool]:
    """True for lines inside (or opening/closing) a fenced code block, at any indent."""
    mask = [False] * len(lines)
    fence: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE_RE.match(line)
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


def _preprocess(lines: list[str]) -> tuple[set[int], list[_Item]]:
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
    containers: list[_Item] = []
    fence: str | None = None
    for i in range(len(lines)):  # pass 1: admonitions (a body is dedented before it is scanned)
        line = lines[i]
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
                containers.append(_Item("container", i, 7, title, start=(i + 1, 0), end=(last + 1, 0),
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
            label = _SHORTCODE_LABEL_RE.search(hm.group(3))
            title = (label.group(1) or label.group(2) or "") if label else ""
            if title and _COLLAPSIBLE_RE.search(hm.group(2)) and is_question(title):
                close = _matching_line(lines, mask, i, re.compile(
                    r"^[ \t]*\{\{[<%]\s*" + re.escape(hm.group(2)) + r"\b"),
                    re.compile(r"^[ \t]*\{\{[<%]\s*/\s*" + re.escape(hm.group(2)) + r"\s*[%>]\}\}"))
                containers.append(_Item("container", i, 7, _strip_shortcodes(title), start=(i + 1, 0),
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
                containers.append(_Item("container", i, 7, title, start=(i + 1, 0),
                                        end=None if close is None else (close, 0), question=True, dedent=True))
            # Keep a title (an accordion's question, a tab's name) as text, never as markdown syntax.
            lines[i] = re.sub(r"^(\d*)([#>+*=|`~.)-])", r"\1\\\2", title.strip()) if not closing and title else ""
        i += 1
    return pseudo, containers


def _matching_line(lines: list[str], mask: list[bool], i: int, open_re: re.Pattern[str],
                   close_re: re.Pattern[str]) -> int | None:
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


def _details(lines: list[str], mask: list[bool], i: int, dm: re.Match[str]) -> _Item | None:
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
    question = _children_text(_MD.parseInline(" ".join(sm.group(1).split()))[0].children or [])
    if not is_question(question):
        return None
    # Answer starts right after </summary>.
    prefix = chunk[: sm.end()]
    line = i + prefix.count("\n")
    after = col + sm.end() if line == i else sm.end() - (prefix.rfind("\n") + 1)
    idm = _HTML_ID_RE.search(dm.group(1) or "")
    item = _Item("container", i, 7, question, anchor=next((g for g in idm.groups() if g), None) if idm else None,
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


# --- finding questions in the token stream -----------------------------------------------------


def _attr_id(text: str) -> str | None:
    m = re.search(r"(?:^|\s)#([\w-]+)", text)
    return m.group(1) if m else None


def _heading_text(inline: Token) -> tuple[str, str | None]:
    """Heading text without a trailing ``{ #id ... }`` attribute list, and that id."""
    text = inline_text(inline)
    m = _TRAILING_ATTR_LIST_RE.search(text)
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
            m = _ATTR_LIST_RE.match(content.strip())
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
    return _children_text(inner), anchor, breaks, rest


def _line_texts(children: list[Token]) -> list[str]:
    lines: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append([])
        else:
            lines[-1].append(child)
    return [_children_text(chunk) for chunk in lines]


def _paragraph_question(inline: Token, start: int, end: int) -> _Item | None:
    """A top-level paragraph that is a bold question or a ``Q:`` question, else None."""
    children = inline.children or []
    lead = _lead_strong(children)
    if lead is not None:
        text, anchor, breaks, rest = lead
        if rest != "inline" and is_question(text):
            ans = start + breaks + 1 if rest == "next_line" else end
            return _Item("para", start, 7, text, anchor, start=(ans, 0), question=True)
    texts = _line_texts(children)
    if texts and _QUESTION_LABEL_RE.match(texts[0]) and len(_QUESTION_LABEL_RE.sub("", texts[0])) > 0:
        k = next((n for n in range(1, len(texts)) if _ANSWER_LABEL_RE.match(texts[n])), None)
        question = " ".join(texts[:k] if k else texts)
        return _Item("para", start, 7, question, start=((start + k) if k else end, 0), question=True)
    return None


def _is_faq_page(front_matter: dict[str, Any], source: str, heads: list[_Item]) -> bool:
    for key in ("tags", "categories", "type", "layout", "kind"):
        if any(_FAQ_WORD_RE.search(v) for v in _as_list(front_matter.get(key))):
            return True
    for key in ("title", "linkTitle", "sidebar_label", "nav_title"):
        if _FAQ_WORD_RE.search(str(front_matter.get(key) or "")):
            return True
    h1 = next((h.text for h in heads if h.level == 1), "")
    if _FAQ_WORD_RE.search(h1):
        return True
    path = Path(source)
    name = path.name.split(".")[0]
    if name.lower() in ("index", "_index", "readme") and path.parent.name:
        name = path.parent.name
    return bool(re.search(r"faq|troubleshoot|q-?and-?a", name, re.I))


def _question_level(heads: list[_Item]) -> int | None:
    counts = Counter(h.level for h in heads if is_question(h.text) and not is_boilerplate(h.text))
    if not counts:
        return None
    return min(counts, key=lambda level: (-counts[level], level))


def _common_level(heads: list[_Item]) -> int | None:
    levels = Counter(h.level for h in heads if not is_boilerplate(h.text))
    if levels.get(1) == 1 and len(levels) > 1:
        del levels[1]  # a single H1 is the page title
    if not levels:
        return None
    return min(levels, key=lambda level: (-levels[level], -level))


def _page_settings(settings: dict[str, Any] | None, front_matter: dict[str, Any], source: str,
                   raw_lines: list[str], problems: list[Problem]) -> dict[str, Any]:
    opts = _check_settings(settings, source, None, "settings", problems) if settings else {}
    if "faq" in front_matter:
        line = next((i + 1 for i, text in enumerate(raw_lines[:500]) if re.match(r"faq\s*[:=]", text)), 1)
        opts.update(_check_settings(front_matter["faq"], source, line, "front matter 'faq'", problems))
    return opts


# --- the parser --------------------------------------------------------------------------------


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
        :class:`FolderSettings`); the page's front matter ``faq:`` wins over them.

    Returns
    -------
    ParsedPage
        Never raises on bad markdown: problems are collected in ``ParsedPage.problems``.
    """
    problems: list[Problem] = []
    raw_lines = normalize_source(text).split("\n")
    lines = list(raw_lines)
    front_matter = _split_front_matter(lines, source, problems)
    opts = _page_settings(settings, front_matter, source, raw_lines, problems)
    pseudo, containers = _preprocess(lines)
    env: dict[str, Any] = {}
    tokens = _MD.parse("\n".join(lines), env)
    references = env.get("references", {})
    doc = doc_id if doc_id is not None else re.sub(r"\.(md|mdx|markdown)$", "", source, flags=re.I)

    heads: list[_Item] = []
    paras: list[_Item] = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or not tok.map:
            continue
        if tok.type == "heading_open" and tok.map[0] not in pseudo:
            title, anchor = _heading_text(tokens[i + 1])
            heads.append(_Item("heading", tok.map[0], int(tok.tag[1]), title, anchor, start=(tok.map[1], 0)))
        elif tok.type == "html_block":
            m = _HTML_HEADING_RE.match(tok.content)
            if m:
                title = " ".join(html.unescape(nh3.clean(m.group(3), tags=set())).split())
                idm = _HTML_ID_RE.search(m.group(2) or "")
                anchor = next((g for g in idm.groups() if g), None) if idm else None
                heads.append(_Item("heading", tok.map[0], int(m.group(1)), title, anchor, start=(tok.map[1], 0)))
        elif tok.type == "paragraph_open":
            item = _paragraph_question(tokens[i + 1], tok.map[0], tok.map[1])
            if item is not None:
                paras.append(item)

    # Which headings are questions.
    starts = sorted({h.line for h in heads} | {p.line for p in paras} | {c.line for c in containers})
    for h in heads:
        k = bisect.bisect_right(starts, h.line)
        h.own_content = any(line.strip() for line in lines[h.start[0]:starts[k] if k < len(starts) else len(lines)])
    mode = opts.get("question_headings", "auto")
    level = opts.get("question_level") or _question_level(heads)
    faq_page = mode == "all" or (
        mode == "auto" and ("question_level" in opts or _is_faq_page(front_matter, source, heads)))
    if faq_page and level is None and mode == "all":
        level = _common_level(heads)
    if not faq_page:
        level = None
    for h in heads:
        if mode == "none" or is_boilerplate(h.text):
            continue
        h.question = is_question(h.text) or (level is not None and h.level == level and h.own_content)

    items = sorted(heads + paras + containers, key=lambda it: (it.line, it.kind != "heading"))
    blocks: tuple[list[int], list[int], set[int]] = ([], [], set())
    for i, tok in enumerate(tokens):
        if tok.level == 0 and tok.map:
            blocks[0].append(tok.map[0])
            blocks[1].append(i)
            blocks[2].update(range(tok.map[0] + 1, tok.map[1]))
    base_url = _page_url(front_matter)
    alternates = _alternates_from_front_matter(front_matter, source, problems)
    entries: list[FaqEntry] = []
    slugs: dict[str, int] = {}
    stack: list[_Item] = []
    for n, it in enumerate(items):
        if it.kind == "heading":
            while stack and stack[-1].level >= it.level:
                stack.pop()
        section = " > ".join(h.text for h in stack if not h.question)
        if it.kind == "heading":
            stack.append(it)
        question = " ".join(_QUESTION_LABEL_RE.sub("", _TRAILING_ATTR_LIST_RE.sub("", it.text)).split())
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
            for other in items[n + 1:]:
                if other.kind == "heading" and (other.level <= it.level or other.question) or other.kind == "para":
                    end = (other.line, 0)
                    break
            else:
                end = (len(lines), 0)
            for c in containers:  # a question inside a collapsible block ends with it
                if c is not it and c.end and (c.line, 0) < (it.line, 0) < c.end and c.end < end:
                    end = c.end
        answer_markdown = _answer_markdown(raw_lines, lines, it.start, end, it.dedent, references)
        body = _block_slice(tokens, blocks, it.start, end) if not it.dedent else None
        if body is not None:  # the answer is whole blocks of the page: reuse its tokens
            answer_text, links = tokens_to_text(body, strip_answer_label=True), tokens_links(body)
        else:
            answer_text, links = _render(_slice(lines, it.start, end, lines), it.dedent, references)
        entries.append(FaqEntry(
            id=f"{doc}#{anchor}",
            question=question,
            answer_markdown=answer_markdown,
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
    return ParsedPage(source=source, front_matter=front_matter, entries=entries, problems=problems,
                      faq_page=faq_page, question_level=level)


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


def _answer_markdown(raw_lines: list[str], lines: list[str], start: tuple[int, int], end: tuple[int, int],
                     dedent: bool, references: dict[str, Any]) -> str:
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


def _block_slice(tokens: list[Token], blocks: tuple[list[int], list[int], set[int]], start: tuple[int, int],
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
    tokens = _MD.parse(fragment, {"references": dict(references)})
    return tokens_to_text(tokens, strip_answer_label=True), tokens_links(tokens)


def _unique_slug(slug: str, seen: dict[str, int]) -> str:
    if slug in seen:
        seen[slug] += 1
        return f"{slug}-{seen[slug]}"
    seen[slug] = 0
    return slug


def _page_url(front_matter: dict[str, Any]) -> str | None:
    url = front_matter.get("url") or front_matter.get("permalink")
    if not url:
        aliases = _as_list(front_matter.get("aliases"))
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
    return {str(k).strip(): _as_list(v) if not isinstance(v, str) else [v] for k, v in raw.items()}


def parse_file(path: str | Path, root: str | Path | None = None, *, doc_id: str | None = None,
               settings: dict[str, Any] | None = None) -> ParsedPage:
    """Read and parse one FAQ file.

    ``root`` is the knowledge-base folder; entry ids and ``source`` are relative to it.
    ``settings`` are folder-level overrides (see :class:`FolderSettings`). An unreadable file
    gives an empty page with an ``unreadable`` error; bytes that are not UTF-8 are replaced
    (``\\ufffd``) with a ``not-utf8`` warning naming the line, and the rest of the page still parses.
    """
    path = Path(path)
    rel = path.relative_to(root).as_posix() if root is not None else path.as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ParsedPage(rel, {}, [], [Problem(rel, None, "error", "unreadable", f"cannot read file: {exc.strerror or exc}")])
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(rel, line, "warning", "not-utf8",
                                f"byte {data[exc.start]:#04x} is not UTF-8; replaced with U+FFFD (save the file as UTF-8)"))
        text = data.decode("utf-8", errors="replace")
    page = parse_markdown(text, rel, doc_id=doc_id, settings=settings)
    page.problems[:0] = problems
    return page
