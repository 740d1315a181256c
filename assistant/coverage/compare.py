"""What a change to the FAQ does to coverage, before it ships: the same tickets against two knowledge bases.

:func:`compare_coverage` reads the tickets once and scores every chunk with both retrievers
(old and new), so it streams like :func:`~assistant.coverage.analyze_coverage`. The
:class:`CoverageComparison` says which tickets became covered or uncovered, which gap topics
closed (most of their tickets are covered now) or opened, and how the hits per entry changed.
:func:`knowledge_base_at_ref` extracts a knowledge-base folder as it was at a git commit
(``git archive``, read-only: the working tree is not touched).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..problems import KnowledgeBaseError, Problem
from ..rendering import plural
from .analysis import TicketSource, _ticket_chunks, entries_frame
from .gaps import one_line
from .report import DEFAULT_MARGIN, DEFAULT_MIN_CONFIDENCE, CoverageReport
from .stream import DEFAULT_SAMPLE_SIZE, CoverageTally, score_texts

__all__ = ["compare_coverage", "CoverageComparison", "knowledge_base_at_ref", "MAX_CHANGES", "GAP_CLOSED_SHARE"]

#: Changed tickets kept (each way); all are counted.
MAX_CHANGES = 10_000
#: A gap topic closed (opened) when at least this share of its tickets became covered (uncovered).
GAP_CLOSED_SHARE = 0.5
_CHANGE_COLUMNS = ["row", "ref", "text", "old_id", "old_question", "old_confidence", "new_id", "new_question",
                   "new_confidence"]


@dataclass
class CoverageComparison:
    """The same tickets judged against an old and a new knowledge base.

    Attributes
    ----------
    old, new : CoverageReport
        The two reports (same tickets, same ``min_confidence`` and ``margin``).
    became_covered, became_uncovered : DataFrame
        Tickets whose verdict changed: ``row``, ``ref``, ``text`` (cleaned, redacted),
        ``old_id``, ``old_question``, ``old_confidence``, ``new_id``, ``new_question``,
        ``new_confidence``; at most :data:`MAX_CHANGES` each (``n_became_covered`` and
        ``n_became_uncovered`` count them all).
    n_became_covered, n_became_uncovered : int
    gaps_closed, gaps_opened : list of dict
        ``{"label", "size", "changed"}``: an old gap most of whose tickets became covered, a new
        gap most of whose tickets became uncovered (``changed`` of its ``size`` tickets).
    hits : DataFrame
        Per entry of either side: ``id``, ``question``, ``old_hits``, ``new_hits``, ``change``
        (entries only in one side have 0 on the other), changed ones first, biggest change first.
    """

    old: CoverageReport
    new: CoverageReport
    became_covered: pd.DataFrame
    became_uncovered: pd.DataFrame
    n_became_covered: int
    n_became_uncovered: int
    gaps_closed: list[dict[str, Any]]
    gaps_opened: list[dict[str, Any]]
    hits: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """``{"tickets", "old": {"covered", "coverage_rate"}, "new": {...}, "became_covered": int,
        "became_uncovered": int, "became_covered_tickets": [{"ref", "text", "old_id", "new_id",
        "old_confidence", "new_confidence"}], "became_uncovered_tickets": [...], "gaps_closed":
        [{"label", "size", "changed"}], "gaps_opened": [...], "hits": [{"id", "question", "old_hits",
        "new_hits", "change"}] (changed entries only)}``."""
        def tickets(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{"ref": r.ref, "text": r.text, "old_id": r.old_id, "new_id": r.new_id,
                     "old_confidence": round(float(r.old_confidence), 4),
                     "new_confidence": round(float(r.new_confidence), 4)} for r in frame.itertuples()]
        return {
            "tickets": self.new.n_tickets,
            "old": {"covered": self.old.n_covered, "coverage_rate": round(self.old.coverage_rate, 4)},
            "new": {"covered": self.new.n_covered, "coverage_rate": round(self.new.coverage_rate, 4)},
            "became_covered": self.n_became_covered, "became_uncovered": self.n_became_uncovered,
            "became_covered_tickets": tickets(self.became_covered),
            "became_uncovered_tickets": tickets(self.became_uncovered),
            "gaps_closed": self.gaps_closed, "gaps_opened": self.gaps_opened,
            "hits": [{"id": r.id, "question": r.question, "old_hits": int(r.old_hits), "new_hits": int(r.new_hits),
                      "change": int(r.change)} for r in self.hits[self.hits["change"] != 0].itertuples()],
        }

    def to_text(self, width: int = 100, max_tickets: int = 10) -> str:
        """The comparison as terminal text (the first ``max_tickets`` changed tickets each way)."""
        o, n = self.old, self.new
        out = [f"{plural(n.n_tickets, 'ticket')}: coverage {o.coverage_rate:.1%} -> {n.coverage_rate:.1%} "
               f"({n.n_covered - o.n_covered:+d} covered); {self.n_became_covered} became covered, "
               f"{self.n_became_uncovered} became uncovered"]
        for title, frame, count in (("Became covered", self.became_covered, self.n_became_covered),
                                    ("Became uncovered", self.became_uncovered, self.n_became_uncovered)):
            out += ["", f"{title}: {count}"]
            for r in frame.head(max_tickets).itertuples():
                out.append(f"  {r.ref}: {one_line(r.text, max(width - 4 - len(str(r.ref)), 20))}")
                before = textwrap.shorten(r.old_question or "-", width // 2 - 10, placeholder=" ...")
                after = textwrap.shorten(r.new_question or "-", width // 2 - 10, placeholder=" ...")
                out.append(f"      [{r.old_confidence:.2f}] {before} -> [{r.new_confidence:.2f}] {after}")
            if count > max_tickets:
                out.append(f"  ... and {count - max_tickets} more (--json lists up to {MAX_CHANGES:,})")
        for title, gaps in (("Gaps closed", self.gaps_closed), ("Gaps opened", self.gaps_opened)):
            out += ["", f"{title}: {len(gaps)}"]
            out += [f"  {g['size']:5d}  {g['label']} ({g['changed']} of its tickets changed)" for g in gaps]
        changed = self.hits[self.hits["change"] != 0]
        out += ["", f"Hits per FAQ entry changed: {len(changed)}"]
        for r in changed.itertuples():
            q = textwrap.shorten(r.question, width - 24, placeholder=" ...")
            out.append(f"  {r.old_hits:5d} -> {r.new_hits:5d}  {q}")
        return "\n".join(out)


def _changes(old: pd.DataFrame, new: pd.DataFrame, mask: Any) -> pd.DataFrame:
    o, n = old[mask], new[mask]
    return pd.DataFrame({"row": n["row"].to_numpy(), "ref": n["ref"].to_numpy(), "text": n["text"].to_numpy(),
                         "old_id": o["best_id"].to_numpy(), "old_question": o["best_question"].to_numpy(),
                         "old_confidence": o["confidence"].to_numpy(), "new_id": n["best_id"].to_numpy(),
                         "new_question": n["best_question"].to_numpy(), "new_confidence": n["confidence"].to_numpy()},
                        columns=_CHANGE_COLUMNS)


def _gap_changes(report: CoverageReport, changed_refs: set[str]) -> list[dict[str, Any]]:
    t = report.tickets
    out = []
    for k, gap in enumerate(report.gaps):
        refs = t.loc[t["gap"] == k, "ref"]
        changed = int(refs.isin(changed_refs).sum())
        if len(refs) and changed >= GAP_CLOSED_SHARE * len(refs):
            out.append({"label": gap.label, "size": gap.size, "changed": changed})
    return out


def compare_coverage(tickets: TicketSource, old_retriever: Any, new_retriever: Any, *,
                     text_columns: Sequence[str] | None = None, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                     margin: float = DEFAULT_MARGIN, chunksize: int = 5000, progress: bool | None = None,
                     sample_size: int = DEFAULT_SAMPLE_SIZE, gap_options: dict[str, Any] | None = None,
                     **reader_options: Any) -> CoverageComparison:
    """Replay ``tickets`` against ``old_retriever`` and ``new_retriever`` (both fitted).

    Takes the tickets and options of :func:`~assistant.coverage.analyze_coverage`; each ticket is
    read, cleaned and redacted once and scored by both. Raises what ``analyze_coverage`` raises.
    """
    tallies = []
    for r in (old_retriever, new_retriever):
        tallies.append(CoverageTally([e.id for e in r.entries_], min_confidence, margin, sample_size=sample_size))
    problems: list[Problem] = []
    up, down = [], []
    n_up = n_down = 0
    refs_up: set[str] = set()
    refs_down: set[str] = set()
    for chunk in _ticket_chunks(tickets, problems, text_columns, chunksize, progress, reader_options):
        rows, refs, texts = chunk["row"].tolist(), chunk["ref"].tolist(), chunk["text"].tolist()
        old = tallies[0].add(score_texts(old_retriever, rows, refs, texts))
        new = tallies[1].add(score_texts(new_retriever, rows, refs, texts))
        gained = (~old["covered"] & new["covered"]).to_numpy()
        lost = (old["covered"] & ~new["covered"]).to_numpy()
        n_up += int(gained.sum())
        n_down += int(lost.sum())
        if len(refs_up) < MAX_CHANGES * 10:
            refs_up.update(new.loc[gained, "ref"])
        if len(refs_down) < MAX_CHANGES * 10:
            refs_down.update(new.loc[lost, "ref"])
        if sum(map(len, up)) < MAX_CHANGES and gained.any():
            up.append(_changes(old, new, gained))
        if sum(map(len, down)) < MAX_CHANGES and lost.any():
            down.append(_changes(old, new, lost))
    reports = [CoverageReport.from_tally(t, entries_frame(r), problems, gap_options=gap_options)
               for t, r in zip(tallies, (old_retriever, new_retriever))]
    cat = lambda parts: (pd.concat(parts, ignore_index=True).head(MAX_CHANGES) if parts  # noqa: E731
                         else pd.DataFrame(columns=_CHANGE_COLUMNS))
    h = pd.merge(reports[0].entries[["id", "question", "hits"]].rename(columns={"hits": "old_hits"}),
                 reports[1].entries[["id", "question", "hits"]].rename(columns={"hits": "new_hits"}),
                 on="id", how="outer", suffixes=("_old", "_new"))
    h["question"] = h["question_new"].fillna(h["question_old"])
    h[["old_hits", "new_hits"]] = h[["old_hits", "new_hits"]].fillna(0).astype(int)
    h["change"] = h["new_hits"] - h["old_hits"]
    h = h.assign(_abs=-h["change"].abs()).sort_values(["_abs", "id"], kind="stable")
    hits = h[["id", "question", "old_hits", "new_hits", "change"]].reset_index(drop=True)
    return CoverageComparison(reports[0], reports[1], cat(up), cat(down), n_up, n_down,
                              _gap_changes(reports[0], refs_up), _gap_changes(reports[1], refs_down), hits)


def knowledge_base_at_ref(folder: str | Path, ref: str, into: str | Path | None = None) -> Path:
    """Extract ``folder`` as it was at git commit ``ref`` (read-only ``git archive``); returns the copy's path.

    ``into`` defaults to a new temporary folder (the caller removes it). Raises
    :class:`KnowledgeBaseError` naming the folder when it is not in a git repository, ``git`` is
    missing, or ``ref`` is unknown or holds no such folder.
    """
    folder = Path(folder).resolve()
    shown = str(folder)

    def git(*args: str, cwd: Path = folder) -> bytes:
        try:
            done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)
        except FileNotFoundError:
            raise KnowledgeBaseError("--compare-ref needs git, which is not installed", file=shown) from None
        if done.returncode:
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise KnowledgeBaseError(f"git {args[0]} failed: {why[-1] if why else 'unknown error'}", file=shown)
        return done.stdout

    top = Path(git("rev-parse", "--show-toplevel").decode().strip())
    rel = folder.relative_to(top).as_posix() if folder != top else "."
    git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    data = git("archive", "--format=tar", ref, "--", rel, cwd=top)
    target = Path(into) if into is not None else Path(tempfile.mkdtemp(prefix="faq-kb-"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        try:
            tar.extractall(target, filter="data")
        except TypeError:  # Python without extraction filters; git archive holds no links out of the tree
            tar.extractall(target)
    out = target / rel
    if not out.is_dir():
        raise KnowledgeBaseError(f"no such folder at {ref}", file=shown)
    return out
