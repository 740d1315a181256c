"""Measure a retriever on questions with known answers: top-k accuracy, MRR, abstention, latency.

The eval set format (``../shared/eval/questions-dev.csv``) is a CSV with columns ``query``,
``expected`` (the exact question texts of the FAQ entries that answer the query, joined by
`` || ``; empty when the knowledge base does not answer it) and optionally ``kind``
(paraphrase, short, typo, ticket, out_of_scope ...).

:func:`evaluate` measures what ``faq-assistant ask`` does: each query is cleaned once
(:func:`assistant.tickets.clean_ticket`) and searched. It returns an :class:`Evaluation`: the
overall metrics and one row per question; :meth:`Evaluation.to_text` is the ``eval`` command's text.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .entries import FaqEntry
from .files import decode, shown_path
from .problems import InputFileError, Problem
from .redaction import redact
from .results import SearchResult
from .tickets import clean_ticket

__all__ = ["Evaluation", "EvalQuestion", "read_eval_csv", "evaluate", "combine", "reliability_table",
           "expected_calibration_error", "METRIC_KEYS", "SEPARATOR", "MRR_DEPTH"]

#: Separator of acceptable questions in the ``expected`` column.
SEPARATOR = " || "
#: Ranks searched per question; a right entry below this rank counts 0 in MRR.
MRR_DEPTH = 10
#: Keys of :meth:`Evaluation.to_dict` (the ``eval --json`` contract), in order.
METRIC_KEYS = ("n", "top1", "top3", "mrr", "oos_auroc", "answered_in_scope", "abstained_out_of_scope",
               "answered_precision", "p50_ms", "p99_ms", "misses")
ROW_COLUMNS = ["line", "query", "kind", "expected", "expected_ids", "answerable", "got", "got_id", "score",
               "confidence", "answered", "rank", "correct", "latency_ms"]


class Searcher(Protocol):
    def search(self, query: str, top_k: int = 3) -> SearchResult: ...


@dataclass
class EvalQuestion:
    """One eval question: ``expected`` holds the acceptable question texts (empty: out of scope)."""

    query: str
    expected: list[str]
    kind: str = ""
    line: int | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


def read_eval_csv(source: str | Path | io.TextIOBase) -> list[EvalQuestion]:
    """Read an eval CSV (columns ``query``, ``expected``, optional ``kind``).

    ``line`` of each question is the 1-based line where its record starts (quoted fields may
    span lines). A question with an empty ``expected`` and no ``kind`` gets kind ``out_of_scope``.

    Raises
    ------
    InputFileError
        (a ``ValueError``) Naming the file (and line) when a column is missing, a ``query`` is
        empty or the bytes are not UTF-8 (``eval.csv:3: not UTF-8 (byte 0xe9); save the file as
        UTF-8``): an eval file is never scored with replaced text.
    OSError
        When the file cannot be read (missing, no permission, a looping symlink). A path that is
        not a regular file (a FIFO, device or folder) is an ``InputFileError`` naming it.
    """
    if isinstance(source, (str, Path)):
        name = shown_path(source)
        if not stat.S_ISREG(os.stat(source).st_mode):  # a FIFO would block forever, a device never end
            raise InputFileError("not a regular file (a folder, FIFO, socket or device): pass an eval CSV file",
                                 file=name)
        raw = Path(source).read_bytes()
        text, problems = decode(raw, name)  # the one UTF-8 policy: BOM dropped, bad bytes found
        if problems:
            raise _not_utf8(problems[0], raw)
        fh: Any = io.StringIO(text, newline="")
    else:
        name = getattr(source, "name", "<eval>")
        fh = source
    reader = csv.reader(fh)
    try:
        return _read_eval_records(reader, name)
    except UnicodeDecodeError as exc:  # a stream decoded in chunks: the line is not known
        raise InputFileError(f"not UTF-8 (byte {exc.object[exc.start]:#04x}); save the file as UTF-8",
                             file=name) from None


def _not_utf8(problem: Problem, raw: bytes) -> InputFileError:
    """:func:`decode`'s ``not-utf8`` warning as an error naming the file, the line and the byte."""
    row = raw.split(b"\n")[problem.line - 1]
    try:
        row.decode("utf-8")
        byte = ""
    except UnicodeDecodeError as exc:
        byte = f" (byte {row[exc.start]:#04x})"
    return InputFileError(f"not UTF-8{byte}; save the file as UTF-8", file=problem.file, line=problem.line)


