"""notebooks/org_simulator.ipynb runs top to bottom headless and displays the simulator."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "org_simulator.ipynb"


def test_org_simulator_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("FAQ_ASSISTANT_KB", raising=False)
    # The kernel must be this interpreter (the one with the package installed).
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) <= 4, "the notebook stays short: import, build, display"
    nb.cells.append(nbformat.v4.new_code_cell(
        "print(simulator.errors, simulator.outcome.sso_active, len(simulator.finding_views), rollout.errors,"
        " rollout.diff.summary['losing_access'])"))
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    shown = code[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown), shown
    assert nb.cells[-1].outputs[0]["text"].strip() == "[] False 0 [] 1"
