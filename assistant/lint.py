"""Lint FAQ markdown files: what a doc maintainer should fix before readers (or the retriever) trip on it.

:func:`lint_paths` reads folders the way :meth:`KnowledgeBase.load` does, keeps the parser's own
problems, and adds the checks below. Every finding is a :class:`~assistant.parsing.Problem`
(file, line, severity, code, message); ``faq-assistant lint`` exits 1 when any is an error.

==========================  ========  ======================================================
code                        severity  what
==========================  ========  ======================================================
front-matter-invalid        error     front matter does not parse (from the parser)
front-matter-not-mapping    error     front matter is a list or a scalar, not ``key: value``
front-matter-unclosed       error     the page starts with ``---`` that is never closed
front-matter-missing        warning   an FAQ page without front matter (info when its first
                                      heading is not a question and so titles the page)
missing-title               warning   front matter without a ``title`` (info when the first
                                      heading titles the page)
missing-description         warning   front matter without a ``description``
yaml-type-changed           warning   a value that YAML 1.1 readers turn into a boolean or a
                                      date (``region: NO`` -> false) while it stays text here
empty-answer                error     a question with no answer (a question whose answer is
                                      only deeper sub-questions is a group, not empty)
duplicate-question          warning   the same question twice (any files)
near-duplicate-question     warning   questions whose content words have TF-IDF cosine >=
                                      ``near_duplicate``, unless one only adds words to the
                                      other (a narrower question) or they are in different
                                      scripts (translations)
setext-heading              warning   text followed by ``---`` became a heading: several lines,
                                      ending in punctuation, or an underline much shorter
                                      than the text (a deliberate "Title" over "-----" is fine)
heading-looks-like-answer   warning   a heading that starts like an answer ("Yes, ...",
                                      "A: ...") or is a whole paragraph
broken-link                 error     a relative link to a file that does not exist in the
                                      folder (warning for extensionless "pretty URL" links
                                      that match no page)
broken-anchor               error     ``#anchor`` / ``page.md#anchor`` with no such heading or
                                      id in the target page (GitHub/Hugo slugs,
                                      :func:`~assistant.parsing.slugify`)
link-site-absolute          info      ``/abs/path/`` links: not checked (they depend on the
                                      site's content root)
link-outside-folder         info      relative links leaving the linted folder: not checked
long-answer                 warning   an answer over ``long_answer_words`` words
unclosed-fence              error     a code fence that is never closed (the rest renders as code)
synonyms-invalid            error     the folder's ``synonyms.yaml`` does not parse or is not a
                                      mapping of concept -> list of phrases (the retriever then
                                      searches without synonyms)
==========================  ========  ======================================================

Every finding's file is named the way the folder was given (``../kb2/faq.md``, or relative to the
working folder for an absolute path inside it), including the parser's findings about files beside
the pages (``<page>.alternates.yaml``, ``.faq.yaml``).

Line-level checks read the page's markdown-it-py token stream (CommonMark, raw HTML allowed),
so text inside code fences is never taken for a heading or a link.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from .knowledge_base import FAQ_SUFFIXES, KnowledgeBase, KnowledgeBaseError, default_kb_path, find_faq_files
from .parsing import FaqEntry, Problem, is_question, load_yaml, normalize_source, slugify
from .rendering import plural as _plural
from .synonyms import SYNONYMS_FILE, load_synonyms

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["LintReport", "lint_paths", "SEVERITIES", "LONG_ANSWER_WORDS", "NEAR_DUPLICATE"]

SEVERITIES = ("error", "warning", "info")
#: Answers longer than this many words get a ``long-answer`` warning.
LONG_ANSWER_WORDS = 500
#: TF-IDF cosine of two questions' content words from which they are near-duplicates.
NEAR_DUPLICATE = 0.76

#: Parser problems whose severity lint raises: each leaves the page's metadata unusable.
_SEVERITY_OVERRIDES = {"front-matter-not-mapping": "error", "front-matter-unclosed": "error"}
#: Parser problems lint replaces with its own check.
_REPLACED_CODES = {"empty-answer"}
#: Front matter keys where a date is what the author means.
_DATE_KEYS = {"date", "lastmod", "publishdate", "expirydate", "pubdate", "published", "modified", "updated",
              "created", "last_update", "last_updated"}

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
_YAML_FM_RE = re.compile(r"\A(?:[ \t]*\n)*---[ \t]*\n(.*?)(?:\n|^)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_TOML_FM_RE = re.compile(r"\A(?:[ \t]*\n)*\+\+\+[ \t]*\n(.*?)(?:\n|^)\+\+\+[ \t]*(?:\n|\Z)", re.S | re.M)
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_SHORTCODE_RE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_ATTR_ID_RE = re.compile(r"\{:?[^{}\n]*?#([\w\-:.]+)[^{}\n]*\}")
_HTML_ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>"']+))""", re.I)
_TRAILING_ATTRS_RE = re.compile(r"\s*\{:?[^{}]*\}\s*$")
_ANSWER_START_RE = re.compile(r"^(?:(?:yes|no|yep|nope)\b\s*[,.!:;\u2014\u2013-]|(?:a|answer|回答|答)\s*[:：])", re.I)


