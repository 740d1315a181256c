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
tokens) the moment it is read, so nothing downstream can show personal data.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from .files import shown_path
from .problems import Problem, TicketsError
from .redaction import redact
from .ticket_inputs import COMPRESSED as _COMPRESSED
from .ticket_inputs import check_regular_file as _check_regular_file
from .ticket_inputs import check_text_type as _check_text_type
from .ticket_inputs import looks_binary as _looks_binary

__all__ = [
    "TicketReader", "read_tickets", "tickets_from_frame", "choose_text_columns", "CSV_SUFFIXES",
    "PARQUET_SUFFIXES", "TEXT_COLUMN_GUESSES", "MAX_CHARS", "MAX_RECORD_BYTES", "ROW_PROBLEM_CODES",
    "FRAME_FILE",
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
_UNCLOSED = ("unclosed-quote", "a quote opened on this line is never closed; skipped this line "
                               "and read the lines after it as rows")


def _decode(raw: bytes) -> tuple[str, str | None]:
    """``(text, note)``: UTF-8, else Windows-1252 and a note naming the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return (raw.decode("cp1252", errors="replace"),
                f"byte {raw[exc.start]:#04x} is not UTF-8; read as Windows-1252")


# --- CSV records ----------------------------------------------------------------------------------


class _RecordTooLarge(Exception):
    pass


class _Lines:
    """Decoded physical lines of a binary CSV file for :mod:`csv`.

    Tracks the line number, byte offsets and quote parity of the current record, cuts the
    record off at ``limit`` bytes (raising :class:`_RecordTooLarge`), strips the BOM, turns stray
    carriage returns into spaces and decodes lines that are not UTF-8 as Windows-1252, noting it.
    """

    def __init__(self, fh, limit: int):
        self.fh = fh
        self.limit = limit
        self.line = 0
        self.notes: dict[int, str] = {}
        self.start_record()

    def start_record(self) -> None:
        self.record_start = self.line + 1
        self.record_offset = self.fh.tell()
        self.record_bytes = 0
        self.record_quotes = 0
        self.first_line_end: int | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.fh.readline(self.limit + 1)
        if not raw:
            raise StopIteration
        self.line += 1
        if len(raw) > self.limit and not raw.endswith(b"\n"):
            self.record_bytes += len(raw)
            self.record_quotes += raw.count(b'"')
            while raw and not raw.endswith(b"\n"):  # drain the rest of the physical line
                raw = self.fh.readline(1 << 20)
                self.record_quotes += raw.count(b'"')
            if self.first_line_end is None:  # so that rewind(after_first_line=True) gets past it
                self.first_line_end = self.fh.tell()
            raise _RecordTooLarge
        self.record_bytes += len(raw)
        self.record_quotes += raw.count(b'"')
        if self.first_line_end is None:
            self.first_line_end = self.fh.tell()
        if self.record_bytes > self.limit:
            raise _RecordTooLarge
        if self.line == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        text, note = _decode(raw)
        if note:
            self.notes[self.line] = note
        if "\r" in text:
            end = "\n" if text.endswith("\n") else ""
            text = text[: len(text) - len(end)].rstrip("\r").replace("\r", " ") + end
        return text.replace("\x00", "")

    def pop_notes(self, start: int) -> list[tuple[str, str]]:
        """``(code, message)`` of the lines from ``start`` to the current one, forgotten here."""
        return [("not-utf8", self.notes.pop(n)) for n in range(start, self.line + 1) if n in self.notes]

    def skip_record(self) -> bool:
        """Read on until the record's quotes balance. False when the file ends first."""
        while self.record_quotes % 2:
            raw = self.fh.readline(1 << 20)
            if not raw:
                return False
            if raw.endswith(b"\n"):
                self.line += 1
            self.record_quotes += raw.count(b'"')
        return True

    def rewind(self, after_first_line: bool) -> None:
        """Go back to the current record's start (or just after its first line)."""
        if after_first_line and self.first_line_end is not None:
            self.fh.seek(self.first_line_end)
            self.line = self.record_start
        else:
            self.fh.seek(self.record_offset)
            self.line = self.record_start - 1


def _csv_records(fh, limit: int, delimiter: str) -> Iterator[tuple[int, list[str] | None, list[tuple[str, str]]]]:
    """``(first line, fields or None when skipped, [(code, message)])`` for each record of a binary CSV stream.

    The messages of a record that was read (fields not None) do not yet say whether the row is
    analyzed; those of a skipped record end in "skipped".
    """
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)  # our own limit (_RecordTooLarge) applies first
    src = _Lines(fh, limit)
    while True:
        src.start_record()
        start = src.record_start
        try:
            fields = next(csv.reader(src, delimiter=delimiter, strict=True))
        except StopIteration:
            return
        except _RecordTooLarge:
            if src.skip_record():
                yield start, None, [("record-too-large", f"record is over {limit:,} bytes (lines {start}-{src.line}); "
                                                         "skipped")]
                continue
            problem = _UNCLOSED
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                problem = _UNCLOSED
            else:  # malformed quoting (e.g. `"a"b`): read the same record again the lenient way
                src.rewind(after_first_line=False)
                src.start_record()
                try:
                    fields = next(csv.reader(src, delimiter=delimiter))
                except (StopIteration, csv.Error, _RecordTooLarge):
                    problem = ("malformed-csv", f"malformed CSV ({exc}); skipped")
                else:
                    yield start, fields, [("malformed-quoting", f"malformed quoting ({exc}), read leniently"),
                                          *src.pop_notes(start)]
                    continue
        else:
            yield start, fields, src.pop_notes(start)
            continue
        yield start, None, [problem]
        src.rewind(after_first_line=True)


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
        text = redact("\n\n".join(parts))  # redact before cutting, so no address is cut in half and kept
        if len(text) > self.max_chars:
            self._add(line, "warning", "text-too-long",
                      f"text is {len(text):,} characters; only the first {self.max_chars:,} were analyzed")
            text = text[: self.max_chars]
        return text


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
                 max_chars: int = MAX_CHARS, max_record_bytes: int = MAX_RECORD_BYTES, progress: bool | None = None):
        self.path = Path(path)
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
        buf: list[tuple[int, str, str]] = []
        for row, text in source:
            buf.append((row, f"{self.path.name}:{row}", text))
            if len(buf) >= self.chunksize:
                yield pd.DataFrame(buf, columns=_COLUMNS)
                buf = []
        if buf:
            yield pd.DataFrame(buf, columns=_COLUMNS)

    def _bar(self, total: int, unit: str) -> tqdm:
        disable = None if self.progress is None else not self.progress
        return tqdm(total=total, unit=unit, unit_scale=True, desc=f"reading {self.path.name}", disable=disable,
                    leave=False)

    def _csv_rows(self, rows: _Rows) -> Iterator[tuple[int, str]]:
        size = self.path.stat().st_size
        with open(self.path, "rb") as fh, self._bar(size, "B") as bar:
            records = _csv_records(fh, self.max_record_bytes, self.delimiter)
            next(records, None)  # the header
            width = len(self.columns)
            for n, (start, fields, notes) in enumerate(records):
                if n % 256 == 0:
                    bar.update(fh.tell() - bar.n)
                if fields is None:
                    rows.problems += [Problem(self.file, start, "error", code, message) for code, message in notes]
                elif not fields:
                    rows.problems.append(Problem(self.file, start, "error", "empty-line", "empty line; skipped"))
                else:
                    if len(fields) != width:
                        notes.append(("field-count", f"has {len(fields)} fields, the header has {width}"))
                    text = rows.text(start, fields, notes)
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
                    text = rows.text(row, values)
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
