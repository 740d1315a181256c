"""What every notebook view shares: callback errors are shown and recorded, never swallowed.

ipywidgets logs an exception raised in a callback to the kernel log and the UI shows nothing;
:class:`View` wraps callbacks (:meth:`View._guard`) so the error appears in ``error_area`` (a
``role="alert"`` box) and in ``errors``, which tests assert is empty.
"""

from __future__ import annotations

import functools
import logging
import traceback
from typing import Callable

import ipywidgets as widgets

from ..redaction import redact
from ..rendering import escape

log = logging.getLogger(__name__)


class View:
    """Base of the views. Subclasses call ``super().__init__()`` first and set ``self.widget``.

    Attributes
    ----------
    errors : list of str
        ``"callback: ExceptionType: message"`` for each error raised in a guarded callback.
    error_area : ipywidgets.HTML
        Hidden until an error happens; then shows it, with the traceback under *Details*.
    """

    #: How errors name the view ("support console", "org simulator").
    label = "view"

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.error_area = widgets.HTML("", layout=widgets.Layout(display="none"))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _guard(self, fn: Callable) -> Callable:
        """Wrap a callback: an exception is shown in the error area and recorded, never swallowed silently."""
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - this is the view's error reporting
                self._report(getattr(fn, "__name__", "callback"), exc)
        return wrapper

    def _report(self, where: str, exc: BaseException) -> None:
        # An error message can quote the query or ticket: redacted in the list, the log and the page.
        message = redact(str(exc))
        self.errors.append(f"{where}: {type(exc).__name__}: {message}")
        tb = redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        log.error("%s: error in %s:\n%s", self.label, where, tb)
        self.error_area.value = (
            f'<div role="alert" style="border:2px solid #b00;padding:4px 8px"><strong>Error</strong> in {escape(where)}: '
            f"{escape(type(exc).__name__)}: {escape(message)}<details><summary>Details</summary><pre>{escape(tb)}</pre>"
            f"</details></div>")
        self.error_area.layout.display = None