@dataclass
class LintReport:
    """Findings of :func:`lint_paths`: ``files`` and ``entries`` checked, ``problems`` sorted by file and line."""

    files: int
    entries: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def exit_code(self) -> int:
        """1 when any problem is an error, else 0."""
        return 1 if self.errors else 0

    def filtered(self, min_severity: str = "info") -> list[Problem]:
        """Problems at ``min_severity`` or worse (``"error"`` < ``"warning"`` < ``"info"``)."""
        if min_severity not in SEVERITIES:
            raise ValueError(f"min_severity must be one of {', '.join(SEVERITIES)}, got {min_severity!r}")
        keep = SEVERITIES[: SEVERITIES.index(min_severity) + 1]
        return [p for p in self.problems if p.severity in keep]

    def to_dict(self, min_severity: str = "info") -> dict[str, Any]:
        """The ``lint --format json`` contract: ``{"files", "entries", "problems": [{"file", "line", "severity", "code", "message"}]}``."""
        return {
            "files": self.files,
            "entries": self.entries,
            "problems": [{"file": p.file, "line": p.line, "severity": p.severity, "code": p.code, "message": p.message}
                         for p in self.filtered(min_severity)],
        }

    def to_text(self, min_severity: str = "info") -> str:
        """One ``file:line: severity: message [code]`` line per problem, then a count line."""
        counts = Counter(p.severity for p in self.problems)
        lines = [str(p) for p in self.filtered(min_severity)]
        lines.append(f"{_plural(self.files, 'file')}, {_plural(self.entries, 'FAQ entry', 'FAQ entries')}: "
                     f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, "
                     f"{counts['info']} info")
        return "\n".join(lines)


# --- one page --------------------------------------------------------------------------------


@dataclass
class _Heading:
    line: int  # 1-based
    level: int
    text: str
    setext: bool  # a setext heading underlined with '---'


@dataclass
class _Page:
    """A markdown file read for line-level checks."""

    path: Path
    shown: str
    lines: list[str]
    tokens: list[Token]
    fm_kind: str | None  # "yaml", "toml" or None
    fm_raw: str
    fm_line: int  # line of the opening delimiter
    headings: list[_Heading]
    _anchors: set[str] | None = None

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
            for tok in _walk(self.tokens):
                if tok.type in ("html_block", "html_inline"):
                    found.update(next(g for g in m.groups() if g).lower() for m in _HTML_ID_RE.finditer(tok.content))
                elif tok.type == "text":
                    found.update(m.group(1).lower() for m in _ATTR_ID_RE.finditer(tok.content))
            self._anchors = found
        return self._anchors


def _walk(tokens: Iterable[Token]) -> Iterable[Token]:
    for tok in tokens:
        yield tok
        if tok.children:
            yield from _walk(tok.children)


def _heading_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return re.sub(r"\s+", " ", _SHORTCODE_RE.sub("", "".join(parts))).strip()


