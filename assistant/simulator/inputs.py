"""Reading the simulator's inputs: org settings (a mapping or a YAML file), a user, a roster CSV.

Files are read with :mod:`assistant.files` (UTF-8, a byte-order mark dropped; the one YAML loader,
where ``sso: off`` stays the string ``"off"``). An org file or a roster's header row that is not
UTF-8 cannot be used with replaced characters: that is an
:class:`~assistant.problems.InputFileError` naming the file, line and byte. A roster row that
cannot be used (bad value, no email, bytes that are not UTF-8) is a
:class:`~assistant.problems.Problem` of the :class:`Roster`, and the other rows are kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..files import decode, load_yaml, parse_error_problem, shown_path
from ..problems import FaqAssistantError, InputFileError, Problem
from .model import Org, User

__all__ = ["parse_org", "load_org", "parse_user", "Roster", "load_roster", "ROSTER_COLUMNS"]

#: Columns a roster CSV may have (``email`` is required); other columns are ignored.
ROSTER_COLUMNS = ("email", "account", "has_password", "has_pat", "in_idp", "member", "uses", "removed", "other_emails",
                  "other_orgs")


def parse_org(data: Mapping[str, Any] | None, source: str = "org") -> Org:
    """An :class:`Org` from a mapping of its fields (e.g. loaded YAML); ``None`` is the default org.

    Raises
    ------
    InputFileError
        ``"<source>: <field>: <message>"``: not a mapping, an unknown key, or an invalid value.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InputFileError("expected a mapping of settings (plan, verified_domains, sso, signin_enforced, "
                             f"test_org), got a {type(data).__name__}", file=source)
    known = Org.__dataclass_fields__.keys()
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        raise InputFileError(f"unknown setting {', '.join(map(repr, unknown))} (expected {', '.join(known)})",
                             file=source)
    try:
        return Org(**{str(k): v for k, v in data.items() if v is not None})
    except ValueError as exc:
        raise InputFileError(str(exc), file=source) from None


def parse_user(data: Mapping[str, Any]) -> User:
    """A :class:`User` from a mapping of its fields (``None`` values take the defaults).

    Raises
    ------
    FaqAssistantError
        Naming the field: an unknown key, no ``email``, or an invalid value.
    """
    unknown = [str(k) for k in data if k not in User.__dataclass_fields__]
    if unknown:
        raise FaqAssistantError(f"unknown user field {', '.join(map(repr, unknown))} "
                                f"(expected {', '.join(ROSTER_COLUMNS)})")
    if not data.get("email"):
        raise FaqAssistantError("email: required (e.g. ana@example.com)")
    return User(**{str(k): v for k, v in data.items() if v is not None})


def load_org(path: str | Path) -> Org:
    """Read an organization's settings from a YAML file (keys: the :class:`Org` fields).

    ``sso: off`` stays the string ``"off"`` (only ``true``/``false`` are booleans).

    Raises
    ------
    InputFileError
        Naming the file (and line, where known): it cannot be read, is not UTF-8, does not parse
        as YAML, or a setting is invalid (the message names the field).
    """
    path = Path(path)
    shown = shown_path(path)
    raw = _read(path, shown, "the org file")
    text, problems = decode(raw, shown)
    if problems:
        line = problems[0].line or 1
        raise InputFileError(f"not UTF-8 (byte {_bad_bytes(raw)[line]:#04x}); save the file as UTF-8",
                             file=shown, line=line)
    try:
        data = load_yaml(text)
    except Exception as exc:  # yaml.YAMLError; the constructors raise ValueError/AttributeError for `!!int abc`
        p = parse_error_problem(exc, shown, "org-invalid", "YAML")
        raise InputFileError(p.message, file=shown, line=p.line) from None
    return parse_org(data, shown)


