"""KnowledgeBase: every FAQ entry of a folder of markdown pages, by id, with the problems found.

:meth:`KnowledgeBase.load` finds the FAQ files under a folder (:func:`find_faq_files`), parses
each (:mod:`assistant.parsing`, with the folder's ``.faq.yaml`` overrides), adds the alternate
questions of a ``<page>.alternates.yaml`` beside a page, and collects every problem instead of
stopping at a bad file. The bundled knowledge base is :func:`default_kb_path`; which knowledge
base a command uses (``FAQ_ASSISTANT_KB``) is :mod:`assistant.config`'s business.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

import yaml

from .entries import FaqEntry
from .files import compose_yaml, load_yaml, parse_error_problem, read_text, shown_path
from .problems import KnowledgeBaseError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from .parsing import ParsedPage

__all__ = ["KnowledgeBase", "default_kb_path", "find_faq_files", "FAQ_SUFFIXES", "FRAME_COLUMNS",
           "ALTERNATES_SUFFIXES", "PageRecord"]

FAQ_SUFFIXES = (".md", ".mdx", ".markdown")

#: Columns of :meth:`KnowledgeBase.to_frame`, in order.
FRAME_COLUMNS = [
    "id", "question", "answer_text", "answer_markdown", "source", "line", "anchor", "section",
    "url", "title", "description", "keywords", "tags", "aliases", "alternate_questions", "links",
]


def default_kb_path() -> Path:
    """The bundled knowledge base: ``assistant/_kb`` when installed, else the checkout's ``kb/``.

    Raises :class:`~assistant.problems.KnowledgeBaseError` when neither exists.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_kb", here.parent / "kb"):
        if candidate.is_dir():
            return candidate
    raise KnowledgeBaseError(f"bundled knowledge base not found (looked in {here / '_kb'} and {here.parent / 'kb'})")


def find_faq_files(root: Path) -> tuple[list[Path], list[Problem]]:
    """FAQ markdown files under the folder ``root`` (sorted), and problems for what could not be read.

    Folder symlinks are not followed (no loops); a folder that cannot be listed or a file link
    that leads nowhere is an ``unreadable`` problem naming it, and the walk goes on.
    """
    files: list[Path] = []
    problems: list[Problem] = []

    def unreadable(path: str, why: str) -> None:
        problems.append(Problem(shown_path(Path(path).relative_to(root).as_posix() if path != str(root) else root),
                                None, "error", "unreadable", why))

    for folder, _dirs, names in os.walk(root, onerror=lambda e: unreadable(e.filename, f"cannot list folder: {e.strerror}")):
        for name in names:
            path = Path(folder) / name
            if path.suffix.lower() not in FAQ_SUFFIXES:
                continue
            try:
                if path.is_file():
                    files.append(path)
                else:
                    unreadable(str(path), _not_regular(path))
            except OSError as exc:
                unreadable(str(path), f"cannot read file: {exc.strerror or exc}")
    return sorted(files), problems


def _not_regular(path: Path) -> str:
    """Why ``path`` (not a regular file) cannot be read as a page: a FIFO, a device, a broken or looping link."""
    import errno
    import stat

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "not a regular file: a symbolic link loop"
        return "not a regular file: a symbolic link that leads nowhere"
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a folder" if stat.S_ISDIR(mode) else "not a file")
    return f"not a regular file: {kind} (skipped)"


def _none_readable(problems: list[Problem]) -> str:
    """"no FAQ file could be read: 3 unreadable (a.md: why; b.md: why; ...)"."""
    shown = "; ".join(f"{p.file}: {p.message}" for p in problems[:3]) + ("; ..." if len(problems) > 3 else "")
    return f"no FAQ file could be read: {len(problems)} unreadable ({shown})"


