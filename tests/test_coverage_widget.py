"""The coverage view (assistant.widgets.CoverageView) and notebooks/coverage_report.ipynb."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from assistant.coverage import CoverageReport, analyze_coverage

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "coverage_report.ipynb"

TICKETS = [
    "Is DNS verification required to enable SSO?", "How do service accounts work with SSO?",
    "Does iEchor SSO support authenticating through the command line?",
    "Where do I download the invoice PDF for March?", "Our invoice PDF shows the wrong VAT number",
    "Please resend the March invoice PDF", "Kubernetes pulls fail: toomanyrequests pull rate limit",
    "What is the pull rate limit for anonymous pulls?", "We hit the pull rate limit from our runners",
    "Bananas are yellow",
]


@pytest.fixture(scope="module")
def report(retriever) -> CoverageReport:
    return analyze_coverage(TICKETS, retriever, margin=1.0)


def test_coverage_view_slider_updates_everything(report):
    from assistant.widgets import CoverageView

    view = CoverageView(report)
    assert view.slider.value == report.min_confidence == 0.5
    assert view.summary.value == f'<p role="status" aria-live="polite">{report.to_text(brief=True)}</p>'
    assert "3 of 10 tickets covered" in view.summary.value
    assert all(bytes(img.value).startswith(b"\x89PNG") for img in view.images.values())
    assert "invoice" in view.tables["gaps"].value
    before = view.images["confidence"].value
    view.slider.value = 0.0
    assert view.report.min_confidence == 0.0
    assert "10 of 10 tickets covered" in view.summary.value and "no gap topics" in view.tables["gaps"].value
    assert view.images["confidence"].value != before
    view.slider.value = 1.0
    assert "0 of 10 tickets covered" in view.summary.value
    assert view.errors == [] and view.error_area.value == ""


def test_coverage_view_lists_bad_rows(tmp_path, retriever):
    from assistant.widgets import CoverageView

    path = tmp_path / "tickets.csv"
    path.write_bytes(b"subject,body\nSSO,How do service accounts work with SSO?\n\n")
    table = CoverageView(analyze_coverage(path, retriever)).tables["bad_rows"].value
    assert "<th>row</th>" in table and "<th>reason</th>" in table
    assert "<td>3</td>" in table and "<td>empty line; skipped</td>" in table


def test_coverage_view_shows_callback_errors(report, monkeypatch):
    from assistant.widgets import CoverageView

    view = CoverageView(report)
    monkeypatch.setattr(CoverageReport, "with_min_confidence", lambda self, c: 1 / 0)
    view.slider.value = 0.3
    assert len(view.errors) == 1 and "ZeroDivisionError" in view.error_area.value


def test_coverage_notebook_runs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) <= 4, "the notebook stays short: import, run, display"
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    assert [o for c in code for o in c.outputs if o.output_type == "error"] == []
    printed = "".join(o.get("text", "") for o in code[1].outputs)
    assert printed.startswith("161 of 267 tickets covered (60.3%) by 12 FAQ entries at confidence threshold 0.50; ")
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in code[-1].outputs)
