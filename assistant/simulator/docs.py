"""The README's rule list, generated from a rules file (a test checks that the README holds it)."""

from __future__ import annotations

from .rulesfile import RuleSet

__all__ = ["rules_markdown", "README_START", "README_END"]

README_START = "<!-- simulator rules: generated from kb/simulator.yaml -->"
README_END = "<!-- end of simulator rules -->"


def rules_markdown(rules: RuleSet) -> str:
    """One markdown bullet per rule, in evaluation order, no final newline.

    ``- `id` (severities of its findings; org or baseline): explain Cites: #anchor, ...``;
    anchors longer than 60 characters are cut with ``...``.
    """
    out = []
    for r in rules.rules:
        levels = list(dict.fromkeys(f.severity for f in r.findings))
        tags = ([", ".join(levels)] if levels else ["effect only"]) + (["org"] if r.scope == "org" else []) \
            + (["baseline"] if r.baseline else [])
        cites = ", ".join(f"`#{a if len(a) <= 60 else a[:57] + '...'}`" for a in r.cites)
        out.append(f"- `{r.id}` ({'; '.join(tags)}): {r.explain}" + (f" Cites {cites}." if cites else ""))
    return "\n".join(out)
