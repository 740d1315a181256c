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

from ..problems import Problem
from ..ticket_files import redact_and_cut, text_too_long
from ..tickets import clean_ticket
from .report import TICKET_COLUMNS

__all__ = ["CoverageTally", "score_texts", "finish_and_score", "scored_chunks", "ticket_key", "RESULT_COLUMNS",
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
    (``retriever.top_scores`` over the whole chunk at once: cosine, ties in knowledge-base order,
    as ``search`` ranks them), ``confidence`` is ``retriever.confidence(score)`` and ``margin``
    the best minus the second score (NaN, like ``second_score``, when there is one entry).
    """
    entries = retriever.entries_
    ids = np.array([e.id for e in entries] + [None], dtype=object)  # index -1 (no second entry) -> None
    questions = np.array([e.question for e in entries], dtype=object)
    queries = [clean_ticket(text) for text in texts]
    index, score = retriever.top_scores(queries, k=2)
    best, s1 = index[:, 0], score[:, 0]
    second, s2 = index[:, 1], score[:, 1]
    confidence = retriever.confidence
    return pd.DataFrame({
        "row": np.asarray(rows, dtype=np.int64), "ref": list(map(str, refs)),
        "text": [q[:KEEP_CHARS] for q in queries],
        "best_id": ids[best], "best_question": questions[best], "score": s1,
        "confidence": np.array([confidence(float(s)) for s in s1], dtype=float),
        "second_id": ids[second], "second_score": s2, "margin": s1 - s2,
    }, columns=RESULT_COLUMNS)


def finish_and_score(retriever: Any, rows: Sequence[int], refs: Sequence[str], texts: Sequence[str],
                     redacted: Sequence[bool], max_chars: int) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """:func:`score_texts` of texts read with ``TicketReader(redact=False)``, redacted here first.

    Each text whose ``redacted`` is False is redacted and cut to ``max_chars``
    (:func:`assistant.ticket_files.redact_and_cut`). Returns the results and ``(row, length)`` of
    every text that was cut (for its ``text-too-long`` problem).
    """
    done, cut = [], []
    for row, text, ok in zip(rows, texts, redacted):
        if not ok:
            text, length = redact_and_cut(text, max_chars)
            if length > max_chars:
                cut.append((int(row), length))
        done.append(text)
    return score_texts(retriever, rows, refs, done), cut


_WORKER: dict[str, Any] = {}


def _init_worker(retriever: Any) -> None:
    _WORKER["retriever"] = retriever


def _score_chunk(retriever: Any, args: tuple) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    rows, refs, texts, redacted, max_chars = args
    if redacted is None:
        return score_texts(retriever, rows, refs, texts), []
    return finish_and_score(retriever, rows, refs, texts, redacted, max_chars)


def _score_in_worker(args: tuple) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    return _score_chunk(_WORKER["retriever"], args)


def _chunk_args(chunk: pd.DataFrame) -> tuple:
    raw = "redacted" in chunk.columns
    return (chunk["row"].tolist(), chunk["ref"].tolist(), chunk["text"].tolist(),
            chunk["redacted"].tolist() if raw else None, chunk.attrs.get("max_chars", 0))


def _late(attrs: dict, cut: list[tuple[int, int]]) -> list[Problem]:
    return [text_too_long(attrs["file"], row, length, attrs["max_chars"]) for row, length in cut]


def scored_chunks(retriever: Any, chunks: Iterable[pd.DataFrame],
                  jobs: int = 1) -> Iterator[tuple[pd.DataFrame, list[Problem]]]:
    """``(results, problems)`` of each chunk (DataFrame[row, ref, text]), in order.

    ``results`` is :func:`score_texts` of the chunk. A chunk of ``TicketReader(redact=False)``
    (with the column ``redacted``) is redacted by :func:`finish_and_score` where it is scored, and
    ``problems`` are the ``text-too-long`` warnings of its rows that were cut (else empty).
    ``jobs > 1`` cleans, redacts and scores in that many processes (the retriever is sent to
    each once, at start); at most ``2 * jobs`` chunks are in flight, so memory stays bounded.
    """
    if jobs <= 1:
        for chunk in chunks:
            results, cut = _score_chunk(retriever, _chunk_args(chunk))
            yield results, _late(chunk.attrs, cut)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(retriever,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk.attrs, pool.submit(_score_in_worker, _chunk_args(chunk))))
            if len(pending) >= 2 * jobs:
                yield _result(*pending.popleft())
        while pending:
            yield _result(*pending.popleft())


def _result(attrs: dict, future: Any) -> tuple[pd.DataFrame, list[Problem]]:
    results, cut = future.result()
    return results, _late(attrs, cut)


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
        self._sample = pd.DataFrame(columns=[*RESULT_COLUMNS, "key"])
        self._pending: list[pd.DataFrame] = []  # uncovered tickets not yet cut down to the sample
        self._pending_rows = 0
        self.full: list[pd.DataFrame] | None = [] if keep_tickets > 0 else None

    def judge(self, results: pd.DataFrame) -> pd.DataFrame:
        """``results`` with the columns ``covered`` and ``ambiguous`` added (a copy)."""
        covered = results["confidence"].to_numpy(dtype=float) >= self.min_confidence
        ambiguous = covered & results["second_id"].notna().to_numpy() & (results["margin"].to_numpy() <= self.margin)
        t = results.copy(deep=False)  # new columns only: the results' data is shared, not changed
        t["covered"] = covered
        t["ambiguous"] = ambiguous
        return t

    def add(self, results: pd.DataFrame) -> pd.DataFrame:
        """Count a chunk of :func:`score_texts` results; returns them judged (see :meth:`judge`)."""
        t = self.judge(results)
        cov = t["covered"].to_numpy(dtype=bool)
        amb = t["ambiguous"].to_numpy(dtype=bool)
        best = t["best_id"].to_numpy(dtype=object)
        self.tickets += len(t)
        self.covered += int(cov.sum())
        self.ambiguous += int(amb.sum())
        self.hits.update(best[cov].tolist())
        if amb.any():
            second = t["second_id"].to_numpy(dtype=object)[amb]
            self.pairs.update(tuple(sorted((a, b))) for a, b in zip(best[amb].tolist(), second.tolist()))
        bins = np.minimum((t["confidence"].to_numpy(dtype=float) * HIST_BINS).astype(int), HIST_BINS - 1)
        self.hist_covered += np.bincount(bins[cov], minlength=HIST_BINS)
        self.hist_uncovered += np.bincount(bins[~cov], minlength=HIST_BINS)
        if self.sample_size > 0 and not cov.all():
            unc = results.take(np.flatnonzero(~cov))[RESULT_COLUMNS].reset_index(drop=True)
            unc["key"] = ticket_key(unc["ref"].tolist())
            self._keep_sample(unc)
        if self.full is not None:
            if self.tickets <= self.keep_tickets:
                self.full.append(results)
            else:
                self.full = None
        return t

    @property
    def sample(self) -> pd.DataFrame:
        """The uncovered-ticket sample: at most ``sample_size`` rows (:data:`RESULT_COLUMNS` and ``key``), any order."""
        self._cut_sample()
        return self._sample

    def _keep_sample(self, frame: pd.DataFrame) -> None:
        # Candidates are cut down once they outnumber the sample, not at every chunk (the same rows either way).
        self._pending.append(frame)
        self._pending_rows += len(frame)
        if self._pending_rows > max(self.sample_size, 1000):
            self._cut_sample()

    def _cut_sample(self) -> None:
        if not self._pending:
            return
        both = pd.concat([self._sample, *self._pending] if len(self._sample) else self._pending, ignore_index=True)
        self._pending, self._pending_rows = [], 0
        if len(both) > self.sample_size:
            keys = both["key"].to_numpy(dtype=np.uint64)
            both = both.iloc[np.argpartition(keys, self.sample_size - 1)[: self.sample_size]]
        self._sample = both.reset_index(drop=True)

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
