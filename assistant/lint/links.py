"""Link checks: relative links and ``#anchors`` resolved against the files of the linted folder.

==========================  ========  =======================================================
code                        severity  when
==========================  ========  =======================================================
broken-link                 error     a relative link to a file that does not exist (warning
                                      for an extensionless "pretty URL" that matches no page)
broken-anchor               error     ``#anchor`` / ``page.md#anchor`` with no such heading slug
                                      or id in the target page
link-site-absolute          info      ``/abs/path/``: not checked (depends on the content root)
link-outside-folder         info      a relative link leaving the linted folder: not checked
==========================  ========  =======================================================
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from urllib.parse import unquote

from ..knowledge_base import FAQ_SUFFIXES
from ..problems import Problem
from .pages import Page, read_page, walk_tokens

__all__ = ["Linker"]

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _page_links(page: Page) -> list[tuple[int, str]]:
    """``(line, target)`` of every markdown link and image of the page (1-based lines)."""
    out = []
    for tok in page.tokens:
        if tok.type != "inline" or not tok.map:
            continue
        for child in walk_tokens(tok.children or []):
            if child.type == "link_open":
                target = str(child.attrs.get("href", ""))
            elif child.type == "image":
                target = str(child.attrs.get("src", ""))
            else:
                continue
            out.append((_link_line(page, tok.map, target), target))
    return out


def _link_line(page: Page, block: list[int], target: str) -> int:
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


class Linker:
    """Checks the links of pages against the files under ``root`` (an absolute, normalized folder).

    ``pages`` maps absolute normalized paths to pages already read; target pages not in it are
    read on demand (for their anchors) and added.
    """

    def __init__(self, root: Path, pages: dict[Path, Page]):
        self.root = root
        self.pages = pages

    def page(self, path: Path) -> Page:
        """The page at ``path``, read once."""
        if path not in self.pages:
            self.pages[path] = read_page(path, path.as_posix())
        return self.pages[path]

    def check(self, page: Page) -> list[Problem]:
        """A problem for each link or image of ``page`` that is broken or not checked."""
        out: list[Problem] = []
        for line, target in _page_links(page):
            p = self._check_one(page, target)
            if p is not None:
                severity, code, message = p
                out.append(Problem(page.shown, line, severity, code, message))
        return out

    def _check_one(self, page: Page, target: str) -> tuple[str, str, str] | None:
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
    def _anchor_message(target: str, page: Page, where: str) -> str:
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
