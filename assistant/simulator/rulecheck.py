"""Checks of a rules file (what ``faq-assistant lint`` reports) and citations by anchor.

:func:`check_rules_file` returns every :class:`~assistant.problems.Problem` of a rules file:
unknown keys or fields, unknown facts or placeholders, values that are not a field's choices,
cited anchors the knowledge base does not have, and rules that can never apply.
:func:`resolve_anchor` finds the FAQ entries a rule cites.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import shown_path
from ..problems import InputFileError, Problem
from .rulesfile import _PLACEHOLDER, _SPECIAL, RuleSet, _parse

if TYPE_CHECKING:
    from ..knowledge_base import KnowledgeBase

__all__ = ["check_rules_file", "semantic_problems", "resolve_anchor", "ANCHOR_CUTOFF"]


def semantic_problems(rs: RuleSet) -> list[Problem]:
    """Names that do not exist, effects on unknown facts, placeholders nobody fills, rules that never apply."""
    out: list[Problem] = []

    def err(line, code, message, severity="error"):
        out.append(Problem(rs.source, line, severity, code, message))

    before, after = rs.subjects(final=False), rs.subjects(final=True)
    kinds = {f"org.{k}": v for k, v in rs.org_fields.items()} | {f"user.{k}": v for k, v in rs.user_fields.items()} \
        | rs.facts
    for use, fact in rs.access.items():
        if fact not in rs.facts:
            err(None, "rules-unknown-field", f"access.{use}: unknown fact {fact!r}")
    if rs.blocked_fact and rs.blocked_fact not in rs.facts:
        err(None, "rules-unknown-field", f"blocked_fact: unknown fact {rs.blocked_fact!r}")
    if rs.uses_field and rs.uses_field not in rs.user_fields:
        err(None, "rules-unknown-field", f"uses_field: unknown user field {rs.uses_field!r}")
    for k in rs.baseline:
        if k not in rs.org_fields:
            err(None, "rules-unknown-field", f"baseline: unknown org field {k!r}")
    # Which values each fact can take: its start value plus what effects set or add.
    reachable: dict[str, set] = {name: ({False} if s["type"] == "bool" else {"empty"}) for name, s in rs.facts.items()}
    ids: set[str] = set()
    for rule in rs.rules:
        if rule.id in ids:
            err(rule.line, "rules-duplicate-id", f"rule {rule.id}: another rule has this id")
        ids.add(rule.id)
        for kind, changes in rule.effect.items():
            for fact, value in changes.items():
                if fact not in rs.facts:
                    err(rule.line, "rules-unknown-field", f"rule {rule.id}: effect {kind}: unknown fact {fact!r} "
                        f"(facts: {', '.join(rs.facts)})")
                    continue
                if rs.facts[fact]["type"] == "bool":
                    reachable[fact].add(bool(value))
                else:
                    reachable[fact].add("nonempty" if (kind != "remove" and value) else "empty")
        if not rule.findings and not rule.effect:
            err(rule.line, "rules-no-effect", f"rule {rule.id}: no effect and no findings", "warning")
    so_far: dict[str, set] = {name: ({False} if s["type"] == "bool" else {"empty"}) for name, s in rs.facts.items()}
    for rule in rs.rules:
        # `when` is checked while the rules run: only what earlier rules set can hold.
        out += _check_conditions(rs, rule.conditions, before, kinds, so_far, f"rule {rule.id}: when", rule.line)
        for f in rule.findings:
            out += _check_conditions(rs, rule.conditions + f.conditions, after, kinds, reachable,
                                     f"rule {rule.id}: finding {f.code}", rule.line)
        for kind, changes in rule.effect.items():
            for fact, value in changes.items():
                if fact in so_far:
                    so_far[fact].add(bool(value) if rs.facts[fact]["type"] == "bool" else
                                     "nonempty" if (kind != "remove" and value) else "empty")
        for f in rule.findings:
            out += _check_template(rs, f.message, f"rule {rule.id}: finding {f.code}", rule.line)
    for conds, text in rs.describe:
        out += _check_conditions(rs, conds, after, kinds, reachable, "describe", None)
        out += _check_template(rs, text, "describe", None)
    return out


def _check_template(rs: RuleSet, text: str, where: str, line: int | None) -> list[Problem]:
    unknown = [p for p in _PLACEHOLDER.findall(text) if p not in rs.placeholders()]
    return [Problem(rs.source, line, "error", "rules-unknown-field", f"{where}: unknown placeholder {{{p}}}")
            for p in unknown]


def _check_conditions(rs: RuleSet, conds, allowed, kinds, reachable, where, line) -> list[Problem]:
    out: list[Problem] = []
    never = None
    seen: dict[str, Any] = {}
    for c in conds:
        if c.subject not in allowed:
            hint = " (lost and unavailable are known only in findings and describe)" if c.subject in _SPECIAL else ""
            out.append(Problem(rs.source, line, "error", "rules-unknown-field", f"{where}: unknown subject "
                               f"{c.subject!r}{hint}"))
            continue
        if isinstance(c.value, str) and c.value.startswith(("org.", "user.")) and c.value not in allowed:
            out.append(Problem(rs.source, line, "error", "rules-unknown-field", f"{where}: {c.subject}: unknown "
                               f"field {c.value!r}"))
        spec = kinds.get(c.subject)
        values = c.value if isinstance(c.value, list) else [c.value]
        if spec and spec["type"] in ("choice", "set") and c.op in ("eq", "not", "in", "not_in", "any_of", "none_of"):
            bad = [v for v in values if str(v) not in spec["choices"]]
            if bad:
                out.append(Problem(rs.source, line, "error", "rules-unknown-value",
                                   f"{where}: {c.subject} is never {bad[0]!r} (choices: {', '.join(spec['choices'])})"))
        if c.op == "in" and isinstance(c.value, list) and not c.value:
            never = never or f"{c.subject} in [] never holds"
        if c.subject in reachable and c.op in ("eq", "empty"):
            want = bool(c.value) if rs.facts[c.subject]["type"] == "bool" and c.op == "eq" else \
                ("empty" if c.value else "nonempty") if c.op == "empty" else None
            if want is not None and want not in reachable[c.subject]:
                never = never or (f"no rule (before this one) makes {c.subject} "
                                  f"{want if isinstance(want, str) else str(want).lower()}")
        if c.op == "eq":
            if c.subject in seen and seen[c.subject] != c.value:
                never = never or f"{c.subject} cannot be both {seen[c.subject]!r} and {c.value!r}"
            seen[c.subject] = c.value
    if never:
        out.append(Problem(rs.source, line, "warning", "rules-never-apply", f"{where}: can never apply: {never}"))
    return out


def check_rules_file(path: str | Path, kb: KnowledgeBase | None = None) -> list[Problem]:
    """Every problem of a rules file, for ``faq-assistant lint``.

    Codes: ``rules-invalid`` (not YAML, wrong shape), ``rules-unknown-key``,
    ``rules-unknown-field`` (a subject, fact, field or placeholder that does not exist),
    ``rules-unknown-value`` (a value that is not one of the field's choices),
    ``rules-duplicate-id``, ``rules-anchor-missing`` (a cited anchor ``kb`` has no entry for;
    only with ``kb``), ``rules-anchor-changed`` (warning: cited anchor close to an entry's new
    anchor, which stands in), ``rules-no-citation`` (a rule that is not a baseline cites nothing),
    ``rules-never-apply`` and ``rules-no-effect`` (warnings).
    """
    try:
        rs = _parse(path)
    except InputFileError as exc:
        return [Problem(exc.file or shown_path(path), exc.line, "error", "rules-invalid", exc.message)]
    out = rs.problems + semantic_problems(rs)
    for rule in rs.rules:
        if not rule.cites and not rule.baseline:
            out.append(Problem(rs.source, rule.line, "error", "rules-no-citation",
                               f"rule {rule.id}: cites no FAQ entry (add the anchors of the entries that state it)"))
        if kb is not None:
            anchors = {e.anchor for e in kb}
            for anchor in rule.cites:
                ids = resolve_anchor(kb, anchor, rs.page)
                if not ids:
                    out.append(Problem(rs.source, rule.line, "error", "rules-anchor-missing",
                                       f"rule {rule.id}: cites #{anchor}, but no FAQ entry has that anchor"))
                elif anchor not in anchors:
                    now = ids[0].partition("#")[2]
                    out.append(Problem(rs.source, rule.line, "warning", "rules-anchor-changed",
                                       f"rule {rule.id}: cites #{anchor}, which is now #{now} (the question "
                                       "changed); update the rules file"))
    return out


def resolve_anchor(kb: KnowledgeBase, anchor: str, page: str | None = None) -> list[str]:
    """Ids of the entries of ``kb`` whose anchor is ``anchor`` (those on ``page`` only, when it has any).

    When no entry has that anchor, the entry whose anchor is closest to it (difflib ratio at least
    :data:`ANCHOR_CUTOFF`) stands in: a typo fixed in a question changes its anchor a little, and
    the rule keeps citing it (``faq-assistant lint`` says to update the rules file).
    """
    found = [e.id for e in kb if e.anchor == anchor]
    if not found:
        close = difflib.get_close_matches(anchor, [e.anchor for e in kb if e.anchor], n=1, cutoff=ANCHOR_CUTOFF)
        found = [e.id for e in kb if close and e.anchor == close[0]]
    on_page = [i for i in found if page and i.startswith(page + "#")]
    return on_page or found


#: How close (difflib ratio, 0..1) an entry's anchor must be to a cited one to stand in for it.
ANCHOR_CUTOFF = 0.9
