"""Coverage of real tickets by the knowledge base: what the FAQ answers, its gaps and its overlaps.

Reading tickets (:class:`TicketReader`, :func:`read_tickets`)
    A CSV (``.csv``, ``.tsv``, ``.txt``) or Parquet (``.parquet``, ``.pq``) export is read in
    chunks with a tqdm progress bar and bounded memory (any other suffix is a :class:`TicketsError`).
    Messy exports are expected: a UTF-8 BOM, quoted newlines, stray carriage returns, empty rows,
    bytes that are not UTF-8, huge rows, broken quoting. Every row that cannot be analysed as it
    is becomes a :class:`BadRow` (row number and why); none is dropped silently. Ticket text is
    redacted (:func:`assistant.tickets.redact`: emails, phone numbers, access tokens) the moment
    it is read, so no output of this module can show personal data.

Analysing (:func:`analyze_coverage` -> :class:`CoverageReport`)
    Each ticket is cleaned (:func:`assistant.tickets.clean_ticket`) and searched with the
    retriever. A ticket is **covered** when its best entry's confidence reaches ``threshold``
    (0.5 = the retriever's own answering threshold). Uncovered tickets are clustered over TF-IDF
    into **gap** topics (:func:`find_gaps`). Tickets whose top two entries score within ``margin``
    of each other are **ambiguous**; they are summed up as overlapping entry pairs.

Showing (:meth:`CoverageReport.to_dict`, ``to_text``, ``to_html``, :func:`plot_hits`,
:func:`plot_confidence`, :func:`plot_gaps`)
    The JSON contract of ``faq-assistant coverage --json``, a terminal summary, a self-contained
    HTML report (all text escaped, plots embedded as base64 PNG) and matplotlib figures.
"""

from __future__ import annotations

import base64
import codecs
import csv
import html
import io
import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize
from tqdm import tqdm

from .knowledge_base import KnowledgeBase
from .rendering import plural as _plural
from .retrieval import TfidfRetriever
from .tickets import clean_ticket, redact

__all__ = [
    "BadRow", "Gap", "CoverageReport", "TicketReader", "TicketsError", "read_tickets", "questions_as_tickets",
    "analyze_coverage", "find_gaps", "plot_hits", "plot_confidence", "plot_gaps", "figure_png",
    "DEFAULT_MARGIN", "DEFAULT_THRESHOLD",
]

#: Confidence a ticket's best entry needs to count as covered. Match.confidence is 0.5 exactly at
#: the retriever's answering threshold, so by default "covered" means "the retriever would answer".
DEFAULT_THRESHOLD = 0.5
#: Score difference (cosine) within which the top two entries make a ticket ambiguous, used when
#: the retriever has no ``min_margin`` of its own (``TfidfRetriever`` has none by default).
DEFAULT_MARGIN = 0.05
#: Characters of a ticket analysed; longer tickets are cut (and reported).
MAX_CHARS = 20_000
#: Bytes one CSV record may take; a longer record (an unclosed quote, a pasted dump) is skipped.
MAX_RECORD_BYTES = 8 * 2**20
#: Characters of each cleaned ticket kept in the report (for display and gap clustering).
KEEP_CHARS = 1_000

#: File suffixes read as CSV and as Parquet (any other suffix is a :class:`TicketsError`).
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Uncovered tickets in no gap topic listed by :meth:`CoverageReport.to_text` (all are in the HTML).
MAX_UNGROUPED_SHOWN = 10

#: Column names tried, in order, when no text column is given (subject + body are joined).
TEXT_COLUMN_GUESSES = ("text", "body", "description", "message", "question", "query", "content", "ticket", "comment")

TicketSource = Union[str, Path, pd.DataFrame, Sequence[str]]


class TicketsError(ValueError):
    """The tickets cannot be read at all (missing file, no header, unknown column, unsupported format)."""


def _one_line(text: str, width: int) -> str:
    """Ticket text on one line: paragraph breaks (subject | body) shown as `` | ``, cut to ``width``."""
    return textwrap.shorten(_PARAGRAPH_RE.sub(" | ", text.strip()), width, placeholder=" ...")


@dataclass(frozen=True)
class BadRow:
    """A ticket row that could not be analysed as it is.

    ``row`` is the CSV line the record starts on (the header is line 1; a record with quoted
    newlines spans several lines), or the 1-based row of a Parquet file or DataFrame.
    ``reason`` says what is wrong and whether the row was still analysed ("analysed anyway") or
    skipped. It never quotes the row's text.
    """

    row: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason}


# --- reading tickets ---------------------------------------------------------------------------


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

    def __iter__(self) -> "_Lines":
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
            raise _RecordTooLarge
        self.record_bytes += len(raw)
        self.record_quotes += raw.count(b'"')
        if self.first_line_end is None:
            self.first_line_end = self.fh.tell()
        if self.record_bytes > self.limit:
            raise _RecordTooLarge
        if self.line == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.notes[self.line] = f"byte {raw[exc.start]:#04x} is not UTF-8; read as Windows-1252"
            text = raw.decode("cp1252", errors="replace")
        if "\r" in text:
            end = "\n" if text.endswith("\n") else ""
            text = text[: len(text) - len(end)].rstrip("\r").replace("\r", " ") + end
        return text.replace("\x00", "")

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


