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

import numpy as np
import pandas as pd

from ..knowledge_base import KnowledgeBase
from ..problems import KnowledgeBaseError, Problem, TicketsError
from ..redaction import redact
from ..retrieval import TfidfRetriever
from ..ticket_files import MAX_CHARS, TicketReader, tickets_from_frame
from ..tickets import clean_ticket
from .report import DEFAULT_MARGIN, DEFAULT_MIN_CONFIDENCE, TICKET_COLUMNS, CoverageReport

__all__ = ["analyze_coverage", "questions_as_tickets", "TicketSource", "KEEP_CHARS"]

#: Characters of each cleaned ticket kept in the report (for display and gap clustering).
KEEP_CHARS = 1_000

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


def _ticket_chunks(tickets: TicketSource, problems: list[Problem], text_columns: Sequence[str] | None,
                   chunksize: int, progress: bool | None, reader_options: dict[str, Any]) -> Iterator[pd.DataFrame]:
    """Chunks of DataFrame[row, ref, text] of any :data:`TicketSource`; its problems are added to ``problems``."""
    if isinstance(tickets, (str, Path)):
        path = Path(tickets)
        if path.is_dir():
            yield questions_as_tickets(path)
            return
        reader = TicketReader(path, text_columns, chunksize=chunksize, progress=progress, **reader_options)
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
                     chunksize: int = 1000, progress: bool | None = None, gap_options: dict[str, Any] | None = None,
                     **reader_options: Any) -> CoverageReport:
    """Search every ticket and report coverage, gaps, hits per entry and overlapping entries.

    Parameters
    ----------
    tickets : path, DataFrame or sequence of str
        A CSV/Parquet file (read with :class:`~assistant.ticket_files.TicketReader`), a folder of
        FAQ pages (their questions are the tickets, see :func:`questions_as_tickets`), a DataFrame
        with the text column(s) (and optionally ``row``/``ref``), or plain ticket texts.
    retriever : TfidfRetriever, optional
        A fitted retriever; default: a ``TfidfRetriever()`` fitted on ``kb``.
    kb : KnowledgeBase or path, optional
        The knowledge base when no retriever is given (default: the bundled one).
    text_columns : sequence of str, optional
        See :class:`~assistant.ticket_files.TicketReader`.
    min_confidence : float, default 0.5
        Confidence (0..1) the best entry needs for the ticket to count as covered; 0.5 is the
        retriever's own answering ``threshold`` (a cosine score).
    margin : float, optional
        Score difference within which the top two entries make a covered ticket ambiguous.
        Default: the retriever's ``min_margin`` when it has a positive one, else :data:`DEFAULT_MARGIN`.
    chunksize, progress, **reader_options
        Passed to :class:`~assistant.ticket_files.TicketReader` (``max_chars``,
        ``max_record_bytes``); ``max_chars`` also applies to a DataFrame or plain texts.
    gap_options : dict, optional
        Keyword arguments of :func:`~assistant.coverage.gaps.find_gaps` (``distance``, ``min_size``, ...).

    Raises
    ------
    TicketsError
        If the tickets cannot be read at all (see :class:`~assistant.ticket_files.TicketReader`).
    ValueError
        If the knowledge base has no entries or ``min_confidence``/``margin`` is out of range.
    """
    if retriever is None:
        kb = kb if isinstance(kb, KnowledgeBase) else KnowledgeBase.load(kb)
        retriever = TfidfRetriever().fit(kb)
    if margin is None:
        margin = float(getattr(retriever, "min_margin", 0.0) or 0.0) or DEFAULT_MARGIN
    problems: list[Problem] = []
    rows: list[tuple[Any, ...]] = []
    for chunk in _ticket_chunks(tickets, problems, text_columns, chunksize, progress, reader_options):
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
    return CoverageReport.build(results, entries, problems, min_confidence=min_confidence, margin=margin,
                                gap_options=gap_options)
