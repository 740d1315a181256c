"""Matplotlib figures of a coverage report: hits per entry, confidence per ticket, gap sizes.

Imported only when plots are asked for (``CoverageReport.figures()``, ``to_html()``, the widget):
the CLI's text and JSON coverage never import matplotlib. Figures are built with
``matplotlib.figure.Figure`` (no pyplot, no global state); label text has ``$`` escaped so an FAQ
question never turns into mathtext.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .report import CoverageReport

__all__ = ["plot_hits", "plot_confidence", "plot_gaps", "figure_png"]


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
    """Histogram of each ticket's best confidence, covered and uncovered stacked, ``min_confidence`` marked."""
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.add_subplot()
    bins = np.linspace(0.0, 1.0, 21)
    if report.summary is not None:  # a streamed run: the tally's histogram (bins of 0.01, summed by 5)
        unc = np.asarray(report.summary["hist_uncovered"]).reshape(20, -1).sum(axis=1)
        cov_n = np.asarray(report.summary["hist_covered"]).reshape(20, -1).sum(axis=1)
        mids = (bins[:-1] + bins[1:]) / 2
        ax.hist([mids, mids], bins=bins, weights=[unc, cov_n], stacked=True, color=["#c0392b", "#27ae60"],
                label=["uncovered", "covered"])
    else:
        conf = report.tickets["confidence"].to_numpy(dtype=float)
        cov = report.tickets["covered"].to_numpy(dtype=bool)
        ax.hist([conf[~cov], conf[cov]], bins=bins, stacked=True, color=["#c0392b", "#27ae60"],
                label=["uncovered", "covered"])
    ax.axvline(report.min_confidence, color="black", linestyle="--", label=f"threshold {report.min_confidence:.2f}")
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
