"""Streaming coverage: score tickets chunk by chunk and keep only what the report needs.

Memory does not grow with the number of tickets: :class:`CoverageTally` keeps counts, hits per
entry, overlapping pairs, a confidence histogram and a bounded, deterministic sample of the
uncovered tickets (the ``sample_size`` whose hashed ``ref`` is smallest, so the same tickets are
sampled whatever the chunking, the order or the engine: local or Dask). It also keeps every
ticket's row while there are at most ``keep_tickets`` of them, so small runs give the full
per-ticket table. Tallies of partitions merge (:meth:`CoverageTally.merge`).

:func:`score_texts` is the one scoring step: ticket texts -> per-ticket results (DataFrame with
the first ten :data:`~assistant.coverage.report.TICKET_COLUMNS`). :func:`scored_chunks` runs it
over chunks, in ``jobs`` processes when asked.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..tickets import clean_ticket
from .report import TICKET_COLUMNS

__all__ = ["CoverageTally", "score_texts", "scored_chunks", "ticket_key", "RESULT_COLUMNS",
           "DEFAULT_SAMPLE_SIZE", "DEFAULT_KEEP_TICKETS", "HIST_BINS"]

#: Columns of :func:`score_texts` and of ``coverage --out`` (plus ``covered`` and ``ambiguous``).
RESULT_COLUMNS = TICKET_COLUMNS[:10]
#: Uncovered tickets kept for the gap clustering (a deterministic sample beyond that).
DEFAULT_SAMPLE_SIZE = 20_000
#: Up to this many tickets the report keeps every ticket's row (beyond: counts and the sample).
DEFAULT_KEEP_TICKETS = 100_000
#: Bins of the confidence histogram kept by the tally (width 0.01).
HIST_BINS = 100

#: Characters of each cleaned ticket kept (for display and gap clustering).
KEEP_CHARS = 1_000


def ticket_key(refs: Sequence[str]) -> np.ndarray:
    """A stable 64-bit hash of each ``ref`` (uint64): the order of the uncovered-ticket sample."""
    return np.array([int.from_bytes(hashlib.blake2b(str(r).encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                    "big") for r in refs], dtype=np.uint64)


def score_texts(retriever: Any, rows: Sequence[int], refs: Sequence[str], texts: Sequence[str]) -> pd.DataFrame:
    """Clean and score each ticket once: DataFrame with the columns :data:`RESULT_COLUMNS`.

    ``text`` is the cleaned ticket (:func:`assistant.tickets.clean_ticket`, first 1,000
    characters); ``best_id``/``second_id`` are the top two entries by the retriever's score
    (``retriever.scores``: cosine, ties in knowledge-base order, as ``search`` ranks them),
    ``confidence`` is ``retriever.confidence(score)`` and ``margin`` the best minus the second score.
    """
    entries = retriever.entries_
    ids = [e.id for e in entries]
    questions = [e.question for e in entries]
    n = len(texts)
    out_text, best, second = [], np.zeros(n, dtype=np.intp), np.full(n, -1, dtype=np.intp)
    s1, s2 = np.zeros(n), np.full(n, np.nan)
    for k, text in enumerate(texts):
        query = clean_ticket(text)
        out_text.append(query[:KEEP_CHARS])
        scores = retriever.scores(query) if query.strip() else np.zeros(len(entries))
        order = np.argsort(-scores, kind="stable")[:2]
        best[k], s1[k] = order[0], scores[order[0]]
        if len(order) > 1:
            second[k], s2[k] = order[1], scores[order[1]]
    conf = np.array([retriever.confidence(float(s)) for s in s1])
    return pd.DataFrame({
        "row": np.asarray(rows, dtype=np.int64), "ref": list(map(str, refs)), "text": out_text,
        "best_id": [ids[i] for i in best], "best_question": [questions[i] for i in best],
        "score": s1, "confidence": conf,
        "second_id": [ids[i] if i >= 0 else None for i in second], "second_score": s2, "margin": s1 - s2,
    }, columns=RESULT_COLUMNS)


_WORKER: dict[str, Any] = {}


def _init_worker(retriever: Any) -> None:
    _WORKER["retriever"] = retriever


def _score_in_worker(args: tuple[list, list, list]) -> pd.DataFrame:
    return score_texts(_WORKER["retriever"], *args)


def scored_chunks(retriever: Any, chunks: Iterable[pd.DataFrame], jobs: int = 1) -> Iterator[pd.DataFrame]:
    """:func:`score_texts` of each chunk (DataFrame[row, ref, text]), in order.

    ``jobs > 1`` scores in that many processes (the retriever is sent to each once, at start); at
    most ``2 * jobs`` chunks are in flight, so memory stays bounded.
    """
    if jobs <= 1:
        for chunk in chunks:
            yield score_texts(retriever, chunk["row"].tolist(), chunk["ref"].tolist(), chunk["text"].tolist())
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(retriever,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(_score_in_worker, (chunk["row"].tolist(), chunk["ref"].tolist(),
                                                          chunk["text"].tolist())))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class CoverageTally:
    """Running totals of scored tickets (see the module docstring); merge tallies of partitions.

    Parameters
    ----------
    entry_ids : sequence of str
        The knowledge base's entry ids, in order.
    min_confidence, margin : float
        As in :func:`~assistant.coverage.analyze_coverage`.
    sample_size : int, default :data:`DEFAULT_SAMPLE_SIZE`
        Uncovered tickets kept for the gap clustering.
    keep_tickets : int, default :data:`DEFAULT_KEEP_TICKETS`
        Every ticket's row is kept while there are at most this many (``full``); 0 keeps none.
    """

    def __init__(self, entry_ids: Sequence[str], min_confidence: float, margin: float, *,
                 sample_size: int = DEFAULT_SAMPLE_SIZE, keep_tickets: int = DEFAULT_KEEP_TICKETS):
        if not (isinstance(min_confidence, (int, float)) and 0.0 <= min_confidence <= 1.0):
            raise ValueError(f"min_confidence is a confidence in [0, 1], got {min_confidence}")
        if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin >= 0):
            raise ValueError(f"margin must be a finite number >= 0, got {margin}")
        self.entry_ids = list(entry_ids)
        self.min_confidence = float(min_confidence)
        self.margin = float(margin)
        self.sample_size = int(sample_size)
        self.keep_tickets = int(keep_tickets)
        self.tickets = 0
        self.covered = 0
        self.ambiguous = 0
        self.hits: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.hist_covered = np.zeros(HIST_BINS, dtype=np.int64)
        self.hist_uncovered = np.zeros(HIST_BINS, dtype=np.int64)
        self.sample = pd.DataFrame(columns=[*RESULT_COLUMNS, "key"])
        self.full: list[pd.DataFrame] | None = [] if keep_tickets > 0 else None

    def judge(self, results: pd.DataFrame) -> pd.DataFrame:
        """``results`` with the columns ``covered`` and ``ambiguous`` added (a copy)."""
        t = results.copy()
        t["covered"] = t["confidence"].to_numpy(dtype=float) >= self.min_confidence
        t["ambiguous"] = t["covered"] & t["second_id"].notna() & (t["margin"] <= self.margin)
        return t

    def add(self, results: pd.DataFrame) -> pd.DataFrame:
        """Count a chunk of :func:`score_texts` results; returns them judged (see :meth:`judge`)."""
        t = self.judge(results)
        cov = t["covered"].to_numpy(dtype=bool)
        amb = t["ambiguous"].to_numpy(dtype=bool)
        self.tickets += len(t)
        self.covered += int(cov.sum())
        self.ambiguous += int(amb.sum())
        self.hits.update(t.loc[cov, "best_id"].tolist())
        self.pairs.update(tuple(sorted((a, b))) for a, b in zip(t.loc[amb, "best_id"], t.loc[amb, "second_id"]))
        bins = np.minimum((t["confidence"].to_numpy(dtype=float) * HIST_BINS).astype(int), HIST_BINS - 1)
        self.hist_covered += np.bincount(bins[cov], minlength=HIST_BINS)
        self.hist_uncovered += np.bincount(bins[~cov], minlength=HIST_BINS)
        unc = t.loc[~cov, RESULT_COLUMNS].copy()
        if len(unc) and self.sample_size > 0:
            unc["key"] = ticket_key(unc["ref"].tolist())
            self._keep_sample(unc)
        if self.full is not None:
            if self.tickets <= self.keep_tickets:
                self.full.append(results)
            else:
                self.full = None
        return t

    def _keep_sample(self, frame: pd.DataFrame) -> None:
        both = frame if not len(self.sample) else pd.concat([self.sample, frame], ignore_index=True)
        if len(both) > self.sample_size:
            keys = both["key"].to_numpy(dtype=np.uint64)
            both = both.iloc[np.argpartition(keys, self.sample_size - 1)[: self.sample_size]]
        self.sample = both.reset_index(drop=True)

    def merge(self, other: CoverageTally) -> CoverageTally:
        """Add ``other`` (a tally of other tickets, same settings) to this one; returns ``self``.

        ``full`` stays only when both have it and the sum fits ``keep_tickets``; the sample is the
        same as one tally over all the tickets would keep.
        """
        self.tickets += other.tickets
        self.covered += other.covered
        self.ambiguous += other.ambiguous
        self.hits.update(other.hits)
        self.pairs.update(other.pairs)
        self.hist_covered += other.hist_covered
        self.hist_uncovered += other.hist_uncovered
        if len(other.sample):
            self._keep_sample(other.sample)
        if self.full is not None and other.full is not None and self.tickets <= self.keep_tickets:
            self.full += other.full
        else:
            self.full = None
        return self

    @property
    def uncovered(self) -> int:
        return self.tickets - self.covered

    def full_results(self) -> pd.DataFrame | None:
        """Every ticket's results (:data:`RESULT_COLUMNS`) when all were kept, else None."""
        if self.full is None:
            return None
        if not self.full:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        return pd.concat(self.full, ignore_index=True)

    def sorted_sample(self) -> pd.DataFrame:
        """The uncovered-ticket sample in ticket order (by the file part of ``ref``, then ``row``), without ``key``.

        That is the local engine's order over sorted files, so the gap clustering sees the same
        texts in the same order whichever engine made the tally.
        """
        s = self.sample.drop(columns="key")
        files = s["ref"].map(lambda r: str(r).rsplit(":", 1)[0] if ":" in str(r) else "")
        return (s.assign(_file=files).sort_values(["_file", "row"], kind="stable").drop(columns="_file")
                .reset_index(drop=True))
