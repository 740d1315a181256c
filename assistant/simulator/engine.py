"""The simulator's generic engine: :class:`Simulator` evaluates every rule of a rules file for a user.

Nothing here is specific to SSO: the rules, their conditions, effects, findings, citations and
the outcome's sentences all come from a rules file (:mod:`.rulesfile`; the bundled
``kb/simulator.yaml`` by default). For one user the engine

1. runs the rules in file order against the ``baseline`` org (the org before the settings) and
   notes which uses work there;
2. runs them against the org: a rule applies when all its ``when`` conditions hold (else the
   trace keeps the first one that did not) and then applies its ``effect`` to the facts;
3. computes the uses that do not work (``unavailable``) and those that stop working because of
   the settings (``lost``: unavailable now, available under the baseline), with the rules that
   took each away;
4. emits each finding of an applied rule whose ``if`` holds on the final facts, citing the FAQ
   entries (by anchor) of its rule. A cited anchor the knowledge base lacks is a
   ``faq-entry-missing`` warning; the rule still applies.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..knowledge_base import KnowledgeBase, default_kb_path
from ..problems import FaqAssistantError
from .inputs import Roster, parse_org, parse_user
from .model import Finding, Org, User, _email
from .outcome import Outcome, RuleTrace
from .rulecheck import resolve_anchor
from .rulesfile import RULES_FILE, Condition, RuleSet, load_rules
from .values import boolean, choice, domain_name, split_list

__all__ = ["Simulator", "default_rules_path", "indexed_kb", "parse_record"]

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


def default_rules_path(kb: KnowledgeBase | None = None) -> Path:
    """``simulator.yaml`` at the root of ``kb``'s folder when it has one, else the bundled knowledge base's."""
    root = getattr(kb, "root", None)
    if root is not None and Path(root).is_dir() and (Path(root) / RULES_FILE).is_file():
        return Path(root) / RULES_FILE
    return default_kb_path() / RULES_FILE


def indexed_kb(kb_path: str | os.PathLike | None = None, index_dir: str | os.PathLike | None = None) -> KnowledgeBase:
    """The knowledge base of ``kb_path`` as its saved index holds it (:func:`assistant.index.load_index`).

    The CLI, the support console and coverage read the same index, so citations name the same
    entry ids; when the index is fresh nothing is parsed or fitted. ``kb_path``: a folder (or one
    markdown file, loaded without an index); default the bundled knowledge base. ``index_dir``:
    default ``Settings.from_env().index_dir``. A folder with FAQ pages but no entries has no
    index (no retriever can be fitted on it): it is parsed, and the findings say nothing backs them.

    Raises
    ------
    KnowledgeBaseError
        The folder is missing or holds no FAQ files.
    """
    from ..config import Settings
    from ..index import load_index
    from ..problems import KnowledgeBaseError

    folder = index_dir if index_dir is not None else Settings.from_env().index_dir
    try:
        return load_index(kb_path, folder)[0]
    except KnowledgeBaseError as exc:
        if "no FAQ entries" not in exc.message:
            raise
        return KnowledgeBase.load(kb_path)


def parse_record(fields: Mapping[str, Mapping[str, Any]], data: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    """``data`` checked against a rules file's field specs: ``{field: value}`` with defaults filled in.

    Raises
    ------
    FaqAssistantError
        ``"<field>: <message>"``: an unknown field, a missing required one, or an invalid value.
    """
    derived = {f"{k}_domain" for k, s in fields.items() if s["type"] == "email"} | \
        {f"{k}_domains" for k, s in fields.items() if s["type"] == "emails"}
    data = {k: v for k, v in dict(data or {}).items() if k not in derived}
    unknown = [str(k) for k in data if k not in fields]
    if unknown:
        raise FaqAssistantError(f"unknown {what} field {', '.join(map(repr, unknown))} (expected {', '.join(fields)})")
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        value = data.get(name)
        if value is None or value == "":
            if spec.get("required"):
                raise FaqAssistantError(f"{name}: required")
            value = spec.get("default")
        kind = spec["type"]
        if kind == "bool":
            out[name] = boolean(value if value is not None else False, name)
        elif kind == "int":
            try:
                out[name] = int(value if value is not None else 0)
            except (TypeError, ValueError):
                raise FaqAssistantError(f"{name}: expected a whole number, got {value!r}") from None
        elif kind == "text":
            out[name] = "" if value is None else str(value)
            if not out[name].isprintable():
                raise FaqAssistantError(f"{name}: {out[name]!r} has control characters")
        elif kind == "choice":
            out[name] = choice(value, name, tuple(spec["choices"]), "value")
        elif kind == "set":
            items = {choice(v, name, tuple(spec["choices"]), "value") for v in split_list(value)}
            out[name] = [c for c in spec["choices"] if c in items]
        elif kind == "list":
            out[name] = list(dict.fromkeys(split_list(value)))
            bad = next((v for v in out[name] if not v.isprintable()), None)
            if bad is not None:
                raise FaqAssistantError(f"{name}: {bad!r} has control characters")
        elif kind == "email":
            out[name] = _email(value, name) if value is not None else ""
        elif kind == "emails":
            out[name] = list(dict.fromkeys(_email(v, name) for v in split_list(value)))
        elif kind == "domains":
            out[name] = sorted({domain_name(str(v).lstrip("@"), name) for v in split_list(value)})
    for name, spec in fields.items():  # derived: the domains of email fields
        if spec["type"] == "email":
            out[f"{name}_domain"] = out[name].rpartition("@")[2]
        elif spec["type"] == "emails":
            out[f"{name}_domains"] = sorted({e.rpartition("@")[2] for e in out[name]})
    return out


class _Eval:
    """Values of subjects for one run: ``org.x``, ``user.x``, facts, and after the run ``lost``/``unavailable``."""

    def __init__(self, values: dict[str, dict[str, Any]], facts: dict[str, Any], extra: dict[str, Any] | None = None):
        self.values, self.facts, self.extra = values, facts, extra or {}

    def get(self, subject: str) -> Any:
        if subject in self.extra:
            return self.extra[subject]
        if subject in self.facts:
            return self.facts[subject]
        scope, _, name = subject.partition(".")
        return self.values[scope][name]

    def ref(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(("org.", "user.")):
            return self.get(value)
        return value

    def holds(self, c: Condition) -> bool:
        v, t = self.get(c.subject), self.ref(c.value)
        items = v if isinstance(v, list) else [v]
        t_list = [str(x) for x in (t if isinstance(t, list) else [t])]
        if c.op == "eq":
            return v == t if isinstance(v, bool) or isinstance(t, bool) else str(v) == str(t)
        if c.op == "not":
            return not (v == t if isinstance(v, bool) or isinstance(t, bool) else str(v) == str(t))
        if c.op == "in":
            return str(v) in t_list
        if c.op == "not_in":
            return str(v) not in t_list
        if c.op == "any_of":
            return any(str(i) in t_list for i in items)
        if c.op == "none_of":
            return not any(str(i) in t_list for i in items)
        if c.op == "empty":
            return (len(v) == 0 if isinstance(v, (list, str)) else not v) == bool(t)
        if c.op == "any_not_in":
            return any(str(i) not in t_list for i in items)
        if c.op == "at_least":
            return float(v) >= float(t)
        if c.op == "more_than":
            return float(v) > float(t)
        raise FaqAssistantError(f"unknown operator {c.op!r}")

    def describe(self, c: Condition) -> str:
        """``c`` and the value it saw: ``org.sso = enforced (is off)``."""
        v = self.get(c.subject)
        shown = ("true" if v else "false") if isinstance(v, bool) else ("[" + ", ".join(map(str, v)) + "]"
                                                                       if isinstance(v, list) else str(v))
        return f"{c} (is {shown})"

    def first_failing(self, conditions: Iterable[Condition]) -> Condition | None:
        return next((c for c in conditions if not self.holds(c)), None)


class Simulator:
    """Evaluate a rules file for an organization and its users, citing the knowledge base.

    Parameters
    ----------
    kb : KnowledgeBase or path, optional
        Where citations are looked up: a knowledge base, or a folder read through its saved index
        (:func:`indexed_kb`, the index the CLI and the console use); default the bundled one, likewise.
    rules : str or Path or RuleSet, optional
        The rules file; default ``simulator.yaml`` of ``kb``'s folder, else the bundled one.

    Attributes
    ----------
    rules_ : RuleSet
    citations_ : dict
        Rule id -> cited FAQ entry ids found in ``kb`` (in the rule's ``cites`` order).
    missing_ : dict
        Rule id -> cited anchors ``kb`` has no entry for.

    Raises
    ------
    InputFileError
        The rules file cannot be used (naming its file and line).
    KnowledgeBaseError
        ``kb`` is a folder that is missing or holds no FAQ files.
    """

    def __init__(self, kb: KnowledgeBase | str | os.PathLike | None = None,
                 rules: str | Path | RuleSet | None = None):
        self.kb = kb if isinstance(kb, KnowledgeBase) else indexed_kb(kb)
        self.rules_ = rules if isinstance(rules, RuleSet) else load_rules(rules or default_rules_path(self.kb))
        self.citations_: dict[str, list[str]] = {}
        self.missing_: dict[str, list[str]] = {}
        for r in self.rules_.rules:
            found = [(a, resolve_anchor(self.kb, a, self.rules_.page)) for a in r.cites]
            self.citations_[r.id] = list(dict.fromkeys(i for _, ids in found for i in ids))
            self.missing_[r.id] = [a for a, ids in found if not ids]
        self._typed = set(self.rules_.org_fields) == set(Org.__dataclass_fields__) and \
            set(self.rules_.user_fields) == set(User.__dataclass_fields__)

    # --- inputs -------------------------------------------------------------------------------

    def parse_org(self, org: Any) -> Any:
        """``org`` as this simulator's org: an :class:`Org` for the SSO rules, else a checked dict."""
        if self._typed:
            return org if isinstance(org, Org) else parse_org(org)
        return parse_record(self.rules_.org_fields, org.to_dict() if hasattr(org, "to_dict") else org, "org")

    def parse_user(self, user: Any) -> Any:
        if self._typed:
            return user if isinstance(user, User) else parse_user(user)
        return parse_record(self.rules_.user_fields, user.to_dict() if hasattr(user, "to_dict") else user, "user")

    def _values(self, org: Any, user: Any, baseline: bool = False) -> dict[str, dict[str, Any]]:
        o = org.to_dict() if hasattr(org, "to_dict") else dict(org)
        if baseline:
            o.update(self.rules_.baseline)
        u = user.to_dict() if hasattr(user, "to_dict") else dict(user)
        return {"org": parse_record(self.rules_.org_fields, o, "org"), "user": parse_record(self.rules_.user_fields, u, "user")}

    # --- evaluation ---------------------------------------------------------------------------

    def _run(self, values: dict[str, dict[str, Any]]):
        rs = self.rules_
        facts: dict[str, Any] = {n: (False if s["type"] == "bool" else []) for n, s in rs.facts.items()}
        took: dict[str, list[str]] = {n: [] for n in rs.facts}  # fact -> rules that removed from / added blocks to it
        ev = _Eval(values, facts)
        trace: list[RuleTrace] = []
        for rule in rs.rules:
            failing = [c for c in rule.conditions if not ev.holds(c)]
            failed = failing[0] if failing else None
            trace.append(RuleTrace(rule.id, failed is None, ev.describe(failed) if failed else None,
                                   not_holding=[ev.describe(c) for c in failing]))
            if failed is not None:
                continue
            for kind in ("set", "add", "remove"):
                for fact, value in rule.effect.get(kind, {}).items():
                    spec = rs.facts[fact]
                    if spec["type"] == "bool":
                        facts[fact] = bool(value)
                        continue
                    items = [str(v) for v in (value if isinstance(value, list) else [value])]
                    old = facts[fact]
                    new = items if kind == "set" else old + items if kind == "add" else [v for v in old if v not in items]
                    new = [c for c in spec["choices"] if c in new] if spec["choices"] else list(dict.fromkeys(new))
                    if (set(old) - set(new)) or (fact == rs.blocked_fact and set(new) - set(old)):
                        if not rule.baseline:
                            took[fact].append(rule.id)
                    facts[fact] = new
        uses = values["user"].get(rs.uses_field, []) if rs.uses_field else []
        blocked = facts.get(rs.blocked_fact, []) if rs.blocked_fact else []
        unavailable = [u for u in uses if (u in rs.access and not facts[rs.access[u]]) or u in blocked]
        return facts, trace, unavailable, took, uses

    def simulate(self, org: Any, user: Any) -> Outcome:
        """What ``org``'s settings do to ``user``.

        ``org`` and ``user`` may be mappings of the rules file's fields (:class:`Org` /
        :class:`User` for the SSO rules).

        Raises
        ------
        FaqAssistantError
            A ``ValueError`` naming the field of an unknown key or an invalid value
            (:class:`~assistant.problems.InputFileError` ``"org: ..."`` for the SSO org).
        """
        org, user = self.parse_org(org), self.parse_user(user)
        rs = self.rules_
        values = self._values(org, user)
        _, _, before, _, _ = self._run(self._values(org, user, baseline=True))
        facts, trace, unavailable, took, uses = self._run(values)
        lost = [u for u in unavailable if u not in before]
        reasons = {u: list(dict.fromkeys(took.get(rs.access.get(u, ""), [])
                                         + (took.get(rs.blocked_fact or "", []) if u in facts.get(rs.blocked_fact or "", [])
                                            else []))) for u in lost}
        extra: dict[str, Any] = {"lost": lost, "unavailable": unavailable}
        ev = _Eval(values, facts, extra)
        findings: list[Finding] = []
        missing: list[Finding] = []
        reported: set[str] = set()
        for rule, t in zip(rs.rules, trace):
            if not t.applied:
                continue
            for spec in rule.findings:
                if ev.first_failing(spec.conditions) is not None:
                    continue
                t.findings.append(spec.code)
                about = list(lost)
                for c in spec.conditions:
                    if c.subject == "lost" and c.op == "any_of":
                        about = [u for u in about if u in c.value]
                findings.append(Finding(spec.code, spec.severity, self._render(spec.message, ev),
                                        list(self.citations_[rule.id]), rule.id, rule.scope, spec.advice,
                                        tuple(about) if spec.severity == "blocker" else ()))
                for anchor in self.missing_[rule.id]:
                    if anchor not in reported:
                        reported.add(anchor)
                        missing.append(Finding(
                            "faq-entry-missing", "warning",
                            f"The knowledge base has no FAQ entry with the anchor #{anchor}, which rule '{rule.id}' "
                            f"({rule.explain}) cites: the finding '{spec.code}' is not backed by this knowledge base. "
                            "Check the FAQ before relying on it.", [], rule.id, "org"))
        sentences = [self._render(text, ev) for conds, text in rs.describe if ev.first_failing(conds) is None]
        return Outcome(rs, org, user, values, facts, unavailable, lost, reasons, findings + missing, trace, sentences)

    def _render(self, template: str, ev: _Eval) -> str:
        def value(m: re.Match) -> str:
            name = m.group(1)
            if name.startswith("lost_") and name[5:] in self.rules_.facts:
                fact = name[5:]
                v = [u for u in ev.extra["lost"] if self.rules_.access.get(u) == fact]
                return ", ".join(self.rules_.words.get(u, u) for u in v) or "nothing"
            v = ev.get(name)
            if name in ("lost", "unavailable"):
                return ", ".join(self.rules_.words.get(u, u) for u in v) or "nothing"
            if isinstance(v, bool):
                return "yes" if v else "no"
            if isinstance(v, list):
                if name in self.rules_.facts and name not in ("lost", "unavailable") and \
                        any(x in self.rules_.words for x in v):
                    return " or ".join(self.rules_.words.get(x, x) for x in v)
                return ", ".join(map(str, v)) or "none"
            return str(v)
        return _PLACEHOLDER.sub(value, template)

    def simulate_roster(self, org: Any, roster: Roster | Iterable[Any]):
        """Simulate every user of a roster; invalid roster rows are kept as problems, not dropped.

        Parameters
        ----------
        org : Org or mapping
        roster : Roster or iterable of User
            From :func:`~assistant.simulator.inputs.load_roster` (keeps file lines and invalid
            rows), or users (numbered from 1 as their lines).

        Returns
        -------
        RosterResult
            ``frame`` has one row per roster row (invalid rows carry ``error``); ``summary`` says
            whether the organization is ready and who would lose access.
        """
        from .roster import RosterResult

        org = self.parse_org(org)
        if not isinstance(roster, Roster):
            roster = Roster("<users>", [(n, self.parse_user(u)) for n, u in enumerate(roster, 1)], [])
        outcomes = [(line, self.simulate(org, user)) for line, user in roster.users]
        return RosterResult(org, roster, outcomes)

    def diff(self, current: Any, proposed: Any, roster: Roster | Iterable[Any]):
        """What changing the org from ``current`` to ``proposed`` does to each user (a what-if, report-only).

        Returns
        -------
        RolloutDiff
            Per user: sign-in paths before and after, uses that stop (and start) working, new
            blocker and warning findings; and a summary with advice.
        """
        from .diff import RolloutDiff

        before = self.simulate_roster(current, roster)
        after = self.simulate_roster(proposed, before.roster)
        return RolloutDiff(before, after)
