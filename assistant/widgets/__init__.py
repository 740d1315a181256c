"""Notebook views (ipywidgets 8). The only package that imports ipywidgets; the logic lives in plain modules.

Each view is imported when first used, so ``from assistant.widgets import build_console`` does
not import the coverage view's plotting or the org simulator:

| name | module | view over |
|---|---|---|
| :class:`SupportConsole`, :func:`build_console` | :mod:`.console` | retriever, replies, feedback |
| :class:`CoverageView` | :mod:`.coverage` | a coverage report |
| :class:`OrgSimulatorView`, :func:`build_simulator` | :mod:`.simulator` | the SSO org simulator |
| :class:`RolloutView`, :func:`build_rollout` | :mod:`.simulator` | the simulator's what-if for a roster |
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["CoverageView", "OrgSimulatorView", "RolloutView", "SupportConsole", "build_console", "build_rollout",
           "build_simulator"]

_HOMES = {
    "SupportConsole": "console", "build_console": "console",
    "CoverageView": "coverage",
    "OrgSimulatorView": "simulator", "build_simulator": "simulator",
    "RolloutView": "simulator", "build_rollout": "simulator",
}

if TYPE_CHECKING:
    from .console import SupportConsole, build_console
    from .coverage import CoverageView
    from .simulator import OrgSimulatorView, RolloutView, build_rollout, build_simulator


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