def _csv_records(fh, limit: int, delimiter: str) -> Iterator[tuple[int, int, list[str] | None, list[str]]]:
    """``(first line, last line, fields or None, problems)`` for each record of a binary CSV stream."""
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)  # our own limit (_RecordTooLarge) applies first
    src = _Lines(fh, limit)

    def strict() -> Iterator[list[str]]:
        return csv.reader(src, delimiter=delimiter, strict=True)

    reader = strict()
    while True:
        src.start_record()
        start = src.record_start
        try:
            fields = next(reader)
        except StopIteration:
            return
        except _RecordTooLarge:
            if src.skip_record():
                yield start, src.line, None, [f"record is over {limit:,} bytes (lines {start}-{src.line}); skipped"]
            else:
                yield start, start, None, ["a quote opened on this line is never closed; skipped this line "
                                           "and read the lines after it as rows"]
                src.rewind(after_first_line=True)
            reader = strict()
            continue
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                yield start, start, None, ["a quote opened on this line is never closed; skipped this line "
                                           "and read the lines after it as rows"]
                src.rewind(after_first_line=True)
                reader = strict()
                continue
            # Malformed quoting (e.g. `"a"b`): read the same record again the lenient way.
            src.rewind(after_first_line=False)
            src.start_record()
            try:
                fields = next(csv.reader(src, delimiter=delimiter))
            except (StopIteration, csv.Error, _RecordTooLarge):
                yield start, src.line, None, [f"malformed CSV ({exc}); skipped"]
                src.rewind(after_first_line=True)
                reader = strict()
                continue
            notes = [src.notes.pop(n) for n in range(start, src.line + 1) if n in src.notes]
            yield start, src.line, fields, [f"malformed quoting ({exc}), read leniently", *notes]
            reader = strict()
            continue
        notes = [src.notes.pop(n) for n in range(start, src.line + 1) if n in src.notes]
        yield start, src.line, fields, notes


def _choose_text_columns(columns: Sequence[str], requested: Sequence[str] | None) -> list[int]:
    """Indexes of the text columns: the requested ones, else subject+body, else a usual name."""
    lower = [c.strip().lower() for c in columns]
    if requested:
        idx = []
        for name in requested:
            if name in columns:
                idx.append(list(columns).index(name))
            elif name.strip().lower() in lower:
                idx.append(lower.index(name.strip().lower()))
            else:
                raise TicketsError(f"no column {name!r} in the tickets; the columns are: {', '.join(map(repr, columns))}")
        return idx
    if "subject" in lower and "body" in lower:
        return [lower.index("subject"), lower.index("body")]
    for guess in TEXT_COLUMN_GUESSES:
        if guess in lower:
            return [lower.index(guess)]
    if len(columns) == 1:
        return [0]
    raise TicketsError("cannot tell which column holds the ticket text; name it with --text-column "
                       f"(text_columns=...); the columns are: {', '.join(map(repr, columns))}")


