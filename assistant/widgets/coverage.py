"""The coverage report as an ipywidgets 8 view over :class:`assistant.coverage.CoverageReport`.

A threshold slider re-judges the same tickets (no new search, see
:meth:`CoverageReport.with_threshold`) and refreshes the summary, the three plots (PNG images)
and the tables: gaps, hits per entry, overlapping entries, bad rows and the tickets (paragraphs
joined with `` | ``, as in the HTML report). Ticket text is already redacted by
:mod:`assistant.coverage`; every table is built with ``DataFrame.to_html(escape=True)``. An exception in the slider's callback is shown in the error
area and appended to :attr:`CoverageView.errors` (ipywidgets would only log it).
"""

from __future__ import annotations

import html
import traceback

import ipywidgets as widgets
import pandas as pd

from ..coverage import CoverageReport, _one_line, figure_png

__all__ = ["CoverageView"]

_PLOT_TITLES = {"hits": "Covered tickets per FAQ entry (red: no ticket)",
                "confidence": "Best confidence per ticket, threshold dashed",
                "gaps": "Uncovered tickets per gap topic"}


def _table(frame: pd.DataFrame, empty: str = "none") -> str:
    if not len(frame):
        return f"<p>{html.escape(empty)}</p>"
    return frame.to_html(index=False, escape=True, border=0, classes="faq-coverage-table")


class CoverageView:
    """Threshold slider, summary, plots and tables for one coverage report.

    Parameters
    ----------
    report : CoverageReport
        The analysed tickets; the slider starts at its threshold.
    max_tickets : int, default 500
        Ticket rows listed in the *Tickets* tab (uncovered first).

    Attributes
    ----------
    slider : FloatSlider
        The confidence threshold (0-1); set ``.value`` to re-judge.
    report : CoverageReport
        The report at the slider's threshold.
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
        self.slider = widgets.FloatSlider(value=report.threshold, min=0.0, max=1.0, step=0.01,
                                          description="Threshold", readout_format=".2f", continuous_update=False,
                                          tooltip="confidence the best FAQ entry needs for a ticket to count as covered",
                                          layout=widgets.Layout(width="420px"))
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
        self.slider.observe(self._on_threshold, names="value")
        self.refresh()

    def _on_threshold(self, change) -> None:
        try:
            self.report = self.base.with_threshold(float(change["new"]))
            self.refresh()
        except Exception:  # noqa: BLE001 - shown to the user instead of vanishing into the log
            tb = traceback.format_exc()
            self.errors.append(tb)
            self.error_area.value = f'<pre role="alert" style="color:#b00020">{html.escape(tb)}</pre>'

    def refresh(self) -> None:
        """Redraw everything from :attr:`report`."""
        r = self.report
        self.error_area.value = ""
        self.summary.value = f'<p role="status" aria-live="polite">{html.escape(r.summary())}</p>'
        for name, fig in r.figures().items():
            self.images[name].value = figure_png(fig)
        questions = dict(zip(r.entries["id"], r.entries["question"]))
        self.tables["gaps"].value = _table(pd.DataFrame(
            [(g.size, g.label, ", ".join(g.terms), " /// ".join(g.examples)) for g in r.gaps],
            columns=["size", "topic", "top terms", "examples"]), "no gap topics")
        self.tables["entries"].value = _table(r.entries[["hits", "question", "id"]])
        pairs = r.ambiguous_pairs.assign(a=r.ambiguous_pairs["a"].map(questions),
                                         b=r.ambiguous_pairs["b"].map(questions))
        self.tables["overlaps"].value = _table(pairs.rename(columns={"count": "tickets"})[["tickets", "a", "b"]],
                                               "no ambiguous tickets")
        self.tables["bad_rows"].value = _table(pd.DataFrame([b.to_dict() for b in r.bad_rows], columns=["row", "reason"]))
        shown = r.tickets.sort_values(["covered", "confidence"], kind="stable").head(self.max_tickets)
        self.tables["tickets"].value = _table(shown[["ref", "covered", "confidence", "best_question", "gap_label", "text"]]
                                              .assign(confidence=shown["confidence"].round(2),
                                                      text=shown["text"].map(lambda t: _one_line(t, 300))))

    def _ipython_display_(self) -> None:  # pragma: no cover - exercised in the notebook
        from IPython.display import display

        display(self.widget)
