"""Which site generator builds a docs folder, and how it resolves a link to a page.

:func:`detect_site` looks at the linted folder and its parents for the generator's config:

==============  ===========================================================  ===================
kind            detected by                                                  content root
==============  ===========================================================  ===================
``hugo``        ``hugo.toml|yaml|yml|json`` or ``config.toml|yaml|yml`` next  ``content/``
                to ``content/``; or a folder named ``content`` whose top
                holds ``_index.md``
``mkdocs``      ``mkdocs.yml`` / ``mkdocs.yaml``                              ``docs_dir`` (``docs``)
``docusaurus``  ``docusaurus.config.js|ts|mjs|cjs``                           ``docs/``
``plain``       none of these                                                the linted folder
==============  ===========================================================  ===================

:meth:`Site.resolve` turns a link target written on a page into the page or file it names, the
way that generator does (see the method). Paths are absolute and normalized.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..files import load_toml, load_yaml

__all__ = ["SITE_KINDS", "Site", "detect_site", "PAGE_SUFFIXES"]

SITE_KINDS = ("hugo", "mkdocs", "docusaurus", "plain")
PAGE_SUFFIXES = (".md", ".mdx", ".markdown")
_HUGO_CONFIGS = [f"{n}.{s}" for n in ("hugo", "config") for s in ("toml", "yaml", "yml", "json")]
_DOCUSAURUS_CONFIGS = [f"docusaurus.config.{s}" for s in ("js", "ts", "mjs", "cjs")]
_INDEX_NAMES = ("_index.md", "index.md", "README.md", "index.mdx", "_index.mdx")


@dataclass
class Site:
    """A docs site: its generator ``kind`` (one of :data:`SITE_KINDS`), its content ``root`` (absolute,
    normalized), the config file it was detected by (``None`` for ``plain`` or a forced kind
    without one) and ``mounts``: content-relative folders the config mounts from other
    repositories (Hugo ``module.mounts``), which the tree does not hold."""

    kind: str
    root: Path
    config: Path | None = None
    mounts: list[str] = field(default_factory=list)
    _by_name: dict[str, list[Path]] | None = None
    _exists: dict[Path, bool] = field(default_factory=dict)
    _sections: list[Path] | None = None

    @property
    def pretty_urls(self) -> bool:
        """True when a page ``a/b.md`` is served at ``a/b/`` (Hugo, Docusaurus): relative links may be
        written from the page's URL as well as from its file."""
        return self.kind in ("hugo", "docusaurus")

    def is_file(self, path: Path) -> bool:
        if path not in self._exists:
            self._exists[path] = path.is_file()
        return self._exists[path]

    def pages_named(self, name: str) -> list[Path]:
        """Pages whose base name (file stem, or folder name for ``_index``/``index``) is ``name``."""
        if self._by_name is None:
            self._by_name = {}
            for folder, _dirs, files in os.walk(self.root):
                for f in files:
                    p = Path(folder) / f
                    if p.suffix.lower() not in PAGE_SUFFIXES:
                        continue
                    stem = p.stem if p.stem not in ("_index", "index") else p.parent.name
                    self._by_name.setdefault(stem.lower(), []).append(p)
        return self._by_name.get(name.lower(), [])

    def mounted(self, path: Path) -> str | None:
        """The mount (content-relative folder) that holds ``path``, else ``None``."""
        try:
            rel = path.relative_to(self.root).as_posix()
        except ValueError:
            return None
        return next((m for m in self.mounts if rel == m or rel.startswith(m.rstrip("/") + "/")), None)

    def _page_candidates(self, base: Path) -> list[Path]:
        suffix = base.suffix.lower()
        if suffix in PAGE_SUFFIXES:
            stem = base.with_suffix("")
            out = [base]
            if base.name.lower() in ("_index.md", "index.md", "readme.md", "index.mdx", "_index.mdx"):
                folder = base.parent  # x/_index.md, x/index.md and x.md are one page
                out += [folder / n for n in _INDEX_NAMES] + [folder.with_name(folder.name + ".md")]
            else:
                out += [stem / n for n in _INDEX_NAMES]
            return out
        if suffix and not re.fullmatch(r"\.\d+", suffix):  # an image or other file: itself only
            return [base]
        return [base.with_name(base.name + ".md"), base.with_name(base.name + ".mdx")] + [base / n for n in _INDEX_NAMES]

    def resolve(self, page: Path, target: str) -> tuple[Path | None, list[Path]]:
        """The file a link ``target`` (path part only, URL-decoded) on ``page`` names, and the paths
        tried.

        * every kind: relative to the page's folder; ``x.md``, ``x/_index.md``, ``x/index.md``,
          ``x/README.md`` and ``x/`` name the same page; an extensionless ``x`` or ``x/`` is a page;
        * ``hugo``/``docusaurus``: also relative to the page's URL (``a/b.md`` is served at
          ``a/b/``); site-absolute ``/x/y/`` from the content root, and from each top-level
          section (a site that serves ``content/manuals/x`` at ``/x/``); a bare ``name.md`` link
          that matches nothing by path resolves by its page's unique base name (Hugo's ``GetPage``);
        * ``mkdocs``: relative ``.md`` links from the file, site-absolute from ``docs_dir``.

        Returns ``(None, tried)`` when nothing matches.
        """
        path = target.rstrip("/") if target not in ("/", "") else target
        bases: list[Path] = []
        if target.startswith("/"):
            rel = path.lstrip("/")
            bases.append(self.root / rel)
            if self.kind == "hugo":
                if self._sections is None:
                    self._sections = [d for d in sorted(self.root.iterdir()) if d.is_dir()]
                bases += [d / rel for d in self._sections] if rel else []
        else:
            bases.append(page.parent / path)
            if self.pretty_urls:
                url_dir = page.parent if page.stem in ("_index", "index") else page.parent / page.stem
                bases.append(url_dir / path)
        tried: list[Path] = []
        for b in bases:
            b = Path(os.path.normpath(b))
            tried.append(b)
            for c in self._page_candidates(b):
                if self.is_file(c):
                    return c, tried
            if b.is_dir() and not b.suffix:
                return b, tried  # a folder without an index page: nothing to check
        if self.kind == "hugo" and "/" not in path and Path(path).suffix.lower() in PAGE_SUFFIXES:
            name = Path(path).stem
            if name in ("_index", "index"):
                name = Path(path).parent.name
            found = self.pages_named(name)
            if len(found) == 1:
                return found[0], tried
        return None, tried