def _ticket_text(values: Sequence[Any], idx: Sequence[int], names: Sequence[str], row: int,
                 max_chars: int, bad: list[BadRow]) -> str | None:
    """Joined, redacted text of one row, or None (with a bad row) when there is none."""
    parts = []
    for i in idx:
        v = values[i] if i < len(values) else None
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad.append(BadRow(row, f"byte {v[exc.start]:#04x} is not UTF-8; read as Windows-1252; analysed anyway"))
                v = v.decode("cp1252", errors="replace")
        v = str(v).replace("\x00", "").strip()
        if v:
            parts.append(v)
    if not parts:
        if not any(str(v).strip() for v in values if v is not None):
            bad.append(BadRow(row, "empty row; skipped"))
        else:
            cols = ", ".join(repr(names[i]) for i in idx)
            bad.append(BadRow(row, f"no text in {cols}; skipped"))
        return None
    text = redact("\n\n".join(parts))  # redact before cutting, so no address is cut in half and kept
    if len(text) > max_chars:
        bad.append(BadRow(row, f"text is {len(text):,} characters; only the first {max_chars:,} were analysed"))
        text = text[:max_chars]
    return text


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
        Longer ticket text is cut to this many characters (and reported as a bad row).
    max_record_bytes : int, default :data:`MAX_RECORD_BYTES`
        A CSV record larger than this is skipped (and reported); memory stays bounded by it.
    progress : bool or None, default None
        Show a tqdm progress bar on stderr: True always, False never, None when stderr is a terminal.

    Iterating yields DataFrames with columns ``row`` (see :class:`BadRow`), ``ref``
    (``file:row``) and ``text`` (redacted). :attr:`bad_rows` fills up as the file is read; read it
    after the loop. :attr:`columns` and :attr:`text_columns` are known after construction.

    Raises
    ------
    TicketsError
        If the file does not exist, has another suffix than those above (e.g. ``.yaml``,
        ``.xlsx``), is empty, has no header, is UTF-16 or a spreadsheet, or a requested text
        column is missing.
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
        self.bad_rows: list[BadRow] = []
        if not self.path.is_file():
            raise TicketsError(f"{self.path}: no such tickets file")
        suffix = self.path.suffix.lower()
        if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
            kind = f"a {suffix} file" if suffix else "a file without a suffix"
            raise TicketsError(f"{self.path}: {kind} cannot be read as tickets; accepted formats: CSV "
                               f"({', '.join(CSV_SUFFIXES)}) or Parquet ({', '.join(PARQUET_SUFFIXES)})")
        with open(self.path, "rb") as fh:
            head = fh.read(4096)
        if not head:
            raise TicketsError(f"{self.path}: the file is empty (expected a CSV header row)")
        self.format = "parquet" if head[:4] == b"PAR1" or suffix in PARQUET_SUFFIXES else "csv"
        if self.format == "parquet":
            import pyarrow.parquet as pq

            try:
                self._parquet = pq.ParquetFile(self.path)
            except Exception as exc:  # pyarrow raises several types for a broken file
                raise TicketsError(f"{self.path}: not a readable Parquet file ({exc})") from None
            self.columns = list(self._parquet.schema_arrow.names)
        else:
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise TicketsError(f"{self.path}: the file is UTF-16; export it as UTF-8 CSV")
            if head.startswith(b"PK\x03\x04"):
                raise TicketsError(f"{self.path}: looks like a spreadsheet (.xlsx), not CSV; export it as CSV")
            first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
            self.delimiter = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","
            with open(self.path, "rb") as fh:
                header = next(_csv_records(fh, self.max_record_bytes, self.delimiter), None)
            if header is None or header[2] is None or not any(c.strip() for c in header[2]):
                raise TicketsError(f"{self.path}: line 1 is not a CSV header row")
            self.columns = [c.strip() for c in header[2]]
        self._idx = _choose_text_columns(self.columns, text_columns)
        self.text_columns = [self.columns[i] for i in self._idx]

    def __iter__(self) -> Iterator[pd.DataFrame]:
        self.bad_rows = []
        rows = self._parquet_rows() if self.format == "parquet" else self._csv_rows()
        buf: list[tuple[int, str, str]] = []
        for row, text in rows:
            buf.append((row, f"{self.path.name}:{row}", text))
            if len(buf) >= self.chunksize:
                yield pd.DataFrame(buf, columns=["row", "ref", "text"])
                buf = []
        if buf:
            yield pd.DataFrame(buf, columns=["row", "ref", "text"])

    def _bar(self, total: int, unit: str) -> tqdm:
        disable = None if self.progress is None else not self.progress
        return tqdm(total=total, unit=unit, unit_scale=True, desc=f"reading {self.path.name}", disable=disable,
                    leave=False)

    def _csv_rows(self) -> Iterator[tuple[int, str]]:
        size = self.path.stat().st_size
        with open(self.path, "rb") as fh, self._bar(size, "B") as bar:
            records = _csv_records(fh, self.max_record_bytes, self.delimiter)
            next(records, None)  # the header
            width = len(self.columns)
            for n, (start, _end, fields, problems) in enumerate(records):
                if n % 256 == 0:
                    bar.update(fh.tell() - bar.n)
                if fields is None:
                    self.bad_rows += [BadRow(start, p) for p in problems]
                    continue
                if not fields:
                    self.bad_rows.append(BadRow(start, "empty line; skipped"))
                    continue
                if len(fields) != width:
                    problems = [*problems, f"has {len(fields)} fields, the header has {width}"]
                bad: list[BadRow] = []
                text = _ticket_text(fields, self._idx, self.columns, start, self.max_chars, bad)
                outcome = "analysed anyway" if text is not None else "skipped"
                self.bad_rows += [BadRow(start, f"{p}; {outcome}") for p in problems] + bad
                if text is not None:
                    yield start, text
            bar.update(size - bar.n)

    def _parquet_rows(self) -> Iterator[tuple[int, str]]:
        row = 0
        names = self.text_columns
        with self._bar(self._parquet.metadata.num_rows, "rows") as bar:
            for batch in self._parquet.iter_batches(batch_size=self.chunksize, columns=list(dict.fromkeys(names))):
                cols = [batch.column(batch.schema.get_field_index(n)).to_pylist() for n in names]
                for values in zip(*cols):
                    row += 1
                    bad: list[BadRow] = []
                    text = _ticket_text(values, range(len(names)), names, row, self.max_chars, bad)
                    self.bad_rows += bad
                    if text is not None:
                        yield row, text
                bar.update(batch.num_rows)


def read_tickets(path: str | Path, text_columns: Sequence[str] | None = None, **kwargs: Any) -> tuple[pd.DataFrame, list[BadRow]]:
    """Read a whole tickets file: ``(DataFrame[row, ref, text], bad rows)``. See :class:`TicketReader`."""
    reader = TicketReader(path, text_columns, **kwargs)
    chunks = list(reader)
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=["row", "ref", "text"])
    return frame, reader.bad_rows


