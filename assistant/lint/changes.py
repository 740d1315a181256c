"""Which lines a change touched, for ``lint --since GIT_REF`` and ``lint --changed FILE...``.

:func:`changed_lines` asks git (``git diff --unified=0 GIT_REF``, plus untracked files) which lines
of which files differ from ``GIT_REF`` in the working tree; :func:`keep_changed` keeps the
findings on those lines. Paths are compared absolute and normalized.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..problems import InputFileError, Problem

if TYPE_CHECKING:
    from .report import LintReport

__all__ = ["ALL_LINES", "changed_lines", "changed_files", "keep_changed", "report_on_changes"]

#: Marks a file whose every line counts as changed (new, untracked or named by ``--changed``).
ALL_LINES = frozenset({0})
_HUNK_RE = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _abs(path: str | Path) -> Path:
    return Path(os.path.normpath(Path(path).absolute()))


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, errors="replace", timeout=120)
    except FileNotFoundError:
        raise InputFileError("git is not installed (needed for --since)", file=str(cwd)) from None
    if done.returncode != 0:
        raise InputFileError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.returncode}", file=str(cwd))
    return done.stdout


def changed_lines(ref: str, where: str | Path = ".") -> dict[Path, frozenset[int]]:
    """``{absolute file: 1-based lines added or changed since ref}``; new (untracked) files map to
    :data:`ALL_LINES`. Deleted lines leave nothing to report. ``where`` is any folder inside the
    repository.

    Raises :class:`~assistant.problems.InputFileError` when git fails (not a repository, unknown ref).
    """
    cwd = _abs(where)
    if cwd.is_file():
        cwd = cwd.parent
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    out: dict[Path, set[int]] = {}
    current: Path | None = None
    for line in _git(["diff", "--unified=0", "--no-color", "--no-ext-diff", ref, "--"], top).splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else _abs(top / name[2:] if name.startswith("b/") else top / name)
            if current is not None:
                out.setdefault(current, set())
        elif current is not None:
            m = _HUNK_RE.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
                out[current].update(range(start, start + count))
    result = {f: frozenset(lines) for f, lines in out.items()}
    for name in _git(["ls-files", "--others", "--exclude-standard"], top).splitlines():
        result[_abs(top / name)] = ALL_LINES
    return result


def changed_files(files: Iterable[str | Path]) -> dict[Path, frozenset[int]]:
    """``--changed FILE...``: every line of each named file counts as changed."""
    return {_abs(f): ALL_LINES for f in files}


def keep_changed(problems: Iterable[Problem], changed: dict[Path, frozenset[int]]) -> list[Problem]:
    """The findings on changed lines: in a file of ``changed`` and on one of its lines (any line
    for :data:`ALL_LINES`; a finding without a line counts when its file changed)."""
    out = []
    for p in problems:
        lines = changed.get(_abs(p.file))
        if lines is None:
            continue
        if lines is ALL_LINES or lines == ALL_LINES or not p.line or p.line in lines:
            out.append(p)
    return out


def report_on_changes(report: LintReport, since: str | None, files: Sequence[str] | None,
                      where: str | Path = ".") -> LintReport:
    """``report`` with only the findings on lines changed since the git ref ``since`` (asked in the
    repository holding ``where``), or in ``files``; the file and entry counts stay. Raises
    :class:`~assistant.problems.InputFileError` when git fails."""
    from .report import LintReport

    changed = changed_lines(since, where) if since else changed_files(files or [])
    return LintReport(report.files, report.entries, keep_changed(report.problems, changed))
