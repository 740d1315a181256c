"""Notebook views (ipywidgets 8). The only package that imports ipywidgets; the logic lives in plain modules."""

from .console import SupportConsole, build_console
from .coverage import CoverageView
from .simulator import OrgSimulatorView, build_simulator

__all__ = ["CoverageView", "OrgSimulatorView", "SupportConsole", "build_console", "build_simulator"]