def questions_as_tickets(folder: str | Path) -> pd.DataFrame:
    """Every question of the FAQ pages under ``folder``, as tickets: DataFrame[row, ref, text].

    ``ref`` is ``source:line`` of the question. Used to check which questions of another FAQ
    the knowledge base covers. Raises :class:`TicketsError` if the folder holds no FAQ files.
    """
    from .knowledge_base import KnowledgeBaseError

    try:
        other = KnowledgeBase.load(folder)
    except KnowledgeBaseError as exc:
        raise TicketsError(str(exc)) from None
    rows = [(i, f"{e.source}:{e.line}", redact(e.question)) for i, e in enumerate(other, 1)]
    return pd.DataFrame(rows, columns=["row", "ref", "text"])


# --- gaps ----------------------------------------------------------------------------------------


@dataclass
class Gap:
    """A topic of uncovered tickets: ``size`` tickets, their top ``terms``, a few ``examples``."""

    label: str
    size: int
    terms: list[str]
    examples: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "size": self.size, "terms": list(self.terms), "examples": list(self.examples)}


#: Words that say nothing about a ticket's topic: English function words and helpdesk filler.
GAP_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "hi hello hey dear thanks thank thx regards cheers best kind sincerely please pls urgent asap help "
    "need needs want wants like know tried try trying able unable issue problem question questions "
    "ticket team support wondering wonder let just really ve ll re don doesn didn isn aren won can "
    "could would should does did use using used way possible currently".split()
)
_PLACEHOLDER_RE = re.compile(r"\[(?:email|phone|token)\]")
_PARAGRAPH_RE = re.compile(r"\s*\n\s*\n\s*")


def find_gaps(texts: Sequence[str], *, distance: float = 0.8, min_size: int = 2, max_examples: int = 3,
              max_tickets: int = 2000, seed: int = 0) -> tuple[np.ndarray, list[Gap]]:
    """Group ticket texts into topics (agglomerative clustering over TF-IDF, cosine, average linkage).

    Parameters
    ----------
    texts : sequence of str
        Cleaned, redacted ticket texts (usually the uncovered ones).
    distance : float, default 0.8
        Cosine distance under which groups merge (average over their tickets' pairs); lower makes
        tighter, smaller topics.
    min_size : int, default 2
        Smaller groups are not reported as gaps (label -1).
    max_examples : int, default 3
        Example tickets per gap: the ones closest to the topic's centre, skipping any nearly the same
        as one already chosen, shortened to 200 characters (paragraph breaks shown as ``|``).
    max_tickets : int, default 2000
        At most this many tickets are clustered (a fixed random sample, memory is O(n^2)); the
        others join the nearest topic when within ``distance`` of its centre.

    Returns
    -------
    labels : ndarray of int, shape (len(texts),)
        Index into ``gaps`` for each text, -1 when it belongs to no gap.
    gaps : list of Gap
        Biggest first; ``label`` is the top three terms joined by `` / ``.
    """
    n = len(texts)
    labels = np.full(n, -1, dtype=int)
    if n < max(min_size, 2):
        return labels, []
    docs = [_PLACEHOLDER_RE.sub(" ", t) for t in texts]
    vec = TfidfVectorizer(stop_words=sorted(GAP_STOP_WORDS), token_pattern=r"(?u)\b[^\W\d_][^\W_]+\b",
                          sublinear_tf=True, min_df=2 if n >= 20 else 1)
    try:
        X = vec.fit_transform(docs)
    except ValueError:  # nothing but stop words
        return labels, []
    terms = vec.get_feature_names_out()
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, max_tickets, replace=False)) if n > max_tickets else np.arange(n)
    Xs = X[sample]
    dist = np.clip(1.0 - (Xs @ Xs.T).toarray(), 0.0, 1.0)
    np.fill_diagonal(dist, 0.0)
    found = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                    distance_threshold=distance).fit(dist).labels_
    sizes = Counter(found)
    keep = [c for c, s in sizes.items() if s >= min_size]
    if not keep:
        return labels, []
    centres = normalize(np.vstack([np.asarray(Xs[found == c].mean(axis=0)) for c in keep]))
    sims = np.asarray(X @ centres.T)
    best = sims.argmax(axis=1)
    in_sample = np.zeros(n, dtype=bool)
    in_sample[sample] = True
    for pos, c in zip(sample, found):
        if c in keep:
            labels[pos] = keep.index(c)
    outside = ~in_sample & (sims.max(axis=1) >= 1.0 - distance)
    labels[outside] = best[outside]

    gaps: list[tuple[Gap, int]] = []
    for k in range(len(keep)):
        members = np.flatnonzero(labels == k)
        if len(members) < min_size:
            continue
        weights = np.asarray(X[members].mean(axis=0)).ravel()
        top = [str(terms[i]) for i in np.argsort(-weights, kind="stable")[:5] if weights[i] > 0]
        examples: list[str] = []
        chosen: list[int] = []
        for i in members[np.argsort(-sims[members, k], kind="stable")]:
            if chosen and (X[chosen] @ X[i].T).toarray().max() > 0.8:
                continue  # nearly the same words as an example already shown
            ex = _one_line(texts[i], 200)
            if ex and ex not in examples:
                examples.append(ex)
                chosen.append(i)
            if len(examples) >= max_examples:
                break
        if not examples:
            examples = [_one_line(texts[members[0]], 200)]
        gaps.append((Gap(" / ".join(top[:3]) or "(no distinctive words)", len(members), top, examples), k))
    gaps.sort(key=lambda g: (-g[0].size, g[0].label))
    remap = {old: new for new, (_, old) in enumerate(gaps)}
    labels = np.array([remap.get(x, -1) for x in labels], dtype=int)
    return labels, [g for g, _ in gaps]


