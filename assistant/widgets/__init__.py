"""Notebook views (ipywidgets 8). The only package that imports ipywidgets; the logic lives in plain modules."""

from .console import SupportConsole, build_console  # noqa: F401
from .simulator import OrgSimulatorView, build_simulator  # noqa: F401
from .coverage import CoverageView  # noqa: F401