def _read_eval_records(reader: Any, name: str) -> list[EvalQuestion]:
    header = next(reader, None)
    if header is None:
        raise InputFileError("the eval file is empty (expected a header: query,expected,kind)", file=name)
    cols = [h.strip().lower() for h in header]
    missing = [c for c in ("query", "expected") if c not in cols]
    if missing:
        raise InputFileError(f"missing column(s) {', '.join(missing)} "
                             f"(the header must name query and expected, e.g. query,expected,kind)", file=name, line=1)
    qi, ei = cols.index("query"), cols.index("expected")
    ki = cols.index("kind") if "kind" in cols else None
    out: list[EvalQuestion] = []
    start = reader.line_num + 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not any(f.strip() for f in record):
            continue
        record += [""] * (len(cols) - len(record))
        query = record[qi]
        if not query.strip():
            raise InputFileError("the query is empty", file=name, line=line)
        expected = [q.strip() for q in record[ei].split(SEPARATOR.strip()) if q.strip()]
        kind = record[ki].strip() if ki is not None else ""
        out.append(EvalQuestion(query, expected, kind or ("" if expected else "out_of_scope"), line))
    return out


def _resolve(questions: list[EvalQuestion], entries: Iterable[FaqEntry], source: str) -> list[list[str]]:
    """Each question's acceptable entry ids: every entry whose question is one of its ``expected`` texts.

    A folder may hold several entries with the same question text (``faq.md`` and ``faq.mdx``, an
    older and a newer page); finding any one of them is a hit.
    """
    by_text: dict[str, list[str]] = {}
    for e in entries:
        by_text.setdefault(" ".join(e.question.split()), []).append(e.id)
    ids = []
    for q in questions:
        row: list[str] = []
        for text in q.expected:
            entry_ids = by_text.get(" ".join(text.split()))
            if entry_ids is None:
                raise InputFileError(f"expected question {text!r} is not in the knowledge base (the expected "
                                     f"column must hold exact FAQ question texts, joined by ' || ')",
                                     file=source, line=q.line)
            row.extend(i for i in entry_ids if i not in row)
        ids.append(row)
    return ids


@dataclass
class Evaluation:
    """Result of :func:`evaluate`.

    Attributes
    ----------
    metrics : dict
        ``n`` (questions), and, each ``None`` when its questions are missing: ``top1``, ``top3``
        (share of answerable questions whose right entry is ranked first / in the top 3),
        ``mrr`` (mean of 1/rank of the first right entry over answerable questions, 0 past rank
        10), ``oos_auroc`` (ROC AUC of the best score separating answerable from out-of-scope
        questions), ``answered_in_scope`` (share of answerable questions answered, not
        abstained), ``abstained_out_of_scope`` (share of out-of-scope questions abstained),
        ``answered_precision`` (share of answered questions whose first match is right; an
        answered out-of-scope question is wrong), ``p50_ms``/``p99_ms`` (search latency
        percentiles in milliseconds).
    rows : DataFrame
        One row per question, columns :data:`ROW_COLUMNS`: ``rank`` is the 1-based rank of the
        first right entry (0 when not in the top 10 or out of scope); ``correct`` is True when
        an answerable question is answered with a right first match, or an out-of-scope
        question is abstained.
    """

    metrics: dict[str, Any]
    rows: pd.DataFrame

    @property
    def misses(self) -> list[dict[str, Any]]:
        """``{"query", "expected", "got", "kind", "answered"}`` for each question not ``correct``.

        ``expected`` is the list of acceptable questions (empty: out of scope); ``got`` the first
        match's question (``None`` for an empty knowledge base).
        """
        bad = self.rows[~self.rows["correct"].astype(bool)]
        return [{"query": r.query, "expected": r.expected.split(SEPARATOR) if r.expected else [],
                 "got": r.got, "kind": r.kind, "answered": bool(r.answered)} for r in bad.itertuples()]

    def to_dict(self) -> dict[str, Any]:
        """Exactly the keys :data:`METRIC_KEYS` (the ``eval --json`` contract); floats rounded to 4 places."""
        out: dict[str, Any] = {}
        for key in METRIC_KEYS:
            if key == "misses":
                out[key] = self.misses
            else:
                v = self.metrics[key]
                out[key] = round(float(v), 4) if isinstance(v, (float, np.floating)) else v
        return out

    def to_text(self, width: int = 100) -> str:
        """The ``eval`` command's text: one metric per line, a per-kind table, then the misses (cut to ``width``)."""
        m = self.metrics
        n_ans = int(self.rows["answerable"].sum()) if len(self.rows) else 0
        lines = [f"{'n':24}{m['n']}  ({n_ans} answerable, {m['n'] - n_ans} out of scope)"]
        for key in METRIC_KEYS[1:-1]:
            v = m[key]
            lines.append(f"{key:24}{'n/a' if v is None else f'{v:.3f}'}")
        if len(self.rows):
            lines += ["", self.by_kind().to_string(float_format=lambda v: f"{v:.3f}", na_rep="-")]
        misses = self.misses
        lines += ["", f"misses ({len(misses)}):" if misses else "misses: none"]
        for miss in misses:
            state = "answered" if miss["answered"] else "abstained"
            lines.append(f"  query:    {_one_line(miss['query'], width)}")
            lines.append(f"  expected: {_one_line(' || '.join(miss['expected']) or '(out of scope: abstain)', width)}")
            lines.append(f"  got:      {_one_line(str(miss['got']), width)} [{state}]")
        return "\n".join(lines)

    def by_kind(self) -> pd.DataFrame:
        """Per ``kind``: ``n``, ``top1`` (answerable only; NaN for out_of_scope), ``answered`` share, ``correct`` share."""
        g = self.rows.assign(top1=np.where(self.rows["answerable"], self.rows["rank"] == 1, np.nan))
        return g.groupby("kind", sort=True).agg(n=("query", "size"), top1=("top1", "mean"),
                                               answered=("answered", "mean"), correct=("correct", "mean"))


