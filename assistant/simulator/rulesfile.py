"""A simulator's rules as data: a YAML rules file beside the FAQ it encodes (``kb/simulator.yaml``).

:func:`load_rules` reads a file into a :class:`RuleSet`; :func:`~.rulecheck.check_rules_file` returns every
:class:`~assistant.problems.Problem` of a file (what ``faq-assistant lint`` reports): unknown
keys or fields, unknown facts or placeholders, cited anchors the knowledge base does not have,
and rules that can never apply.

File shape (top-level keys)::

    simulator: name            # required
    title: text
    page: doc/id                # the FAQ page whose anchors `cites` names first (optional)
    org:  {field: {type, choices, default, required}}   # the org's settings
    user: {field: {...}}                                  # one user's settings
    facts: {name: {type: bool|set, choices, label}}      # what the rules conclude (start false / empty)
    access: {use: fact}         # a use works while its fact is non-empty ...
    blocked_fact: fact          # ... and the use is not in this fact
    uses_field: uses            # the user field listing what the user does
    baseline: {org field: value}  # the org "before these settings": losses are counted against it
    words: {item: words}        # how set items are written in sentences
    rules: [{id, explain, cites, when, effect, findings, scope, baseline}]
    #        findings: [{code, severity, message, if, advice}]  (advice: what to do first, for summaries)
    describe: [{when, text}]    # the outcome in words

Field types: ``bool``, ``int``, ``text``, ``choice`` (one of ``choices``), ``set`` (a subset
of ``choices``), ``list`` (free items), ``email`` (adds ``user.<field>_domain``), ``emails``
(adds ``<field>_domains``), ``domains``. A condition is a one-key mapping ``{subject: test}``:
the subject is ``org.<field>``, ``user.<field>``, a fact, or (in findings and ``describe``)
``lost`` (uses that stop working) / ``unavailable``; the test is a value (equal), or one of
``{not: v}``, ``{in: [..] | org.<field>}``, ``{not_in: ...}``, ``{any_of: [..]}``,
``{none_of: [..]}``, ``{empty: true|false}``, ``{any_not_in: ...}``, ``{at_least: n}``,
``{more_than: subject}``. Effects: ``set: {fact: value}``, ``add`` / ``remove``:
``{fact: [items]}``. Messages and texts name values as ``{user.email}``, ``{org.plan}``, a fact,
``{lost}`` or ``{lost_<fact>}`` (lost uses that need that fact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..files import compose_yaml, decode, load_yaml, parse_error_problem, shown_path
from ..problems import InputFileError, Problem

__all__ = ["RuleSet", "RuleSpec", "FindingSpec", "Condition", "load_rules", "RULES_FILE", "FIELD_TYPES",
           "OPERATORS", "FINDING_SEVERITIES"]

#: The rules file's name in a knowledge-base folder.
RULES_FILE = "simulator.yaml"
FIELD_TYPES = ("bool", "int", "text", "choice", "set", "list", "email", "emails", "domains")
OPERATORS = ("eq", "not", "in", "not_in", "any_of", "none_of", "empty", "any_not_in", "at_least", "more_than")
#: Levels of a finding, least severe first: a user ``blocker`` means a use stops working.
FINDING_SEVERITIES = ("info", "warning", "blocker")
_TOP_KEYS = {"simulator", "title", "page", "org", "user", "facts", "access", "blocked_fact", "uses_field",
             "baseline", "words", "rules", "describe"}
_FIELD_KEYS = {"type", "choices", "default", "required", "label"}
_RULE_KEYS = {"id", "explain", "cites", "when", "effect", "findings", "scope", "baseline"}
_FINDING_KEYS = {"code", "severity", "message", "if", "advice"}
_EFFECT_KEYS = {"set", "add", "remove"}
_SPECIAL = ("lost", "unavailable")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


@dataclass(frozen=True)
class Condition:
    """``subject op value``: e.g. ``Condition("org.sso", "in", ["enabled", "enforced"])``."""

    subject: str
    op: str
    value: Any

    def __str__(self) -> str:
        v = self.value
        shown = "[" + ", ".join(map(str, v)) + "]" if isinstance(v, (list, tuple)) else str(v).lower() \
            if isinstance(v, bool) else str(v)
        return f"{self.subject} = {shown}" if self.op == "eq" else f"{self.subject} {self.op.replace('_', ' ')} {shown}"


@dataclass(frozen=True)
class FindingSpec:
    code: str
    severity: str
    message: str
    conditions: tuple[Condition, ...] = ()
    advice: str = ""


@dataclass(frozen=True)
class RuleSpec:
    """One rule: when all ``conditions`` hold it applies ``effect`` and emits each finding whose ``if`` holds.

    ``cites`` are FAQ entry anchors; ``scope`` is ``"user"`` or ``"org"`` (the same for every
    user); ``baseline`` marks a rule that states how things are without the settings (no loss
    is ever blamed on it).
    """

    id: str
    explain: str
    cites: tuple[str, ...]
    conditions: tuple[Condition, ...]
    effect: dict[str, dict[str, Any]]
    findings: tuple[FindingSpec, ...]
    scope: str = "user"
    baseline: bool = False
    line: int | None = None


@dataclass
class RuleSet:
    """A loaded rules file (see the module docstring for the keys)."""

    name: str
    title: str
    source: str
    page: str | None
    org_fields: dict[str, dict[str, Any]]
    user_fields: dict[str, dict[str, Any]]
    facts: dict[str, dict[str, Any]]
    access: dict[str, str]
    blocked_fact: str | None
    uses_field: str | None
    baseline: dict[str, Any]
    words: dict[str, str]
    rules: list[RuleSpec]
    describe: list[tuple[tuple[Condition, ...], str]]
    problems: list[Problem] = field(default_factory=list)

    @property
    def by_id(self) -> dict[str, RuleSpec]:
        return {r.id: r for r in self.rules}

    def subjects(self, *, final: bool) -> set[str]:
        """Every name a condition may test (``final``: also ``lost`` and ``unavailable``)."""
        out = {f"org.{k}" for k in self.org_fields} | {f"user.{k}" for k in self.user_fields} | set(self.facts)
        for k, spec in self.user_fields.items():
            if spec["type"] == "email":
                out.add(f"user.{k}_domain")
            elif spec["type"] == "emails":
                out.add(f"user.{k}_domains")
        if final:
            out |= set(_SPECIAL)
        return out

    def placeholders(self) -> set[str]:
        return self.subjects(final=True) | {f"lost_{f}" for f in self.facts}


class _Lines:
    """Lines of the YAML nodes: top-level keys, rules and their findings (1-based)."""

    def __init__(self, node: yaml.Node | None):
        self.top: dict[str, int] = {}
        self.items: dict[str, list[int]] = {}
        self.findings: dict[int, list[int]] = {}
        if not isinstance(node, yaml.MappingNode):
            return
        for k, v in node.value:
            key = str(k.value)
            self.top[key] = k.start_mark.line + 1
            if isinstance(v, yaml.SequenceNode):
                self.items[key] = [item.start_mark.line + 1 for item in v.value]
                if key == "rules":
                    for i, item in enumerate(v.value):
                        if isinstance(item, yaml.MappingNode):
                            for rk, rv in item.value:
                                if rk.value == "findings" and isinstance(rv, yaml.SequenceNode):
                                    self.findings[i] = [f.start_mark.line + 1 for f in rv.value]


class _Reader:
    """Builds a :class:`RuleSet` from loaded YAML, collecting problems instead of stopping."""

    def __init__(self, source: str, lines: _Lines):
        self.source, self.lines = source, lines
        self.problems: list[Problem] = []

    def error(self, line: int | None, code: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.source, line, severity, code, message))

    def fields(self, data: Any, key: str) -> dict[str, dict[str, Any]]:
        line = self.lines.top.get(key)
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.error(line, "rules-invalid", f"{key}: expected a mapping of field -> {{type: ...}}")
            return {}
        out: dict[str, dict[str, Any]] = {}
        for name, spec in data.items():
            if isinstance(spec, str):
                spec = {"type": spec}
            if not isinstance(spec, dict):
                self.error(line, "rules-invalid", f"{key}.{name}: expected a mapping with a type")
                continue
            unknown = set(spec) - _FIELD_KEYS
            if unknown:
                self.error(line, "rules-unknown-key", f"{key}.{name}: unknown key {', '.join(sorted(map(str, unknown)))} "
                           f"(expected {', '.join(sorted(_FIELD_KEYS))})")
            kind = spec.get("type")
            if kind not in FIELD_TYPES:
                self.error(line, "rules-invalid", f"{key}.{name}: unknown type {kind!r} (expected one of "
                           f"{', '.join(FIELD_TYPES)})")
                continue
            if kind in ("choice", "set") and not isinstance(spec.get("choices"), list):
                self.error(line, "rules-invalid", f"{key}.{name}: a {kind} field needs a list of choices")
                continue
            out[str(name)] = {"type": kind, "choices": [str(c) for c in spec.get("choices") or []],
                              "default": spec.get("default"), "required": bool(spec.get("required")),
                              "label": spec.get("label")}
        return out

    def conditions(self, data: Any, where: str, line: int | None) -> tuple[Condition, ...]:
        if data is None:
            return ()
        if not isinstance(data, list):
            data = [data]
        out = []
        for c in data:
            if not isinstance(c, dict) or len(c) != 1:
                self.error(line, "rules-invalid", f"{where}: a condition is a one-key mapping {{subject: test}}, got {c!r}")
                continue
            (subject, test), = c.items()
            if isinstance(test, dict):
                if len(test) != 1 or next(iter(test)) not in OPERATORS:
                    self.error(line, "rules-invalid", f"{where}: {subject}: unknown test {test!r} (expected a value or "
                               f"one of {', '.join(OPERATORS)})")
                    continue
                (op, value), = test.items()
            else:
                op, value = "eq", test
            out.append(Condition(str(subject), str(op), value))
        return tuple(out)


def _read_text(path: Path) -> tuple[str, str]:
    shown = shown_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(parse_error_problem(exc, shown, "rules-unreadable", "the rules file").message,
                             file=shown) from None
    text, problems = decode(raw, shown)
    if problems:
        raise InputFileError("not UTF-8; save the rules file as UTF-8", file=shown, line=problems[0].line)
    # Its messages reach terminals and HTML: no control characters (escape sequences) at all.
    for n, line in enumerate(text.split("\n"), 1):
        bad = next((c for c in line if not c.isprintable() and c not in "\t\r"), None)
        if bad is not None:
            raise InputFileError(f"control character {bad!r} (rules files hold plain text)", file=shown, line=n)
    return text, shown


def _parse(path: str | Path) -> RuleSet:
    path = Path(path)
    text, shown = _read_text(path)
    try:
        data, node = load_yaml(text), compose_yaml(text)
    except (yaml.YAMLError, ValueError) as exc:
        p = parse_error_problem(exc, shown, "rules-invalid", "YAML")
        raise InputFileError(p.message, file=shown, line=p.line) from None
    if not isinstance(data, dict):
        raise InputFileError("a rules file is a mapping (simulator, org, user, facts, rules, ...)", file=shown, line=1)
    lines = _Lines(node)
    r = _Reader(shown, lines)
    for key in data:
        if key not in _TOP_KEYS:
            r.error(lines.top.get(str(key)), "rules-unknown-key",
                    f"unknown key {key!r} (expected {', '.join(sorted(_TOP_KEYS))})")
    if not data.get("simulator"):
        r.error(1, "rules-invalid", "simulator: required (a name for these rules)")
    facts = r.fields(data.get("facts"), "facts")
    for name, spec in facts.items():
        if spec["type"] not in ("bool", "set"):
            r.error(lines.top.get("facts"), "rules-invalid", f"facts.{name}: a fact is a bool or a set")
    rules: list[RuleSpec] = []
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        r.error(lines.top.get("rules"), "rules-invalid", "rules: expected a list of rules")
        raw_rules = []
    rule_lines = lines.items.get("rules", [])
    for i, item in enumerate(raw_rules):
        line = rule_lines[i] if i < len(rule_lines) else None
        if not isinstance(item, dict):
            r.error(line, "rules-invalid", "a rule is a mapping (id, explain, cites, when, effect, findings)")
            continue
        rid = str(item.get("id") or f"#{i + 1}")
        unknown = set(item) - _RULE_KEYS
        if unknown:
            r.error(line, "rules-unknown-key", f"rule {rid}: unknown key {', '.join(sorted(map(str, unknown)))} "
                    f"(expected {', '.join(sorted(_RULE_KEYS))})")
        for key in ("id", "explain"):
            if not item.get(key):
                r.error(line, "rules-invalid", f"rule {rid}: {key}: required")
        cites = item.get("cites") or []
        if not isinstance(cites, list) or not all(isinstance(c, str) for c in cites):
            r.error(line, "rules-invalid", f"rule {rid}: cites: expected a list of FAQ entry anchors")
            cites = []
        effect = item.get("effect") or {}
        if not isinstance(effect, dict) or set(effect) - _EFFECT_KEYS or \
                not all(isinstance(v, dict) for v in effect.values()):
            r.error(line, "rules-invalid", f"rule {rid}: effect: expected {{set|add|remove: {{fact: value}}}}")
            effect = {}
        findings = []
        f_lines = lines.findings.get(i, [])
        for j, f in enumerate(item.get("findings") or []):
            fl = f_lines[j] if j < len(f_lines) else line
            if not isinstance(f, dict) or set(f) - _FINDING_KEYS or not all(f.get(k) for k in ("code", "severity", "message")):
                r.error(fl, "rules-invalid", f"rule {rid}: a finding is {{code, severity, message, if}} "
                        "(code, severity and message required)")
                continue
            if f["severity"] not in FINDING_SEVERITIES:
                r.error(fl, "rules-invalid", f"rule {rid}: finding {f['code']}: unknown severity {f['severity']!r} "
                        f"(expected one of {', '.join(FINDING_SEVERITIES)})")
            findings.append(FindingSpec(str(f["code"]), str(f["severity"]), " ".join(str(f["message"]).split()),
                                        r.conditions(f.get("if"), f"rule {rid}: finding {f['code']}: if", fl),
                                        str(f.get("advice") or "")))
        scope = item.get("scope", "user")
        if scope not in ("user", "org"):
            r.error(line, "rules-invalid", f"rule {rid}: scope: expected user or org, got {scope!r}")
        rules.append(RuleSpec(rid, " ".join(str(item.get("explain") or "").split()), tuple(cites),
                              r.conditions(item.get("when"), f"rule {rid}: when", line),
                              {k: dict(v) for k, v in effect.items()}, tuple(findings), str(scope),
                              bool(item.get("baseline")), line))
    describe = []
    d_lines = lines.items.get("describe", [])
    for i, item in enumerate(data.get("describe") or []):
        line = d_lines[i] if i < len(d_lines) else None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or set(item) - {"when", "text"}:
            r.error(line, "rules-invalid", "describe: each item is {when: [conditions], text: str}")
            continue
        describe.append((r.conditions(item.get("when"), "describe", line), " ".join(item["text"].split())))
    access = data.get("access") or {}
    baseline = data.get("baseline") or {}
    words = data.get("words") or {}
    for key, value in (("access", access), ("baseline", baseline), ("words", words)):
        if not isinstance(value, dict):
            r.error(lines.top.get(key), "rules-invalid", f"{key}: expected a mapping")
    return RuleSet(
        name=str(data.get("simulator") or ""), title=str(data.get("title") or data.get("simulator") or ""),
        source=shown, page=data.get("page"), org_fields=r.fields(data.get("org"), "org"),
        user_fields=r.fields(data.get("user"), "user"), facts=facts,
        access={str(k): str(v) for k, v in access.items()} if isinstance(access, dict) else {},
        blocked_fact=data.get("blocked_fact"), uses_field=data.get("uses_field"),
        baseline=dict(baseline) if isinstance(baseline, dict) else {},
        words={str(k): str(v) for k, v in words.items()} if isinstance(words, dict) else {},
        rules=rules, describe=describe, problems=r.problems)


def load_rules(path: str | Path) -> RuleSet:
    """Read a rules file into a :class:`RuleSet`.

    Raises
    ------
    InputFileError
        Naming the file and line: unreadable, not UTF-8, not YAML, or any ``error`` that
        :func:`~.rulecheck.check_rules_file` would report apart from citations (those need a knowledge base).
    """
    from .rulecheck import semantic_problems

    rs = _parse(path)
    errors = [p for p in rs.problems + semantic_problems(rs) if p.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run faq-assistant lint)" if len(errors) > 1 else ""
        raise InputFileError(first.message + more, file=first.file, line=first.line)
    return rs
