"""``kb`` and ``lint`` on whole documentation sites: findings by code, and whole-process time, cold and warm.

    python bench/docs_trees.py [TREE ...] [--repeat 1]

Default trees: ``../shared/docs-trees/docker-docs/content`` (Hugo) and
``../shared/docs-trees/mkdocs-material/docs`` (MkDocs). For each tree, in one run:

* the baseline: a fresh process that only reads every markdown file of the tree and parses it
  once with markdown-it-py (the floor of any tool that reads the pages); ``_x`` columns are
  ratios to it;
* cold (no saved index: each run gets an empty ``--index`` folder): ``faq-assistant kb --kb TREE
  --format json`` (which parses, fits and saves the index) and ``faq-assistant lint TREE --format
  json --min-severity info``;
* warm (after ``faq-assistant index --kb TREE``): the same two commands over the saved index;
  the index is checked to be still fresh afterwards (edits to the package's modules while the
  benchmark runs make it stale, and the warm times would then be cold ones);
* each a fresh process timed from start to exit (the fastest of ``--repeat`` runs), with the CPU
  seconds it used, its worker processes included (``cpu_x``: ratio to the baseline's; steadier
  than wall time on a shared machine, but blind to how well the work spreads over cores); the lint
  findings counted by code and severity (cold and warm must agree), and the entries ``kb`` found.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
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


def timed(cmd: list[str] | Callable[[], list[str]], repeat: int) -> tuple[float, float, str]:
    """Fastest of ``repeat`` runs of ``cmd`` (a command, or a function making a new one per run): its
    wall seconds, its CPU seconds (user + system, its worker processes included) and its output."""
    best, cpu, out = float("inf"), 0.0, ""
    for _ in range(repeat):
        argv = cmd() if callable(cmd) else cmd
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True)
        elapsed = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
        if elapsed < best:
            best, out = elapsed, done.stdout
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return best, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="*", default=[str(SHARED / "docs-trees/docker-docs/content"),
                                                 str(SHARED / "docs-trees/mkdocs-material/docs")])
    ap.add_argument("--repeat", type=int, default=1, help="runs per command; the fastest is kept (default 1)")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "assistant"]
    with tempfile.TemporaryDirectory(prefix="docs-trees-bench-") as tmp:
        runs = iter(range(1_000_000))

        def empty_index() -> str:  # a new, empty index folder per cold run
            return str(Path(tmp) / f"cold-{next(runs)}")

        for tree in args.trees:
            warm = str(Path(tmp) / "warm")
            kb_cmd = ["kb", "--kb", tree, "--format", "json"]
            lint_cmd = ["lint", tree, "--format", "json", "--min-severity", "info"]
            base = timed([sys.executable, "-c", BASELINE, tree], args.repeat)
            kb_cold = timed(lambda: exe + kb_cmd + ["--index", empty_index()], args.repeat)
            lint_cold = timed(lambda: exe + lint_cmd + ["--index", empty_index()], args.repeat)
            stale = []

            def fresh_index() -> bool:
                """Builds the warm index if needed; True when it was already up to date."""
                done = subprocess.run(exe + ["index", "--kb", tree, "--index", warm], capture_output=True, text=True)
                return "up to date" in done.stdout

            fresh_index()
            kb_warm = timed(exe + kb_cmd + ["--index", warm], args.repeat)
            stale += [] if fresh_index() else ["kb"]  # kb rebuilds a stale index itself: then it ran cold
            lint_warm = timed(exe + lint_cmd + ["--index", warm], args.repeat)
            stale += [] if fresh_index() else ["lint"]
            entries = json.loads(kb_cold[2])
            report = json.loads(lint_cold[2])
            print(f"tree: {tree} ({base[2].strip()} markdown files, {len(entries)} FAQ entries, "
                  f"{len({e['source'] for e in entries})} pages with entries)")
            print(f"  {'command':<22} {'seconds':>8} {'_x':>6} {'cpu s':>7} {'cpu_x':>6}")
            for name, (sec, cpu, _) in (("baseline (markdown-it)", base), ("kb cold", kb_cold),
                                        ("lint cold", lint_cold), ("kb warm", kb_warm), ("lint warm", lint_warm)):
                print(f"  {name:<22} {sec:>8.2f} {sec / base[0]:>6.2f} {cpu:>7.2f} {cpu / base[1]:>6.2f}")
            if stale:
                print(f"  (the saved index went stale during warm {' and '.join(stale)}: the package's modules "
                      "changed while the benchmark ran; rerun)")
            if json.loads(lint_warm[2]) != report:
                print("  WARNING: lint found different problems warm and cold")
            by = Counter((p["severity"], p["code"]) for p in report["problems"])
            sev = Counter(p["severity"] for p in report["problems"])
            print(f"  lint: {sev['error']} errors, {sev['warning']} warnings, {sev['info']} info")
            for (severity, code), n in sorted(by.items(), key=lambda kv: (["error", "warning", "info"].index(kv[0][0]), -kv[1])):
                print(f"    {n:>5}  {severity:<8} {code}")


if __name__ == "__main__":
    main()
