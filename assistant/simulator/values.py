"""Setting values as people type them, checked and normalised: choices, true/false, domains, lists.

Each function takes the raw value (from YAML, a CSV cell, a CLI flag or a widget) and the name of
the field it is for, and returns the normalised value or raises
:class:`~assistant.problems.FaqAssistantError` (a ``ValueError``) whose message starts with that
field: ``"plan: unknown plan 'gold' (expected one of personal, pro, team, business)"``.
"""

from __future__ import annotations

import re
from typing import Any

from ..problems import FaqAssistantError

__all__ = ["choice", "boolean", "domain_name", "split_list"]

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def choice(value: Any, field_name: str, choices: tuple[str, ...], what: str) -> str:
    """``value`` lower-cased and stripped if it is one of ``choices``; ``what`` names the kind in the error."""
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text not in choices:
        raise FaqAssistantError(f"{field_name}: unknown {what} {value!r} (expected one of {', '.join(choices)})")
    return text


def boolean(value: Any, field_name: str) -> bool:
    """A bool, or one of ``true/false, yes/no, y/n, 1/0, on/off`` (any case) as a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise FaqAssistantError(f"{field_name}: expected true or false, got {value!r}")


def domain_name(value: Any, field_name: str) -> str:
    """A lower-case ASCII domain name (IDNA-encoded, trailing dot dropped): ``Bücher.de`` -> ``xn--bcher-kva.de``.

    At least two labels of letters, digits and inner hyphens, and a top-level label that is not all digits.
    """
    text = str(value).strip().lower().rstrip(".")
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels) or labels[-1].isdigit():
        raise FaqAssistantError(f"{field_name}: {value!r} is not a domain name (expected e.g. example.com)")
    return ascii_name


def split_list(value: Any) -> list[str]:
    """Items of a list setting (``None`` -> ``[]``).

    A string splits on commas, semicolons, bars and spaces; items of a list, tuple or set only on
    commas, semicolons and bars (so ``["exa mple.com"]`` stays one, invalid, domain); any other
    value is one item, as text.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,;|]+", value) if v]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [part.strip() for v in value for part in re.split(r"[,;|]", str(v)) if part.strip()]
    return [str(value)]