@dataclass
class Roster:
    """Users read from a CSV file.

    Attributes
    ----------
    source : str
        The file as shown in messages (``"<roster>"`` for text).
    users : list of (int, User)
        Each valid row's 1-based line (its last line, for a row with quoted newlines) and user.
    invalid_rows : list of (str, Problem)
        Each row that could not be used: its email cell as written (``""`` if none) and the
        problem (``warning``, code ``invalid-row`` or ``not-utf8``) naming its line and field.
    """

    source: str
    users: list[tuple[int, User]]
    invalid_rows: list[tuple[str, Problem]]

    @property
    def problems(self) -> list[Problem]:
        """The problems of :attr:`invalid_rows`, in file order."""
        return [p for _, p in self.invalid_rows]


def load_roster(path: str | Path | None = None, *, text: str | None = None) -> Roster:
    """Read users from CSV (a header row, then one user per row) from ``path`` or from ``text``.

    Columns: ``email`` (required) and optionally ``account``, ``has_password``, ``has_pat``,
    ``in_idp``, ``member``, ``removed`` (true/false, yes/no, 1/0), ``uses`` (e.g. ``desktop;cli``),
    ``other_emails`` and ``other_orgs`` (several separated by ``;``). Empty
    cells take the :class:`User` defaults; other columns (``name``, ``team`` ...) are ignored;
    column names are matched without case.

    Raises
    ------
    InputFileError
        The file cannot be read, has no ``email`` column, or its header row is not UTF-8. A bad
        row does not raise: it goes to :attr:`Roster.invalid_rows` with a problem naming its line
        and field (an empty email, a bad value, or bytes that are not UTF-8, reported at the line
        that holds them), and the other rows are kept.
    """
    source = shown_path(path) if path is not None else "<roster>"
    bad_bytes: dict[int, int] = {}  # physical line -> first byte that is not UTF-8
    if text is None:
        raw = _read(path, source, "the roster")  # type: ignore[arg-type]
        text, problems = decode(raw, source)
        if problems:
            bad_bytes = _bad_bytes(raw)
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    header_end = reader.line_num
    bad_header = [n for n in bad_bytes if n <= header_end]
    if bad_header:
        n = bad_header[0]
        raise InputFileError(f"not UTF-8 (byte {bad_bytes[n]:#04x}) in the header row; save the file as UTF-8",
                             file=source, line=n)
    if "email" not in header:
        raise InputFileError(f"the roster has no 'email' column (columns: {', '.join(ROSTER_COLUMNS)})",
                             file=source, line=1)
    reader.fieldnames = header
    users: list[tuple[int, User]] = []
    invalid: list[tuple[str, Problem]] = []
    row_end = header_end
    for row in reader:
        row_start, row_end = row_end + 1, reader.line_num
        line = row_end
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        values = {k: (row.get(k) or "").strip() for k in ROSTER_COLUMNS if k in header}
        email = values.get("email", "")
        bad = [n for n in range(row_start, row_end + 1) if n in bad_bytes]
        if bad:
            field = next((k for k, v in row.items() if k is not None and "\ufffd" in (v or "")), "")
            where = f"{field}: " if field else ""
            invalid.append((email, Problem(source, bad[0], "warning", "not-utf8",
                                           f"{where}not UTF-8 (byte {bad_bytes[bad[0]]:#04x}); save the file as UTF-8")))
            continue
        fields = {k: v for k, v in values.items() if v != ""}
        if "email" not in fields:
            invalid.append(("", Problem(source, line, "warning", "invalid-row", "email: required (e.g. ana@example.com)")))
            continue
        try:
            users.append((line, User(**fields)))
        except ValueError as exc:
            invalid.append((email, Problem(source, line, "warning", "invalid-row", str(exc))))
    return Roster(source, users, invalid)


def _read(path: str | Path, shown: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(parse_error_problem(exc, shown, "unreadable", what).message, file=shown) from None


def _bad_bytes(raw: bytes) -> dict[int, int]:
    """``{line: first byte that is not UTF-8}`` for each 1-based line of ``raw`` that has one.

    Only asked after :func:`assistant.files.decode` reported such a byte, to name every line
    (and its byte) that an org file or a roster cannot use. A UTF-8 sequence never spans a
    newline byte, so lines decode on their own.
    """
    bad: dict[int, int] = {}
    for n, part in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1):
        try:
            part.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[n] = part[exc.start]
    return bad