class KnowledgeBase:
    """FAQ entries loaded from one folder of markdown files (read recursively).

    Parameters
    ----------
    entries : iterable of FaqEntry
    problems : iterable of Problem
        Parse problems of the pages; loading never stops at a bad file.
    root : Path, optional
        The folder the entries came from.

    Use :meth:`load` to read a folder.
    """

    def __init__(self, entries: Iterable[FaqEntry], problems: Iterable[Problem] = (), root: Path | None = None):
        self.entries: list[FaqEntry] = list(entries)
        self.problems: list[Problem] = list(problems)
        self.root = root
        self._by_id = {e.id: e for e in self.entries}
        #: page path -> PageRecord, filled by :meth:`load` (empty for a knowledge base built from entries)
        self.pages: dict[str, PageRecord] = {}

    @classmethod
    def load(cls, path: str | Path | None = None, *, reuse: Mapping[str, PageRecord] | None = None,
             jobs: int | None = None, on_page: Callable[[], object] | None = None,
             on_parsed: Callable[[Path, ParsedPage], Any] | None = None) -> "KnowledgeBase":
        """Load every ``.md``/``.mdx``/``.markdown`` file under ``path`` (default: the bundled KB).

        ``reuse`` maps a page's path (relative to the folder, POSIX) to its :class:`PageRecord`
        from an earlier load (``kb.pages``, saved by :mod:`assistant.index`): such a page is not
        parsed again (the caller vouches that it, its alternates file and the ``.faq.yaml``
        files are unchanged). ``jobs`` processes parse the other pages (default: one per CPU
        core when there are more than :data:`PARALLEL_MIN_PAGES` of them; 1 parses in this process).
        ``on_page()`` is called after each page parsed (a progress bar's ``update``).
        ``on_parsed(path, parsed_page)`` runs where each page is parsed (in the worker process
        when there are several: a module-level function, or a ``functools.partial`` of one), and
        its result becomes that page's ``PageRecord.extra`` (never saved in an index): a caller
        that reads every page anyway (lint) does it in the same pass.
        ``kb.pages`` holds every page's record, in file order.

        Raises
        ------
        KnowledgeBaseError
            If ``path`` does not exist, is not a folder or a markdown file, or holds no FAQ files.
            A folder whose files hold no question at all loads as an empty knowledge base
            with a problem saying so.
        """
        root = Path(path) if path is not None else default_kb_path()
        if not root.exists():
            raise KnowledgeBaseError("knowledge base folder does not exist", file=shown_path(root))
        problems: list[Problem] = []
        if root.is_file():
            files, base = [root], root.parent
        else:
            files, problems = find_faq_files(root)
            base = root
        if not files and problems:  # every markdown file is a FIFO, a device, a broken or looping link ...
            raise KnowledgeBaseError(_none_readable(problems), file=shown_path(root))
        if not files:
            raise KnowledgeBaseError("no FAQ markdown files (*.md, *.mdx, *.markdown) found", file=shown_path(root))
        entries: list[FaqEntry] = []
        doc_ids: set[str] = set()
        from .parsing import FolderSettings  # the parser is imported only when pages are read (not from an index)

        folder_settings = FolderSettings(base)  # .faq.yaml overrides (see assistant.parsing.settings)
        pages: dict[str, PageRecord] = {}
        todo: list[tuple[Path, Path, str, dict]] = []
        for f in files:
            rel = shown_path(f.relative_to(base).as_posix())  # a non-UTF-8 name: printable, encodable id
            doc_id = rel[: -len(f.suffix)]
            if doc_id in doc_ids:  # faq.md beside faq.mdx: the second keeps its suffix
                doc_id = rel
            doc_ids.add(doc_id)
            record = (reuse or {}).get(rel)
            if record is not None and record.doc_id == doc_id:
                pages[rel] = record
            else:
                pages[rel] = None  # type: ignore[assignment]  # parsed below, keeps file order
                todo.append((f, base, doc_id, folder_settings.for_file(f)))
        for record in _parse_pages(todo, jobs, on_parsed):
            pages[record.file] = record
            if on_page is not None:
                on_page()
        for record in pages.values():
            problems.extend(record.problems)
            entries.extend(record.entries)
        problems[:0] = folder_settings.problems
        seen: set[str] = set()
        for e in entries:
            if e.id in seen:
                problems.append(Problem(e.source, e.line, "warning", "duplicate-id", f"entry id {e.id!r} is used twice"))
            seen.add(e.id)
        if not entries:
            problems.append(Problem(str(root), None, "warning", "no-entries", "no question headings found in any file"))
        kb = cls(entries, problems, base)
        kb.pages = pages
        return kb

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[FaqEntry]:
        return iter(self.entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def __getitem__(self, entry_id: str) -> FaqEntry:
        """Entry by id. Raises ``KeyError`` naming the id."""
        try:
            return self._by_id[entry_id]
        except KeyError:
            raise KeyError(f"no FAQ entry with id {entry_id!r}") from None

    def get(self, entry_id: str, default: FaqEntry | None = None) -> FaqEntry | None:
        return self._by_id.get(entry_id, default)

    def find_question(self, question: str) -> FaqEntry | None:
        """The entry whose question text is exactly ``question`` (whitespace-trimmed), else ``None``."""
        q = " ".join(question.split())
        for e in self.entries:
            if " ".join(e.question.split()) == q:
                return e
        return None

    def to_frame(self) -> pd.DataFrame:
        """One row per entry with columns :data:`FRAME_COLUMNS`.

        ``keywords``, ``tags``, ``aliases``, ``alternate_questions`` are lists of str; ``links``
        is a list of ``{"text", "target"}`` dicts; ``line`` is 1-based; ``url`` may be None.
        """
        import pandas as pd  # only callers that want a frame pay for pandas (not lint)

        rows = []
        for e in self.entries:
            d = asdict(e)
            fm = d.pop("front_matter")
            d.update(
                title=e.title,
                description=str(fm.get("description") or ""),
                keywords=e.keywords,
                tags=e.tags,
                aliases=[str(a) for a in (fm.get("aliases") or [])] if isinstance(fm.get("aliases"), list) else [],
            )
            rows.append(d)
        return pd.DataFrame(rows, columns=FRAME_COLUMNS)


#: Pages to parse from which :meth:`KnowledgeBase.load` uses several processes by default.
PARALLEL_MIN_PAGES = 200


@dataclass
class PageRecord:
    """One parsed page: ``file`` (path relative to the folder), its ``doc_id``, its entries (alternate
    questions from its alternates file included) and its problems (the alternates file's first)."""

    file: str
    doc_id: str
    entries: list[FaqEntry]
    problems: list[Problem]
    #: what ``KnowledgeBase.load(on_parsed=...)`` returned for the page (``None`` without it)
    extra: Any = field(default=None, compare=False, repr=False)


def _parse_page(job: tuple[Path, Path, str, dict], on_parsed: Callable[[Path, ParsedPage], Any] | None = None,
                ) -> PageRecord:
    from .parsing import parse_file

    f, base, doc_id, settings = job
    page = parse_file(f, base, doc_id=doc_id, settings=settings)
    problems = _add_alternates_file(f, base, page.entries)
    record = PageRecord(shown_path(f.relative_to(base).as_posix()), doc_id, page.entries, problems + page.problems)
    if on_parsed is not None:
        record.extra = on_parsed(f, page)
    return record


#: An entry's fields in order, as a tuple (``FaqEntry(*row)`` makes the entry again): how a worker
#: process sends entries, since a tuple pickles and unpickles about 3x faster than the object.
_ENTRY_ROW = attrgetter(*(f.name for f in fields(FaqEntry)))


def _parse_page_rows(job: tuple[Path, Path, str, dict], on_parsed: Callable[[Path, ParsedPage], Any] | None = None,
                     ) -> tuple[str, str, list[tuple], list[Problem], Any]:
    """:func:`_parse_page` in a worker process: the record's fields, its entries as :data:`_ENTRY_ROW` tuples."""
    record = _parse_page(job, on_parsed)
    return record.file, record.doc_id, [_ENTRY_ROW(e) for e in record.entries], record.problems, record.extra


def _parse_pages(todo: list[tuple[Path, Path, str, dict]], jobs: int | None,
                 on_parsed: Callable[[Path, ParsedPage], Any] | None = None) -> Iterator[PageRecord]:
    """Parse the pages of ``todo``, in order; in ``jobs`` processes when worth it (see :meth:`KnowledgeBase.load`)."""
    if jobs is None:
        jobs = (os.cpu_count() or 1) if len(todo) > PARALLEL_MIN_PAGES else 1
    jobs = max(1, min(jobs, len(todo)))
    if jobs == 1:
        yield from map(partial(_parse_page, on_parsed=on_parsed), todo)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs) as pool:
        sent = pool.map(partial(_parse_page_rows, on_parsed=on_parsed), todo,
                        chunksize=max(1, len(todo) // (jobs * 8)))
        with _gc_paused():  # entered once the workers are started, so that they keep their collector
            for file, doc_id, rows, problems, extra in sent:
                yield PageRecord(file, doc_id, [FaqEntry(*row) for row in rows], problems, extra)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: while this process only receives entries (which form
    no cycles), each collection would walk every entry received so far, again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: Suffixes of the alternate-questions file beside a page: ``faq.md`` -> ``faq.alternates.yaml``.
ALTERNATES_SUFFIXES = (".alternates.yaml", ".alternates.yml")


def _add_alternates_file(page: Path, base: Path, entries: list[FaqEntry]) -> list[Problem]:
    """Read ``<page>.alternates.yaml`` beside ``page`` (if any) into its entries' alternate questions.

    The file maps a question of the page (its exact text or its anchor) to a list of alternate
    phrasings, like the front matter's ``alternate_questions``. Returns the problems: YAML that
    does not parse or is not such a mapping (error), a key that names no question of the page
    (warning), bytes that are not UTF-8 (replaced, ``not-utf8`` warning); the page's entries load
    either way.
    """
    for suffix in ALTERNATES_SUFFIXES:
        path = page.with_name(page.name[: -len(page.suffix)] + suffix)
        if path.is_file():
            break
    else:
        return []
    rel = shown_path(path.relative_to(base).as_posix())
    try:
        text, problems = read_text(path, rel)
    except OSError as exc:
        return [parse_error_problem(exc, rel, "alternates-unreadable", "alternate questions file")]
    try:
        data, node = load_yaml(text), compose_yaml(text)
    except yaml.YAMLError as exc:
        problem = parse_error_problem(exc, rel, "alternates-invalid", "alternate questions file")
        return problems + [replace(
            problem, message=problem.message + " (write one '- phrasing' per line, or quote phrasings inside [...])")]
    if data is None:
        return problems
    if not isinstance(data, dict):
        return problems + [Problem(rel, 1, "error", "alternates-invalid", "alternate questions file must map a "
                                   "question (its text or anchor) to a list of alternate phrasings")]
    lines = {str(k.value).strip(): k.start_mark.line + 1 for k, _ in getattr(node, "value", [])}
    by_key = {e.question.strip(): e for e in entries} | {e.anchor: e for e in entries}
    for key, value in data.items():
        key = str(key).strip()
        line = lines.get(key)
        entry = by_key.get(key)
        phrasings = [value] if isinstance(value, str) else value
        if entry is None:
            problems.append(Problem(rel, line, "warning", "alternates-unknown-question",
                                    f"{key!r} is not a question (text or anchor) of {page.name}; its alternates are ignored"))
        elif not isinstance(phrasings, list) or not all(isinstance(p, str) and p.strip() for p in phrasings):
            problems.append(Problem(rel, line, "error", "alternates-invalid",
                                    f"alternates of {key!r} must be a list of non-empty strings"))
        else:
            entry.alternate_questions.extend(p.strip() for p in phrasings if p.strip() not in entry.alternate_questions)
    return problems