def combine(evaluations: Iterable[Evaluation]) -> Evaluation:
    """One :class:`Evaluation` over the questions of several (e.g. each project against its own
    knowledge base): the rows concatenated, the metrics recomputed over all of them."""
    frames = [ev.rows for ev in evaluations]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS)
    return Evaluation(_metrics(frame), frame)


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _share(mask: np.ndarray) -> float | None:
    return float(mask.mean()) if len(mask) else None


def evaluate(retriever: Searcher, questions: Iterable[EvalQuestion] | Iterable[Mapping[str, Any]],
             entries: Iterable[FaqEntry] | None = None, *, source: str = "<eval>",
             clean_queries: bool = True) -> Evaluation:
    """Search every question with ``retriever`` and measure the results.

    Parameters
    ----------
    retriever : object with ``search(query, top_k) -> SearchResult``
        Fitted; searched with ``top_k=10``, one call per question (timed together with the
        query's cleaning; one untimed warm-up call).
    questions : iterable of EvalQuestion (or dicts with ``query``, ``expected`` list, ``kind``)
    entries : iterable of FaqEntry, optional
        The knowledge base the ``expected`` texts refer to; default ``retriever.entries_``.
    source : str
        Name used in error messages (the eval file).
    clean_queries : bool, default True
        Clean each query once with :func:`assistant.tickets.clean_ticket` before searching it,
        as ``faq-assistant ask`` does. False searches the queries as written (for a searcher
        that reads raw text, such as the baselines of ``bench/retrieval.py``).

    Returns
    -------
    Evaluation
        An empty ``questions`` gives ``n == 0`` and ``None`` metrics. The rows' ``query`` is
        the question as given (not the cleaned text), redacted with
        :func:`assistant.redaction.redact` (it is searched unredacted), so ``eval`` output and
        ``.rows`` show no personal data or secret.

    Raises
    ------
    InputFileError
        (a ``ValueError``) If an ``expected`` question is not in the knowledge base (the message
        names it, ``source`` and its line).
    """
    qs = [q if isinstance(q, EvalQuestion) else EvalQuestion(str(q["query"]), list(q.get("expected") or []),
                                                             str(q.get("kind") or ""), q.get("line"))
          for q in questions]
    entries = list(entries if entries is not None else getattr(retriever, "entries_", []))
    expected_ids = _resolve(qs, entries, source)
    if qs:
        retriever.search(clean_ticket(qs[0].query) if clean_queries else qs[0].query, top_k=MRR_DEPTH)  # warm-up
    rows = []
    for q, ids in zip(qs, expected_ids):
        t0 = time.perf_counter()
        result = retriever.search(clean_ticket(q.query) if clean_queries else q.query, top_k=MRR_DEPTH)
        ms = (time.perf_counter() - t0) * 1000
        got = [m.entry.id for m in result.matches]
        rank = next((r for r, i in enumerate(got, 1) if i in ids), 0)
        best = result.best
        answered = result.answered
        correct = (answered and rank == 1) if q.answerable else not answered
        rows.append({
            "line": q.line, "query": redact(q.query), "kind": q.kind, "expected": SEPARATOR.join(q.expected),
            "expected_ids": ids, "answerable": q.answerable, "got": best.entry.question if best else None,
            "got_id": best.entry.id if best else None, "score": best.score if best else 0.0,
            "confidence": float(best.confidence) if best else 0.0,
            "answered": answered, "rank": rank, "correct": correct, "latency_ms": ms,
        })
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    return Evaluation(_metrics(frame), frame)


