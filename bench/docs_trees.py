"""``kb`` and ``lint`` on whole documentation sites: findings by code, and whole-process time.

    python bench/docs_trees.py [TREE ...] [--repeat 1]

Default trees: ``../shared/docs-trees/docker-docs/content`` (Hugo) and
``../shared/docs-trees/mkdocs-material/docs`` (MkDocs). For each tree, in one run:

* ``faq-assistant kb --kb TREE --format json`` and ``faq-assistant lint TREE --format json
  --min-severity info``, each a fresh process timed from start to exit (the fastest of
  ``--repeat`` runs);
* the baseline: a fresh process that only reads every markdown file of the tree and parses it
  once with markdown-it-py (the floor of any tool that reads the pages); ``_x`` columns are
  ratios to it;
* the lint findings counted by code and severity, and the FAQ entries ``kb`` found.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
BASELINE = r"""
import os, sys
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark", {"html": True}).enable("table")
n = 0
for folder, _dirs, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith((".md", ".mdx", ".markdown")):
            md.parse(open(os.path.join(folder, f), encoding="utf-8", errors="replace").read()); n += 1
print(n)
"""


def timed(cmd: list[str], repeat: int) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(repeat):
        t = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - t
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
        if elapsed < best:
            best, out = elapsed, done.stdout
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="*", default=[str(SHARED / "docs-trees/docker-docs/content"),
                                                 str(SHARED / "docs-trees/mkdocs-material/docs")])
    ap.add_argument("--repeat", type=int, default=1, help="runs per command; the fastest is kept (default 1)")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "assistant"]
    for tree in args.trees:
        base_s, n_files = timed([sys.executable, "-c", BASELINE, tree], args.repeat)
        kb_s, kb_out = timed(exe + ["kb", "--kb", tree, "--format", "json"], args.repeat)
        lint_s, lint_out = timed(exe + ["lint", tree, "--format", "json", "--min-severity", "info"], args.repeat)
        entries = json.loads(kb_out)
        report = json.loads(lint_out)
        print(f"tree: {tree} ({n_files.strip()} markdown files, {len(entries)} FAQ entries, "
              f"{len({e['source'] for e in entries})} pages with entries)")
        print(f"  {'command':<22} {'seconds':>8} {'_x':>6}")
        print(f"  {'baseline (markdown-it)':<22} {base_s:>8.2f} {1:>6.2f}")
        print(f"  {'kb':<22} {kb_s:>8.2f} {kb_s / base_s:>6.2f}")
        print(f"  {'lint':<22} {lint_s:>8.2f} {lint_s / base_s:>6.2f}")
        by = Counter((p["severity"], p["code"]) for p in report["problems"])
        sev = Counter(p["severity"] for p in report["problems"])
        print(f"  lint: {sev['error']} errors, {sev['warning']} warnings, {sev['info']} info")
        for (severity, code), n in sorted(by.items(), key=lambda kv: (["error", "warning", "info"].index(kv[0][0]), -kv[1])):
            print(f"    {n:>5}  {severity:<8} {code}")


if __name__ == "__main__":
    main()
