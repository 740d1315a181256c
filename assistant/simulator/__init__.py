"""Org settings simulator: what an organization's settings do to each user, citing the FAQ.

Support staff are asked "what happens to user X if we turn on / enforce SSO?". The rules are
data beside the FAQ they encode: a rules file (``kb/simulator.yaml`` for the bundled SSO FAQ,
see :mod:`.rulesfile`) whose rules cite FAQ entries by anchor. :class:`Simulator` evaluates
every rule for one user (:meth:`Simulator.simulate` -> :class:`Outcome`), a roster
(:meth:`Simulator.simulate_roster` -> :class:`RosterResult`) or a change of settings
(:meth:`Simulator.diff` -> :class:`RolloutDiff`). Imported from here, not from ``assistant``:
``from assistant.simulator import Simulator``. Names are imported lazily (``check_rules_file``
does not load pandas).

Modules, in the order data flows:

- :mod:`.values`: setting values as typed (choices, true/false, domains, lists), checked.
- :mod:`.model`: the SSO rules' typed inputs :class:`Org`, :class:`User` and :class:`Finding`.
- :mod:`.rulesfile`: :func:`load_rules` -> :class:`RuleSet`; :mod:`.rulecheck`: :func:`check_rules_file` (lint).
- :mod:`.inputs`: :func:`parse_org`, :func:`parse_user`, :func:`load_org` (YAML) and
  :func:`load_roster` (CSV -> :class:`Roster`: users and invalid rows as problems).
- :mod:`.engine`: :class:`Simulator` (generic: nothing SSO-specific); :func:`indexed_kb`, the
  knowledge base of a folder as its saved index holds it (the one the CLI and the console read).
- :mod:`.outcome`: :class:`Outcome` (``to_dict``, ``to_text``, ``to_csv``, ``explain``).
- :mod:`.roster`: :class:`RosterResult`; :mod:`.diff`: :class:`RolloutDiff` (what-if).
- :mod:`.docs`: the README's rule list, generated from a rules file.

Invalid input raises :class:`~assistant.problems.FaqAssistantError` (a ``ValueError``) naming the
field (``"plan: unknown plan 'gold' (expected one of ...)"``); a file that cannot be used raises
:class:`~assistant.problems.InputFileError` naming the file and line.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "Simulator": "engine", "default_rules_path": "engine", "indexed_kb": "engine", "parse_record": "engine",
    "ROSTER_COLUMNS": "inputs", "Roster": "inputs", "load_org": "inputs", "load_roster": "inputs",
    "parse_org": "inputs", "parse_user": "inputs",
    "ACCOUNT_KINDS": "model", "PLANS": "model", "SIGN_IN_METHODS": "model", "SSO_MODES": "model", "USES": "model",
    "WEB_USES": "model", "Finding": "model", "Org": "model", "User": "model",
    "FINDING_SEVERITIES": "rulesfile", "RuleSet": "rulesfile", "RuleSpec": "rulesfile", "load_rules": "rulesfile",
    "check_rules_file": "rulecheck", "resolve_anchor": "rulecheck", "RULES_FILE": "rulesfile",
    "Outcome": "outcome", "RuleTrace": "outcome",
    "ROSTER_FRAME_COLUMNS": "roster", "RosterResult": "roster",
    "RolloutDiff": "diff", "DIFF_FRAME_COLUMNS": "diff",
    "rules_markdown": "docs",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
