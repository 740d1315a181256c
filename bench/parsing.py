"""Parsing one big FAQ page and answering from it: time and memory grow linearly with the questions.

    python bench/parsing.py [--sizes 4000,40000] [--repeat 1]

For each size N, a fresh Python process generates one page of N questions (``## How do I set
option i?`` + a one-line answer), then measures, whole-process and on the same page:

* ``parse_s``: :func:`assistant.parsing.parse_markdown` of the page;
* ``markdown_it_s`` (baseline): markdown-it-py's own ``parse`` of the same text, the floor any
  token-based parser pays; ``parse_x`` = parse_s / markdown_it_s;
* ``answer_s``: ``TfidfRetriever().fit(kb)`` plus one search over the N entries;
* ``peak_mb``: the process's peak resident memory (``ru_maxrss``) after parsing and answering.

The last columns compare each size with the first: ``time_growth`` = (parse_s + answer_s) ratio
divided by the size ratio (1.0 = linear; the issue's bound: 10x the questions in at most 12x the
time, i.e. <= 1.2), and ``memory_growth`` likewise for the peak memory above the interpreter's
baseline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from assistant.parsing import parse_markdown
from assistant.parsing.text import MD
n = int(sys.argv[1])
text = "---\ntitle: FAQ\n---\n\n" + "".join(
    f"## How do I set option {i} for the {i % 97} service?\n\nSet option{i} to value {i % 13} in the settings file.\n\n"
    for i in range(n))
base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter(); MD.parse(text); md = time.perf_counter() - t
t = time.perf_counter(); page = parse_markdown(text, "faq.md"); parse = time.perf_counter() - t
assert len(page.entries) == n, len(page.entries)
from assistant import KnowledgeBase, TfidfRetriever
kb = KnowledgeBase(page.entries)
t = time.perf_counter()
result = TfidfRetriever().fit(kb).search("how do I set option 7 for the service", top_k=3)
answer = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "parse_s": parse, "markdown_it_s": md, "answer_s": answer, "peak_mb": peak,
                  "base_mb": base_mb, "best": result.matches[0].entry.question if result.matches else None}))
"""


def run(n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="4000,40000", help="comma-separated numbers of questions (default 4000,40000)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is kept (default 1)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        runs = [run(n) for _ in range(args.repeat)]
        rows.append(min(runs, key=lambda r: r["parse_s"] + r["answer_s"]))
    first = rows[0]
    print(f"{'questions':>9} {'parse_s':>8} {'markdown_it_s':>13} {'parse_x':>7} {'answer_s':>8} {'peak_mb':>8} "
          f"{'time_growth':>11} {'memory_growth':>13}")
    for r in rows:
        size = r["n"] / first["n"]
        tg = (r["parse_s"] + r["answer_s"]) / (first["parse_s"] + first["answer_s"]) / size
        mg = (r["peak_mb"] - r["base_mb"]) / max(first["peak_mb"] - first["base_mb"], 1e-9) / size
        print(f"{r['n']:>9} {r['parse_s']:>8.2f} {r['markdown_it_s']:>13.2f} {r['parse_s'] / r['markdown_it_s']:>7.2f} "
              f"{r['answer_s']:>8.2f} {r['peak_mb']:>8.0f} {tg:>11.2f} {mg:>13.2f}")


if __name__ == "__main__":
    main()
