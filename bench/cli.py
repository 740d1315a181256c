"""Benchmark: the command line as a user runs it: whole processes, five runs each, medians.

    python bench/cli.py [--runs 5] [--docs DIR]

Times, in one run and on this machine: ``faq-assistant --help``; ``faq-assistant ask`` on the
bundled knowledge base and on a real docs tree (``--docs``, default
``../shared/docs-trees/docker-docs/content``: 1,525 pages), each once without a saved index (the
first run, which builds it) and then with it; beside two things a user could run instead on the
same folder: ``rg -i`` (ripgrep; Debian's ``ripgrep`` package is installed when missing and
``apt-get`` works, else the row is skipped with a note) and a Python script that loads a saved
``bm25s`` index of the same entries' question + answer text and answers the same question.

Each row is the median of ``--runs`` runs (after one untimed warm-up, except the "first run"
rows, which delete the index before each run): wall time and CPU time (user + system, of the
process and its children; the CPU time does not count waiting for a busy machine). ``_x`` columns
are ratios to ``rg -i`` and to the bm25s script. Indexes go to a temporary folder
(``FAQ_ASSISTANT_INDEX_DIR``), never the user's cache. See ``bench/scale.py`` for 1k-100k entries.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Can I turn on SSO without enforcing it?"
DOCS_QUESTION = "How do I move the disk image to another drive?"
RG_PATTERN = "disk image"

BM25S_BUILD = """
import sys, bm25s
sys.path.insert(0, sys.argv[3])
from assistant import KnowledgeBase
kb = KnowledgeBase.load(sys.argv[1])
texts = [e.question + "\\n" + e.answer_text for e in kb]
model = bm25s.BM25()
model.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
model.save(sys.argv[2], corpus=[e.question for e in kb])
"""

BM25S_ASK = """
import sys, bm25s
model = bm25s.BM25.load(sys.argv[1], load_corpus=True)
docs, scores = model.retrieve(bm25s.tokenize([sys.argv[2]], stopwords="en", show_progress=False), k=3,
                              show_progress=False)
print(docs[0][0]["text"] if isinstance(docs[0][0], dict) else docs[0][0], float(scores[0][0]))
"""


def _run(cmd: list[str], env: dict) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def measure(cmd: list[str], env: dict, runs: int, before_each=None, warm_up: bool = True) -> tuple[float, float]:
    if warm_up:
        _run(cmd, env)
    walls, cpus = [], []
    for _ in range(runs):
        if before_each is not None:
            before_each()
        wall, cpu, code = _run(cmd, env)
        if code != 0:
            raise SystemExit(f"{' '.join(cmd)} exited with {code}")
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def ensure_ripgrep() -> str | None:
    rg = shutil.which("rg")
    if rg or not shutil.which("apt-get"):
        return rg
    print("ripgrep is missing: apt-get install -y ripgrep", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "ripgrep"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("rg")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--docs", default=str(ROOT.parent / "shared" / "docs-trees" / "docker-docs" / "content"))
    args = ap.parse_args(argv)
    exe = shutil.which("faq-assistant") or str(Path(sys.executable).parent / "faq-assistant")
    work = Path(tempfile.mkdtemp(prefix="faq-cli-bench-"))
    env = {**os.environ, "FAQ_ASSISTANT_INDEX_DIR": str(work / "index")}
    env.pop("FAQ_ASSISTANT_KB", None)
    clear = lambda: shutil.rmtree(work / "index", ignore_errors=True)  # noqa: E731
    rows: list[tuple[str, float, float]] = []
    docs = Path(args.docs)
    print(f"{args.runs} runs each, medians; {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    try:
        rows.append(("faq-assistant --help", *measure([exe, "--help"], env, args.runs)))
        ask = [exe, "ask", QUESTION]
        rows.append(("ask, bundled KB, first run (builds the index)", *measure(ask, env, args.runs, clear, False)))
        rows.append(("ask, bundled KB, saved index", *measure(ask, env, args.runs)))
        if docs.is_dir():
            ask_docs = [exe, "ask", DOCS_QUESTION, "--kb", str(docs)]
            rows.append((f"ask, {docs.parent.name} ({sum(1 for _ in docs.rglob('*.md'))} pages), first run",
                         *measure(ask_docs, env, min(args.runs, 3), clear, False)))
            rows.append((f"ask, {docs.parent.name}, saved index", *measure(ask_docs, env, args.runs)))
            rg = ensure_ripgrep()
            if rg:
                rows.append((f"rg -i '{RG_PATTERN}' (same folder)", *measure([rg, "-i", RG_PATTERN, str(docs)], env,
                                                                           args.runs)))
            else:
                print("note: ripgrep (rg) is not installed and could not be installed; its row is skipped")
            try:
                import bm25s  # noqa: F401
            except ImportError:
                print("note: bm25s is not installed (pip install '.[test]'); its row is skipped")
            else:
                subprocess.run([sys.executable, "-c", BM25S_BUILD, str(docs), str(work / "bm25s"), str(ROOT)],
                               check=True, env=env)
                rows.append(("bm25s script, loads its saved index (same entries)",
                             *measure([sys.executable, "-c", BM25S_ASK, str(work / "bm25s"), DOCS_QUESTION], env,
                                      args.runs)))
        else:
            print(f"note: {docs} is missing; the docs-tree rows are skipped")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ref = {name.split()[0]: (w, c) for name, w, c in rows if name.startswith(("rg ", "bm25s "))}
    width = max(len(r[0]) for r in rows)
    head = f"{'command':{width}}  {'wall_s':>7}  {'cpu_s':>6}"
    for name in ref:
        head += f"  {'wall_x_' + name:>13}  {'cpu_x_' + name:>12}"
    print(head)
    for name, wall, cpu in rows:
        line = f"{name:{width}}  {wall:7.3f}  {cpu:6.3f}"
        for rw, rc in ref.values():
            line += f"  {wall / rw:13.2f}  {cpu / rc if rc else float('nan'):12.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
