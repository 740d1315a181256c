"""Analyzing coverage: search every ticket once and build the :class:`CoverageReport`.

Each ticket is cleaned once (:func:`assistant.tickets.clean_ticket`) and the cleaned text is what
the retriever searches (it does not clean again) and what the report keeps. Tickets come from a
tickets file (:mod:`assistant.ticket_files`), a DataFrame, plain texts, or a folder of FAQ pages
whose questions are taken as tickets (:func:`questions_as_tickets`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Union

import pandas as pd

from ..knowledge_base import KnowledgeBase
from ..problems import KnowledgeBaseError, Problem, TicketsError
from ..redaction import redact
from ..retrieval import TfidfRetriever
from ..ticket_files import MAX_CHARS, TicketReader, tickets_from_frame
from .report import DEFAULT_MARGIN, DEFAULT_MIN_CONFIDENCE, CoverageReport
from .stream import DEFAULT_KEEP_TICKETS, DEFAULT_SAMPLE_SIZE, KEEP_CHARS, RESULT_COLUMNS, CoverageTally, scored_chunks

__all__ = ["analyze_coverage", "questions_as_tickets", "ticket_paths", "entries_frame", "ResultsWriter",
           "TicketSource", "KEEP_CHARS", "OUT_COLUMNS"]

#: Columns of ``coverage --out results.parquet`` (one row per analyzed ticket, in file order).
OUT_COLUMNS = [*RESULT_COLUMNS, "covered", "ambiguous"]

#: What :func:`analyze_coverage` takes as tickets.
TicketSource = Union[str, Path, pd.DataFrame, Sequence[str]]


def questions_as_tickets(folder: str | Path) -> pd.DataFrame:
    """Every question of the FAQ pages under ``folder``, as tickets: DataFrame[row, ref, text].

    ``ref`` is ``source:line`` of the question; ``text`` is the redacted question. Used to check
    which questions of another FAQ the knowledge base covers. Raises :class:`TicketsError` if the
    folder does not exist or holds no FAQ files.
    """
    try:
        other = KnowledgeBase.load(folder)
    except KnowledgeBaseError as exc:
        raise TicketsError(exc.message, file=exc.file, line=exc.line) from None
    rows = [(i, f"{e.source}:{e.line}", redact(e.question)) for i, e in enumerate(other, 1)]
    return pd.DataFrame(rows, columns=["row", "ref", "text"])


def ticket_paths(pattern: str | Path) -> list[Path]:
    """The tickets files of ``pattern``: the path itself, or the files a glob (``*``, ``?``, ``[``) matches, sorted.

    Raises :class:`TicketsError` when a glob matches no file.
    """
    text = str(pattern)
    if not any(c in text for c in "*?["):
        return [Path(text)]
    import glob

    found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    if not found:
        raise TicketsError("no tickets file matches this pattern", file=text)
    return found


def entries_frame(retriever: TfidfRetriever) -> pd.DataFrame:
    """DataFrame[id, question, source, line] of the retriever's entries, in knowledge-base order."""
    return pd.DataFrame([(e.id, e.question, e.source, e.line) for e in retriever.entries_],
                        columns=["id", "question", "source", "line"])


class ResultsWriter:
    """Write judged per-ticket results to a Parquet file as they come (:data:`OUT_COLUMNS`).

    Rows wait in memory until :attr:`ROW_GROUP` have come, then go to the file as one row group
    (the rest when the writer closes).

    ``with ResultsWriter(path) as w: w.write(frame)``; raises :class:`TicketsError` naming the
    path when it cannot be written.
    """

    #: Rows per Parquet row group (fewer, larger groups read and write faster than one per chunk).
    ROW_GROUP = 20_000

    def __init__(self, path: str | Path):
        import pyarrow as pa

        self.path = Path(path)
        self.schema = pa.schema([("row", pa.int64()), ("ref", pa.string()), ("text", pa.string()),
                                 ("best_id", pa.string()), ("best_question", pa.string()), ("score", pa.float64()),
                                 ("confidence", pa.float64()), ("second_id", pa.string()),
                                 ("second_score", pa.float64()), ("margin", pa.float64()), ("covered", pa.bool_()),
                                 ("ambiguous", pa.bool_())])
        self._writer = None
        self._pending: list = []
        self._rows = 0

    def __enter__(self) -> ResultsWriter:
        import pyarrow.parquet as pq

        try:
            self._writer = pq.ParquetWriter(self.path, self.schema)
        except OSError as exc:
            raise TicketsError(f"cannot write the results: {exc.strerror or exc}", file=str(self.path)) from None
        return self

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (:data:`OUT_COLUMNS`); rows are written in groups of about :attr:`ROW_GROUP` rows."""
        import pyarrow as pa

        self._pending.append(pa.Table.from_pandas(frame[OUT_COLUMNS], schema=self.schema, preserve_index=False))
        self._rows += len(frame)
        if self._rows >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending))
        self._pending, self._rows = [], 0

    def __exit__(self, *exc: Any) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()


def _ticket_chunks(tickets: TicketSource, problems: list[Problem], text_columns: Sequence[str] | None,
                   chunksize: int, progress: bool | None, reader_options: dict[str, Any], *, redact: bool = True,
                   files: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Chunks of DataFrame[row, ref, text] of any :data:`TicketSource`; its problems are added to ``problems``.

    ``redact=False`` reads files with ``TicketReader(redact=False)`` (see :func:`.stream.scored_chunks`);
    ``files`` receives each file's name as its problems name it, in reading order.
    """
    if isinstance(tickets, (str, Path)):
        path = Path(tickets)
        if path.is_dir():
            yield questions_as_tickets(path)
            return
        for one in ticket_paths(tickets):
            reader = TicketReader(one, text_columns, chunksize=chunksize, progress=progress, redact=redact,
                                  **reader_options)
            if files is not None:
                files.append(reader.file)
            yield from reader
            problems += reader.bad_rows
        return
    if not isinstance(tickets, pd.DataFrame):
        texts = list(tickets)
        if any(not isinstance(t, str) for t in texts):
            raise TypeError("tickets must be a path, a DataFrame or a sequence of str")
        tickets, text_columns = pd.DataFrame({"text": texts}), None
    frame, found = tickets_from_frame(tickets, text_columns, max_chars=reader_options.get("max_chars", MAX_CHARS))
    problems += found
    yield frame


def analyze_coverage(tickets: TicketSource, retriever: TfidfRetriever | None = None, *,
                     kb: KnowledgeBase | str | Path | None = None, text_columns: Sequence[str] | None = None,
                     min_confidence: float = DEFAULT_MIN_CONFIDENCE, margin: float | None = None,
                     chunksize: int = 5000, progress: bool | None = None, gap_options: dict[str, Any] | None = None,
                     out: str | Path | None = None, jobs: int = 1, sample_size: int = DEFAULT_SAMPLE_SIZE,
                     keep_tickets: int = DEFAULT_KEEP_TICKETS, **reader_options: Any) -> CoverageReport:
    """Search every ticket and report coverage, gaps, hits per entry and overlapping entries.

    Tickets are read, scored and counted chunk by chunk (:mod:`.stream`), so memory does not grow
    with their number: beyond ``keep_tickets`` tickets the report keeps counts and a sample of
    ``sample_size`` uncovered tickets for the gaps (:attr:`CoverageReport.summary`), and
    ``out`` receives every ticket's result as it is scored.

    Parameters
    ----------
    tickets : path, glob, DataFrame or sequence of str
        A CSV/Parquet file (read with :class:`~assistant.ticket_files.TicketReader`), a glob of
        such files (``"tickets/*.parquet"``, read in sorted order), a folder of FAQ pages (their
        questions are the tickets, see :func:`questions_as_tickets`), a DataFrame with the text
        column(s) (and optionally ``row``/``ref``), or plain ticket texts.
    retriever : TfidfRetriever, optional
        A fitted retriever; default: the one of ``kb``.
    kb : KnowledgeBase or path, optional
        The knowledge base when no retriever is given (default: the bundled one). A folder is read
        from its saved index (:func:`assistant.index.load_index`, in ``Settings.from_env().index_dir``;
        built there when missing or stale), as ``faq-assistant`` and the console read it; a
        :class:`KnowledgeBase` object is fitted here.
    text_columns : sequence of str, optional
        See :class:`~assistant.ticket_files.TicketReader`.
    min_confidence : float, default 0.5
        Confidence (0..1) the best entry needs for the ticket to count as covered; 0.5 is the
        retriever's own answering ``threshold`` (a cosine score).
    margin : float, optional
        Score difference within which the top two entries make a covered ticket ambiguous.
        Default: the retriever's ``min_margin`` when it has a positive one, else :data:`DEFAULT_MARGIN`.
    chunksize, progress, **reader_options
        Tickets per chunk (default 5,000: one task of a process) and the rest passed to
        :class:`~assistant.ticket_files.TicketReader` (``max_chars``,
        ``max_record_bytes``); ``max_chars`` also applies to a DataFrame or plain texts.
    gap_options : dict, optional
        Keyword arguments of :func:`~assistant.coverage.gaps.find_gaps` (``distance``, ``min_size``, ...).
    out : path, optional
        Write each analyzed ticket's result to this Parquet file (:data:`OUT_COLUMNS`), in order.
    jobs : int, default 1
        Processes that redact, clean and score tickets (each gets the fitted retriever once); the
        main process reads the files and counts. Nothing is kept, shown or written unredacted.
    sample_size : int, default 20,000
        Uncovered tickets kept for the gap clustering (the same ones whatever the engine or chunking).
    keep_tickets : int, default 100,000
        Up to this many tickets the report holds every ticket's row (:attr:`CoverageReport.tickets`).

    Raises
    ------
    TicketsError
        If the tickets cannot be read at all (see :class:`~assistant.ticket_files.TicketReader`),
        or ``out`` cannot be written.
    ValueError
        If the knowledge base has no entries or ``min_confidence``/``margin`` is out of range
        (``margin`` must be finite).
    """
    if retriever is None:
        if isinstance(kb, KnowledgeBase):
            retriever = TfidfRetriever().fit(kb)
        else:  # one saved index per folder, shared with the CLI, the console and the simulator
            from ..config import Settings
            from ..index import load_index

            retriever = load_index(kb, Settings.from_env().index_dir)[1]
    if margin is None:
        margin = float(getattr(retriever, "min_margin", 0.0) or 0.0) or DEFAULT_MARGIN
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    entries = entries_frame(retriever)
    tally = CoverageTally(entries["id"].tolist(), min_confidence, margin, sample_size=sample_size,
                          keep_tickets=keep_tickets)
    problems: list[Problem] = []
    late: list[Problem] = []  # text-too-long of rows redacted where they were scored
    files: list[str] = []
    chunks = _ticket_chunks(tickets, problems, text_columns, chunksize, progress, reader_options, redact=False,
                            files=files)
    with (ResultsWriter(out) if out is not None else _NoWriter()) as writer:
        for results, cut in scored_chunks(retriever, chunks, jobs):
            judged = tally.add(results)
            writer.write(judged)
            late += cut
    if late:  # each file's problems by row, a row's text-too-long last: the order of reading
        rank = {f: i for i, f in enumerate(files)}
        problems = sorted([*problems, *late], key=lambda p: (rank.get(p.file, len(rank)), p.line))
    return CoverageReport.from_tally(tally, entries, problems, gap_options=gap_options)


class _NoWriter:
    def __enter__(self) -> _NoWriter:
        return self

    def write(self, frame: pd.DataFrame) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        pass
