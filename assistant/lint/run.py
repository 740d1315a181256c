"""One lint run, :func:`lint_paths`: read the folders, keep the parser's problems, run every check.

Speed on whole docs sites (thousands of pages), where reading the pages is nearly all the work:
each page is read once by lint, in worker processes that send back only its problems and its
:class:`~assistant.lint.links.LinkFacts`. Without a fresh saved index (``index_dir``) that happens
right after the parser reads the same page for the knowledge base, in the same worker
(:meth:`KnowledgeBase.load` ``on_parsed``, :func:`_check_parsed`, reusing the parser's front
matter); with one, the entries come from the index and the pages are only read for lint
(:func:`_check_page`). The duplicate check, whose scikit-learn import is most of its time, gets a
process of its own that imports it at the start and compares the questions while this process
checks the links.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..entries import FaqEntry
from ..files import parse_error_problem, shown_path
from ..knowledge_base import PARALLEL_MIN_PAGES, KnowledgeBase, default_kb_path, find_faq_files
from ..problems import SEVERITIES, InputFileError, KnowledgeBaseError, Problem
from ..synonyms import SYNONYMS_FILE, load_synonyms
from .checks import LONG_ANSWER_WORDS, check_entries, check_fences, check_front_matter, check_headings
from .duplicates import NEAR_DUPLICATE, check_duplicates, prepare
from .links import LinkFacts, Linker, link_facts
from .pages import Page, read_page
from .report import LintReport
from .sites import SITE_KINDS, Site, detect_site

if TYPE_CHECKING:
    from ..parsing import ParsedPage

__all__ = ["lint_paths"]

#: ``(absolute normalized path, shown name, the page's FAQ entries, long_answer_words)``
PageJob = tuple[Path, str, list[FaqEntry], int]
#: a page's link facts and its page-local problems
Checked = tuple[LinkFacts, list[Problem]]

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


def _checks(page: Page, entries: list[FaqEntry], long_answer_words: int) -> Checked:
    """The checks that need only the page (front matter, headings, fences, answers) and its link facts."""
    problems = check_front_matter(page, bool(entries)) + check_headings(page) + check_fences(page)
    problems += check_entries(page, entries, long_answer_words)
    return link_facts(page), problems


def _check_page(job: PageJob) -> Checked:
    """Read one page and run :func:`_checks` (in a worker process on large folders)."""
    path, shown, entries, long_answer_words = job
    return _checks(read_page(path, shown), entries, long_answer_words)


def _check_parsed(path: Path, parsed: ParsedPage, long_answer_words: int) -> Checked:
    """:func:`_checks` on a page the parser has just read (``KnowledgeBase.load(on_parsed=...)``, in
    the parser's worker process), with the front matter the parser read and, when it parsed the same
    text lint would, its markdown-it tokens."""
    page = read_page(Path(os.path.normpath(path.absolute())), _shown(path), parsed.front_matter or None,
                     (parsed.markdown_text, parsed.tokens))
    return _checks(page, parsed.entries, long_answer_words)


class _Workers:
    """The processes of one run: ``jobs`` that read pages (started on first need) and, when
    ``duplicates``, one for the duplicate check, started at once so that it imports scikit-learn
    while the pages are read. :meth:`close` shuts both down."""

    def __init__(self, jobs: int, duplicates: bool):
        self.jobs = jobs
        self._pages: ProcessPoolExecutor | None = None
        self._duplicates = ProcessPoolExecutor(1) if duplicates else None
        if self._duplicates is not None:
            self._duplicates.submit(prepare)

    def map_pages(self, jobs: list[PageJob]) -> Iterator[Checked]:
        if self._pages is None:
            self._pages = ProcessPoolExecutor(self.jobs)
        return self._pages.map(_check_page, jobs, chunksize=max(1, len(jobs) // (self.jobs * 8)))

    def check_duplicates(self, entries: list[tuple[str, FaqEntry]], near_duplicate: float) -> Future | None:
        """The duplicate check started in its process; ``None`` when there is none (run it here)."""
        if self._duplicates is None:
            return None
        return self._duplicates.submit(check_duplicates, entries, near_duplicate)

    def close(self) -> None:
        for pool in (self._pages, self._duplicates):
            if pool is not None:
                pool.shutdown(cancel_futures=True)


def _read_folder(root: Path, files: list[Path], index_dir: str | Path | None, long_answer_words: int,
                 workers: _Workers | None, jobs: int | None) -> tuple[KnowledgeBase, list[Checked]]:
    """The knowledge base of the folder (or file) ``root`` and, for each of its ``files``, what
    :func:`_checks` found: from the saved index when it is fresh (the pages then read in
    ``workers``, when given), else parsed, each page checked where the parser read it."""
    base = root.parent if root.is_file() else root
    rels = [shown_path(f.relative_to(base).as_posix()) for f in files]
    kb = None
    if index_dir is not None and root.is_dir():
        from ..index import load_saved_kb

        kb = load_saved_kb(root, index_dir)
    if kb is None:
        kb = KnowledgeBase.load(root, jobs=jobs, on_parsed=partial(_check_parsed, long_answer_words=long_answer_words))
        done = {rel: r.extra for rel, r in kb.pages.items() if r.extra is not None}
    else:
        done = {}
    by_source: dict[str, list[FaqEntry]] = {}
    for e in kb:
        by_source.setdefault(e.source, []).append(e)
    todo = [(Path(os.path.normpath(f.absolute())), _shown(f), by_source.get(rel, []), long_answer_words)
            for f, rel in zip(files, rels) if rel not in done]  # all pages with an index; none without
    read = iter(workers.map_pages(todo) if workers is not None and todo else map(_check_page, todo))
    return kb, [done[rel] if rel in done else next(read) for rel in rels]


def lint_paths(paths: Sequence[str | Path] | None = None, *, near_duplicate: float = NEAR_DUPLICATE,
               long_answer_words: int = LONG_ANSWER_WORDS, site: str | None = None,
               index_dir: str | Path | None = None, jobs: int | None = None) -> LintReport:
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
    index_dir : str or Path, optional
        Folder of saved indexes (:mod:`assistant.index`; the CLI passes ``--index`` or
        ``Settings.index_dir``): a folder whose saved index is fresh is not parsed for its
        entries again. Lint never writes an index. ``None`` (default): every folder is parsed.
    jobs : int, optional
        Processes that parse and check pages (default: one per CPU core when a folder has more
        than :data:`~assistant.knowledge_base.PARALLEL_MIN_PAGES` pages, plus one for the
        duplicate check; 1: all in this process). The findings are the same for any number.

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
    found: list[tuple[Path, list[Path]]] = []
    for root in roots:
        if not root.exists():
            raise KnowledgeBaseError(f"{root}: no such file or folder")
        found.append((root, _files(root)))
    n_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    parallel = n_jobs > 1 and (jobs is not None or any(len(files) > PARALLEL_MIN_PAGES for _, files in found))
    workers = _Workers(n_jobs, duplicates=True) if parallel else None
    try:
        return _lint(found, near_duplicate, long_answer_words, site, index_dir, workers, jobs)
    finally:
        if workers is not None:
            workers.close()


def _lint(found: list[tuple[Path, list[Path]]], near_duplicate: float, long_answer_words: int, site: str | None,
          index_dir: str | Path | None, workers: _Workers | None, jobs: int | None) -> LintReport:
    """:func:`lint_paths` over ``(root, its markdown files)`` once its arguments are checked."""
    per_root: list[list[Problem]] = []  # each root's findings, in the order they are reported
    linking: list[tuple[Linker, list[LinkFacts], list[Problem]]] = []
    all_entries: list[tuple[str, FaqEntry]] = []
    n_files = 0
    for root, files in found:
        problems: list[Problem] = []
        per_root.append(problems)
        n_files += len(files)
        if not files:
            problems.append(Problem(_shown(root), None, "warning", "no-faq-files",
                                    "no markdown files (*.md, *.mdx, *.markdown) found"))
            continue
        base = root.parent if root.is_file() else root
        kb, checked = _read_folder(root, files, index_dir, long_answer_words, workers, jobs)
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
        pages: dict[Path, LinkFacts] = {}
        for (rel, shown), (facts, page_problems) in zip(shown_of.items(), checked):
            pages[facts.path] = facts
            problems += page_problems
            all_entries += [(shown, e) for e in by_source.get(rel, [])]
        where = detect_site(base, site) if root.is_dir() else Site(site or "plain", Path(os.path.normpath(base.absolute())))
        linking.append((Linker(where, pages), [facts for facts, _ in checked], problems))
    duplicates = workers.check_duplicates(all_entries, near_duplicate) if workers is not None else None
    for linker, checked_facts, problems in linking:  # after every page is read: includes are known both ways
        link_problems: list[Problem] = []
        for facts in checked_facts:
            link_problems += linker.check(facts)
        problems += linker.downgrade_repeated(link_problems)
    all_problems = [p for problems in per_root for p in problems]
    all_problems += duplicates.result() if duplicates is not None else check_duplicates(all_entries, near_duplicate)
    unique = {(p.file, p.line, p.code, p.message if p.code != "setext-heading" else ""): p for p in all_problems}
    ordered = sorted(unique.values(), key=lambda p: (p.file, p.line or 0, _severity_order(p), p.code))
    return LintReport(n_files, len(all_entries), ordered)