def _read_page(path: Path, shown: str) -> _Page:
    try:
        data = path.read_bytes()
    except OSError:
        data = b""  # the parser reports the unreadable file
    text = normalize_source(data.decode("utf-8", errors="replace"))
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
            headings.append(_Heading(tok.map[0] + 1, int(tok.tag[1]), _heading_text(tokens[i + 1]), tok.markup == "-"))
    return _Page(path, shown, lines, tokens, fm_kind, fm_raw, fm_line, headings)


def _front_matter(page: _Page) -> Any:
    if page.fm_kind == "yaml":
        try:
            return load_yaml(page.fm_raw)
        except yaml.YAMLError:
            return None
    if page.fm_kind == "toml":
        try:
            return tomllib.loads(page.fm_raw)
        except tomllib.TOMLDecodeError:
            return None
    return None


def _check_front_matter(page: _Page, has_entries: bool) -> list[Problem]:
    out: list[Problem] = []
    f = page.shown
    # A first heading that is not a question titles the page ("# FAQ", "ripgrep (rg)").
    titled = bool(page.headings) and not is_question(page.headings[0].text)
    if page.fm_kind is None:
        starts = page.lines[0].strip() if page.lines else ""
        if has_entries and starts not in ("---", "+++"):
            out.append(Problem(f, 1, "info" if titled else "warning", "front-matter-missing",
                               "FAQ page without front matter" + (" (its first heading serves as the title)" if titled else
                                                                  ": add a '---' block with title and description")))
        return out
    data = _front_matter(page)
    if page.fm_kind == "yaml":
        out += _yaml_type_changes(page)
    if not isinstance(data, dict) or not has_entries:
        return out  # the parser reports front matter that does not parse or is not a mapping
    if not _filled(data.get("title")):
        out.append(Problem(f, page.fm_line, "info" if titled else "warning", "missing-title",
                           "front matter has no title" + (" (the first heading serves as one)" if titled else
                                                          ": add 'title: ...' (pages, search results and citations show it)")))
    if not _filled(data.get("description")):
        out.append(Problem(f, page.fm_line, "warning", "missing-description",
                           "front matter has no description: add 'description: ...' (search engines and link previews show it)"))
    return out


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _yaml_type_changes(page: _Page) -> list[Problem]:
    """Values this parser keeps as text but YAML 1.1 readers (``yaml.safe_load``) turn into booleans or dates."""
    try:
        ours, theirs = load_yaml(page.fm_raw), yaml.safe_load(page.fm_raw)
    except yaml.YAMLError:
        return []
    out: list[Problem] = []
    raw_lines = page.fm_raw.split("\n")

    def line_of(key: str) -> int:
        rx = re.compile(r"^\s*(?:-\s+)?['\"]?" + re.escape(key) + r"['\"]?\s*:")
        for i, ln in enumerate(raw_lines):
            if rx.match(ln):
                return page.fm_line + 1 + i
        return page.fm_line

    def walk(a: Any, b: Any, path: str, key: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k, v in a.items():
                if k in b:
                    walk(v, b[k], f"{path}.{k}" if path else str(k), str(k))
            return
        if isinstance(a, list) and isinstance(b, list):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]", key)
            return
        if not isinstance(a, str):
            return
        if isinstance(b, bool):
            out.append(Problem(page.shown, line_of(key), "warning", "yaml-type-changed",
                               f"'{path}: {a}' is the boolean {str(b).lower()} to YAML 1.1 readers (PyYAML and "
                               f"many site tools) but the text {a!r} to YAML 1.2 readers and this parser; write "
                               f"\"{a}\" (quoted) for text or {str(b).lower()} for a boolean"))
        elif isinstance(b, (date, datetime)) and key.lower() not in _DATE_KEYS:
            out.append(Problem(page.shown, line_of(key), "warning", "yaml-type-changed",
                               f"'{path}: {a}' becomes a date in YAML 1.1 readers but stays text here; "
                               f"write \"{a}\" (quoted) if it is text"))

    walk(ours, theirs, "", "")
    return out