# --- the report --------------------------------------------------------------------------------

#: Columns of :attr:`CoverageReport.tickets`.
TICKET_COLUMNS = ["row", "ref", "text", "best_id", "best_question", "score", "confidence", "second_id",
                  "second_score", "margin", "covered", "ambiguous", "gap", "gap_label"]


@dataclass
class CoverageReport:
    """What the knowledge base answers of a set of tickets.

    Attributes
    ----------
    tickets : DataFrame
        One row per analysed ticket, columns :data:`TICKET_COLUMNS`: ``row``/``ref`` (where it came
        from), ``text`` (cleaned, redacted, first :data:`KEEP_CHARS` characters), ``best_id``,
        ``best_question``, ``score`` (cosine), ``confidence`` (0..1), ``second_id``,
        ``second_score``, ``margin`` (best minus second score), ``covered``, ``ambiguous``,
        ``gap`` (index into :attr:`gaps`, -1 for none) and ``gap_label``.
    entries : DataFrame
        Every FAQ entry, most hits first: ``id``, ``question``, ``source``, ``line``, ``hits`` (covered
        tickets whose best entry it is; 0 for entries no ticket hit).
    gaps : list of Gap
    ambiguous_pairs : DataFrame
        ``a``, ``b`` (entry ids, ``a < b``), ``count`` (ambiguous tickets whose top two they are).
    bad_rows : list of BadRow
    threshold : float
        Confidence a ticket's best entry needs to count as covered.
    margin : float
        Score difference within which the top two entries make a covered ticket ambiguous.
    """

    tickets: pd.DataFrame
    entries: pd.DataFrame
    gaps: list[Gap]
    ambiguous_pairs: pd.DataFrame
    bad_rows: list[BadRow]
    threshold: float
    margin: float
    gap_options: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_tickets(self) -> int:
        return int(len(self.tickets))

    @property
    def n_covered(self) -> int:
        return int(self.tickets["covered"].sum()) if len(self.tickets) else 0

    @property
    def coverage_rate(self) -> float:
        """Covered tickets / analysed tickets (0.0 when there are none)."""
        return self.n_covered / self.n_tickets if self.n_tickets else 0.0

    @classmethod
    def build(cls, results: pd.DataFrame, entries: pd.DataFrame, bad_rows: Sequence[BadRow], *,
              threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN,
              gap_options: dict[str, Any] | None = None) -> "CoverageReport":
        """Derive coverage, gaps, hits and overlaps from per-ticket search results.

        ``results`` has the columns of :data:`TICKET_COLUMNS` up to ``margin``; ``entries`` has
        ``id``, ``question``, ``source``, ``line``.
        """
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold is a confidence in [0, 1], got {threshold}")
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        opts = dict(gap_options or {})
        t = results[TICKET_COLUMNS[:10]].copy()
        t["covered"] = t["confidence"] >= threshold
        t["ambiguous"] = t["covered"] & t["second_id"].notna() & (t["margin"] <= margin)
        t["gap"] = -1
        t["gap_label"] = ""
        uncovered = np.flatnonzero(~t["covered"].to_numpy())
        labels, gaps = find_gaps(t["text"].iloc[uncovered].tolist(), **opts)
        t.loc[t.index[uncovered], "gap"] = labels
        t["gap_label"] = [gaps[g].label if g >= 0 else "" for g in t["gap"]]

        hits = Counter(t.loc[t["covered"], "best_id"])
        e = entries[["id", "question", "source", "line"]].copy()
        e["hits"] = [int(hits.get(i, 0)) for i in e["id"]]
        e = e.sort_values("hits", ascending=False, kind="stable").reset_index(drop=True)

        amb = t[t["ambiguous"]]
        pairs = Counter(tuple(sorted((a, b))) for a, b in zip(amb["best_id"], amb["second_id"]))
        ap = pd.DataFrame([(a, b, n) for (a, b), n in pairs.items()], columns=["a", "b", "count"])
        ap = ap.sort_values(["count", "a", "b"], ascending=[False, True, True], kind="stable").reset_index(drop=True)
        return cls(t.reset_index(drop=True), e, gaps, ap, list(bad_rows), float(threshold), float(margin), opts)

    def with_threshold(self, threshold: float, margin: float | None = None) -> "CoverageReport":
        """The same tickets judged at another confidence ``threshold`` (and ``margin``); no new search."""
        return CoverageReport.build(self.tickets, self.entries, self.bad_rows, threshold=threshold,
                                    margin=self.margin if margin is None else margin, gap_options=self.gap_options)

    # -- outputs --

    def to_dict(self) -> dict[str, Any]:
        """The ``coverage --json`` contract.

        ``{"tickets": int, "covered": int, "coverage_rate": float, "gaps": [{"label", "size", "terms",
        "examples"}], "entries": [{"id", "question", "hits"}], "ambiguous_pairs": [{"a", "b", "count"}],
        "bad_rows": [{"row", "reason"}]}``.
        """
        return {
            "tickets": self.n_tickets,
            "covered": self.n_covered,
            "coverage_rate": round(self.coverage_rate, 4),
            "gaps": [g.to_dict() for g in self.gaps],
            "entries": [{"id": r.id, "question": r.question, "hits": int(r.hits)} for r in self.entries.itertuples()],
            "ambiguous_pairs": [{"a": r.a, "b": r.b, "count": int(r.count)} for r in self.ambiguous_pairs.itertuples()],
            "bad_rows": [b.to_dict() for b in self.bad_rows],
        }

    def summary(self) -> str:
        """One line: how many tickets, how many covered, at which threshold."""
        ambiguous = int(self.tickets["ambiguous"].sum()) if len(self.tickets) else 0
        return (f"{self.n_covered} of {_plural(self.n_tickets, 'ticket')} covered ({self.coverage_rate:.1%}) by "
                f"{_plural(len(self.entries), 'FAQ entry', 'FAQ entries')} at confidence threshold "
                f"{self.threshold:.2f}; {_plural(len(self.gaps), 'gap topic')}, "
                f"{_plural(ambiguous, 'ambiguous ticket')}, {_plural(len(self.bad_rows), 'bad row')}")

    def to_text(self, width: int = 100) -> str:
        """Terminal summary: coverage, gaps, hits per entry, overlapping pairs, bad rows.

        Uncovered tickets in no gap topic (too few alike to group) are listed after the topics
        (``ref`` and redacted text, the first :data:`MAX_UNGROUPED_SHOWN`).
        """
        q = dict(zip(self.entries["id"], self.entries["question"]))
        out = [self.summary(), ""]
        n_unc = self.n_tickets - self.n_covered
        in_gaps = sum(g.size for g in self.gaps)
        line = f"Gaps: {_plural(n_unc, 'uncovered ticket')}"
        if n_unc > 1:
            line += f", {in_gaps} of them in {_plural(len(self.gaps), 'topic')}"
        out.append(line)
        for g in self.gaps:
            out.append(f"  {g.size:5d}  {g.label}")
            if g.examples:
                out.append("         e.g. " + textwrap.shorten(g.examples[0], width - 14, placeholder=" ..."))
        alone = self.tickets[~self.tickets["covered"] & (self.tickets["gap"] < 0)]
        if len(alone):
            out.append(f"  {len(alone):5d}  in no topic (too few alike to group)")
            for r in alone.head(MAX_UNGROUPED_SHOWN).itertuples():
                ref = f"row {r.ref}" if str(r.ref).isdigit() else str(r.ref)  # plain texts: just the row
                out.append(f"         {ref}: {_one_line(r.text, max(width - 11 - len(ref), 20))}")
            if len(alone) > MAX_UNGROUPED_SHOWN:
                out.append(f"         ... and {len(alone) - MAX_UNGROUPED_SHOWN} more (--html lists every ticket)")
        out += ["", "Hits per FAQ entry (covered tickets whose best entry it is)"]
        for r in self.entries.itertuples():
            note = "   <- no ticket" if r.hits == 0 else ""
            out.append(f"  {r.hits:5d}  {textwrap.shorten(r.question, width - 30, placeholder=' ...')}{note}")
        out += ["", f"Overlapping entries (covered tickets whose top two scored within {self.margin:.2f})"]
        if not len(self.ambiguous_pairs):
            out.append("  none")
        for r in self.ambiguous_pairs.itertuples():
            half = (width - 16) // 2
            out.append(f"  {r.count:5d}  {textwrap.shorten(q.get(r.a, r.a), half, placeholder=' ...')}")
            out.append(f"         <> {textwrap.shorten(q.get(r.b, r.b), half, placeholder=' ...')}")
        out += ["", f"Bad rows: {len(self.bad_rows)}"]
        out += [f"  row {b.row}: {b.reason}" for b in self.bad_rows]
        return "\n".join(out)

    def figures(self) -> dict[str, Figure]:
        """``{"hits", "confidence", "gaps"}``: the report's plots."""
        return {"hits": plot_hits(self), "confidence": plot_confidence(self), "gaps": plot_gaps(self)}

    def to_html(self, title: str = "FAQ coverage report", max_tickets: int = 1000) -> str:
        """A self-contained HTML page: summary, plots (base64 PNG), gaps, entries, overlaps, bad rows, tickets.

        Every piece of ticket and FAQ text is escaped with :func:`html.escape`. At most
        ``max_tickets`` ticket rows are listed (uncovered first), each ticket's paragraphs (subject,
        body) joined with `` | `` as in the gap examples.
        """
        esc = html.escape
        q = dict(zip(self.entries["id"], self.entries["question"]))
        parts = [
            "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{esc(title)}</title>",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
            "vertical-align:top;text-align:left}td.n{text-align:right}img{max-width:100%}</style>",
            "</head><body>", f"<h1>{esc(title)}</h1>", f"<p>{esc(self.summary())}</p>",
        ]
        alt = {"hits": "Bar chart: covered tickets per FAQ entry",
               "confidence": "Histogram of the best entry's confidence per ticket, threshold marked",
               "gaps": "Bar chart: uncovered tickets per gap topic"}
        for name, fig in self.figures().items():
            data = base64.b64encode(figure_png(fig)).decode("ascii")
            parts.append(f'<img alt="{esc(alt[name])}" src="data:image/png;base64,{data}">')
        parts.append("<h2>Gaps: uncovered tickets by topic</h2>")
        parts.append(_html_table(["size", "topic", "top terms", "examples"],
                                 [[g.size, g.label, ", ".join(g.terms), "\n\n".join(g.examples)] for g in self.gaps]))
        parts.append("<h2>Hits per FAQ entry</h2>")
        parts.append(_html_table(["hits", "question", "id"],
                                 [[r.hits, r.question, r.id] for r in self.entries.itertuples()]))
        parts.append(f"<h2>Overlapping entries (top two within {self.margin:.2f})</h2>")
        parts.append(_html_table(["tickets", "entry a", "entry b"],
                                 [[r.count, q.get(r.a, r.a), q.get(r.b, r.b)] for r in self.ambiguous_pairs.itertuples()]))
        parts.append("<h2>Bad rows</h2>")
        parts.append(_html_table(["row", "reason"], [[b.row, b.reason] for b in self.bad_rows]))
        shown = self.tickets.sort_values(["covered", "confidence"], kind="stable").head(max_tickets)
        parts.append(f"<h2>Tickets ({len(shown)} of {self.n_tickets}, uncovered first)</h2>")
        parts.append(_html_table(
            ["ref", "covered", "confidence", "best entry", "gap", "ticket"],
            [[r.ref, "yes" if r.covered else "no", f"{r.confidence:.2f}", r.best_question or "", r.gap_label,
              _one_line(r.text, 300)] for r in shown.itertuples()]))
        parts.append("</body></html>")
        return "\n".join(parts)


