"""Redaction on the sample table: kinds missed and near misses falsely redacted, per system.

    python bench/redaction.py [SAMPLES.csv]

Systems, measured on the same samples in one run:

* ``project``: :func:`assistant.redaction.redact` (detect-secrets' format patterns + check digits
  + this project's patterns for prose, PII and keyed secrets);
* ``detect-secrets``: Yelp's detect-secrets run as shipped (``scan_line`` with its default
  plugins, every reported secret value replaced);
* ``detect-secrets-formats``: only its plugins for secrets with a known format (no keyword or
  entropy plugin), as :mod:`assistant.redaction` uses them.

A sample is *missed* when any of its secret substrings survives; a near miss (``kind`` =
``near-miss``: order numbers, versions, changelog dates, prose about passwords) is *falsely
redacted* when its text changes at all. ``*_share`` columns divide by the
samples of that side (with data / near misses).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLES = ROOT / "tests" / "fixtures" / "redaction-samples.csv"


def load_samples(path: Path) -> list[dict[str, str]]:
    """Rows ``kind``, ``text`` (``\\n`` escapes decoded), ``secret`` (``|``-separated substrings)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["text"] = r["text"].replace("\\n", "\n")
    return rows


def detect_secrets_redact(text: str, *, formats_only: bool) -> str:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    from assistant.redaction import _detect_secrets_patterns

    if formats_only:
        for rx, group, label, _needs in _detect_secrets_patterns():
            text = rx.sub(label, text)
        return text
    with default_settings():
        values = {s.secret_value for line in text.splitlines() for s in scan_line(line) if s.secret_value}
    for v in sorted(values, key=len, reverse=True):
        text = text.replace(v, "[token]")
    return text


def measure(rows, redact) -> dict[str, object]:
    missed, false, by_kind = 0, 0, defaultdict(int)
    for r in rows:
        out = redact(r["text"])
        if r["kind"] == "near-miss":
            false += out != r["text"]
        elif any(s and s in out for s in r["secret"].split("|")):
            missed += 1
            by_kind[r["kind"]] += 1
    return {"missed": missed, "false_redactions": false,
            "missed_kinds": ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())) or "-"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("samples", nargs="?", default=str(DEFAULT_SAMPLES))
    args = ap.parse_args(argv)
    from assistant.redaction import redact

    rows = load_samples(Path(args.samples))
    n_pos = sum(r["kind"] != "near-miss" for r in rows)
    kinds = len({r["kind"] for r in rows} - {"near-miss"})
    shown = os.path.relpath(args.samples) if not os.path.relpath(args.samples).startswith("..") else args.samples
    print(f"samples: {shown}: {len(rows)} ({n_pos} with personal data or secrets in {kinds} kinds, "
          f"{len(rows) - n_pos} near misses that must stay)")
    systems = {
        "project": redact,
        "detect-secrets": lambda t: detect_secrets_redact(t, formats_only=False),
        "detect-secrets-formats": lambda t: detect_secrets_redact(t, formats_only=True),
    }
    table = pd.DataFrame({name: measure(rows, fn) for name, fn in systems.items()}).T
    n_near = len(rows) - n_pos
    table.insert(1, "missed_share", [f"{v / n_pos:.3f}" for v in table["missed"]])
    table.insert(3, "false_share", [f"{v / n_near:.3f}" for v in table["false_redactions"]])
    print(table.drop(columns="missed_kinds").to_string())
    print("missed, by kind:")
    for name, kinds in table["missed_kinds"].items():
        print(f"  {name}: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
