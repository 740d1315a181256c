"""What a rules file concludes for one user: :class:`Outcome` and :class:`RuleTrace`.

An outcome holds the rules' facts (for the SSO rules: ``sso_active``, ``web_sign_in`` ...), the
uses that do not work (``unavailable_uses``) and those that stop working because of the settings
(``blocked_uses``: unavailable now, available under the rules file's ``baseline`` org), the reason
rules of each loss, the findings and, for ``--explain``, every rule with applied / not applied
and its first failing condition. It renders itself: :meth:`Outcome.to_dict`,
:meth:`Outcome.to_text`, :meth:`Outcome.to_csv`, :meth:`Outcome.explain`.
"""

from __future__ import annotations

import csv
import io
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import Finding
from .rulesfile import FINDING_SEVERITIES

if TYPE_CHECKING:
    from ..knowledge_base import KnowledgeBase
    from .rulesfile import RuleSet

__all__ = ["Outcome", "RuleTrace"]


@dataclass
class RuleTrace:
    """One rule for one user: ``applied``, else ``failed`` (the first condition that did not hold, in words)
    and ``not_holding`` (every condition that did not hold); ``findings``: codes it emitted."""

    rule: str
    applied: bool
    failed: str | None
    findings: list[str] = field(default_factory=list)
    not_holding: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"rule": str, "applied": bool, "failed": str | None, "not_holding": [str], "findings": [code]}``."""
        return {"rule": self.rule, "applied": self.applied, "failed": self.failed,
                "not_holding": list(self.not_holding), "findings": list(self.findings)}


@dataclass
class Outcome:
    """What the organization's settings do to one user, according to a :class:`RuleSet`.

    Attributes
    ----------
    org, user : Org or dict, User or dict
        The inputs as given (dataclasses for the SSO rules).
    values : dict
        ``{"org": {...}, "user": {...}}`` as the rules saw them (validated, with derived domains).
    facts : dict
        Fact name -> bool or list of str (set facts in their choices' order). Each fact is also
        an attribute: ``outcome.web_sign_in``.
    unavailable_uses : list of str
        The user's uses that do not work under these settings.
    blocked_uses : list of str
        Uses that stop working because of the settings: unavailable now, available under the
        baseline org (for the SSO rules: SSO off, Desktop sign-in not enforced).
    loss_reasons : dict
        Use -> ids of the rules that took it away (each cites FAQ entries).
    findings : list of Finding
        In rule order; ``faq-entry-missing`` findings last.
    trace : list of RuleTrace
        Every rule, in file order.
    """

    ruleset: RuleSet
    org: Any
    user: Any
    values: dict[str, dict[str, Any]]
    facts: dict[str, Any]
    unavailable_uses: list[str]
    blocked_uses: list[str]
    loss_reasons: dict[str, list[str]]
    findings: list[Finding] = field(default_factory=list)
    trace: list[RuleTrace] = field(default_factory=list)
    sentences_: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        facts = self.__dict__.get("facts")
        if facts is not None and name in facts:
            return facts[name]
        raise AttributeError(name)

    @property
    def email(self) -> str:
        return str(self.values["user"].get("email", ""))

    @property
    def loses_access(self) -> bool:
        """True when a use stops working because of the settings (:attr:`blocked_uses`)."""
        return bool(self.blocked_uses)

    @property
    def user_findings(self) -> list[Finding]:
        """Findings about this user (not about the organization: rules with ``scope: org``)."""
        return [f for f in self.findings if f.scope == "user"]

    def count(self, severity: str) -> int:
        """How many findings have ``severity`` (one of :data:`FINDING_SEVERITIES`)."""
        return sum(f.severity == severity for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``faq-assistant simulate --json``.

        ``{"email": str, <fact>: bool | [str] ... (rules-file order, blocked fact left out),
        "blocked_uses": [str], "unavailable_uses": [str], "loses_access": bool,
        "loss_reasons": {use: [rule id]}, "findings": [Finding.to_dict()], "org": {...},
        "user": {...}}``.
        """
        d: dict[str, Any] = {"email": self.email}
        for name, value in self.facts.items():
            if name != self.ruleset.blocked_fact:
                d[name] = list(value) if isinstance(value, list) else value
        d.update({
            "blocked_uses": list(self.blocked_uses),
            "unavailable_uses": list(self.unavailable_uses),
            "loses_access": self.loses_access,
            "loss_reasons": {k: list(v) for k, v in self.loss_reasons.items()},
            "findings": [f.to_dict() for f in self.findings],
            "org": self.org.to_dict() if hasattr(self.org, "to_dict") else dict(self.values["org"]),
            "user": self.user.to_dict() if hasattr(self.user, "to_dict") else dict(self.values["user"]),
        })
        return d

    def words(self, value: Any) -> str:
        """A fact's value in words: ``yes``/``no``; a set's items (with the rules file's words) joined by "or"."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return " or ".join(self.ruleset.words.get(v, v) for v in value) if value else "nothing works"
        return str(value)

    def rows(self) -> list[tuple[str, str]]:
        """The outcome as (label, value in words) rows: each labelled fact, then the uses that stop working."""
        rows = [(spec["label"], self.words(self.facts[name])) for name, spec in self.ruleset.facts.items()
                if spec.get("label")]
        if self.ruleset.uses_field:
            rows.append(("Uses that stop working", ", ".join(self.blocked_uses) or "none"))
        return rows

    def sentences(self) -> list[str]:
        """The outcome in plain sentences: the rules file's ``describe`` texts that hold, then what stops working."""
        out = list(self.sentences_)
        uses = self.values["user"].get(self.ruleset.uses_field or "", []) or []
        before = [u for u in self.unavailable_uses if u not in self.blocked_uses]
        if self.blocked_uses:
            out.append(f"They lose access to: {', '.join(self.blocked_uses)}.")
        if before:
            out.append(f"Not working before these settings either: {', '.join(before)}.")
        if uses and not self.unavailable_uses:
            out.append(f"Everything they use keeps working ({', '.join(uses)}).")
        elif uses and not self.blocked_uses:
            out.append("These settings take nothing away from them.")
        n = {s: self.count(s) for s in FINDING_SEVERITIES}
        out.append(f"{n['blocker']} blocker{'s' * (n['blocker'] != 1)}, {n['warning']} warning"
                   f"{'s' * (n['warning'] != 1)}, {n['info']} note{'s' * (n['info'] != 1)}.")
        return out

    def to_text(self, kb: KnowledgeBase | None = None, *, width: int = 88) -> str:
        """The outcome as terminal text (what ``faq-assistant simulate`` prints), no final newline.

        The :meth:`sentences` wrapped at ``width`` columns, the :meth:`rows` as an aligned table,
        then each finding with its citations: ``cites: <question> (<file>:<line>)`` when ``kb``
        has the cited entry, else ``cites: <entry id>``.
        """
        lines = [textwrap.fill(s, width) for s in self.sentences()] + [""]
        rows = self.rows()
        label_width = max(len(label) for label, _ in rows)
        lines += [f"  {label:{label_width}}  {value}" for label, value in rows]
        if self.findings:
            lines += ["", "Findings:"]
        for f in self.findings:
            lines.append(textwrap.fill(f"[{f.severity}] {f.code}: {f.message}", width, subsequent_indent="    "))
            for entry_id in f.citations:
                e = kb.get(entry_id) if kb is not None else None
                lines.append(f"    cites: {textwrap.shorten(e.question, 70)} ({e.source}:{e.line})" if e is not None
                             else f"    cites: {entry_id}")
        return "\n".join(lines)

    def explain(self, *, width: int = 88) -> str:
        """Every rule for this user: ``+ rule-id: applied [codes]`` or ``- rule-id: not applied: <condition>``."""
        lines = [f"Rules ({self.ruleset.name}) for {self.email}:"]
        for t in self.trace:
            if t.applied:
                lines.append(f"  + {t.rule}: applied" + (f" -> {', '.join(t.findings)}" if t.findings else ""))
            else:
                lines.append(textwrap.fill(f"  - {t.rule}: not applied: {t.failed} does not hold", width,
                                           subsequent_indent="      "))
        return "\n".join(lines)

    def to_csv(self) -> str:
        """A header row and one row (``"\\n"`` line ends): the :meth:`to_dict` fields without
        ``org``, ``user`` and ``loss_reasons``, lists joined with ``"; "``, findings as ``severity:code``."""
        row = {k: "; ".join(v) if isinstance(v, list) else v for k, v in self.to_dict().items()
               if k not in ("findings", "org", "user", "loss_reasons")}
        row["findings"] = "; ".join(f"{f.severity}:{f.code}" for f in self.findings)
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
        w.writeheader()
        w.writerow(row)
        return out.getvalue()
