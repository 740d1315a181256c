"""Coverage of real tickets by the knowledge base: what the FAQ answers, its gaps and its overlaps.

``analyze_coverage(tickets, retriever) -> CoverageReport``: each ticket is cleaned once and
searched; it is **covered** when its best entry's confidence reaches ``min_confidence`` (0.5 = the
retriever's own answering threshold). Uncovered tickets are clustered over TF-IDF into **gap**
topics; covered tickets whose top two entries score within ``margin`` of each other are
**ambiguous** and summed up as overlapping entry pairs.

| module | job |
|---|---|
| :mod:`.analysis` | tickets -> one search each -> :class:`CoverageReport` (:func:`analyze_coverage`, :func:`questions_as_tickets`) |
| :mod:`.report` | :class:`CoverageReport`: covered/ambiguous/hits/overlaps; ``to_dict``, ``to_text``, ``to_html`` |
| :mod:`.stream` | chunk scoring (:func:`score_texts`), :class:`CoverageTally`: bounded-memory totals that merge |
| :mod:`.gaps` | :func:`find_gaps`, :class:`Gap` |
| :mod:`.plots` | matplotlib figures (imported only when a plot is asked for) |
| :mod:`.compare` | the same tickets against two knowledge bases (:func:`~.compare.compare_coverage`, ``--compare-ref``) |
| :mod:`.dask_engine` | the same analysis on a Dask cluster (``[dask]`` extra; imported only for ``--engine dask``) |

Reading tickets files is :mod:`assistant.ticket_files` (``TicketReader``, ``read_tickets``).
"""

from __future__ import annotations

from typing import Any

from .analysis import (
    KEEP_CHARS, OUT_COLUMNS, ResultsWriter, TicketSource, analyze_coverage, entries_frame, questions_as_tickets,
    ticket_paths,
)
from .stream import CoverageTally, score_texts
from .gaps import Gap, find_gaps
from .report import DEFAULT_MARGIN, DEFAULT_MIN_CONFIDENCE, TICKET_COLUMNS, CoverageReport

__all__ = [
    "CoverageReport", "Gap", "TicketSource", "analyze_coverage", "questions_as_tickets", "find_gaps",
    "CoverageTally", "score_texts", "ResultsWriter", "entries_frame", "ticket_paths", "OUT_COLUMNS",
    "plot_hits", "plot_confidence", "plot_gaps", "figure_png",
    "DEFAULT_MARGIN", "DEFAULT_MIN_CONFIDENCE", "TICKET_COLUMNS", "KEEP_CHARS",
]

_PLOTS = ("plot_hits", "plot_confidence", "plot_gaps", "figure_png")


def __getattr__(name: str) -> Any:
    # The plots import matplotlib: only when one is asked for.
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
