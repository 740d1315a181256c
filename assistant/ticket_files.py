"""Reading tickets files: a CSV or Parquet export -> DataFrames of redacted ticket text, in chunks.

A CSV (:data:`CSV_SUFFIXES`) or Parquet (:data:`PARQUET_SUFFIXES`) export is read in chunks with a
tqdm progress bar and bounded memory (:class:`TicketReader`, :func:`read_tickets`); a DataFrame
already in memory goes through the same row rules (:func:`tickets_from_frame`). Every chunk is a
DataFrame with columns ``row`` (int), ``ref`` (str) and ``text`` (str).

Messy exports are expected: a UTF-8 BOM, quoted newlines, stray carriage returns, empty rows,
bytes that are not UTF-8, huge rows, broken quoting. Every row that cannot be read as it is
becomes a :class:`~assistant.problems.Problem`; none is dropped silently:

``file``
    the tickets path as given (``<tickets>`` for a DataFrame);
``line``
    the CSV line the record starts on (the header is line 1; a record with quoted newlines spans
    several lines), or the 1-based row of a Parquet file or DataFrame;
``severity``
    ``"warning"`` when the row was still analyzed, ``"error"`` when it was skipped;
``code``
    one of :data:`ROW_PROBLEM_CODES`;
``message``
    what is wrong, ending in ``skipped`` or ``analyzed anyway`` where that is not plain; it never
    quotes the row's text.

Bytes that are not UTF-8: a CSV line (or a Parquet bytes value) that is not UTF-8 is read as
Windows-1252, the usual encoding of such exports, with a ``not-utf8`` warning on its row. This
differs from :func:`assistant.files.decode` (U+FFFD) on purpose: ``Caf\\xe9`` stays ``Café``, a
word the retriever and the gap topics can use, and the README documents it.

Ticket text is redacted (:func:`assistant.redaction.redact`: emails, phone numbers, access
tokens) the moment it is read, so nothing downstream can show personal data; only a caller that
asks for ``TicketReader(redact=False)`` (coverage, which redacts in its worker processes before
anything is kept, shown or written) gets text still to redact, and it says so in a column.
CSV records are read by :mod:`assistant.ticket_csv` (the C :mod:`csv` reader a block at a time,
the exact line-by-line reader for any messy stretch).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from .files import shown_path
from .problems import Problem, TicketsError
from .redaction import redact
from .ticket_csv import csv_records as _csv_records
from .ticket_csv import decode_bytes as _decode
from .ticket_inputs import COMPRESSED as _COMPRESSED
from .ticket_inputs import check_regular_file as _check_regular_file
from .ticket_inputs import check_text_type as _check_text_type
from .ticket_inputs import looks_binary as _looks_binary

__all__ = [
    "TicketReader", "read_tickets", "tickets_from_frame", "choose_text_columns", "CSV_SUFFIXES",
    "PARQUET_SUFFIXES", "TEXT_COLUMN_GUESSES", "MAX_CHARS", "MAX_RECORD_BYTES", "ROW_PROBLEM_CODES",
    "FRAME_FILE", "redact_and_cut", "text_too_long",
]

#: Characters of a ticket analyzed; longer tickets are cut (and reported).
MAX_CHARS = 20_000
#: Bytes one CSV record may take; a longer record (an unclosed quote, a pasted dump) is skipped.
MAX_RECORD_BYTES = 8 * 2**20

#: File suffixes read as CSV and as Parquet (any other suffix is a :class:`TicketsError`).
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")

#: Column names tried, in order, when no text column is given (subject + body are joined).
TEXT_COLUMN_GUESSES = ("text", "body", "description", "message", "question", "query", "content", "ticket", "comment")

#: ``Problem.file`` of the rows of a DataFrame (:func:`tickets_from_frame`).
FRAME_FILE = "<tickets>"

#: Codes of the problems a row can have.
ROW_PROBLEM_CODES = {
    "empty-line": "an empty CSV line (skipped)",
    "empty-row": "a row whose fields are all empty (skipped)",
    "no-text": "a row with values but none in the text columns (skipped)",
    "not-utf8": "bytes that are not UTF-8, read as Windows-1252",
    "text-too-long": f"text over ``max_chars`` (default {MAX_CHARS:,}) characters, cut",
    "record-too-large": f"a CSV record over ``max_record_bytes`` (default {MAX_RECORD_BYTES:,}), skipped",
    "unclosed-quote": "a quote never closed: its line is skipped, the lines after it are read as rows",
    "malformed-csv": "a record the csv module cannot read even leniently (skipped)",
    "malformed-quoting": "quoting such as ``\"a\"b``, read leniently",
    "field-count": "another number of fields than the header",
}

_COLUMNS = ["row", "ref", "text"]


# --- rows -> ticket text ----------------------------------------------------------------------------


def choose_text_columns(columns: Sequence[str], requested: Sequence[str] | None = None, *,
                        file: str | None = None) -> list[int]:
    """Indexes of the text columns: the ``requested`` ones, else subject+body, else a usual name.

    Names match exactly, else ignoring case and surrounding spaces; the guesses are
    :data:`TEXT_COLUMN_GUESSES`, then the only column. Raises :class:`TicketsError` (naming
    ``file`` when given) for a requested column that is missing or when no column can be told.
    """
    lower = [c.strip().lower() for c in columns]
    listed = ", ".join(map(repr, columns))
    if requested:
        idx = []
        for name in requested:
            if name in columns:
                idx.append(list(columns).index(name))
            elif name.strip().lower() in lower:
                idx.append(lower.index(name.strip().lower()))
            else:
                raise TicketsError(f"no column {name!r} in the tickets; the columns are: {listed}", file=file)
        return idx
    if "subject" in lower and "body" in lower:
        return [lower.index("subject"), lower.index("body")]
    for guess in TEXT_COLUMN_GUESSES:
        if guess in lower:
            return [lower.index(guess)]
    if len(columns) == 1:
        return [0]
    raise TicketsError("cannot tell which column holds the ticket text; name it with --text-column "
                       f"(text_columns=...); the columns are: {listed}", file=file)


class _Rows:
    """The one way every source's rows become ticket text and problems (see the module docstring)."""

    def __init__(self, file: str, names: Sequence[str], idx: Sequence[int], max_chars: int):
        self.file = file
        self.names = list(names)
        self.idx = list(idx)
        self.max_chars = max_chars
        self.problems: list[Problem] = []

    def _add(self, line: int, severity: str, code: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, severity, code, message))

    def text(self, line: int, values: Sequence[Any], notes: Sequence[tuple[str, str]] = ()) -> str | None:
        """The joined, redacted text of the row starting at ``line``, or None (and a problem) when it has none.

        ``notes`` are ``(code, message)`` found while reading the row; each becomes a problem that
        says whether the row was still analyzed.
        """
        text = self.joined(line, values, notes)
        return None if text is None else self.finish(line, text)

    def joined(self, line: int, values: Sequence[Any], notes: Sequence[tuple[str, str]] = ()) -> str | None:
        """:meth:`text` before redaction and the cut to ``max_chars`` (see :meth:`finish`)."""
        notes = list(notes)
        parts = []
        for i in self.idx:
            v = values[i] if i < len(values) else None
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            if isinstance(v, bytes):
                v, note = _decode(v)
                if note:
                    notes.append(("not-utf8", note))
            v = str(v).replace("\x00", "").strip()
            if v:
                parts.append(v)
        severity, outcome = ("warning", "analyzed anyway") if parts else ("error", "skipped")
        for code, message in notes:
            self._add(line, severity, code, f"{message}; {outcome}")
        if not parts:
            if not any(str(v).strip() for v in values if v is not None):
                self._add(line, "error", "empty-row", "empty row; skipped")
            else:
                cols = ", ".join(repr(self.names[i]) for i in self.idx)
                self._add(line, "error", "no-text", f"no text in {cols}; skipped")
            return None
        return parts[0] if len(parts) == 1 else "\n\n".join(parts)

    def finish(self, line: int, text: str) -> str:
        """``text`` redacted and cut to ``max_chars`` (a ``text-too-long`` problem when cut)."""
        text, length = redact_and_cut(text, self.max_chars)
        if length > self.max_chars:
            self.problems.append(text_too_long(self.file, line, length, self.max_chars))
        return text


