"""The coverage report: per-ticket search results judged covered, ambiguous or in a gap, and shown.

:meth:`CoverageReport.build` derives everything from per-ticket search results (no search here:
:func:`assistant.coverage.analyze_coverage` searches); :meth:`~CoverageReport.with_min_confidence`
re-judges the same tickets. Outputs: :meth:`~CoverageReport.to_dict` (the ``coverage --json``
contract), :meth:`~CoverageReport.to_text` (terminal), :meth:`~CoverageReport.to_html` (a
self-contained page, all text escaped, plots embedded as base64 PNG) and
:meth:`~CoverageReport.figures` (matplotlib, imported only then).
"""

from __future__ import annotations

import base64
import html
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..problems import Problem
from ..rendering import plural
from .gaps import Gap, find_gaps, one_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CoverageReport", "TICKET_COLUMNS", "DEFAULT_MIN_CONFIDENCE", "DEFAULT_MARGIN", "MAX_UNGROUPED_SHOWN"]

#: Confidence a ticket's best entry needs to count as covered. Match.confidence is 0.5 exactly at
#: the retriever's answering threshold, so by default "covered" means "the retriever would answer".
DEFAULT_MIN_CONFIDENCE = 0.5
#: Score difference (cosine) within which the top two entries make a ticket ambiguous, used when
#: the retriever has no ``min_margin`` of its own (``TfidfRetriever`` has none by default).
DEFAULT_MARGIN = 0.05
#: Uncovered tickets in no gap topic listed by :meth:`CoverageReport.to_text` (all are in the HTML).
MAX_UNGROUPED_SHOWN = 10

#: Columns of :attr:`CoverageReport.tickets`; the first ten are the per-ticket search results.
TICKET_COLUMNS = ["row", "ref", "text", "best_id", "best_question", "score", "confidence", "second_id",
                  "second_score", "margin", "covered", "ambiguous", "gap", "gap_label"]