def _check_headings(page: _Page) -> list[Problem]:
    out: list[Problem] = []
    for h in page.headings:
        if h.setext and _setext_trap(page, h):
            out.append(Problem(page.shown, h.line, "warning", "setext-heading",
                               f"the line(s) above '---' became a level-2 heading ({_short(h.text)!r}); put a "
                               "blank line before '---' for a horizontal rule, or write '## ...' for a heading"))
            continue
        if _ANSWER_START_RE.match(h.text):
            out.append(Problem(page.shown, h.line, "warning", "heading-looks-like-answer",
                               f"heading {_short(h.text)!r} reads like an answer: make it a paragraph under its question"))
        elif len(h.text.split()) >= 25 and h.text.rstrip().endswith((".", "!")) and not is_question(h.text):
            out.append(Problem(page.shown, h.line, "warning", "heading-looks-like-answer",
                               f"heading {_short(h.text)!r} is a whole paragraph ({len(h.text.split())} words): "
                               "make it a paragraph"))
    return out


def _setext_trap(page: _Page, h: _Heading) -> bool:
    """A ``---`` setext heading that was meant as text + horizontal rule: several lines, sentence
    punctuation at the end, or an underline much shorter than the text ("Title\\n-----" of about
    the text's width is a deliberate heading)."""
    tok = next(t for t in page.tokens if t.type == "heading_open" and t.map and t.map[0] + 1 == h.line)
    start, end = tok.map
    underline = page.lines[end - 1].strip() if end - 1 < len(page.lines) else "---"
    text_lines = [ln.strip() for ln in page.lines[start:end - 1]]
    width = max((len(t) for t in text_lines), default=0)
    return len(text_lines) > 1 or text_lines[-1].endswith((".", ",", ";", ":", "!")) or len(underline) < width / 2


def _check_fences(page: _Page) -> list[Problem]:
    out = []
    for tok in _walk(page.tokens):
        if tok.type != "fence" or not tok.map:
            continue
        start, end = tok.map
        last = page.lines[end - 1] if end - 1 < len(page.lines) else ""
        last = re.sub(r"^(?:\s*>)*\s*", "", last)  # blockquote markers and indentation
        marker = tok.markup[0]
        closed = end - start >= 2 and re.fullmatch(re.escape(marker) + "{%d,}\\s*" % len(tok.markup), last)
        if not closed:
            out.append(Problem(page.shown, start + 1, "error", "unclosed-fence",
                               f"code fence opened with {tok.markup} is never closed: everything after it "
                               f"(to line {end}) renders as code; add a closing {tok.markup} line"))
    return out


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# --- links -------------------------------------------------------------------------------------


def _page_links(page: _Page) -> list[tuple[int, str]]:
    """``(line, target)`` of every markdown link and image of the page."""
    out = []
    for tok in page.tokens:
        if tok.type != "inline" or not tok.map:
            continue
        for child in _walk(tok.children or []):
            if child.type == "link_open":
                target = str(child.attrs.get("href", ""))
            elif child.type == "image":
                target = str(child.attrs.get("src", ""))
            else:
                continue
            out.append((_link_line(page, tok.map, target), target))
    return out


def _link_line(page: _Page, block: list[int], target: str) -> int:
    """The line of a link inside its block, or of its reference definition (where it is fixed)."""
    needle = target.split("#")[0][:60] or target[:60]
    if needle:
        for i in range(block[0], min(block[1], len(page.lines))):
            if needle in page.lines[i]:
                return i + 1
        definition = re.compile(r"^\s*\[[^\]]+\]:\s*<?" + re.escape(target) + r">?(?:\s|$)")
        for i, ln in enumerate(page.lines):
            if definition.match(ln):
                return i + 1
    return block[0] + 1