def redact_and_cut(text: str, max_chars: int = MAX_CHARS) -> tuple[str, int]:
    """``(text redacted and cut to max_chars, its length in characters before the cut)``.

    Redacted before the cut, so no address is cut in half and kept.
    """
    text = redact(text)
    return text[:max_chars], len(text)


def text_too_long(file: str, line: int, length: int, max_chars: int) -> Problem:
    """The ``text-too-long`` warning of a row whose redacted text had ``length`` characters."""
    return Problem(file, line, "warning", "text-too-long",
                   f"text is {length:,} characters; only the first {max_chars:,} were analyzed")


def tickets_from_frame(frame: pd.DataFrame, text_columns: Sequence[str] | None = None, *,
                       max_chars: int = MAX_CHARS) -> tuple[pd.DataFrame, list[Problem]]:
    """Tickets of a DataFrame already in memory: ``(DataFrame[row, ref, text], problems)``.

    The text columns are chosen as for :class:`TicketReader`; ``row`` and ``ref`` are taken from
    columns of those names when present, else ``row`` is 1, 2, ... and ``ref`` is ``str(row)``.
    Problems name the file :data:`FRAME_FILE`. Raises :class:`TicketsError` when no text column can
    be told or a requested one is missing.
    """
    names = [str(c) for c in frame.columns]
    rows_in = _Rows(FRAME_FILE, names, choose_text_columns(names, text_columns), max_chars)
    numbers = frame["row"].tolist() if "row" in frame.columns else list(range(1, len(frame) + 1))
    refs = frame["ref"].tolist() if "ref" in frame.columns else [str(r) for r in numbers]
    out = []
    for values, row, ref in zip(frame.itertuples(index=False, name=None), numbers, refs):
        text = rows_in.text(int(row), values)
        if text is not None:
            out.append((int(row), str(ref), text))
    return pd.DataFrame(out, columns=_COLUMNS), rows_in.problems