def _html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    rows = list(rows)
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for v in row:
            cls = ' class="n"' if isinstance(v, (int, np.integer)) else ""
            text = html.escape(str(v)).replace("\n\n", "<br><br>")
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --- analysis -----------------------------------------------------------------------------------


def _ticket_frames(tickets: TicketSource, text_columns: Sequence[str] | None, chunksize: int,
                   progress: bool | None, reader_options: dict[str, Any]) -> tuple[Iterable[pd.DataFrame], Any]:
    """(chunks of DataFrame[row, ref, text], object whose ``bad_rows`` to read after the chunks)."""
    if isinstance(tickets, (str, Path)):
        path = Path(tickets)
        if path.is_dir():
            return [questions_as_tickets(path)], None
        reader = TicketReader(path, text_columns, chunksize=chunksize, progress=progress, **reader_options)
        return reader, reader
    if isinstance(tickets, pd.DataFrame):
        idx = _choose_text_columns([str(c) for c in tickets.columns], text_columns)
        names = [str(c) for c in tickets.columns]
        rows = tickets["row"].tolist() if "row" in tickets.columns else list(range(1, len(tickets) + 1))
        refs = tickets["ref"].tolist() if "ref" in tickets.columns else [str(r) for r in rows]
        holder = type("Bad", (), {})()
        holder.bad_rows = []
        out = []
        max_chars = reader_options.get("max_chars", MAX_CHARS)
        for values, row, ref in zip(tickets.itertuples(index=False, name=None), rows, refs):
            text = _ticket_text(values, idx, names, int(row), max_chars, holder.bad_rows)
            if text is not None:
                out.append((int(row), str(ref), text))
        return [pd.DataFrame(out, columns=["row", "ref", "text"])], holder
    texts = list(tickets)
    if any(not isinstance(t, str) for t in texts):
        raise TypeError("tickets must be a path, a DataFrame or a sequence of str")
    return _ticket_frames(pd.DataFrame({"text": texts}), None, chunksize, progress, reader_options)