@dataclass
class CoverageReport:
    """What the knowledge base answers of a set of tickets.

    Attributes
    ----------
    tickets : DataFrame
        One row per analyzed ticket, columns :data:`TICKET_COLUMNS`: ``row``/``ref`` (where it came
        from), ``text`` (cleaned, redacted, first ``KEEP_CHARS`` characters), ``best_id``,
        ``best_question``, ``score`` (cosine), ``confidence`` (0..1), ``second_id``,
        ``second_score``, ``margin`` (best minus second score), ``covered``, ``ambiguous``,
        ``gap`` (index into :attr:`gaps`, -1 for none) and ``gap_label``.
    entries : DataFrame
        Every FAQ entry, most hits first: ``id``, ``question``, ``source``, ``line``, ``hits`` (covered
        tickets whose best entry it is; 0 for entries no ticket hit).
    gaps : list of Gap
    ambiguous_pairs : DataFrame
        ``a``, ``b`` (entry ids, ``a < b``), ``count`` (ambiguous tickets whose top two they are).
    bad_rows : list of Problem
        Rows that could not be read as they are (see :mod:`assistant.ticket_files`).
    min_confidence : float
        Confidence (0..1) a ticket's best entry needs to count as covered.
    margin : float
        Score difference within which the top two entries make a covered ticket ambiguous.
    summary : dict or None
        None when :attr:`tickets` holds every ticket. Otherwise (a streamed run over more tickets
        than were kept, see :mod:`.stream`) :attr:`tickets` holds only the uncovered-ticket
        sample that was clustered into gaps, and ``summary`` the totals: ``tickets``, ``covered``,
        ``ambiguous`` (int), ``clustered`` (tickets in the sample), ``hist_covered`` and
        ``hist_uncovered`` (tickets per confidence bin of width 0.01, lists of 100 int).
    """

    tickets: pd.DataFrame
    entries: pd.DataFrame
    gaps: list[Gap]
    ambiguous_pairs: pd.DataFrame
    bad_rows: list[Problem]
    min_confidence: float
    margin: float
    gap_options: dict[str, Any] = field(default_factory=dict, repr=False)
    summary: dict[str, Any] | None = None

    @property
    def n_tickets(self) -> int:
        if self.summary is not None:
            return int(self.summary["tickets"])
        return int(len(self.tickets))

    @property
    def n_covered(self) -> int:
        if self.summary is not None:
            return int(self.summary["covered"])
        return int(self.tickets["covered"].sum()) if len(self.tickets) else 0

    @property
    def n_ambiguous(self) -> int:
        if self.summary is not None:
            return int(self.summary["ambiguous"])
        return int(self.tickets["ambiguous"].sum()) if len(self.tickets) else 0

    @property
    def n_clustered(self) -> int:
        """Uncovered tickets the gap clustering saw (all of them unless the run kept a sample)."""
        if self.summary is not None:
            return int(self.summary["clustered"])
        return self.n_tickets - self.n_covered

    @property
    def coverage_rate(self) -> float:
        """Covered tickets / analyzed tickets (0.0 when there are none)."""
        return self.n_covered / self.n_tickets if self.n_tickets else 0.0

    @classmethod
    def build(cls, results: pd.DataFrame, entries: pd.DataFrame, bad_rows: Sequence[Problem], *,
              min_confidence: float = DEFAULT_MIN_CONFIDENCE, margin: float = DEFAULT_MARGIN,
              gap_options: dict[str, Any] | None = None) -> CoverageReport:
        """Derive coverage, gaps, hits and overlaps from per-ticket search results.

        ``results`` has the columns of :data:`TICKET_COLUMNS` up to ``margin``; ``entries`` has
        ``id``, ``question``, ``source``, ``line``; ``gap_options`` are keyword arguments of
        :func:`~assistant.coverage.gaps.find_gaps`. Raises ``ValueError`` when ``min_confidence`` is
        outside [0, 1] or ``margin`` is negative.
        """
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence is a confidence in [0, 1], got {min_confidence}")
        if not (np.isfinite(margin) and margin >= 0):
            raise ValueError(f"margin must be a finite number >= 0, got {margin}")
        opts = dict(gap_options or {})
        t = results[TICKET_COLUMNS[:10]].copy()
        t["covered"] = t["confidence"] >= min_confidence
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
        return cls(t.reset_index(drop=True), e, gaps, ap, list(bad_rows), float(min_confidence), float(margin), opts)

    @classmethod
    def from_tally(cls, tally: Any, entries: pd.DataFrame, bad_rows: Sequence[Problem], *,
                   gap_options: dict[str, Any] | None = None) -> CoverageReport:
        """The report of a :class:`~assistant.coverage.stream.CoverageTally`.

        When the tally kept every ticket this is :meth:`build` over them; otherwise the counts come
        from the tally, the gaps from clustering its uncovered-ticket sample, and :attr:`summary`
        is set.
        """
        full = tally.full_results()
        if full is not None:
            return cls.build(full, entries, bad_rows, min_confidence=tally.min_confidence, margin=tally.margin,
                             gap_options=gap_options)
        opts = dict(gap_options or {})
        t = tally.sorted_sample()
        t["covered"] = False
        t["ambiguous"] = False
        labels, gaps = find_gaps(t["text"].tolist(), **opts)
        t["gap"] = labels
        t["gap_label"] = [gaps[g].label if g >= 0 else "" for g in labels]
        e = entries[["id", "question", "source", "line"]].copy()
        e["hits"] = [int(tally.hits.get(i, 0)) for i in e["id"]]
        e = e.sort_values("hits", ascending=False, kind="stable").reset_index(drop=True)
        ap = pd.DataFrame([(a, b, n) for (a, b), n in tally.pairs.items()], columns=["a", "b", "count"])
        ap = ap.sort_values(["count", "a", "b"], ascending=[False, True, True], kind="stable").reset_index(drop=True)
        summary = {"tickets": tally.tickets, "covered": tally.covered, "ambiguous": tally.ambiguous,
                   "clustered": len(t), "hist_covered": tally.hist_covered.tolist(),
                   "hist_uncovered": tally.hist_uncovered.tolist()}
        return cls(t, e, gaps, ap, list(bad_rows), tally.min_confidence, tally.margin, opts, summary)

    def with_min_confidence(self, min_confidence: float, margin: float | None = None) -> CoverageReport:
        """The same tickets judged at another ``min_confidence`` (and ``margin``); no new search.

        Raises ``ValueError`` for a report that kept only a sample of its tickets (:attr:`summary`).
        """
        if self.summary is not None:
            raise ValueError(f"this report kept a sample of its {self.n_tickets:,} tickets, not each ticket's "
                             "result: analyze again with the other min_confidence (or a larger keep_tickets)")
        return CoverageReport.build(self.tickets, self.entries, self.bad_rows, min_confidence=min_confidence,
                                    margin=self.margin if margin is None else margin, gap_options=self.gap_options)

    # -- outputs --

    def to_dict(self) -> dict[str, Any]:
        """The ``coverage --json`` contract.

        ``{"tickets": int, "covered": int, "coverage_rate": float (4 decimals), "clustered": int
        (uncovered tickets the gap clustering saw), "gaps": [{"label": str,
        "size": int, "terms": [str], "examples": [str]}], "entries": [{"id": str, "question": str,
        "hits": int}], "ambiguous_pairs": [{"a": str, "b": str, "count": int}], "bad_rows": [{"row":
        int, "reason": str}]}``; a bad row's ``row`` is its problem's line and ``reason`` its message.
        """
        return {
            "tickets": self.n_tickets,
            "covered": self.n_covered,
            "coverage_rate": round(self.coverage_rate, 4),
            "clustered": self.n_clustered,
            "gaps": [g.to_dict() for g in self.gaps],
            "entries": [{"id": r.id, "question": r.question, "hits": int(r.hits)} for r in self.entries.itertuples()],
            "ambiguous_pairs": [{"a": r.a, "b": r.b, "count": int(r.count)} for r in self.ambiguous_pairs.itertuples()],
            "bad_rows": [{"row": p.line, "reason": p.message} for p in self.bad_rows],
        }

    def _headline(self) -> str:
        ambiguous = self.n_ambiguous
        return (f"{self.n_covered} of {plural(self.n_tickets, 'ticket')} covered ({self.coverage_rate:.1%}) by "
                f"{plural(len(self.entries), 'FAQ entry', 'FAQ entries')} at confidence threshold "
                f"{self.min_confidence:.2f}; {plural(len(self.gaps), 'gap topic')}, "
                f"{plural(ambiguous, 'ambiguous ticket')}, {plural(len(self.bad_rows), 'bad row')}")

    def to_text(self, width: int = 100, *, brief: bool = False) -> str:
        """The report as terminal text, lines cut to about ``width`` characters.

        ``brief=True``: only the first line (tickets, covered, at which confidence, gap topics,
        ambiguous tickets, bad rows). Otherwise that line, then gaps, hits per entry, overlapping
        pairs and bad rows (``row N: message``). Uncovered tickets in no gap topic (too few alike
        to group) are listed after the topics (``ref`` and redacted text, the first
        :data:`MAX_UNGROUPED_SHOWN`).
        """
        if brief:
            return self._headline()
        q = dict(zip(self.entries["id"], self.entries["question"]))
        out = [self._headline(), ""]
        n_unc = self.n_tickets - self.n_covered
        in_gaps = sum(g.size for g in self.gaps)
        line = f"Gaps: {plural(n_unc, 'uncovered ticket')}"
        if self.summary is not None:
            line += (f"; a sample of {self.n_clustered:,} clustered, {in_gaps} of them in "
                     f"{plural(len(self.gaps), 'topic')} (sizes below count sampled tickets)")
        elif n_unc > 1:
            line += f", {in_gaps} of them in {plural(len(self.gaps), 'topic')}"
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
                out.append(f"         {ref}: {one_line(r.text, max(width - 11 - len(ref), 20))}")
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
        out += [f"  row {p.line}: {p.message}" for p in self.bad_rows]
        return "\n".join(out)

    def figures(self) -> dict[str, Figure]:
        """``{"hits", "confidence", "gaps"}``: the report's matplotlib figures (see :mod:`.plots`)."""
        from .plots import plot_confidence, plot_gaps, plot_hits

        return {"hits": plot_hits(self), "confidence": plot_confidence(self), "gaps": plot_gaps(self)}

    def to_html(self, title: str = "FAQ coverage report", max_tickets: int = 1000) -> str:
        """A self-contained HTML page: summary, plots (base64 PNG), gaps, entries, overlaps, bad rows, tickets.

        Every piece of ticket and FAQ text is escaped with :func:`html.escape`. At most
        ``max_tickets`` ticket rows are listed (uncovered first), each ticket's paragraphs (subject,
        body) joined with `` | `` as in the gap examples.
        """
        from .plots import figure_png

        esc = html.escape
        q = dict(zip(self.entries["id"], self.entries["question"]))
        parts = [
            "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{esc(title)}</title>",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
            "vertical-align:top;text-align:left}td.n{text-align:right}td.pre{white-space:pre-wrap;font-family:monospace}img{max-width:100%}</style>",
            "</head><body>", f"<h1>{esc(title)}</h1>", f"<p>{esc(self._headline())}</p>",
        ]
        alt = {"hits": "Bar chart: covered tickets per FAQ entry",
               "confidence": "Histogram of the best entry's confidence per ticket, threshold marked",
               "gaps": "Bar chart: uncovered tickets per gap topic"}
        for name, fig in self.figures().items():
            data = base64.b64encode(figure_png(fig)).decode("ascii")
            parts.append(f'<img alt="{esc(alt[name])}" src="data:image/png;base64,{data}">')
        parts.append("<h2>Gaps: uncovered tickets by topic</h2>")
        parts.append(_html_table(["size", "topic", "top terms", "examples", "draft FAQ entry (markdown)"],
                                 [[g.size, g.label, ", ".join(g.terms), "\n\n".join(g.examples), g.draft]
                                  for g in self.gaps], pre={4}))
        parts.append("<h2>Hits per FAQ entry</h2>")
        parts.append(_html_table(["hits", "question", "id"],
                                 [[r.hits, r.question, r.id] for r in self.entries.itertuples()]))
        parts.append(f"<h2>Overlapping entries (top two within {self.margin:.2f})</h2>")
        parts.append(_html_table(["tickets", "entry a", "entry b"],
                                 [[r.count, q.get(r.a, r.a), q.get(r.b, r.b)] for r in self.ambiguous_pairs.itertuples()]))
        parts.append("<h2>Bad rows</h2>")
        parts.append(_html_table(["row", "reason"], [[p.line, p.message] for p in self.bad_rows]))
        shown = self.tickets.sort_values(["covered", "confidence"], kind="stable").head(max_tickets)
        parts.append(f"<h2>Tickets ({len(shown)} of {self.n_tickets}, uncovered first)</h2>")
        parts.append(_html_table(
            ["ref", "covered", "confidence", "best entry", "gap", "ticket"],
            [[r.ref, "yes" if r.covered else "no", f"{r.confidence:.2f}", r.best_question or "", r.gap_label,
              one_line(r.text, 300)] for r in shown.itertuples()]))
        parts.append("</body></html>")
        return "\n".join(parts)


def _html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], pre: set[int] = frozenset()) -> str:
    """An HTML table, every cell escaped; columns in ``pre`` are shown as preformatted text."""
    rows = list(rows)
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="n"' if isinstance(v, (int, np.integer)) else ""
            if i in pre:
                cells.append(f'<td class="pre">{html.escape(str(v))}</td>')
                continue
            text = html.escape(str(v)).replace("\n\n", "<br><br>")
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
