"""Link checks: links and ``#anchors`` resolved the way the site's generator resolves them.

==========================  ========  =======================================================
code                        severity  when
==========================  ========  =======================================================
broken-link                 error     a link to a page or file the site does not have
                                      (warning for an extensionless "pretty URL")
link-mounted                warning   a link into a folder the site config mounts from
                                      another repository (not in this tree; not checked), or
                                      to a page missing here that 3+ pages link the same way
                                      (Hugo, MkDocs, Docusaurus: such a page is usually mounted)
broken-anchor               error     ``#anchor`` / ``page.md#anchor`` with no such heading slug
                                      or id in the target page, counting the headings that
                                      arrive through include shortcodes and snippets
link-site-absolute          info      ``/abs/path/`` on a ``plain`` folder: not checked
link-outside-folder         info      a relative link leaving the site's content: not checked
==========================  ========  =======================================================

Which page a link names is :meth:`assistant.lint.sites.Site.resolve`; every finding's line is the
line the link itself is written on (or its reference definition).
"""

from __future__ import annotations

import difflib
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..problems import Problem
from .pages import Page, read_page, walk_tokens
from .sites import PAGE_SUFFIXES, Site, inside

__all__ = ["Linker", "LinkFacts", "link_facts", "page_links", "includes_of"]

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
#: Hugo ``{{< include "file.md" >}}`` and pymdownx snippets ``--8<-- "file.md"``.
_INCLUDE_RE = re.compile(r"""\{\{[<%]\s*include\s+"([^"]+)"\s*[%>]\}\}|^\s*;?-{1,2}8<-{1,2}\s+["']([^"']+)["']""", re.M)
#: A missing ``.md`` target linked from this many pages is reported as "probably mounted".
_REPEATED_MISSING = 3
#: Front matter keys that give a page a site-absolute URL of its own (see :meth:`Linker.aliases`).
_URL_KEYS = ("aliases", "url")


@dataclass
class LinkFacts:
    """What the link checks need of one page, small enough to send between processes.

    ``path`` is the page (absolute, normalized), ``shown`` how problems name it, ``anchors`` its own
    lower-cased anchors (:meth:`Page.anchors`), ``links`` its ``(1-based line, target)`` links
    (:func:`page_links`), ``includes`` the files it includes as written (:func:`includes_of`),
    ``urls`` the site-absolute URLs its front matter ``aliases``/``url`` give it (lower-cased, outer
    slashes stripped, in order) and ``rendered_from_data`` whether it has no headings and under 30
    words of text (a layout renders it from data, so its anchors cannot be known).
    """

    path: Path
    shown: str
    anchors: set[str]
    links: list[tuple[int, str]]
    includes: list[str]
    urls: list[str]
    rendered_from_data: bool


def link_facts(page: Page) -> LinkFacts:
    """The :class:`LinkFacts` of a page read with :func:`~assistant.lint.pages.read_page`."""
    urls: list[str] = []
    # Only front matter that names a URL key is parsed here (YAML costs a good part of reading a page).
    if page.fm_kind is not None and any(k in page.fm_raw for k in _URL_KEYS):
        fm = page.front_matter()
        if isinstance(fm, dict):
            aliases = fm.get("aliases") if isinstance(fm.get("aliases"), list) else [fm.get("aliases")]
            urls = [u.strip().strip("/").lower() for u in [*aliases, fm.get("url")]
                    if isinstance(u, str) and u.strip("/")]
    body = sum(len(t.content.split()) for t in page.tokens if t.type == "inline")
    return LinkFacts(page.path, page.shown, page.anchors(), page_links(page), includes_of(page), urls,
                     not page.headings and body < 30)


def page_links(page: Page) -> list[tuple[int, str]]:
    """``(line, target)`` of every markdown link and image of the page (1-based: the line the link
    starts on; for a reference link, the line of its definition)."""
    out = []
    definitions = None
    for tok in page.tokens:
        if tok.type != "inline" or not tok.map:
            continue
        line = tok.map[0]
        for child in tok.children or []:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
                continue
            for c in walk_tokens([child]):
                if c.type == "link_open":
                    target = str(c.attrs.get("href", ""))
                elif c.type == "image":
                    target = str(c.attrs.get("src", ""))
                else:
                    continue
                where = line + 1
                if not _written_on(page, line, c, target):
                    if definitions is None:
                        definitions = _definitions(page)
                    where = definitions.get(target, where)
                out.append((where, target))
    return out