def analyze_coverage(tickets: TicketSource, retriever: TfidfRetriever | None = None, *,
                     kb: KnowledgeBase | str | Path | None = None, text_columns: Sequence[str] | None = None,
                     threshold: float = DEFAULT_THRESHOLD, margin: float | None = None, chunksize: int = 1000,
                     progress: bool | None = None, gap_options: dict[str, Any] | None = None,
                     **reader_options: Any) -> CoverageReport:
    """Search every ticket and report coverage, gaps, hits per entry and overlapping entries.

    Parameters
    ----------
    tickets : path, DataFrame or sequence of str
        A CSV/Parquet file (read with :class:`TicketReader`), a folder of FAQ pages (their
        questions are the tickets, see :func:`questions_as_tickets`), a DataFrame with the text
        column(s) (and optionally ``row``/``ref``), or plain ticket texts.
    retriever : TfidfRetriever, optional
        A fitted retriever; default: a ``TfidfRetriever()`` fitted on ``kb``.
    kb : KnowledgeBase or path, optional
        The knowledge base when no retriever is given (default: the bundled one).
    text_columns : sequence of str, optional
        See :class:`TicketReader`.
    threshold : float, default 0.5
        Confidence the best entry needs for the ticket to count as covered.
    margin : float, optional
        Score difference within which the top two entries make a covered ticket ambiguous.
        Default: the retriever's ``min_margin`` when it has a positive one, else :data:`DEFAULT_MARGIN`.
    chunksize, progress, **reader_options
        Passed to :class:`TicketReader` (``max_chars``, ``max_record_bytes``).
    gap_options : dict, optional
        Keyword arguments of :func:`find_gaps` (``distance``, ``min_size``, ...).

    Raises
    ------
    TicketsError
        If the tickets cannot be read at all (see :class:`TicketReader`).
    ValueError
        If the knowledge base has no entries or ``threshold``/``margin`` is out of range.
    """
    if retriever is None:
        kb = kb if isinstance(kb, KnowledgeBase) else KnowledgeBase.load(kb)
        retriever = TfidfRetriever().fit(kb)
    if margin is None:
        margin = float(getattr(retriever, "min_margin", 0.0) or 0.0) or DEFAULT_MARGIN
    chunks, bad_holder = _ticket_frames(tickets, text_columns, chunksize, progress, reader_options)
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks:
        for row, ref, text in chunk.itertuples(index=False, name=None):
            query = clean_ticket(text)
            result = retriever.search(query, top_k=2)
            best = result.matches[0] if result.matches else None
            second = result.matches[1] if len(result.matches) > 1 else None
            rows.append((
                int(row), ref, query[:KEEP_CHARS],
                best.entry.id if best else None, best.entry.question if best else None,
                float(best.score) if best else 0.0, float(best.confidence) if best else 0.0,
                second.entry.id if second else None, float(second.score) if second else np.nan,
                float(best.score - second.score) if best and second else np.nan,
            ))
    results = pd.DataFrame(rows, columns=TICKET_COLUMNS[:10])
    entries = pd.DataFrame([(e.id, e.question, e.source, e.line) for e in retriever.entries_],
                           columns=["id", "question", "source", "line"])
    bad = bad_holder.bad_rows if bad_holder is not None else []
    return CoverageReport.build(results, entries, bad, threshold=threshold, margin=margin, gap_options=gap_options)


