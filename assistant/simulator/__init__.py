"""Org settings simulator: what an organization's SSO settings do to each user, citing the FAQ.

Support staff are asked "what happens to user X if we turn on / enforce SSO?".
:class:`Simulator` answers it for one user (:meth:`Simulator.simulate` -> :class:`Outcome`) or a
whole roster (:meth:`Simulator.simulate_roster` -> :class:`RosterResult`) from the rules in
:data:`RULES`. Each rule names the FAQ questions it comes from; every finding cites the entry ids
found in the loaded knowledge base. The simulator is SSO-specific, so it is imported from here,
not from ``assistant``: ``from assistant.simulator import Simulator``.

Modules, in the order data flows:

- :mod:`.values`: setting values as typed (choices, true/false, domains, lists), checked.
- :mod:`.model`: :class:`Org`, :class:`User` (validated on construction), :class:`Finding`,
  :class:`Outcome` (``to_dict``, ``to_text``, ``to_csv``) and the constants.
- :mod:`.inputs`: :func:`parse_org`, :func:`parse_user`, :func:`load_org` (YAML) and
  :func:`load_roster` (CSV -> :class:`Roster`: users and invalid rows as problems).
- :mod:`.rules`: :data:`RULES` and :func:`resolve_citations` (questions -> entry ids).
- :mod:`.engine`: :class:`Simulator`.
- :mod:`.roster`: :class:`RosterResult` (frame, summary, ``to_dict``, ``to_text``, ``to_csv``).

Invalid input raises :class:`~assistant.problems.FaqAssistantError` (a ``ValueError``) naming the
field (``"plan: unknown plan 'gold' (expected one of ...)"``); a file that cannot be used raises
:class:`~assistant.problems.InputFileError` naming the file and line.
"""

from .engine import Simulator
from .inputs import ROSTER_COLUMNS, Roster, load_org, load_roster, parse_org, parse_user
from .model import (ACCOUNT_KINDS, FINDING_SEVERITIES, ORG_CODES, PLANS, SIGN_IN_METHODS, SSO_MODES, USES, Finding,
                    Org, Outcome, User)
from .roster import ROSTER_FRAME_COLUMNS, RosterResult
from .rules import RULES, Rule, resolve_citations

__all__ = [
    "Org", "User", "Finding", "Outcome", "Rule", "RULES", "Simulator", "Roster", "RosterResult", "load_org",
    "load_roster", "parse_org", "parse_user", "resolve_citations", "PLANS", "SSO_MODES", "ACCOUNT_KINDS", "USES",
    "SIGN_IN_METHODS", "FINDING_SEVERITIES", "ORG_CODES", "ROSTER_COLUMNS", "ROSTER_FRAME_COLUMNS",
]
