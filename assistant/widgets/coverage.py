"""The coverage report as an ipywidgets 8 view over :class:`assistant.coverage.CoverageReport`.

A slider of the confidence a ticket's best entry needs (``min_confidence``) re-judges the same
tickets (no new search, see :meth:`CoverageReport.with_min_confidence`) and refreshes the
headline, the three plots (PNG images) and the tables: gaps, hits per entry, overlapping entries,
bad rows and the tickets (paragraphs joined with `` | ``, as in the HTML report). Ticket text is
already redacted when it is read (:mod:`assistant.ticket_files`); every table is built with
``DataFrame.to_html(escape=True)``. An exception in the slider's callback is shown in the error
area and appended to :attr:`CoverageView.errors` (ipywidgets would only log it).
"""

from __future__ import annotations

import html
import traceback

import ipywidgets as widgets
import pandas as pd

from ..coverage import CoverageReport
from ..coverage.gaps import one_line
from ..coverage.plots import figure_png

__all__ = ["CoverageView"]

_PLOT_TITLES = {"hits": "Covered tickets per FAQ entry (red: no ticket)",
                "confidence": "Best confidence per ticket, threshold dashed",
                "gaps": "Uncovered tickets per gap topic"}


def _table(frame: pd.DataFrame, empty: str = "none") -> str:
    if not len(frame):
        return f"<p>{html.escape(empty)}</p>"
    return frame.to_html(index=False, escape=True, border=0, classes="faq-coverage-table")


class CoverageView:
    """A min_confidence slider, the headline, plots and tables for one coverage report.

    Parameters
    ----------
    report : CoverageReport
        The analyzed tickets; the slider starts at its ``min_confidence``.
    max_tickets : int, default 500
        Ticket rows listed in the *Tickets* tab (uncovered first).

    Attributes
    ----------
    slider : FloatSlider
        The ``min_confidence`` (0-1) a ticket's best entry needs to count as covered; set ``.value`` to re-judge.
    report : CoverageReport
        The report at the slider's ``min_confidence``.
    summary, tables : HTML widgets; images : dict of ``hits``/``confidence``/``gaps`` -> Image
    errors : list of str
        Tracebacks of callback failures (also shown in :attr:`error_area`).
    widget : VBox
        What the notebook displays (the view itself displays it too).
    """

    def __init__(self, report: CoverageReport, max_tickets: int = 500):
        self.base = report
        self.report = report
        self.max_tickets = max_tickets
        self.errors: list[str] = []
        self.slider = widgets.FloatSlider(value=report.min_confidence, min=0.0, max=1.0, step=0.01,
                                          description="Min confidence", readout_format=".2f", continuous_update=False,
                                          tooltip="confidence the best FAQ entry needs for a ticket to count as covered",
                                          style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        self.summary = widgets.HTML()
        self.error_area = widgets.HTML()
        self.images = {name: widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
                       for name in _PLOT_TITLES}
        self.tables = {name: widgets.HTML() for name in ("gaps", "entries", "overlaps", "bad_rows", "tickets")}
        plots = widgets.VBox([w for name, img in self.images.items()
                              for w in (widgets.HTML(f"<b>{html.escape(_PLOT_TITLES[name])}</b>"), img)])
        self.tabs = widgets.Tab(children=[plots, *self.tables.values()])
        self.tabs.titles = ("Plots", "Gaps", "Hits per entry", "Overlaps", "Bad rows", "Tickets")
        self.widget = widgets.VBox([self.slider, self.summary, self.error_area, self.tabs])
        if report.summary is not None:  # a streamed run kept counts, not each ticket: nothing to re-judge
            self.slider.disabled = True
            self.slider.tooltip = "this report kept a sample of its tickets; analyze again to re-judge"
        self.slider.observe(self._on_min_confidence, names="value")
        self.refresh()

    def _on_min_confidence(self, change) -> None:
        try:
            self.report = self.base.with_min_confidence(float(change["new"]))
            self.refresh()
        except Exception:  # noqa: BLE001 - shown to the user instead of vanishing into the log
            tb = traceback.format_exc()
            self.errors.append(tb)
            self.error_area.value = f'<pre role="alert" style="color:#b00020">{html.escape(tb)}</pre>'

    def refresh(self) -> None:
        """Redraw everything from :attr:`report`."""
        r = self.report
        self.error_area.value = ""
        self.summary.value = f'<p role="status" aria-live="polite">{html.escape(r.to_text(brief=True))}</p>'
        for name, fig in r.figures().items():
            self.images[name].value = figure_png(fig)
        questions = dict(zip(r.entries["id"], r.entries["question"]))
        self.tables["gaps"].value = _table(pd.DataFrame(
            [(g.size, g.label, ", ".join(g.terms), " /// ".join(g.examples), g.draft) for g in r.gaps],
            columns=["size", "topic", "top terms", "examples", "draft FAQ entry"]), "no gap topics")
        self.tables["entries"].value = _table(r.entries[["hits", "question", "id"]])
        pairs = r.ambiguous_pairs.assign(a=r.ambiguous_pairs["a"].map(questions),
                                         b=r.ambiguous_pairs["b"].map(questions))
        self.tables["overlaps"].value = _table(pairs.rename(columns={"count": "tickets"})[["tickets", "a", "b"]],
                                               "no ambiguous tickets")
        self.tables["bad_rows"].value = _table(pd.DataFrame([(p.line, p.message) for p in r.bad_rows],
                                                            columns=["row", "reason"]))
        shown = r.tickets.sort_values(["covered", "confidence"], kind="stable").head(self.max_tickets)
        self.tables["tickets"].value = _table(shown[["ref", "covered", "confidence", "best_question", "gap_label", "text"]]
                                              .assign(confidence=shown["confidence"].round(2),
                                                      text=shown["text"].map(lambda t: one_line(t, 300))))

    def _ipython_display_(self) -> None:  # pragma: no cover - exercised in the notebook
        from IPython.display import display

        display(self.widget)