# --- plots ----------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Label text with ``$`` escaped, so two dollar signs in a question never start mathtext."""
    return text.replace("$", r"\$")


def plot_hits(report: CoverageReport, max_entries: int = 40) -> Figure:
    """Horizontal bars: covered tickets per FAQ entry (entries with no hit shown in red), most hits on top."""
    e = report.entries.head(max_entries)
    fig = Figure(figsize=(9, 0.3 * len(e) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(e))[::-1]
    colors = ["#c0392b" if h == 0 else "#2e86c1" for h in e["hits"]]
    ax.barh(y, e["hits"], color=colors)
    ax.set_yticks(y, [_plain(textwrap.shorten(q, 60, placeholder=" ...")) for q in e["question"]], fontsize=8)
    ax.set_xlabel("covered tickets (best entry)")
    zero = int((report.entries["hits"] == 0).sum())
    title = "Hits per FAQ entry: " + (f"{zero} with no hit (red)" if zero else "every entry hit at least once")
    if len(report.entries) > max_entries:
        title += f"; top {max_entries} of {len(report.entries)}"
    ax.set_title(title, fontsize=10)
    return fig


def plot_confidence(report: CoverageReport) -> Figure:
    """Histogram of each ticket's best confidence, covered and uncovered stacked, threshold marked."""
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.add_subplot()
    conf = report.tickets["confidence"].to_numpy(dtype=float)
    cov = report.tickets["covered"].to_numpy(dtype=bool)
    bins = np.linspace(0.0, 1.0, 21)
    ax.hist([conf[~cov], conf[cov]], bins=bins, stacked=True, color=["#c0392b", "#27ae60"],
            label=["uncovered", "covered"])
    ax.axvline(report.threshold, color="black", linestyle="--", label=f"threshold {report.threshold:.2f}")
    ax.set_xlim(0, 1)
    ax.set_xlabel("confidence of the best FAQ entry")
    ax.set_ylabel("tickets")
    ax.set_title(f"Confidence per ticket: {report.coverage_rate:.0%} covered", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def plot_gaps(report: CoverageReport, max_gaps: int = 20) -> Figure:
    """Horizontal bars: uncovered tickets per gap topic, biggest on top."""
    gaps = report.gaps[:max_gaps]
    fig = Figure(figsize=(8, 0.35 * max(len(gaps), 1) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    if not gaps:
        ax.text(0.5, 0.5, "no gap topics", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(gaps))[::-1]
    ax.barh(y, [g.size for g in gaps], color="#e67e22")
    ax.set_yticks(y, [_plain(textwrap.shorten(g.label, 50, placeholder=" ...")) for g in gaps], fontsize=8)
    ax.set_xlabel("uncovered tickets")
    ax.set_title("Gap topics (uncovered tickets grouped by TF-IDF similarity)", fontsize=10)
    return fig


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