def _metrics(frame: pd.DataFrame) -> dict[str, Any]:
    is_ans = frame["answerable"].astype(bool)  # bool even when empty (an empty object column is no mask)
    ans, oos = frame[is_ans], frame[~is_ans]
    rank = ans["rank"].to_numpy(dtype=int)
    answered = frame[frame["answered"].astype(bool)]
    auroc = None
    if len(ans) and len(oos):
        auroc = float(roc_auc_score(frame["answerable"].astype(int), frame["score"].astype(float)))
    lat = frame["latency_ms"].to_numpy(dtype=float)
    return {
        "n": int(len(frame)),
        "top1": _share(rank == 1),
        "top3": _share((rank >= 1) & (rank <= 3)),
        "mrr": float(np.where(rank > 0, 1.0 / np.maximum(rank, 1), 0.0).mean()) if len(rank) else None,
        "oos_auroc": auroc,
        "answered_in_scope": _share(ans["answered"].to_numpy(dtype=bool)),
        "abstained_out_of_scope": _share(~oos["answered"].to_numpy(dtype=bool)),
        "answered_precision": _share((answered["answerable"] & (answered["rank"] == 1)).to_numpy(dtype=bool)),
        "p50_ms": float(np.percentile(lat, 50)) if len(lat) else None,
        "p99_ms": float(np.percentile(lat, 99)) if len(lat) else None,
    }


def reliability_table(rows: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """Predicted vs observed accuracy of the best match, per confidence bin.

    Parameters
    ----------
    rows : DataFrame
        :attr:`Evaluation.rows` (columns ``confidence``, ``answerable``, ``rank``); several
        evaluations may be concatenated.
    bins : int, default 5
        Equal-width bins over [0, 1]; the last one includes 1.

    Returns
    -------
    DataFrame
        One row per bin, index ``"0.00-0.20"`` ..., columns ``n`` (questions whose best match's
        confidence falls in the bin), ``confidence`` (their mean confidence: the predicted
        accuracy), ``accuracy`` (the share whose best match is right: an answerable question
        with a right entry ranked first; an out-of-scope question's best match is never right)
        and ``gap`` (accuracy - confidence). Empty bins have ``n`` 0 and NaN values.

    Raises
    ------
    ValueError
        If ``bins < 1``.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    conf = rows["confidence"].to_numpy(dtype=float)
    right = (rows["answerable"].astype(bool) & (rows["rank"] == 1)).to_numpy(dtype=float)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        c = float(conf[mask].mean()) if n else float("nan")
        a = float(right[mask].mean()) if n else float("nan")
        out.append({"bin": f"{b / bins:.2f}-{(b + 1) / bins:.2f}", "n": n, "confidence": c, "accuracy": a,
                    "gap": a - c})
    return pd.DataFrame(out).set_index("bin")


def expected_calibration_error(rows: pd.DataFrame, bins: int = 10) -> float | None:
    """Expected calibration error of the best match's confidence: the mean of |accuracy - confidence| per bin, weighted by the bin's questions.

    ``rows`` as for :func:`reliability_table`; 0 is perfectly calibrated. ``None`` when ``rows`` is empty.
    """
    if not len(rows):
        return None
    table = reliability_table(rows, bins)
    used = table[table["n"] > 0]
    return float((used["n"] * used["gap"].abs()).sum() / used["n"].sum())
