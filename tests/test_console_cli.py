"""The console's command line: `ask` splits a ticket like the console; `console` serves it with Voilà."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from assistant import cli
from assistant.serve import NOTEBOOK_CELLS, voila_command, widget_version_problems, write_notebook

TICKET = """Hi team,

Two questions:
- Can we turn on SSO but hold off on enforcing it for now?
- Also, is DNS verification required before SSO works?

Thanks,
Sam
"""
HOLD_OFF = "Can I enable SSO and hold off on the enforcement option?"
DNS = "Is DNS verification required to enable SSO?"


def run(capsys, monkeypatch, *argv, stdin=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_stdin_splits_a_ticket_into_a_block_per_question(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "ask", "-", stdin=TICKET)
    assert code == 0
    assert out.startswith("The ticket asks 2 questions.\n")
    first = out.index("=== Question 1 of 2: Can we turn on SSO but hold off on enforcing it for now?")
    second = out.index("=== Question 2 of 2: Is DNS verification required before SSO works?")  # no "- Also,"
    assert first < out.index(f"Q: {HOLD_OFF}") < second < out.index(f"Q: {DNS}")


def test_ask_json_gives_an_object_per_question(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "ask", "-", "--json", "-k", "2", stdin=TICKET)
    data = json.loads(out)
    assert code == 0 and isinstance(data, list) and len(data) == 2
    assert [d["question_no"] for d in data] == [1, 2]
    assert data[1]["query"] == "Is DNS verification required before SSO works?"
    assert [d["matches"][0]["question"] for d in data] == [HOLD_OFF, DNS]
    assert all(set(d) == {"question_no", "query", "answered", "matches"} and len(d["matches"]) == 2 for d in data)


def test_ask_one_question_keeps_its_single_object(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "ask", "-", "--json", stdin="Hi,\nIs DNS verification needed?\nThanks,\nKim")
    data = json.loads(out)
    assert code == 0 and set(data) == {"query", "answered", "matches"}
    assert data["query"] == "Hi,\nIs DNS verification needed?\nThanks,\nKim"
    code, out, _ = run(capsys, monkeypatch, "ask", "Is DNS verification needed?")
    assert out.startswith("Best match") and "=== Question" not in out


def test_notebook_runs_the_cells_the_command_serves(tmp_path):
    import nbformat

    from pathlib import Path

    repo = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / "support_console.ipynb", as_version=4)
    served = nbformat.read(write_notebook(tmp_path), as_version=4)
    code = lambda nb: [c.source for c in nb.cells if c.cell_type == "code"]  # noqa: E731
    assert code(repo) == code(served) == list(NOTEBOOK_CELLS)
    # The page opens with the console, not with settings documentation or paths.
    for nb in (repo, served):
        text = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "FAQ_ASSISTANT" not in text and "site-packages" not in text


def test_voila_command_culls_idle_kernels():
    cmd = voila_command("nb.ipynb", port=9000, cull_idle_timeout=120)
    assert cmd[:4] == [sys.executable, "-m", "voila", "nb.ipynb"]
    assert "--MappingKernelManager.cull_idle_timeout=120" in cmd
    assert "--MappingKernelManager.cull_interval=24" in cmd and "--no-browser" in cmd and "--port=9000" in cmd
    with pytest.raises(ValueError, match="at least 1 second"):
        voila_command("nb.ipynb", cull_idle_timeout=0)


@pytest.mark.parametrize("versions, expected", [
    ({"ipywidgets": "8.1.5", "jupyterlab_widgets": "3.0.13", "widgetsnbextension": "4.0.13", "anywidget": "0.9.13"}, []),
    ({"ipywidgets": "8.1.5", "jupyterlab_widgets": "1.1.1", "widgetsnbextension": "4.0.13", "anywidget": "0.9.13"},
     ["ipywidgets 8.1.5 needs jupyterlab_widgets 3.x in the browser, but 1.1.1 is installed"]),
    ({"ipywidgets": "7.8.1", "jupyterlab_widgets": "3.0.13", "widgetsnbextension": "3.6.6", "anywidget": "0.9.13"},
     ["ipywidgets 7.8.1 needs jupyterlab_widgets 1.x in the browser, but 3.0.13 is installed"]),
    ({"ipywidgets": "8.1.5", "jupyterlab_widgets": "3.0.13", "widgetsnbextension": None, "anywidget": None},
     ["needs widgetsnbextension 4.x in the browser, but none is installed", "anywidget is not installed"]),
])
def test_widget_version_mismatch_is_found(versions, expected):
    problems = widget_version_problems(versions)
    assert len(problems) == len(expected)
    for problem, want in zip(problems, expected):
        assert want in problem
    assert all("pip install" in p for p in problems)


def test_installed_widget_packages_match():
    assert widget_version_problems() == []


def test_console_command_refuses_to_serve_mismatched_widgets(capsys, monkeypatch):
    import assistant.serve as serve

    monkeypatch.setattr(serve, "widget_version_problems", lambda: ["ipywidgets 8.1.5 needs jupyterlab_widgets 3.x"])
    code, out, err = run(capsys, monkeypatch, "console", "--check")
    assert code == 2 and out == ""
    assert "widgets would not render in the browser" in err and "jupyterlab_widgets 3.x" in err


def test_console_command_check(capsys, monkeypatch, tmp_path):
    code, out, _ = run(capsys, monkeypatch, "console", "--check", "--cull-idle-timeout", "60")
    assert code == 0 and "--MappingKernelManager.cull_idle_timeout=60" in out
    code, _, err = run(capsys, monkeypatch, "console", "--check", "--kb", str(tmp_path / "missing"))
    assert code == 2 and "no such folder" in err


def test_console_command_is_in_help():
    out = subprocess.run([sys.executable, "-m", "assistant", "console", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--cull-idle-timeout" in out.stdout


def test_served_notebook_passes_the_options_to_build_console(tmp_path):
    import nbformat

    nb = nbformat.read(write_notebook(tmp_path, kb="kb", feedback_db=tmp_path / "fb.sqlite3",
                                      site_url="https://docs.example.com/"), as_version=4)
    build = [c.source for c in nb.cells if c.cell_type == "code"][1]
    assert build.startswith("console = build_console(kb_path='/") and "site_url='https://docs.example.com/'" in build
    assert f"feedback_db={str(tmp_path / 'fb.sqlite3')!r}" in build


def test_console_command_builds_the_saved_index_and_hands_it_to_the_notebook(capsys, monkeypatch, tmp_path):
    import nbformat

    from assistant import serve
    from assistant.index import index_file

    kb, idx = tmp_path / "kb", tmp_path / "idx"
    kb.mkdir()
    (kb / "faq.md").write_text(f"## {DNS}\n\nYes.\n", encoding="utf-8")
    served = {}

    def fake_serve(**kwargs):  # what Voilà would run: the notebook the command writes
        served["cells"] = [c.source for c in nbformat.reads(
            write_notebook(tmp_path, kb=kwargs["kb"], index_dir=kwargs["index_dir"]).read_text(), as_version=4).cells
            if c.cell_type == "code"]
        return ["voila"], 0

    monkeypatch.setattr(serve, "serve_console", fake_serve)
    monkeypatch.delenv("FAQ_ASSISTANT_USE_FEEDBACK", raising=False)
    code, _, err = run(capsys, monkeypatch, "console", "--kb", str(kb), "--index", str(idx))
    assert code == 0 and "Serving the support console" in err
    assert index_file(kb, idx).is_file()  # built before serving: each tab's kernel reads it, none refits
    assert f"index_dir={str(idx)!r}" in served["cells"][1] and f"kb_path={str(kb)!r}" in served["cells"][1]


def test_served_notebook_console_reads_the_index_it_names(tmp_path, monkeypatch):
    from assistant import KnowledgeBase, TfidfRetriever
    from assistant.index import load_index

    kb, idx = tmp_path / "kb", tmp_path / "idx"
    kb.mkdir()
    (kb / "faq.md").write_text(f"## {DNS}\n\nYes.\n", encoding="utf-8")
    load_index(kb, idx)
    cells = [c["source"] for c in json.loads(write_notebook(tmp_path, kb=kb, index_dir=idx,
                                                            feedback_db=tmp_path / "fb.sqlite3").read_text())["cells"]
             if c["cell_type"] == "code"]

    def refuse(*_args, **_kwargs):
        raise AssertionError("fitted although the saved index is fresh")

    monkeypatch.setattr(TfidfRetriever, "fit", refuse)
    monkeypatch.setattr(KnowledgeBase, "load", refuse)
    monkeypatch.delenv("FAQ_ASSISTANT_USE_FEEDBACK", raising=False)
    scope: dict = {}
    for src in cells[:2]:
        exec("".join(src), scope)  # noqa: S102 - the notebook's own import and build cells
    assert scope["console"].search("dns verification").best.entry.question == DNS


def test_console_command_refuses_a_folder_without_entries_before_serving(capsys, monkeypatch, tmp_path):
    from assistant import serve

    (tmp_path / "faq.md").write_text("Just prose, no question headings.\n", encoding="utf-8")
    monkeypatch.setattr(serve, "serve_console", lambda **_kw: pytest.fail("served a console that cannot answer"))
    monkeypatch.delenv("FAQ_ASSISTANT_USE_FEEDBACK", raising=False)
    code, _, err = run(capsys, monkeypatch, "console", "--kb", str(tmp_path), "--index", str(tmp_path / "idx"))
    assert code == 2 and "no FAQ entries" in err
