"""Parse one FAQ markdown page into FAQ entries and parse problems.

The parser works on markdown-it-py's token stream (CommonMark + tables, with the
mdit-py-plugins front matter plugin), so lines inside fenced code are never taken
for headings. Each question heading becomes one :class:`FaqEntry`; non-question
headings above questions become the entry's ``section``.

A heading is a question when (see :func:`is_question`):

* its text ends with ``?`` or the full-width ``？``, or
* its first word is an interrogative or auxiliary verb (how, what, can, is, ...).

Everything that goes wrong is collected as a :class:`Problem` (file, line,
severity, code, message) instead of raising, so one bad page never empties a
knowledge base.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nh3
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["FaqEntry", "Problem", "ParsedPage", "parse_markdown", "parse_file", "slugify", "is_question"]

INTERROGATIVES = frozenset(
    "how what why when where which who whom whose can could should would will is are am was were "
    "do does did has have had may might must shall".split()
)


@dataclass
class Problem:
    """One thing wrong with an FAQ file.

    ``line`` is 1-based (``None`` when unknown); ``severity`` is ``"error"``,
    ``"warning"`` or ``"info"``; ``code`` is a short stable identifier.
    """

    file: str
    line: int | None
    severity: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass
class FaqEntry:
    """One question and its answer.

    Attributes
    ----------
    id : str
        Stable id: document path relative to the knowledge-base root without the
        ``.md`` suffix, ``#``, and the heading's anchor slug (GitHub/Hugo style),
        e.g. ``security/single-sign-on/enforcement-faqs#is-dns-verification-required-to-enable-sso``.
    question : str
        The heading text with inline markup removed.
    answer_markdown : str
        The answer's markdown source, as written.
    answer_text : str
        The answer as readable plain text.
    links : list of dict
        ``{"text": str, "target": str}`` for each link in the answer.
    source : str
        The page's path relative to the knowledge-base root (POSIX separators).
    line : int
        1-based line of the question in ``source``.
    anchor : str
        The heading's anchor slug.
    section : str
        Non-question headings above the question, joined with `` > `` ("" if none).
    url : str or None
        Page URL (front matter ``url``, else the first ``aliases`` item) plus ``#anchor``.
    alternate_questions : list of str
        Other phrasings of the question given by the FAQ author.
    front_matter : dict
        The page's front matter (``title``, ``description``, ``keywords``, ``tags`` ...).
    """

    id: str
    question: str
    answer_markdown: str
    answer_text: str
    source: str
    line: int
    anchor: str
    section: str = ""
    links: list[dict[str, str]] = field(default_factory=list)
    url: str | None = None
    alternate_questions: list[str] = field(default_factory=list)
    front_matter: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.front_matter.get("title") or "")

    @property
    def keywords(self) -> list[str]:
        return _as_list(self.front_matter.get("keywords"))

    @property
    def tags(self) -> list[str]:
        return _as_list(self.front_matter.get("tags"))

    @property
    def citation(self) -> str:
        """Where a reader can find the entry: its URL, else ``source:line``."""
        return self.url or f"{self.source}:{self.line}"


@dataclass
class ParsedPage:
    """Result of parsing one page: its front matter, entries and problems."""

    source: str
    front_matter: dict[str, Any]
    entries: list[FaqEntry]
    problems: list[Problem]


# --- YAML that keeps what the author wrote --------------------------------------------------


class _FaqYamlLoader(yaml.SafeLoader):
    """Safe YAML loader where only ``true``/``false`` are booleans and dates stay strings.

    YAML 1.1 turns ``NO``, ``yes``, ``on`` into booleans and ``2024-01-01`` into a date;
    FAQ authors mean the strings they wrote (``region: NO`` is Norway).
    """


_FaqYamlLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
for _ch in "tTfF":
    _FaqYamlLoader.yaml_implicit_resolvers.setdefault(_ch, []).append(("tag:yaml.org,2002:bool", _BOOL_RE))


def load_yaml(text: str) -> Any:
    """Load YAML with :class:`_FaqYamlLoader` (strings stay strings). Raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_FaqYamlLoader)  # noqa: S506 - SafeLoader subclass


# --- helpers -----------------------------------------------------------------------------------

_MD = MarkdownIt("commonmark", {"html": True}).use(front_matter_plugin).enable("table")
_SHORTCODE_RE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_TOML_FM_RE = re.compile(r"\A\+\+\+[ \t]*\n(.*?\n)\+\+\+[ \t]*(?:\n|\Z)", re.S)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


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


