"""The package's shape (docs/architecture.md): lazy public API, one-way imports, modules of one job."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import assistant

PACKAGE = Path(assistant.__file__).resolve().parent
HEAVY = ("pandas", "sklearn", "scipy", "matplotlib", "ipywidgets", "sqlite3", "numpy")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys; {code}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return set(out.stdout.split())


def test_import_assistant_and_the_cli_load_no_heavy_library():
    for code in ("import assistant", "import assistant.cli; assistant.cli.build_parser()"):
        loaded = _loaded_after(code)
        assert not [m for m in HEAVY if m in loaded], code


def test_lint_command_does_not_import_the_retriever_or_widgets():
    loaded = _loaded_after("from assistant.lint import lint_paths")
    assert "assistant.retrieval" not in loaded and "ipywidgets" not in loaded and "matplotlib" not in loaded


@pytest.mark.parametrize("name", assistant.__all__)
def test_every_public_name_resolves_from_its_home(name):
    value = getattr(assistant, name)
    assert getattr(value, "__name__", name) == name
    assert value.__module__.startswith("assistant.")


def test_unknown_public_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Simulator'"):
        assistant.Simulator  # noqa: B018 - the SSO simulator is not top-level API


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports (resolved to dotted names)."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts[:-1]) if rel.name == "__init__" else list(rel.parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = parts[: len(parts) - node.level + 1]
            mod = ".".join(base + ([node.module] if node.module else []))
            found.add(mod)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            found.add(node.module)
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "_kb" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 520


@pytest.mark.parametrize("low, high", [
    ("assistant.retrieval", "assistant.tickets"),
    ("assistant.retrieval", "assistant.parsing"),
    ("assistant.knowledge_base", "assistant.config"),
    ("assistant.lint", "assistant.retrieval"),
    ("assistant.widgets.simulator", "assistant.replies"),
])
def test_data_flows_one_way(low, high):
    """A lower layer never imports a higher one (the sideways imports issue 10 removed)."""
    files = [p for p in MODULES if ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).startswith(low)]
    assert files
    for path in files:
        assert not any(m == high or m.startswith(high + ".") for m in _imports(path)), f"{path} imports {high}"


def test_only_widgets_import_ipywidgets_and_only_config_reads_the_environment():
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(PACKAGE).as_posix()
        if not rel.startswith("widgets/"):
            assert "import ipywidgets" not in text, rel
        if rel != "config.py":
            assert "os.environ" not in text and "getenv(" not in text, rel
