"""CSV records of a ticket export: a fast block reader, and the exact line-by-line reader it falls back to.

:func:`csv_records` yields ``(first line, fields or None when skipped, [(code, message)])`` for
each record of a binary CSV stream, header included. Clean stretches of the file (UTF-8, line
ends ``\\n`` or ``\\r\\n``, no NUL byte, quoting the strict :mod:`csv` reader accepts, no record over
the byte limit) are read a block of bytes at a time by the C :mod:`csv` reader; any block that is
not clean is read again record by record by the exact reader (:class:`_Lines`), which decides
what each messy row is (see :mod:`assistant.ticket_files`). Both give the same records, line
numbers and notes for a clean block (``tests/test_ticket_files.py`` checks it on every messy
file of its tests).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

__all__ = ["csv_records", "decode_bytes", "BLOCK_BYTES"]

#: Bytes read at a time by the fast reader (at most the record byte limit).
BLOCK_BYTES = 1 << 20

_UNCLOSED = ("unclosed-quote", "a quote opened on this line is never closed; skipped this line "
                               "and read the lines after it as rows")


def decode_bytes(raw: bytes) -> tuple[str, str | None]:
    """``(text, note)``: UTF-8, else Windows-1252 and a note naming the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return (raw.decode("cp1252", errors="replace"),
                f"byte {raw[exc.start]:#04x} is not UTF-8; read as Windows-1252")


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
        text, note = decode_bytes(raw)
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


def _exact_records(src: _Lines, delimiter: str, stop: int | None) -> Iterator[tuple[int, list[str] | None, list]]:
    """Records read line by line from the current position until the file ends or a record starts at ``stop`` or later.

    At every ``yield`` the stream is at the start of the next record (so the caller may stop there).
    """
    limit = src.limit
    while stop is None or src.fh.tell() < stop:
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
        src.rewind(after_first_line=True)
        yield start, None, [problem]


def _clean_block(raw: bytes, at_end: bool) -> tuple[int, str] | None:
    """``(bytes used, text)`` of the whole records at the start of ``raw`` when they are clean, else None.

    The records end at the last line break outside quotes (or at the end of the file); clean
    means valid UTF-8, no NUL byte and every carriage return part of a ``\\r\\n``.
    """
    if at_end and raw.count(b'"') % 2 == 0:
        cut = len(raw)
    else:
        cut = raw.rfind(b"\n") + 1
        quotes = raw.count(b'"', 0, cut)
        while cut and quotes % 2:  # walk back over the line breaks inside quotes
            prev = raw.rfind(b"\n", 0, cut - 1) + 1
            quotes -= raw.count(b'"', prev, cut)
            cut = prev
        if not cut:
            return None
    body = raw[:cut]
    if b"\x00" in body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    return cut, text


def _fast_records(text: str, first_line: int, delimiter: str) -> list[tuple[int, list[str], list]] | None:
    """The records of a clean block starting on line ``first_line``, or None when the strict reader refuses it."""
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, strict=True)
    out = []
    done = 0
    try:
        for fields in reader:
            out.append((first_line + done, fields, []))
            done = reader.line_num
    except csv.Error:
        return None
    return out


def csv_records(fh, limit: int, delimiter: str, *,
                block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, list[str] | None, list[tuple[str, str]]]]:
    """``(first line, fields or None when skipped, [(code, message)])`` for each record of a binary CSV stream.

    ``fh`` is a seekable binary file at its start; the header is the first record. The messages
    of a record that was read (fields not None) do not yet say whether the row is analyzed; those
    of a skipped record end in "skipped". ``block_bytes`` (at most ``limit`` is used) is the fast
    reader's block; 0 reads every record the exact way. ``fh.tell()`` is where reading has got to.
    """
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)  # our own limit (_RecordTooLarge) applies first
    src = _Lines(fh, limit)
    header = next(_exact_records(src, delimiter, None), None)  # the exact reader strips the BOM
    if header is None:
        return
    yield header
    block = min(block_bytes, limit)
    while True:
        pos = fh.tell()
        raw = fh.read(block) if block > 0 else b""
        found = _clean_block(raw, len(raw) < block) if raw else None
        records = _fast_records(found[1], src.line + 1, delimiter) if found else None
        if records is not None:
            fh.seek(pos + found[0])
            src.line += found[1].count("\n") + (0 if found[1].endswith("\n") else 1)
            yield from records
            continue
        fh.seek(pos)
        if block > 0 and not raw:
            return
        stop = pos + len(raw) if block > 0 else None
        got = False
        for record in _exact_records(src, delimiter, stop):
            got = True
            yield record
        if not got:
            return