def is_question(text: str) -> bool:
    """True when a heading's text reads as a question (see module docstring for the rule)."""
    t = text.strip().rstrip(" .\u3002")
    if not t:
        return False
    if t.endswith(("?", "\uff1f")):
        return True
    words = re.findall(r"[^\W\d_]+", t.lower())
    return bool(words) and words[0] in INTERROGATIVES


def normalize_source(text: str) -> str:
    """Drop a BOM, turn CRLF and lone CR into LF, and NFC-normalize."""
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def inline_text(token: Token) -> str:
    """Plain text of an ``inline`` token: markup, HTML tags and shortcodes removed."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(inline_text(child) if child.children else child.content)
        elif child.type == "html_inline":
            continue
    text = "".join(parts)
    text = _SHORTCODE_RE.sub("", text)
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


def tokens_to_text(tokens: list[Token]) -> str:
    """Readable plain text for a slice of block tokens (lists keep bullets, code keeps lines)."""
    out: list[str] = []
    list_stack: list[list[int | None]] = []
    row: list[str] = []
    for tok in tokens:
        t = tok.type
        if t == "inline":
            text = inline_text(tok)
            if _in_table(tok):
                row.append(text)
            else:
                out.append(text)
        elif t in ("paragraph_close", "heading_close", "blockquote_close"):
            if not tok.hidden:  # hidden: a paragraph in a tight list
                out.append("\n\n")
        elif t == "bullet_list_open":
            list_stack.append([None])
        elif t == "ordered_list_open":
            list_stack.append([int(tok.attrs.get("start", 1) or 1)])
        elif t in ("bullet_list_close", "ordered_list_close"):
            if list_stack:
                list_stack.pop()
            out.append("\n")
        elif t == "list_item_open":
            indent = "  " * (len(list_stack) - 1)
            counter = list_stack[-1] if list_stack else [None]
            if counter[0] is None:
                out.append(f"\n{indent}- ")
            else:
                out.append(f"\n{indent}{counter[0]}. ")
                counter[0] += 1
        elif t in ("fence", "code_block"):
            out.append("\n" + tok.content.rstrip("\n") + "\n")
        elif t == "html_block":
            stripped = nh3.clean(tok.content, tags=set()).strip()
            if stripped:
                out.append(stripped + "\n")
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            out.append(" | ".join(row) + "\n")
            row = []
    text = "".join(out)
    text = _SHORTCODE_RE.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _in_table(tok: Token) -> bool:
    return bool(tok.meta.get("_in_table"))


def _mark_table_cells(tokens: list[Token]) -> None:
    depth = 0
    for tok in tokens:
        if tok.type == "table_open":
            depth += 1
        elif tok.type == "table_close":
            depth -= 1
        elif tok.type == "inline" and depth:
            tok.meta["_in_table"] = True


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
                current["text"] = "".join(buf).strip()
                links.append({"text": current["text"], "target": current["target"]})
                current = None
            elif current is not None and child.type in ("text", "code_inline"):
                buf.append(child.content)
    return links


# --- the parser --------------------------------------------------------------------------------


def _split_front_matter(text: str, source: str, problems: list[Problem]) -> tuple[dict[str, Any], str, list[Token]]:
    """Return (front matter, text to parse with line numbers kept, tokens)."""
    data: Any = None
    raw: str | None = None
    fm_line = 1
    # Blank lines before a front matter block would turn it into a setext heading.
    lead = re.match(r"\A(?:[ \t]*\n)+(?=(?:---|\+\+\+)[ \t]*\n)", text)
    if lead:
        text = "\n" * lead.group(0).count("\n") + text[lead.end():]
        stripped = text.lstrip("\n")
        offset = len(text) - len(stripped)
        fm_line = offset + 1
        problems.append(Problem(source, fm_line, "warning", "front-matter-not-first",
                                "blank lines before the front matter (it still parsed; remove them)"))
        text = stripped
    else:
        offset = 0

    toml = _TOML_FM_RE.match(text)
    if toml:
        raw = toml.group(1)
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(source, fm_line, "error", "front-matter-invalid",
                                    f"TOML front matter does not parse: {exc}"))
            data = {}
        n = toml.group(0).count("\n")
        text = "\n" * n + text[toml.end():]

    tokens = _MD.parse(text)
    if tokens and tokens[0].type == "front_matter":
        raw = tokens[0].content
        try:
            data = load_yaml(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = fm_line + 1 + mark.line if mark is not None else fm_line
            problems.append(Problem(source, line, "error", "front-matter-invalid",
                                    f"YAML front matter does not parse: {getattr(exc, 'problem', exc)}"))
            data = {}
    elif text.startswith("---") and re.match(r"\A---[ \t]*\n", text):
        problems.append(Problem(source, fm_line, "warning", "front-matter-unclosed",
                                "file starts with '---' but no closing '---' line follows; "
                                "read as a horizontal rule, not front matter (add a closing '---' line)"))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(source, fm_line, "error", "front-matter-not-mapping",
                                f"front matter is a {type(data).__name__}, not a mapping of keys to values"))
        data = {}
    if offset:
        for tok in tokens:
            if tok.map:
                tok.map = [tok.map[0] + offset, tok.map[1] + offset]
        text = "\n" * offset + text
    return data, text, tokens


def parse_markdown(text: str, source: str = "<string>", *, doc_id: str | None = None) -> ParsedPage:
    """Parse FAQ markdown text into entries.

    Parameters
    ----------
    text : str
        The page's markdown (any line endings; a BOM is ignored).
    source : str
        The page's path relative to the knowledge-base root, used in ids and problems.
    doc_id : str, optional
        Document part of entry ids; defaults to ``source`` without its suffix.

    Returns
    -------
    ParsedPage
        Never raises on bad markdown: problems are collected in ``ParsedPage.problems``.
    """
    problems: list[Problem] = []
    text = normalize_source(text)
    front_matter, text, tokens = _split_front_matter(text, source, problems)
    _mark_table_cells(tokens)
    doc = doc_id if doc_id is not None else re.sub(r"\.(md|mdx|markdown)$", "", source, flags=re.I)

    # Level-0 headings: (token index, level, text, line).
    heads: list[tuple[int, int, str, int]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0:
            title = inline_text(tokens[i + 1])
            heads.append((i, int(tok.tag[1]), title, (tok.map[0] + 1) if tok.map else 0))

    base_url = _page_url(front_matter)
    alternates = _alternates_from_front_matter(front_matter, source, problems)
    entries: list[FaqEntry] = []
    slugs: dict[str, int] = {}
    sections: list[tuple[int, str]] = []
    for n, (idx, level, title, line) in enumerate(heads):
        slug = _unique_slug(slugify(title), slugs)
        if not is_question(title):
            while sections and sections[-1][0] >= level:
                sections.pop()
            sections.append((level, title))
            continue
        while sections and sections[-1][0] >= level:
            sections.pop()
        end = len(tokens)
        for idx2, level2, title2, _ in heads[n + 1:]:
            if level2 <= level or is_question(title2):
                end = idx2
                break
        body = tokens[idx + 3:end]
        answer_markdown = _source_slice(text, body)
        entry = FaqEntry(
            id=f"{doc}#{slug}",
            question=title,
            answer_markdown=answer_markdown,
            answer_text=tokens_to_text(body),
            source=source,
            line=line,
            anchor=slug,
            section=" > ".join(t for _, t in sections),
            links=tokens_links(body),
            url=f"{base_url}#{slug}" if base_url else None,
            alternate_questions=list(alternates.get(title, [])) + list(alternates.get(slug, [])),
            front_matter=front_matter,
        )
        if not entry.answer_text:
            problems.append(Problem(source, line, "warning", "empty-answer", f"question {title!r} has no answer"))
        entries.append(entry)
    return ParsedPage(source=source, front_matter=front_matter, entries=entries, problems=problems)


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


def _source_slice(text: str, body: list[Token]) -> str:
    lines = [t.map for t in body if t.map]
    if not lines:
        return ""
    start = min(m[0] for m in lines)
    end = max(m[1] for m in lines)
    return "\n".join(text.split("\n")[start:end]).strip()


def parse_file(path: str | Path, root: str | Path | None = None, *, doc_id: str | None = None) -> ParsedPage:
    """Read and parse one FAQ file.

    ``root`` is the knowledge-base folder; entry ids and ``source`` are relative to it.
    An unreadable file gives an empty page with an ``unreadable`` error; bytes that are not
    UTF-8 are replaced (``\\ufffd``) with a ``not-utf8`` warning naming the line, and the
    rest of the page still parses.
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
    page = parse_markdown(text, rel, doc_id=doc_id)
    page.problems[:0] = problems
    return page
