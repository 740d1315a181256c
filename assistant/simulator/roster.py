"""A roster's outcomes: :class:`RosterResult`, one row per user and "are we ready to enforce?".

:meth:`~assistant.simulator.engine.Simulator.simulate_roster` builds it; it renders itself as the
``--json`` object (:meth:`RosterResult.to_dict`), terminal text (:meth:`RosterResult.to_text`) and
CSV (:meth:`RosterResult.to_csv`).
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from ..rendering import plural
from .inputs import Roster
from .model import Finding, Org
from .outcome import Outcome

__all__ = ["RosterResult", "ROSTER_FRAME_COLUMNS"]

#: Columns of :attr:`RosterResult.frame`, in order.
ROSTER_FRAME_COLUMNS = [
    "line", "email", "account", "sso_applies", "sso_enforced_for_user", "web_sign_in", "cli_sign_in",
    "auto_added_to_org", "desktop_sign_in_required", "blocked_uses", "loses_access", "blockers", "warnings", "error",
]
_LIST_COLUMNS = ("web_sign_in", "cli_sign_in", "blocked_uses", "blockers", "warnings")


class RosterResult:
    """Outcomes for a roster, one row per user, and a summary for "are we ready to enforce?".

    Attributes
    ----------
    org : Org
    roster : Roster
    outcomes : list of (int, Outcome)
        File line and outcome of each valid row.
    frame : pandas.DataFrame
        :data:`ROSTER_FRAME_COLUMNS`, one row per roster row, sorted by ``line``; list columns
        hold lists of str; ``blockers``/``warnings`` are the codes of user findings; invalid rows
        have only ``line``, ``email``, ``error`` (the problem's message).
    org_findings : list of Finding
        Findings about the organization itself (rules with ``scope: org``), once.
    summary : dict
        ``users`` (int), ``invalid_rows`` (int), ``sso_active`` (bool), ``ready`` (bool: SSO
        active, nobody loses access because of the settings, no invalid row), ``not_ready_because`` (list of str, empty when
        ready), ``enforced_for``, ``auto_added``, ``not_covered`` (int), ``losing_access``
        (``[{"line": int, "email": str, "blocked_uses": [str], "blockers": [str], "reasons": [rule id]}]``:
        only uses that the settings take away), ``unavailable_anyway`` (``[{"line", "email", "uses"}]``:
        uses that do not work under the baseline either),
        ``org_findings`` (list of :meth:`Finding.to_dict`) and ``findings_by_code``
        (``{code: count}`` of user findings, sorted by code).
    """

    def __init__(self, org: Org, roster: Roster, outcomes: list[tuple[int, Outcome]]):
        self.org, self.roster, self.outcomes = org, roster, outcomes
        self.org_findings = self._org_findings()
        self.frame = self._frame()
        self.summary = self._summary()

    def _org_findings(self) -> list[Finding]:
        seen: dict[tuple[str, str], Finding] = {}
        for _, o in self.outcomes:
            for f in o.findings:
                if f.scope == "org":
                    seen.setdefault((f.code, f.message), f)
        return list(seen.values())

    def _frame(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        for line, o in self.outcomes:
            uf = o.user_findings
            rows.append({
                "line": line, "email": o.email, "account": o.values["user"].get("account"), "sso_applies": o.sso_applies,
                "sso_enforced_for_user": o.sso_enforced_for_user, "web_sign_in": o.web_sign_in,
                "cli_sign_in": o.cli_sign_in, "auto_added_to_org": o.auto_added_to_org,
                "desktop_sign_in_required": o.desktop_sign_in_required, "blocked_uses": o.blocked_uses,
                "loses_access": o.loses_access, "blockers": [f.code for f in uf if f.severity == "blocker"],
                "warnings": [f.code for f in uf if f.severity == "warning"], "error": None,
            })
        for email, p in self.roster.invalid_rows:
            rows.append({"line": p.line, "email": email, "error": p.message})
        frame = pd.DataFrame(rows, columns=ROSTER_FRAME_COLUMNS)
        return frame.sort_values("line", kind="stable").reset_index(drop=True)

    def _summary(self) -> dict[str, Any]:
        outcomes = [o for _, o in self.outcomes]
        losing = [{"line": line, "email": o.email, "blocked_uses": o.blocked_uses,
                   "blockers": [f.code for f in o.user_findings if f.severity == "blocker"],
                   "reasons": sorted({r for rs in o.loss_reasons.values() for r in rs})}
                  for line, o in self.outcomes if o.loses_access]
        by_code: dict[str, int] = {}
        for o in outcomes:
            for f in o.user_findings:
                by_code[f.code] = by_code.get(f.code, 0) + 1
        not_before = [{"line": line, "email": o.email,
                       "uses": [u for u in o.unavailable_uses if u not in o.blocked_uses]}
                      for line, o in self.outcomes if set(o.unavailable_uses) - set(o.blocked_uses)]
        sso_active = any(o.sso_active for o in outcomes) if outcomes else False
        n_invalid = len(self.roster.invalid_rows)
        reasons = []
        if not outcomes:
            reasons.append("no valid user rows")
        if not sso_active:
            reasons.append("SSO is off" if self.org.sso == "off" else "SSO would not be active (see organization findings)")
        if losing:
            reasons.append(f"{plural(len(losing), 'user')} would lose access")
        if n_invalid:
            reasons.append(f"{plural(n_invalid, 'invalid row')} not simulated (fix and run again)")
        return {
            "users": len(outcomes),
            "invalid_rows": n_invalid,
            "sso_active": sso_active,
            "ready": not reasons,
            "not_ready_because": reasons,
            "enforced_for": sum(o.sso_enforced_for_user for o in outcomes),
            "auto_added": sum(o.auto_added_to_org for o in outcomes),
            "not_covered": sum(o.sso_active and not o.sso_applies for o in outcomes),
            "losing_access": losing,
            "unavailable_anyway": not_before,
            "org_findings": [f.to_dict() for f in self.org_findings],
            "findings_by_code": dict(sorted(by_code.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``faq-assistant simulate --roster ... --format json``.

        ``{"org": Org.to_dict(), "summary": summary, "users": [...]}``; ``users`` in line order:
        ``{"line": int, **Outcome.to_dict()}`` without ``org`` for a valid row,
        ``{"line": int, "email": str, "error": str}`` for an invalid one.
        """
        users: list[dict[str, Any]] = [{"line": line, **o.to_dict()} for line, o in self.outcomes]
        users += [{"line": p.line, "email": email, "error": p.message} for email, p in self.roster.invalid_rows]
        users.sort(key=lambda u: u["line"])
        for u in users:
            u.pop("org", None)
        return {"org": self.org.to_dict(), "summary": self.summary, "users": users}

    def _summary_lines(self) -> list[str]:
        s = self.summary
        out = [f"{plural(s['users'], 'user')} simulated"
               + (f", {plural(s['invalid_rows'], 'invalid row')} skipped" if s["invalid_rows"] else "") + "."]
        for f in self.org_findings:
            out.append(f"Organization {f.severity}: {f.message}")
        if s["sso_active"]:
            covered = s["enforced_for"] if self.org.sso == "enforced" else s["users"] - s["not_covered"]
            out.append(f"SSO is {self.org.sso} for {covered} of them; {s['not_covered']} "
                       f"use{'s' * (s['not_covered'] == 1)} an email outside the verified domains; "
                       f"{s['auto_added']} would be added to the organization automatically.")
        if s["losing_access"]:
            out.append(f"{len(s['losing_access'])} would lose access:")
            for u in s["losing_access"]:
                what = ", ".join(u["blocked_uses"]) or "see findings"
                out.append(f"  - {u['email']} (line {u['line']}): {what} [{', '.join(u['blockers'])}]")
        else:
            out.append("Nobody would lose access.")
        if s["unavailable_anyway"]:
            out.append(f"{len(s['unavailable_anyway'])} ha{'s' if len(s['unavailable_anyway']) == 1 else 've'} uses "
                       "that do not work with or without these settings (not counted as losses):")
            for u in s["unavailable_anyway"]:
                out.append(f"  - {u['email']} (line {u['line']}): {', '.join(u['uses'])}")
        out.append("Ready: yes." if s["ready"] else f"Ready: no ({'; '.join(s['not_ready_because'])}).")
        return out

    def _flat_frame(self) -> pd.DataFrame:
        flat = self.frame.copy()
        for col in _LIST_COLUMNS:
            flat[col] = flat[col].map(lambda v: "; ".join(v) if isinstance(v, list) else "")
        return flat

    def to_text(self, *, table: bool = True) -> str:
        """The result as terminal text, no final newline.

        The summary in plain sentences (who would lose access, and ``Ready: yes.`` or
        ``Ready: no (<reasons>).`` last); with ``table`` (and rows to show), a blank line and one
        row per roster row (line, email, account, web, cli, loses, blockers, error shortened to 40
        characters).
        """
        text = "\n".join(self._summary_lines())
        if not table or self.frame.empty:
            return text
        shown = self._flat_frame()[["line", "email", "account", "web_sign_in", "cli_sign_in", "blocked_uses",
                                    "blockers", "error"]]
        shown = shown.fillna("").rename(columns={"web_sign_in": "web", "cli_sign_in": "cli", "blocked_uses": "loses"})
        shown["error"] = shown["error"].map(lambda e: textwrap.shorten(e, 40, placeholder="...") if e else "")
        return f"{text}\n\n{shown.to_string(index=False)}"

    def to_csv(self) -> str:
        """:attr:`frame` as CSV (header row, ``"\\n"`` line ends), list cells joined with ``"; "``."""
        return self._flat_frame().to_csv(index=False)
