"""What can go wrong with input: the one file-and-line :class:`Problem` and the package's exceptions.

A :class:`Problem` is collected (a page, row or rule that is wrong does not stop the others); an
exception is raised when nothing useful can be done with the input at all. Every module reports
"something wrong at file:line" with these types, so the CLI, the widgets and the lint print them
the same way: ``kb/sso.md:12: error: front matter does not parse [front-matter-invalid]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "SEVERITIES", "Problem", "FaqAssistantError", "KnowledgeBaseError", "TicketsError", "InputFileError",
    "severity_rank",
]

#: Severity levels of a :class:`Problem`, most severe first.
SEVERITIES = ("error", "warning", "info")


def severity_rank(severity: str) -> int:
    """0 for ``"error"``, 1 for ``"warning"``, 2 for ``"info"``; raises ``ValueError`` for anything else."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}") from None


@dataclass
class Problem:
    """One thing wrong at a place in an input file.

    ``file`` is the path as shown to the user (relative to the knowledge base or as given);
    ``line`` is 1-based, ``None`` when unknown (for tables: the line the row starts on);
    ``severity`` is one of :data:`SEVERITIES`; ``code`` is a short stable identifier
    (``front-matter-invalid``); ``message`` says what is wrong and, where it can, how to fix it.
    """

    file: str
    line: int | None
    severity: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        """``{"file": str, "line": int | None, "severity": str, "code": str, "message": str}``."""
        return asdict(self)


class FaqAssistantError(ValueError):
    """Input the package cannot use at all; the message names the file (and line) and the fix.

    ``file`` and ``line`` are ``None`` when the error is not about a file; ``message`` is the
    message without the ``file:line: `` prefix that ``str()`` adds.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        where = (f"{file}:{line}" if line else file) if file else ""
        super().__init__(f"{where}: {message}" if where else message)


class KnowledgeBaseError(FaqAssistantError):
    """A knowledge base that cannot be loaded: no such folder, or no FAQ files in it."""


class TicketsError(FaqAssistantError):
    """A tickets file or table that cannot be read as tickets (format, encoding, text column)."""


class InputFileError(FaqAssistantError):
    """A settings-like input file (org, roster, eval, synonyms) that cannot be read or parsed."""
