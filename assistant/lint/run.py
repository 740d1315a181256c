"""One lint run, :func:`lint_paths`: read the folders, keep the parser's problems, run every check."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..entries import FaqEntry
from ..files import parse_error_problem, shown_path
from ..knowledge_base import KnowledgeBase, default_kb_path, find_faq_files
from ..problems import SEVERITIES, InputFileError, KnowledgeBaseError, Problem
from ..synonyms import SYNONYMS_FILE, load_synonyms
from .checks import LONG_ANSWER_WORDS, check_entries, check_fences, check_front_matter, check_headings
from .duplicates import NEAR_DUPLICATE, check_duplicates
from .links import Linker
from .sites import SITE_KINDS, Site, detect_site
from .pages import Page, read_page
from .report import LintReport

__all__ = ["lint_paths"]

#: Parser problems whose severity lint raises: each leaves the page's metadata unusable.
_SEVERITY_OVERRIDES = {"front-matter-not-mapping": "error", "front-matter-unclosed": "error"}
#: Parser problems lint leaves out: ``empty-answer`` is replaced by lint's own check (which knows
#: groups of sub-questions), ``no-entries`` is not a fault of a page.
_DROPPED_CODES = {"empty-answer", "no-entries"}
_SYNONYMS_UNUSED = "the retriever searches without synonyms"


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return find_faq_files(root)[0]  # its problems reach the report through KnowledgeBase.load


def _shown(path: Path) -> str:
    """How a file is named in problems: as given when relative, relative to the working folder when inside it."""
    if not path.is_absolute():
        return shown_path(path.as_posix())
    try:
        return shown_path(path.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return shown_path(path.as_posix())


def _check_synonyms(root: Path) -> list[Problem]:
    """``synonyms-invalid``: a ``synonyms.yaml`` at the folder's root that the retriever could not use."""
    path = root / SYNONYMS_FILE
    if not path.is_file():
        return []
    try:
        load_synonyms(path)
    except OSError as exc:
        p = parse_error_problem(exc, _shown(path), "synonyms-invalid", "the synonym file")
        return [Problem(p.file, p.line, p.severity, p.code, f"{p.message}; {_SYNONYMS_UNUSED}")]
    except InputFileError as exc:
        return [Problem(_shown(path), exc.line, "error", "synonyms-invalid", f"{exc.message}; {_SYNONYMS_UNUSED}")]
    return []


def _severity_order(p: Problem) -> int:
    return SEVERITIES.index(p.severity) if p.severity in SEVERITIES else len(SEVERITIES)


def lint_paths(paths: Sequence[str | Path] | None = None, *, near_duplicate: float = NEAR_DUPLICATE,
               long_answer_words: int = LONG_ANSWER_WORDS, site: str | None = None) -> LintReport:
    """Lint every FAQ markdown file under ``paths`` (folders, read recursively, or single files).

    Parameters
    ----------
    paths : sequence of str or Path, optional
        Default: the bundled knowledge base. Links are checked against the folder they were
        found under; duplicate questions are looked for across all of them.
    near_duplicate : float, default :data:`~assistant.lint.NEAR_DUPLICATE`
        TF-IDF cosine (0..1) of two questions' content words from which they are reported as
        near-duplicates (see :mod:`assistant.lint.duplicates` for the exceptions).
    long_answer_words : int, default :data:`~assistant.lint.LONG_ANSWER_WORDS`
        Answers with more words get a ``long-answer`` warning.
    site : {"hugo", "mkdocs", "docusaurus", "plain"}, optional
        The site generator whose link rules apply (:mod:`assistant.lint.sites`); default:
        detected per folder from its config files (``plain`` when none is found).

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
    if site is not None and site not in SITE_KINDS:
        raise ValueError(f"site must be one of {', '.join(SITE_KINDS)}, got {site!r}")
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
        shown_of = {shown_path(f.relative_to(base).as_posix()): _shown(f) for f in files}  # keys as kb sources
        for p in kb.problems:
            if p.code in _DROPPED_CODES:
                continue
            # The parser names files relative to the folder: pages, and the alternates and settings beside them.
            shown = shown_of.get(p.file) or (_shown(base / p.file) if not Path(p.file).is_absolute() else p.file)
            problems.append(Problem(shown, p.line, _SEVERITY_OVERRIDES.get(p.code, p.severity), p.code, p.message))
        if root.is_dir():
            problems += _check_synonyms(root)
        if root.is_dir() and (root / "simulator.yaml").is_file():  # the simulator's rules beside the FAQ (issue 15)
            from ..simulator.rulecheck import check_rules_file
            problems += check_rules_file(Path(_shown(root / "simulator.yaml")), kb)
        by_source: dict[str, list[FaqEntry]] = {}
        for e in kb:
            by_source.setdefault(e.source, []).append(e)
        pages: dict[Path, Page] = {}
        linker = Linker(detect_site(base, site) if root.is_dir() else Site(site or "plain", Path(os.path.normpath(base.absolute()))), pages)
        checked: list[Page] = []
        for f in files:
            rel = shown_path(f.relative_to(base).as_posix())
            absolute = Path(os.path.normpath(f.absolute()))
            page = read_page(absolute, shown_of[rel])
            pages[absolute] = page
            entries = by_source.get(rel, [])
            problems += check_front_matter(page, bool(entries))
            problems += check_headings(page)
            problems += check_fences(page)
            problems += check_entries(page, entries, long_answer_words)
            checked.append(page)
            all_entries += [(page.shown, e) for e in entries]
        link_problems: list[Problem] = []
        for page in checked:  # after every page is read: includes are known both ways
            link_problems += linker.check(page)
        problems += linker.downgrade_repeated(link_problems)
    problems += check_duplicates(all_entries, near_duplicate)
    unique = {(p.file, p.line, p.code, p.message if p.code != "setext-heading" else ""): p for p in problems}
    ordered = sorted(unique.values(), key=lambda p: (p.file, p.line or 0, _severity_order(p), p.code))
    return LintReport(n_files, len(all_entries), ordered)
