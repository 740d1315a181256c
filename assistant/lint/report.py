"""The result of a lint run, :class:`LintReport`, and its text and JSON forms."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..problems import SEVERITIES, Problem
from ..rendering import plural

__all__ = ["LintReport"]


@dataclass
class LintReport:
    """Findings of :func:`~assistant.lint.lint_paths`.

    ``files`` and ``entries`` are the numbers of markdown files and FAQ entries checked;
    ``problems`` are sorted by file, line, severity (:data:`~assistant.problems.SEVERITIES` order)
    and code.
    """

    files: int
    entries: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Number of problems whose severity is ``"error"``."""
        return sum(p.severity == "error" for p in self.problems)

    @property
    def exit_code(self) -> int:
        """1 when any problem is an error, else 0."""
        return 1 if self.errors else 0

    def filtered(self, min_severity: str = "info") -> list[Problem]:
        """Problems at ``min_severity`` or worse (``"error"`` < ``"warning"`` < ``"info"``).

        Raises ``ValueError`` when ``min_severity`` is not one of :data:`~assistant.problems.SEVERITIES`.
        """
        if min_severity not in SEVERITIES:
            raise ValueError(f"min_severity must be one of {', '.join(SEVERITIES)}, got {min_severity!r}")
        keep = SEVERITIES[: SEVERITIES.index(min_severity) + 1]
        return [p for p in self.problems if p.severity in keep]

    def to_dict(self, min_severity: str = "info") -> dict[str, Any]:
        """The ``lint --format json`` contract: ``{"files": int, "entries": int, "problems": [{"file": str,
        "line": int | None, "severity": str, "code": str, "message": str}]}`` (problems at ``min_severity``
        or worse; the counts are of everything checked)."""
        return {"files": self.files, "entries": self.entries,
                "problems": [p.to_dict() for p in self.filtered(min_severity)]}

    def render(self, fmt: str = "text", min_severity: str = "info") -> str:
        """What ``lint --format FMT`` prints: ``text`` (:meth:`to_text`), ``json`` (:meth:`to_dict`),
        ``sarif``, ``github`` or ``junit`` (:mod:`assistant.lint.formats`), findings at ``min_severity``
        or worse. Raises ``ValueError`` for another ``fmt``."""
        if fmt == "text":
            return self.to_text(min_severity)
        if fmt == "json":
            return json.dumps(self.to_dict(min_severity), ensure_ascii=False, indent=2)
        from . import formats

        writers = {"sarif": formats.to_sarif, "github": formats.to_github, "junit": formats.to_junit}
        if fmt not in writers:
            raise ValueError(f"format must be one of text, json, {', '.join(writers)}; got {fmt!r}")
        return writers[fmt](self.filtered(min_severity))

    def to_text(self, min_severity: str = "info") -> str:
        """One ``file:line: severity: message [code]`` line per problem at ``min_severity`` or worse,
        then a count line of every problem (``2 files, 5 FAQ entries: 1 error, 0 warnings, 3 info``)."""
        counts = Counter(p.severity for p in self.problems)
        lines = [str(p) for p in self.filtered(min_severity)]
        lines.append(f"{plural(self.files, 'file')}, {plural(self.entries, 'FAQ entry', 'FAQ entries')}: "
                     f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, "
                     f"{counts['info']} info")
        return "\n".join(lines)
