"""Issue 14 point 5: lint over the saved index and in worker processes finds exactly what one
process parsing every page finds (speed is measured by bench/docs_trees.py, not here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.index import load_index, load_saved_kb
from assistant.knowledge_base import KnowledgeBase, default_kb_path
from assistant.lint import lint_paths

FM = "---\ntitle: T\ndescription: D\n---\n\n"

#: Pages with a finding of nearly every kind, linking and including each other across pages.
PAGES = {
    "_index.md": "# Site\n\nSee [setup](setup.md#install) and [nothing](gone.md).\n\nThe [old](/old-name/) page.\n",
    "setup.md": FM + "## Install\n\n{{< include \"shared.md\" >}}\n\n[tab](#from-include) [bad](#nope)\n",
    "includes/shared.md": "## From include\n\nText.\n",
    "moved.md": "---\ntitle: Moved\naliases:\n  - /old-name/\n---\n\n# Moved\n\nHere.\n",
    "faq.md": FM + "## How do I reset my password?\n\nUse the form.\n\n## How do I reset my password?\n\nUse the form.\n\n"
              "## Is there an empty one?\n\n## Does `---` trap?\nYes it does.\n---\n\n```sh\nunclosed\n",
    "more/faq.md": "## How can I reset the password of my account?\n\nUse the form on the page.\n\n"
                   "## Yes, this reads like an answer\n\nText.\n\n## Why so long?\n\n" + "word " * 60 + "\n",
    "region.md": "---\ntitle: R\nregion: NO\n---\n\n## Where is it?\n\nHere.\n",
}


def _folder(tmp_path: Path, pages: dict[str, str] = PAGES) -> Path:
    root = tmp_path / "content"
    for name, text in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _dicts(report) -> dict:
    return report.to_dict()


def test_worker_processes_find_exactly_what_one_process_finds(tmp_path):
    root = _folder(tmp_path)
    one = lint_paths([root], jobs=1, long_answer_words=50)
    # the alias (/old-name/), the included heading (#from-include) and setup.md#install resolve
    assert {(Path(p.file).relative_to(root).as_posix(), p.line, p.code) for p in one.problems} == {
        ("_index.md", 3, "broken-link"), ("setup.md", 10, "broken-anchor"), ("faq.md", 10, "duplicate-question"),
        ("faq.md", 14, "empty-answer"), ("faq.md", 17, "setext-heading"), ("faq.md", 20, "unclosed-fence"),
        ("more/faq.md", 1, "front-matter-missing"), ("more/faq.md", 5, "heading-looks-like-answer"),
        ("more/faq.md", 9, "long-answer"), ("region.md", 1, "missing-description"),
        ("region.md", 3, "yaml-type-changed")}, one.to_text()
    assert _dicts(lint_paths([root], jobs=2, long_answer_words=50)) == _dicts(one)
    # several folders at once (duplicates are looked for across them): still the same as one process
    both = [root, default_kb_path()]
    assert _dicts(lint_paths(both, jobs=2)) == _dicts(lint_paths(both, jobs=1))


def test_a_fresh_saved_index_serves_the_entries_and_a_stale_one_is_not_trusted(tmp_path, monkeypatch):
    root = _folder(tmp_path)
    index_dir = tmp_path / "index"
    parsed = lint_paths([root])
    load_index(root, index_dir)  # what `faq-assistant kb` or `index` leaves behind
    archive = next(index_dir.rglob("index.npz"))
    before = archive.stat().st_mtime_ns

    def no_parsing(*args, **kwargs):
        raise AssertionError("the folder was parsed although its saved index is fresh")

    with monkeypatch.context() as m:
        m.setattr(KnowledgeBase, "load", no_parsing)
        assert _dicts(lint_paths([root], index_dir=index_dir)) == _dicts(parsed)
        assert _dicts(lint_paths([root], index_dir=index_dir, jobs=2)) == _dicts(parsed)  # pages read in workers
    (root / "faq.md").write_text(FM + "## What changed after indexing?\n", encoding="utf-8")
    assert load_saved_kb(root, index_dir) is None
    report = lint_paths([root], index_dir=index_dir)
    assert [(Path(p.file).name, p.line) for p in report.problems if p.code == "empty-answer"] == [("faq.md", 6)]
    assert _dicts(report) == _dicts(lint_paths([root]))
    assert archive.stat().st_mtime_ns == before  # lint never writes the index


def test_lint_writes_no_index_and_a_single_file_needs_none(tmp_path):
    root = _folder(tmp_path)
    index_dir = tmp_path / "index"
    lint_paths([root], index_dir=index_dir)
    assert not index_dir.exists()
    assert load_saved_kb(root / "faq.md", index_dir) is None
    assert _dicts(lint_paths([root / "faq.md"], index_dir=index_dir)) == _dicts(lint_paths([root / "faq.md"]))


def test_scikit_learn_is_imported_only_to_compare_questions(tmp_path):
    """`import assistant.lint` and a folder without questions do not import scikit-learn (about a
    second of start-up); the duplicate check imports it when there are questions to compare."""
    root = _folder(tmp_path, {"notes.md": "# Notes\n\nNo questions here.\n"})
    code = ("import sys; from assistant.lint import lint_paths; r = lint_paths([sys.argv[1]]); "
            "print(r.entries, 'sklearn' in sys.modules); lint_paths([sys.argv[2]]); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(root), str(default_kb_path())], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "False", "True"]


def test_cli_lint_reads_the_index_that_index_writes(tmp_path):
    _folder(tmp_path)
    index_dir = tmp_path / "index"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)

    cold = run("lint", "content", "--format", "json", "--min-severity", "info", "--index", str(index_dir))
    assert cold.returncode == 1 and not index_dir.exists(), cold.stderr
    assert run("index", "--kb", "content", "--index", str(index_dir)).returncode == 0
    warm = run("lint", "content", "--format", "json", "--min-severity", "info", "--index", str(index_dir))
    assert warm.returncode == 1, warm.stderr
    assert json.loads(warm.stdout) == json.loads(cold.stdout)


@pytest.mark.shared
def test_mkdocs_material_tree_the_same_in_workers(shared_dir):
    tree = shared_dir / "docs-trees" / "mkdocs-material" / "docs"
    assert _dicts(lint_paths([tree], jobs=2)) == _dicts(lint_paths([tree], jobs=1))