class _Linker:
    """Checks link targets against the files of the linted folder, reading target pages on demand."""

    def __init__(self, root: Path, pages: dict[Path, _Page]):
        self.root = root
        self.pages = pages

    def page(self, path: Path) -> _Page:
        if path not in self.pages:
            self.pages[path] = _read_page(path, path.as_posix())
        return self.pages[path]

    def check(self, page: _Page) -> list[Problem]:
        out: list[Problem] = []
        for line, target in _page_links(page):
            p = self._check_one(page, target)
            if p is not None:
                severity, code, message = p
                out.append(Problem(page.shown, line, severity, code, message))
        return out

    def _check_one(self, page: _Page, target: str) -> tuple[str, str, str] | None:
        target = target.strip()
        if not target or _SCHEME_RE.match(target) or target.startswith("//") or "{{" in unquote(target):
            return None
        path_part, _, frag = target.partition("#")
        path_part = path_part.split("?", 1)[0]
        frag = unquote(frag)
        if not path_part:
            if frag and frag.lower() not in page.anchors():
                return "error", "broken-anchor", self._anchor_message(target, page, "this page")
            return None
        if path_part.startswith("/"):
            return "info", "link-site-absolute", f"site-absolute link {target} is not checked (it depends on the site's content root)"
        base = page.path.parent
        resolved = Path(os.path.normpath(base / unquote(path_part)))
        if not _inside(resolved, self.root):
            return "info", "link-outside-folder", f"link {target} leaves the linted folder; not checked"
        candidates = [resolved]
        pretty = not resolved.suffix
        if pretty:
            url_dir = base if page.path.stem in ("index", "_index", "README") else base / page.path.stem
            alt = Path(os.path.normpath(url_dir / unquote(path_part)))
            candidates += [c for r in (resolved, alt) for c in (
                r.with_name(r.name + ".md"), r / "_index.md", r / "index.md", r / "README.md", r.with_name(r.name + ".mdx"))]
        found = next((c for c in candidates if c.exists()), None)
        if found is None:
            rel = _rel(resolved, self.root)
            if pretty:
                return "warning", "broken-link", (f"link {target} matches no page in the folder (looked for {rel}.md, "
                                                  f"{rel}/_index.md, {rel}/index.md)")
            return "error", "broken-link", f"link target {path_part} does not exist (looked for {rel})"
        if found.is_dir():
            index = next((found / n for n in ("_index.md", "index.md", "README.md") if (found / n).is_file()), None)
            if index is None:
                return None
            found = index
        if frag and found.suffix.lower() in FAQ_SUFFIXES and frag.lower() not in self.page(found).anchors():
            return "error", "broken-anchor", self._anchor_message(target, self.page(found), _rel(found, self.root))
        return None

    @staticmethod
    def _anchor_message(target: str, page: _Page, where: str) -> str:
        frag = unquote(target.partition("#")[2])
        near = difflib.get_close_matches(frag.lower(), sorted(page.anchors()), n=1, cutoff=0.6)
        hint = f" (did you mean #{near[0]}?)" if near else ""
        return f"link {target}: no heading or id #{frag} in {where}{hint}"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# --- questions across files ------------------------------------------------------------------------


def _normal_question(q: str) -> str:
    q = unicodedata.normalize("NFKC", q).casefold()
    q = re.sub(r"^(?:\[[^\]]{1,40}\]\s*)+", "", q)  # [TAG] prefixes
    q = re.sub(r"[\s\u00a0]+", " ", q).strip()
    return q.rstrip(" ?？.!。").replace("\u2019", "'")


#: Words that do not change what a question asks.
_QUESTION_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | {"possible", "way", "able", "please", "does", "do", "did"}