# --- files ------------------------------------------------------------------------------------------

class TicketReader:
    """Read a tickets file in chunks: ``for chunk in TicketReader(path): ...``.

    Parameters
    ----------
    path : str or Path
        A CSV file (:data:`CSV_SUFFIXES`: ``.csv``, ``.tsv``, ``.txt``; ``,``, ``;``, tab or ``|``
        separated, detected from the header line) with a header row, or a Parquet file
        (:data:`PARQUET_SUFFIXES`: ``.parquet``, ``.pq``; a CSV-named file with the ``PAR1`` magic
        bytes is read as Parquet too).
    text_columns : sequence of str, optional
        Columns holding the ticket text, joined with a blank line (e.g. ``["subject", "body"]``).
        Default: ``subject`` + ``body`` when both exist, else the first of
        :data:`TEXT_COLUMN_GUESSES`, else the only column.
    chunksize : int, default 1000
        Tickets per chunk.
    max_chars : int, default :data:`MAX_CHARS`
        Longer ticket text is cut to this many characters (and reported).
    max_record_bytes : int, default :data:`MAX_RECORD_BYTES`
        A CSV record larger than this is skipped (and reported); memory stays bounded by it.
    progress : bool or None, default None
        Show a tqdm progress bar on stderr: True always, False never, None when stderr is a terminal.
    redact : bool, default True
        False leaves to the caller the redaction of each text of at most ``max_chars`` characters
        (a longer one is still redacted and cut here): chunks then have a fourth column
        ``redacted`` (bool), and ``chunk.attrs`` holds ``file`` and ``max_chars``; finish a text
        whose ``redacted`` is False with :func:`redact_and_cut`, and report a cut one with
        :func:`text_too_long`. Coverage does that in its worker processes.

    Iterating yields DataFrames with columns ``row`` (int: the line the CSV record starts on, or
    the 1-based Parquet row), ``ref`` (str: ``name:row``) and ``text`` (str, redacted).
    :attr:`bad_rows` (list of :class:`~assistant.problems.Problem`, see the module docstring)
    fills up as the file is read; read it after the loop. :attr:`columns`, :attr:`text_columns`,
    :attr:`format` (``"csv"`` or ``"parquet"``) and :attr:`file` (the path as the problems show
    it) are known after construction.

    Raises
    ------
    TicketsError
        If the file does not exist, has another suffix than those above (e.g. ``.yaml``,
        ``.xlsx``), is empty, has no header, is UTF-16 or a spreadsheet, or a requested text
        column is missing. The message starts with the path.
    ValueError
        If ``chunksize`` is below 1.
    """

    def __init__(self, path: str | Path, text_columns: Sequence[str] | None = None, *, chunksize: int = 1000,
                 max_chars: int = MAX_CHARS, max_record_bytes: int = MAX_RECORD_BYTES, progress: bool | None = None,
                 redact: bool = True):
        self.path = Path(path)
        self.redact = redact
        if chunksize < 1:
            raise ValueError(f"chunksize must be at least 1, got {chunksize}")
        self.chunksize = chunksize
        self.max_chars = max_chars
        self.max_record_bytes = max_record_bytes
        self.progress = progress
        self.bad_rows: list[Problem] = []
        self.file = shown_path(self.path)
        _check_regular_file(self.path, self.file)
        suffix = self.path.suffix.lower()
        if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
            kind = f"a {suffix} file" if suffix else "a file without a suffix"
            raise TicketsError(f"{kind} cannot be read as tickets; accepted formats: CSV "
                               f"({', '.join(CSV_SUFFIXES)}) or Parquet ({', '.join(PARQUET_SUFFIXES)})", file=self.file)
        with open(self.path, "rb") as fh:
            head = fh.read(4096)
        if not head:
            raise TicketsError("the file is empty (expected a CSV header row)", file=self.file)
        for magic, kind, fix in _COMPRESSED:
            if head.startswith(magic):
                raise TicketsError(f"the file is {kind}-compressed, not CSV or Parquet text; {fix} it first",
                                   file=self.file)
        self.format = "parquet" if head[:4] == b"PAR1" or suffix in PARQUET_SUFFIXES else "csv"
        if self.format == "parquet":
            import pyarrow.parquet as pq

            try:
                self._parquet = pq.ParquetFile(self.path)
            except Exception as exc:  # pyarrow raises several types for a broken file
                raise TicketsError(f"not a readable Parquet file ({exc})", file=self.file) from None
            self.columns = list(self._parquet.schema_arrow.names)
            self._schema = self._parquet.schema_arrow
        else:
            if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
                raise TicketsError("the file is UTF-32; export it as UTF-8 CSV", file=self.file)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise TicketsError("the file is UTF-16; export it as UTF-8 CSV", file=self.file)
            if head.startswith(b"PK\x03\x04"):
                raise TicketsError("looks like a spreadsheet (.xlsx), not CSV; export it as CSV", file=self.file)
            if _looks_binary(head):
                raise TicketsError("the file holds binary data, not CSV text (export the tickets as UTF-8 CSV "
                                   "or Parquet)", file=self.file)
            first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
            self.delimiter = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","
            with open(self.path, "rb") as fh:
                header = next(_csv_records(fh, self.max_record_bytes, self.delimiter), None)
            if header is None or header[1] is None or not any(c.strip() for c in header[1]):
                raise TicketsError("line 1 is not a CSV header row", file=self.file)
            self.columns = [c.strip() for c in header[1]]
        self._idx = choose_text_columns(self.columns, text_columns, file=self.file)
        self.text_columns = [self.columns[i] for i in self._idx]
        if self.format == "parquet":
            for i in self._idx:
                _check_text_type(self._schema.field(i), self.file)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self.format == "parquet":  # only the text columns are read, in order
            rows = _Rows(self.file, self.text_columns, range(len(self.text_columns)), self.max_chars)
            source = self._parquet_rows(rows)
        else:
            rows = _Rows(self.file, self.columns, self._idx, self.max_chars)
            source = self._csv_rows(rows)
        self.bad_rows = rows.problems
        name, limit = self.path.name, self.max_chars
        columns = [*_COLUMNS, "redacted"] if not self.redact else _COLUMNS
        buf: list[tuple] = []
        for row, text in source:
            if self.redact:
                buf.append((row, f"{name}:{row}", rows.finish(row, text)))
            elif len(text) > limit:
                buf.append((row, f"{name}:{row}", rows.finish(row, text), True))
            else:
                buf.append((row, f"{name}:{row}", text, False))
            if len(buf) >= self.chunksize:
                yield self._frame(buf, columns)
                buf = []
        if buf:
            yield self._frame(buf, columns)

    def _frame(self, buf: list[tuple], columns: list[str]) -> pd.DataFrame:
        frame = pd.DataFrame(buf, columns=columns)
        if not self.redact:
            frame.attrs.update(file=self.file, max_chars=self.max_chars)
        return frame

    def _bar(self, total: int, unit: str) -> tqdm:
        disable = None if self.progress is None else not self.progress
        return tqdm(total=total, unit=unit, unit_scale=True, desc=f"reading {self.path.name}", disable=disable,
                    leave=False)

    def _csv_rows(self, rows: _Rows) -> Iterator[tuple[int, str]]:
        size = self.path.stat().st_size
        with open(self.path, "rb") as fh, self._bar(size, "B") as bar:
            records = _csv_records(fh, self.max_record_bytes, self.delimiter)
            next(records, None)  # the header
            width, idx = len(self.columns), self._idx
            for n, (start, fields, notes) in enumerate(records):
                if n % 256 == 0:
                    bar.update(fh.tell() - bar.n)
                if len(fields or ()) == width and not notes:  # the usual row: what rows.joined gives it, faster
                    parts = [v for v in (fields[i].strip() for i in idx) if v]  # CSV fields hold no NUL
                    if parts:
                        yield start, parts[0] if len(parts) == 1 else "\n\n".join(parts)
                        continue
                if fields is None:
                    rows.problems += [Problem(self.file, start, "error", code, message) for code, message in notes]
                elif not fields:
                    rows.problems.append(Problem(self.file, start, "error", "empty-line", "empty line; skipped"))
                else:
                    if len(fields) != width:
                        notes.append(("field-count", f"has {len(fields)} fields, the header has {width}"))
                    text = rows.joined(start, fields, notes)
                    if text is not None:
                        yield start, text
            bar.update(size - bar.n)

    def _parquet_rows(self, rows: _Rows) -> Iterator[tuple[int, str]]:
        names = self.text_columns
        row = 0
        with self._bar(self._parquet.metadata.num_rows, "rows") as bar:
            for batch in self._parquet.iter_batches(batch_size=self.chunksize, columns=list(dict.fromkeys(names))):
                cols = [batch.column(batch.schema.get_field_index(n)).to_pylist() for n in names]
                for values in zip(*cols):
                    row += 1
                    text = rows.joined(row, values)
                    if text is not None:
                        yield row, text
                bar.update(batch.num_rows)


def read_tickets(path: str | Path, text_columns: Sequence[str] | None = None,
                 **kwargs: Any) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a whole tickets file: ``(DataFrame[row, ref, text], problems)``. See :class:`TicketReader`."""
    reader = TicketReader(path, text_columns, **kwargs)
    chunks = list(reader)
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=_COLUMNS)
    return frame, reader.bad_rows
