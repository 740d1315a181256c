"""What-if for a rollout: :class:`RolloutDiff`, what changing an org's settings does to each user.

Like a report-only policy: nothing is changed, every user of the roster is simulated under the
current and the proposed settings, and the difference is reported per user (sign-in paths before
and after, uses that stop or start working, new blockers and warnings, the rules responsible) and
in a summary with advice ("42 users lose cli: create PATs first"). Built by
:meth:`~assistant.simulator.engine.Simulator.diff`; renders itself as text, CSV, JSON and a frame.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from ..rendering import plural
from .roster import RosterResult

__all__ = ["RolloutDiff", "DIFF_FRAME_COLUMNS"]

#: Columns of :attr:`RolloutDiff.frame`, in order (list columns hold lists of str).
DIFF_FRAME_COLUMNS = [
    "line", "email", "changed", "web_before", "web_after", "cli_before", "cli_after", "stops_working",
    "starts_working", "new_blockers", "new_warnings", "reasons", "error",
]
_LIST_COLUMNS = ("web_before", "web_after", "cli_before", "cli_after", "stops_working", "starts_working",
                 "new_blockers", "new_warnings", "reasons")


class RolloutDiff:
    """Per-user differences between two simulations of one roster.

    Attributes
    ----------
    before, after : RosterResult
        The roster under the current and under the proposed settings.
    frame : pandas.DataFrame
        :data:`DIFF_FRAME_COLUMNS`, one row per roster row in line order; ``stops_working``: uses
        that work now and not under the proposed settings; ``new_blockers`` / ``new_warnings``:
        finding codes the proposed settings add; ``reasons``: ids of the rules that take the uses
        away; invalid rows carry only ``line``, ``email``, ``error``.
    summary : dict
        ``users``, ``invalid_rows``, ``changed``, ``losing_access`` (int), ``losing_by_use``
        (``{use: int}``), ``advice`` (list of str, one per blocker code, most users first:
        ``"42 users lose cli, api: create PATs first (cli-needs-pat)"``); ``changed`` counts users
        whose sign-in methods or working uses change or who get a new blocker or warning, ``ready`` (bool: nobody
        loses a use and no row is invalid), ``not_ready_because`` (list of str).
    """

    def __init__(self, before: RosterResult, after: RosterResult):
        self.before, self.after = before, after
        self.frame = self._frame()
        self.summary = self._summary()

    def _frame(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        for (line, b), (_, a) in zip(self.before.outcomes, self.after.outcomes):
            stops = [u for u in a.unavailable_uses if u not in b.unavailable_uses]
            starts = [u for u in b.unavailable_uses if u not in a.unavailable_uses]
            codes_b = {(f.code, f.severity) for f in b.user_findings}
            new = [f for f in a.user_findings if (f.code, f.severity) not in codes_b]
            reasons = list(dict.fromkeys(r for u in stops for r in a.loss_reasons.get(u, [])))
            web_b, web_a = b.facts.get("web_sign_in", []), a.facts.get("web_sign_in", [])
            cli_b, cli_a = b.facts.get("cli_sign_in", []), a.facts.get("cli_sign_in", [])
            rows.append({
                "line": line, "email": a.email,
                "changed": bool(stops or starts or any(f.severity != "info" for f in new) or web_b != web_a
                                or cli_b != cli_a),
                "web_before": web_b, "web_after": web_a, "cli_before": cli_b, "cli_after": cli_a,
                "stops_working": stops, "starts_working": starts,
                "new_blockers": list(dict.fromkeys(f.code for f in new if f.severity == "blocker")),
                "new_warnings": list(dict.fromkeys(f.code for f in new if f.severity == "warning")),
                "reasons": reasons, "error": None,
            })
        for email, p in self.after.roster.invalid_rows:
            rows.append({"line": p.line, "email": email, "error": p.message})
        frame = pd.DataFrame(rows, columns=DIFF_FRAME_COLUMNS)
        return frame.sort_values("line", kind="stable").reset_index(drop=True)

    def _summary(self) -> dict[str, Any]:
        valid = self.frame[self.frame["error"].isna()]
        losing = valid[valid["stops_working"].map(bool)]
        by_use: dict[str, int] = {}
        for uses in losing["stops_working"]:
            for u in uses:
                by_use[u] = by_use.get(u, 0) + 1
        advice_of: dict[str, str] = {}
        users_of: dict[str, list[int]] = {}
        uses_of: dict[str, list[str]] = {}
        for (line, a), stops in zip(self.after.outcomes, valid["stops_working"]):
            if not stops:
                continue
            for f in a.user_findings:
                if f.severity == "blocker":
                    advice_of.setdefault(f.code, f.advice)
                    users_of.setdefault(f.code, []).append(line)
                    about = [u for u in stops if u in f.uses] or stops
                    uses_of[f.code] = list(dict.fromkeys(uses_of.get(f.code, []) + about))
        advice = [f"{plural(len(set(users_of[c])), 'user')} lose{'s' * (len(set(users_of[c])) == 1)} "
                  f"{', '.join(uses_of[c])}"
                  + (f": {advice_of[c]}" if advice_of[c] else "") + f" ({c})"
                  for c in sorted(users_of, key=lambda c: (-len(set(users_of[c])), c))]
        n_invalid = len(self.after.roster.invalid_rows)
        reasons = []
        if len(losing):
            reasons.append(f"{plural(len(losing), 'user')} would lose access")
        if n_invalid:
            reasons.append(f"{plural(n_invalid, 'invalid row')} not simulated (fix and run again)")
        return {
            "users": int(len(valid)), "invalid_rows": n_invalid, "changed": int(valid["changed"].sum()),
            "losing_access": int(len(losing)), "losing_by_use": dict(sorted(by_use.items())), "advice": advice,
            "ready": not reasons, "not_ready_because": reasons,
        }

    def to_dict(self) -> dict[str, Any]:
        """``{"current": Org, "proposed": Org, "summary": summary, "users": [row ...]}`` (rows as in :attr:`frame`)."""
        users = []
        for row in self.frame.to_dict("records"):
            if row["error"] is None or row["error"] != row["error"]:
                users.append({k: v for k, v in row.items() if k != "error"})
            else:
                users.append({"line": row["line"], "email": row["email"], "error": row["error"]})
        as_dict = (lambda o: o.to_dict() if hasattr(o, "to_dict") else dict(o))
        return {"current": as_dict(self.before.org), "proposed": as_dict(self.after.org), "summary": self.summary,
                "users": users}

    def _flat(self) -> pd.DataFrame:
        flat = self.frame.copy()
        for col in _LIST_COLUMNS:
            flat[col] = flat[col].map(lambda v: "; ".join(v) if isinstance(v, list) else "")
        return flat

    def summary_lines(self) -> list[str]:
        s = self.summary
        out = [f"What-if: {plural(s['users'], 'user')} simulated under the current and the proposed settings"
               + (f", {plural(s['invalid_rows'], 'invalid row')} skipped" if s["invalid_rows"] else "") + "."]
        out.append(f"{s['changed']} of them see a change; {s['losing_access']} would lose access"
                   + (f" ({', '.join(f'{u}: {n}' for u, n in s['losing_by_use'].items())})." if s["losing_by_use"]
                      else "."))
        out += [f"  - {a}" for a in s["advice"]]
        out.append("Ready: yes." if s["ready"] else f"Ready: no ({'; '.join(s['not_ready_because'])}).")
        return out

    def to_text(self, *, changed_only: bool = True) -> str:
        """The summary, then a table of the users the change affects (all users without ``changed_only``).

        Columns: line, email, web (before -> after), cli (before -> after), stops (uses),
        new blockers; no final newline.
        """
        text = "\n".join(self.summary_lines())
        flat = self._flat()
        shown = flat[(flat["changed"] == True) | flat["error"].notna()] if changed_only else flat  # noqa: E712
        if shown.empty:
            return text
        table = pd.DataFrame({
            "line": shown["line"], "email": shown["email"],
            "web": [f"{b or '-'} -> {a or '-'}" if e is None or e != e else "" for b, a, e in
                    zip(shown["web_before"], shown["web_after"], shown["error"])],
            "cli": [f"{b or '-'} -> {a or '-'}" if e is None or e != e else "" for b, a, e in
                    zip(shown["cli_before"], shown["cli_after"], shown["error"])],
            "stops": shown["stops_working"], "new blockers": shown["new_blockers"],
            "error": shown["error"].map(lambda e: textwrap.shorten(e, 40, placeholder="...") if isinstance(e, str)
                                        else ""),
        })
        return f"{text}\n\n{table.to_string(index=False)}"

    def to_csv(self) -> str:
        """:attr:`frame` as CSV (header row, ``"\\n"`` line ends), list cells joined with ``"; "``."""
        return self._flat().to_csv(index=False)