def _content_words(q: str) -> list[str]:
    """Words that carry a question's meaning: stop words dropped, plural ``s`` stripped."""
    words = []
    for w in re.findall(r"[^\W_]+", q):
        if w in _QUESTION_STOP_WORDS or len(w) < 2:
            continue
        words.append(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return words


def _other_script(q: str) -> bool:
    """True for text in CJK or, mostly, in another non-Latin script (so translations are not duplicates)."""
    if re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", q):
        return True
    letters = [c for c in q if c.isalpha()]
    return bool(letters) and sum(not c.isascii() for c in letters) / len(letters) > 0.3


def _check_duplicates(entries: Sequence[tuple[str, FaqEntry]], threshold: float) -> list[Problem]:
    """Duplicate and near-duplicate questions: each later entry refers to the first one like it.

    Near-duplicates: TF-IDF cosine of the questions' content words >= ``threshold``, unless one
    question only adds words to the other (a more specific question: "... in Docker?",
    "non-commercial") or they are written in different scripts (translations).
    """
    out: list[Problem] = []
    normal = [_normal_question(e.question) for _, e in entries]
    first: dict[str, int] = {}
    exact: set[int] = set()
    for i, q in enumerate(normal):
        if not q:
            continue
        if q in first:
            shown, e = entries[first[q]]
            out.append(Problem(entries[i][0], entries[i][1].line, "warning", "duplicate-question",
                               f"same question as {shown}:{e.line}: readers and the retriever cannot tell them "
                               "apart; merge them or say in the question what differs"))
            exact.add(i)
        else:
            first[q] = i
    words = [_content_words(q) for q in normal]
    uniq = [i for i in range(len(entries)) if words[i] and i not in exact]
    if len(uniq) < 2:
        return out
    X = TfidfVectorizer(analyzer=lambda ws: ws).fit_transform([words[i] for i in uniq])
    for start in range(0, len(uniq), 500):  # blocks keep the similarity matrix small
        sims = (X[start:start + 500] @ X.T).toarray()
        for r, row in enumerate(sims):
            a = start + r
            ia = uniq[a]
            best: tuple[float, int] | None = None
            for b in row[:a].nonzero()[0]:
                ib = uniq[b]
                wa, wb = set(words[ia]), set(words[ib])
                if row[b] < threshold or (wa != wb and (wa < wb or wb < wa)) \
                        or _other_script(normal[ia]) != _other_script(normal[ib]):
                    continue
                if best is None or row[b] > best[0]:
                    best = (float(row[b]), ib)
            if best is not None:
                (shown_a, ea), (shown_b, eb) = entries[ia], entries[best[1]]
                out.append(Problem(shown_a, ea.line, "warning", "near-duplicate-question",
                                   f"nearly the same question as {shown_b}:{eb.line} ({_short(eb.question)!r}; "
                                   f"similarity {best[0]:.2f}): merge them or say in the question what differs"))
    return out


def _check_entries(page: _Page, entries: Sequence[FaqEntry], long_words: int) -> list[Problem]:
    out: list[Problem] = []
    by_line = {h.line: i for i, h in enumerate(page.headings)}
    for e in entries:
        if not e.answer_text.strip():
            i = by_line.get(e.line)
            nxt = page.headings[i + 1] if i is not None and i + 1 < len(page.headings) else None
            if i is not None and nxt is not None and nxt.level > page.headings[i].level and not _content_between(page, e.line, nxt.line):
                continue  # a group of sub-questions
            out.append(Problem(page.shown, e.line, "error", "empty-answer",
                               f"question {_short(e.question)!r} has no answer"))
        words = len(e.answer_text.split())
        if words > long_words:
            out.append(Problem(page.shown, e.line, "warning", "long-answer",
                               f"the answer to {_short(e.question, 50)!r} is {words} words; over {long_words} "
                               "words readers skim past it: shorten it, split the question, or link to a page"))
    return out


def _content_between(page: _Page, a: int, b: int) -> bool:
    return any(page.lines[i].strip() for i in range(a, b - 1) if i < len(page.lines))


# --- the whole run --------------------------------------------------------------------------------


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return find_faq_files(root)[0]  # its problems reach the report through KnowledgeBase.load


def _shown(path: Path) -> str:
    """How a file is named in problems: as given when relative, relative to the working folder when inside it."""
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_synonyms(root: Path) -> list[Problem]:
    """A ``synonyms.yaml`` at the folder's root that the retriever could not use."""
    path = root / SYNONYMS_FILE
    if not path.is_file():
        return []
    try:
        load_synonyms(path)
    except OSError as exc:
        return [Problem(_shown(path), None, "error", "synonyms-invalid",
                        f"cannot read the synonym file: {exc.strerror or exc}; the retriever searches without synonyms")]
    except ValueError as exc:  # "<path>[:line]: message", or a UnicodeDecodeError
        m = re.match(re.escape(str(path)) + r"(?::(\d+))?: (.*)", str(exc), re.S)
        line, message = (int(m.group(1)) if m and m.group(1) else None), (m.group(2) if m else str(exc))
        return [Problem(_shown(path), line, "error", "synonyms-invalid",
                        f"{message}; the retriever searches without synonyms")]
    return []


def lint_paths(paths: Sequence[str | Path] | None = None, *, near_duplicate: float = NEAR_DUPLICATE,
               long_answer_words: int = LONG_ANSWER_WORDS) -> LintReport:
    """Lint every FAQ markdown file under ``paths`` (folders, read recursively, or single files).

    Parameters
    ----------
    paths : sequence of str or Path, optional
        Default: the bundled knowledge base. Links are checked against the folder they were
        found under; duplicate questions are looked for across all of them.
    near_duplicate : float, default :data:`NEAR_DUPLICATE`
        TF-IDF cosine of two questions' content words from which they are reported as
        near-duplicates (see the module docstring for the exceptions).
    long_answer_words : int, default :data:`LONG_ANSWER_WORDS`

    Returns
    -------
    LintReport
        Problem file names are the given path joined with the file's path inside it (relative
        to the working folder when the given path is absolute and inside it), for pages and
        for the files beside them (alternates, folder settings, synonyms) alike.

    Raises
    ------
    KnowledgeBaseError
        If a path does not exist.
    """
    roots = [Path(p) for p in paths] if paths else [default_kb_path()]
    problems: list[Problem] = []
    all_entries: list[tuple[str, FaqEntry]] = []
    n_files = 0
    for root in roots:
        if not root.exists():
            raise KnowledgeBaseError(f"{root}: no such file or folder")
        files = _files(root)
        n_files += len(files)
        base = root.parent if root.is_file() else root
        if not files:
            problems.append(Problem(_shown(root), None, "warning", "no-faq-files",
                                    "no markdown files (*.md, *.mdx, *.markdown) found"))
            continue
        kb = KnowledgeBase.load(root)
        shown_of = {f.relative_to(base).as_posix(): _shown(f) for f in files}
        for p in kb.problems:
            if p.code in _REPLACED_CODES or p.code == "no-entries":
                continue
            # The parser names files relative to the folder: pages, and the alternates and settings beside them.
            shown = shown_of.get(p.file) or (_shown(base / p.file) if not Path(p.file).is_absolute() else p.file)
            problems.append(Problem(shown, p.line, _SEVERITY_OVERRIDES.get(p.code, p.severity), p.code, p.message))
        if root.is_dir():
            problems += _check_synonyms(root)
        by_source: dict[str, list[FaqEntry]] = {}
        for e in kb:
            by_source.setdefault(e.source, []).append(e)
        pages: dict[Path, _Page] = {}
        linker = _Linker(Path(os.path.normpath(base.absolute())), pages)
        for f in files:
            rel = f.relative_to(base).as_posix()
            absolute = Path(os.path.normpath(f.absolute()))
            page = _read_page(absolute, shown_of[rel])
            pages[absolute] = page
            entries = by_source.get(rel, [])
            problems += _check_front_matter(page, bool(entries))
            problems += _check_headings(page)
            problems += _check_fences(page)
            problems += _check_entries(page, entries, long_answer_words)
            problems += linker.check(page)
            all_entries += [(page.shown, e) for e in entries]
    problems += _check_duplicates(all_entries, near_duplicate)
    unique = {(p.file, p.line, p.code, p.message): p for p in problems}
    ordered = sorted(unique.values(), key=lambda p: (p.file, p.line or 0, SEVERITIES.index(p.severity)
                                                      if p.severity in SEVERITIES else 3, p.code))
    return LintReport(n_files, len(all_entries), ordered)