def detect_site(folder: Path, kind: str | None = None) -> Site:
    """The site that builds ``folder`` (absolute or relative; it and up to 4 parents are looked at).

    ``kind`` forces the generator (``--site``); its content root is still taken from a config
    when one is found, else the folder itself. Raises ``ValueError`` for an unknown ``kind``.
    """
    if kind is not None and kind not in SITE_KINDS:
        raise ValueError(f"unknown site kind {kind!r} (expected one of {', '.join(SITE_KINDS)})")
    folder = Path(os.path.normpath(folder.absolute()))
    if folder.is_file():
        folder = folder.parent
    for d in [folder, *list(folder.parents)[:4]]:
        if kind in (None, "hugo") and (d / "content").is_dir():
            config = next((d / n for n in _HUGO_CONFIGS if (d / n).is_file()), None)
            if config is not None:
                root = d / "content"
                return Site("hugo", root if inside(folder, root) else folder, config, _hugo_mounts(config))
        if kind in (None, "mkdocs"):
            config = next((d / n for n in ("mkdocs.yml", "mkdocs.yaml") if (d / n).is_file()), None)
            if config is not None:
                root = d / _mkdocs_docs_dir(config)
                return Site("mkdocs", root if inside(folder, root) else folder, config)
        if kind in (None, "docusaurus"):
            config = next((d / n for n in _DOCUSAURUS_CONFIGS if (d / n).is_file()), None)
            if config is not None:
                root = d / "docs"
                return Site("docusaurus", root if inside(folder, root) else folder, config)
    if kind in (None, "hugo"):
        for d in [folder, *list(folder.parents)[:4]]:
            if d.name == "content" and (d / "_index.md").is_file():
                return Site("hugo", d)
    return Site(kind or "plain", folder)


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` is ``root`` or lies under it (no file system access)."""
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _read_config(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        data = load_toml(text) if path.suffix == ".toml" else load_yaml(text) if path.suffix in (".yaml", ".yml") else {}
    except Exception:  # a config we cannot read only loses its extras (mounts, docs_dir)
        return {}
    return data if isinstance(data, dict) else {}


def _mkdocs_docs_dir(config: Path) -> str:
    # mkdocs.yml uses !!python/name tags that safe loaders refuse: read docs_dir by pattern.
    try:
        m = re.search(r"^docs_dir:\s*['\"]?([^'\"\n#]+)", config.read_text(encoding="utf-8", errors="replace"), re.M)
    except OSError:
        return "docs"
    return m.group(1).strip() if m else "docs"


def _hugo_mounts(config: Path) -> list[str]:
    """Content-relative targets of Hugo ``module.mounts`` whose source is another module (not this repo)."""
    data = _read_config(config)
    out = []
    module = data.get("module") if isinstance(data.get("module"), dict) else {}
    imports = module.get("imports") if isinstance(module.get("imports"), list) else []
    mounts = [m for imp in imports if isinstance(imp, dict) for m in (imp.get("mounts") or []) if isinstance(m, dict)]
    for m in mounts:
        target = str(m.get("target") or "")
        if target.startswith("content/"):
            out.append(target[len("content/"):].strip("/"))
    return out
