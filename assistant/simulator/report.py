"""What ``faq-assistant simulate`` prints, for each result and format: :func:`render`.

The command line only parses arguments, calls :func:`render` and writes the two texts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .outcome import Outcome

if TYPE_CHECKING:
    from ..knowledge_base import KnowledgeBase

__all__ = ["render"]


def render(result: Any, fmt: str = "table", *, kb: KnowledgeBase | None = None,
           explain: bool = False) -> tuple[str, str]:
    """``(stdout, stderr)`` texts for an :class:`Outcome`, a ``RosterResult`` or a ``RolloutDiff``.

    ``fmt`` is ``"table"`` (terminal text), ``"csv"`` (the summary of a roster or a what-if goes
    to stderr) or ``"json"``. ``explain`` adds every rule per user: after the text, or as a
    ``"rules"`` list in each JSON user object. Each text ends with a newline (or is empty).
    """
    from .diff import RolloutDiff

    if isinstance(result, Outcome):
        outcomes = [result]
    elif isinstance(result, RolloutDiff):
        outcomes = [o for _, o in result.after.outcomes]
    else:
        outcomes = [o for _, o in result.outcomes]
    err = ""
    if fmt == "json":
        d = result.to_dict()
        if explain:
            targets = [d] if isinstance(result, Outcome) else [u for u in d["users"] if "error" not in u]
            for u, o in zip(targets, outcomes):
                u["rules"] = [t.to_dict() for t in o.trace]
        return json.dumps(d, ensure_ascii=False, indent=2) + "\n", ""
    if fmt == "csv":
        out = result.to_csv()
        if isinstance(result, RolloutDiff):
            err = "\n".join(result.summary_lines()) + "\n"
        elif not isinstance(result, Outcome):
            err = result.to_text(table=False) + "\n"
        return out, err
    out = result.to_text(kb) if isinstance(result, Outcome) else result.to_text()
    if explain:
        out += "".join("\n\n" + o.explain() for o in outcomes)
    return out + "\n", err