def _written_on(page: Page, line: int, tok, target: str) -> bool:
    """True when the link is inline (its target written on ``line``), False for a reference link."""
    text = page.lines[line] if line < len(page.lines) else ""
    return "](" in text or "<" in text or unquote(target)[:20] in unquote(text)


def _definitions(page: Page) -> dict[str, int]:
    out: dict[str, int] = {}
    rx = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
    for i, ln in enumerate(page.lines):
        m = rx.match(ln)
        if m:
            out.setdefault(m.group(1), i + 1)
    return out


def includes_of(page: Page) -> list[str]:
    """The files a page pulls in with include shortcodes or snippets, as written."""
    text = "\n".join(page.lines)
    if "include" not in text and "8<" not in text:
        return []
    return [m.group(1) or m.group(2) for m in _INCLUDE_RE.finditer(text)]


class Linker:
    """Checks the links of pages against ``site`` (see :class:`~assistant.lint.sites.Site`).

    ``pages`` maps absolute normalized paths to the :class:`LinkFacts` of pages already read;
    target pages not in it are read on demand (for their anchors) and added.
    """

    def __init__(self, site: Site, pages: dict[Path, LinkFacts]):
        self.site = site
        self.root = site.root
        self.pages = pages
        self._anchors: dict[Path, set[str]] = {}
        self._includers: dict[Path, list[Path]] | None = None
        self._aliases: dict[str, Path] | None = None
        self._last_missing: Path | None = None
        self._missing_of: dict[int, Path] = {}
        self.missing: dict[Path, set[Path]] = defaultdict(set)  # missing .md target -> pages linking it

    def page(self, path: Path) -> LinkFacts:
        """The link facts of the page at ``path``, read once."""
        if path not in self.pages:
            self.pages[path] = link_facts(read_page(path, path.as_posix()))
        return self.pages[path]

    def _include_path(self, page: Path, name: str) -> Path | None:
        name = name.lstrip("/")
        for base in (self.root / "includes", self.root, self.root.parent, self.root.parent / "includes", page.parent):
            p = Path(os.path.normpath(base / name))
            if self.site.is_file(p):
                return p
        return None

    def anchors(self, path: Path, depth: int = 0) -> set[str]:
        """Anchors of the page at ``path``: its own, and those of the files it includes (3 levels)."""
        if path in self._anchors:
            return self._anchors[path]
        page = self.page(path)
        found = set(page.anchors)
        if depth < 3:
            for name in page.includes:
                inc = self._include_path(path, name)
                if inc is not None and inc.suffix.lower() in PAGE_SUFFIXES and inc != path:
                    found |= self.anchors(inc, depth + 1)
        self._anchors[path] = found
        return found

    def includers(self, path: Path) -> list[Path]:
        """Pages (among those read) that include the file ``path``."""
        if self._includers is None:
            self._includers = defaultdict(list)
            for p, page in list(self.pages.items()):
                for name in page.includes:
                    inc = self._include_path(p, name)
                    if inc is not None:
                        self._includers[inc].append(p)
        return self._includers.get(path, [])

    def check(self, page: LinkFacts) -> list[Problem]:
        """A problem for each link or image of ``page`` that is broken or not checked."""
        out: list[Problem] = []
        for line, target in page.links:
            self._last_missing = None
            p = self._check_one(page, target)
            if p is not None:
                severity, code, message = p
                out.append(Problem(page.shown, line, severity, code, message))
                if self._last_missing is not None:
                    self._missing_of[id(out[-1])] = self._last_missing
        return out

    def _check_one(self, page: LinkFacts, target: str) -> tuple[str, str, str] | None:
        target = target.strip()
        if not target or _SCHEME_RE.match(target) or target.startswith("//") or "{{" in unquote(target):
            return None
        path_part, _, frag = target.partition("#")
        path_part = unquote(path_part.split("?", 1)[0])
        frag = unquote(frag)
        if not path_part:
            if not frag:
                return None
            anchors = self.anchors(page.path)
            includers = self.includers(page.path)
            if frag.lower() in anchors or any(frag.lower() in self.anchors(p) for p in includers):
                return None
            if not includers and self._is_include_file(page.path):
                return None  # an include file's own anchors live on the pages that include it
            return "error", "broken-anchor", self._anchor_message(target, anchors, "this page")
        if path_part.startswith("/") and self.site.kind == "plain":
            return "info", "link-site-absolute", (f"site-absolute link {target} is not checked (no site generator "
                                                  "detected: pass --site hugo|mkdocs|docusaurus)")
        found, tried = self.site.resolve(page.path, path_part)
        if found is None and path_part.startswith("/") and self.site.kind != "plain":
            found = self.aliases().get(path_part.strip("/").lower())
            if found is None and Path(path_part).suffix and Path(path_part).suffix.lower() not in PAGE_SUFFIXES \
                    and self.site.kind == "hugo" and not (self.root.parent / "static").is_dir():
                return "info", "link-outside-folder", (f"link {target} is a static file (Hugo serves /static and "
                                                       "/assets, which this tree does not hold); not checked")
        if found is None:
            first = Path(os.path.normpath(tried[0])) if tried else self.root
            if not inside(first, self.root) and not path_part.startswith("/"):
                return "info", "link-outside-folder", f"link {target} leaves the site's content folder; not checked"
            mount = self.site.mounted(first)
            if mount is not None:
                return "warning", "link-mounted", (f"link {target} points into {mount}/, which the site mounts from "
                                                   "another repository; not checked here")
            rel = _rel(first, self.root)
            pretty = not Path(path_part).suffix
            if pretty or Path(path_part).suffix.lower() in PAGE_SUFFIXES:
                key = first.with_suffix("") if first.suffix.lower() in PAGE_SUFFIXES else first
                if key.name in ("_index", "index", "README"):
                    key = key.parent  # x/_index.md, x.md and x/ are one page
                self.missing[key].add(page.path)
                self._last_missing = key
            if pretty:
                return "warning", "broken-link", (f"link {target} matches no page of the site (looked for {rel}.md, "
                                                  f"{rel}/_index.md, {rel}/index.md"
                                                  f"{', and front matter aliases' if self.site.kind != 'plain' else ''})")
            return "error", "broken-link", f"link target {path_part} does not exist (looked for {rel})"
        if found.is_dir() or not frag or found.suffix.lower() not in PAGE_SUFFIXES:
            return None
        anchors = self.anchors(found)
        if frag.lower() not in anchors and not self._rendered_from_data(found):
            return "error", "broken-anchor", self._anchor_message(target, anchors, _rel(found, self.root))
        return None

    def aliases(self) -> dict[str, Path]:
        """Site-absolute URLs (lower-cased, without outer slashes) that front matter ``aliases``,
        ``url`` or ``slug`` give the pages read, to their page."""
        if self._aliases is None:
            self._aliases = {}
            for path, page in list(self.pages.items()):
                for url in page.urls:
                    self._aliases.setdefault(url, path)
        return self._aliases

    def _rendered_from_data(self, path: Path) -> bool:
        """True for a page with no headings and almost no text of its own: a layout renders it from
        data (CLI and API reference pages), so its anchors cannot be known here."""
        return self.page(path).rendered_from_data

    def _is_include_file(self, path: Path) -> bool:
        try:
            rel = path.relative_to(self.root).parts
        except ValueError:
            return False
        return bool(rel) and rel[0] in ("includes", "_includes", "snippets", "partials")

    @staticmethod
    def _anchor_message(target: str, anchors: set[str], where: str) -> str:
        frag = unquote(target.partition("#")[2])
        near = difflib.get_close_matches(frag.lower(), sorted(anchors), n=1, cutoff=0.6)
        hint = f" (did you mean #{near[0]}?)" if near else ""
        return f"link {target}: no heading or id #{frag} in {where}{hint}"

    def downgrade_repeated(self, problems: list[Problem]) -> list[Problem]:
        """``broken-link`` findings to a page that :data:`_REPEATED_MISSING` or more pages link the same
        way become ``link-mounted`` warnings saying so (the site likely mounts that page from
        elsewhere); not on a ``plain`` folder."""
        repeated = {t: len(srcs) for t, srcs in self.missing.items() if len(srcs) >= _REPEATED_MISSING}
        out = []
        for p in problems:
            key = self._missing_of.get(id(p))
            if key in repeated and self.site.kind != "plain":
                p = Problem(p.file, p.line, "warning", "link-mounted",
                            f"{p.message.split(' (looked for')[0]}: no such page in this tree, but {repeated[key]} pages "
                            f"link /{_rel(key, self.root)} the same way: the site probably mounts it from another "
                            "repository (list it in the site config's mounts, or fix the links)")
            out.append(p)
        return out


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
