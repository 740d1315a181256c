"""notebooks/support_console.ipynb runs top to bottom headless and displays the console."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "support_console.ipynb"


def test_support_console_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("FAQ_ASSISTANT_FEEDBACK_DB", str(tmp_path / "feedback.sqlite3"))
    monkeypatch.delenv("FAQ_ASSISTANT_KB", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) <= 4, "the notebook stays short: import, build, display"
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    shown = code[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown), shown
    assert (tmp_path / "feedback.sqlite3").is_file()  # the console opened the store named by the env var
