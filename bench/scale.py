"""Benchmark: how the project's load, fit, memory, search and index size grow with the knowledge base.

    python bench/scale.py [--sizes 1000,10000,100000] [--corpus DIR] [--queries N] [--keep DIR]

Knowledge bases of each size are generated from the real FAQ text of ``--corpus`` (default
``../shared/corpus``): every page is markdown with front matter and ``## question`` headings;
a question is a real corpus question with one content word swapped for a word of another real
answer (so questions stay distinct at 100,000 entries), an answer is two to four real answer
sentences. Generation is deterministic (seeded by the size). No eval question is used.

Systems, each in its own fresh process (so peak memory is its own, Python and imports included):

- ``project``: ``KnowledgeBase.load`` (parse the markdown, both cores) = *load*;
  ``TfidfRetriever().fit`` = *fit*; the saved index (:mod:`assistant.index`) = *index size* and
  *index load* (reading it back, what ``faq-assistant ask`` does on every run).
- ``bm25s``: question + answer text of the same entries (read from a JSON file the generator writes:
  *load*), ``bm25s.tokenize(stopwords="en")`` + ``BM25().index`` = *fit*, ``save``/``load``.
- ``tfidf``: scikit-learn's ``TfidfVectorizer()`` on the same texts (cosine via a sparse
  dot product), saved as ``save_npz`` + its vocabulary as JSON.

Search: ``--queries`` real corpus questions (the ones the entries were generated from), one call
each, top 10; p50/p99 in ms. Ratios ``_x`` are project / bm25s on the same entries. The growth
exponent of a cost is the least-squares slope of log(cost) over log(entries) (1 = linear).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYSTEMS = ("project", "bm25s", "tfidf")
PAGE_SIZE = 25  # entries per generated page


# --- generating knowledge bases from the corpus ---------------------------------------------------------


def corpus_text(corpus: Path) -> tuple[list[str], list[str]]:
    """Real questions and real answer sentences of the corpus (parsed with the project's parser)."""
    sys.path.insert(0, str(ROOT))
    from assistant import KnowledgeBase

    kb = KnowledgeBase.load(corpus)
    questions = sorted({" ".join(e.question.split()) for e in kb if len(e.question) > 10})
    sentences = set()
    for e in kb:
        for s in re.split(r"(?<=[.!?])\s+", " ".join(e.answer_text.split())):
            if 30 <= len(s) <= 300:
                sentences.add(s)
    return questions, sorted(sentences)


def generate(folder: Path, n: int, questions: list[str], sentences: list[str]) -> list[dict]:
    """Write ``n`` entries as markdown pages under ``folder``; returns ``[{"question", "answer"}]``."""
    rng = random.Random(n)
    words = sorted({w for s in sentences for w in re.findall(r"[A-Za-z]{5,}", s)})
    entries, seen = [], set()
    folder.mkdir(parents=True, exist_ok=True)
    for page_no in range(math.ceil(n / PAGE_SIZE)):
        lines = ["---", f"title: {json.dumps(rng.choice(questions)[:60])}", "---", "",
                 f"# FAQ {page_no}", ""]
        for _ in range(min(PAGE_SIZE, n - len(entries))):
            while True:
                base = rng.choice(questions).rstrip("?").split()
                spots = [i for i, w in enumerate(base) if len(w) >= 4 and w.isalpha()] or [len(base) - 1]
                base[rng.choice(spots)] = rng.choice(words)
                q = " ".join(base) + "?"
                if q not in seen:
                    seen.add(q)
                    break
            a = " ".join(rng.sample(sentences, rng.randint(2, 4)))
            entries.append({"question": q, "answer": a})
            lines += [f"## {q}", "", a, ""]
        sub = folder / f"part{page_no // 100:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"page{page_no:05d}.md").write_text("\n".join(lines), encoding="utf-8")
    return entries


# --- one system in a child process ----------------------------------------------------------------------


def _percentiles(times: list[float]) -> tuple[float, float]:
    import numpy as np

    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() \
        else Path(path).stat().st_size


def child(system: str, folder: Path, entries_file: Path, queries: list[str], work: Path) -> dict:
    out: dict = {}
    if system == "project":
        sys.path.insert(0, str(ROOT))
        from assistant import KnowledgeBase, TfidfRetriever
        from assistant.index import load_index, save_index, scan
        import sklearn.feature_extraction.text  # noqa: F401 - imported before the clock starts, as for the baselines

        manifest = scan(folder)
        t = time.perf_counter()
        kb = KnowledgeBase.load(folder)
        out["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        retriever = TfidfRetriever().fit(kb)
        out["fit_s"] = time.perf_counter() - t
        times = []
        for q in queries:
            t = time.perf_counter()
            retriever.search(q, top_k=10)
            times.append(time.perf_counter() - t)
        out["p50_ms"], out["p99_ms"] = _percentiles(times)
        from assistant.index import index_file

        path = index_file(folder, work)
        out["index_bytes"] = save_index(path, kb, retriever, manifest)
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        del kb, retriever
        t = time.perf_counter()
        _, _, info = load_index(folder, work)
        out["index_load_s"] = time.perf_counter() - t
        assert info.status == "loaded", info
        return out
    if system == "bm25s":
        import bm25s

        t = time.perf_counter()
        texts = [f"{e['question']}\n{e['answer']}" for e in json.loads(entries_file.read_text(encoding="utf-8"))]
        out["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        model = bm25s.BM25()
        model.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
        out["fit_s"] = time.perf_counter() - t
        times = []
        for q in queries:
            t = time.perf_counter()
            model.retrieve(bm25s.tokenize([q], stopwords="en", show_progress=False), k=10, show_progress=False)
            times.append(time.perf_counter() - t)
        out["p50_ms"], out["p99_ms"] = _percentiles(times)
        model.save(work / "bm25s")
        out["index_bytes"] = _folder_size(work / "bm25s")
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        bm25s.BM25.load(work / "bm25s")
        out["index_load_s"] = time.perf_counter() - t
        return out
    if system == "tfidf":
        import numpy as np
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfVectorizer

        t = time.perf_counter()
        texts = [f"{e['question']}\n{e['answer']}" for e in json.loads(entries_file.read_text(encoding="utf-8"))]
        out["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        vec = TfidfVectorizer()
        matrix = vec.fit_transform(texts).T.tocsr()  # terms x docs: a query gathers its terms' rows
        out["fit_s"] = time.perf_counter() - t
        times = []
        for q in queries:
            t = time.perf_counter()
            scores = np.asarray((vec.transform([q]) @ matrix).todense()).ravel()
            np.argpartition(-scores, 10)[:10]
            times.append(time.perf_counter() - t)
        out["p50_ms"], out["p99_ms"] = _percentiles(times)
        sp.save_npz(work / "tfidf.npz", matrix)
        (work / "vocab.json").write_text(json.dumps({k: int(v) for k, v in vec.vocabulary_.items()}))
        out["index_bytes"] = (work / "tfidf.npz").stat().st_size + (work / "vocab.json").stat().st_size
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        sp.load_npz(work / "tfidf.npz")
        json.loads((work / "vocab.json").read_text())
        out["index_load_s"] = time.perf_counter() - t
        return out
    raise SystemExit(f"unknown system {system!r}")


def run_child(system: str, folder: Path, entries_file: Path, queries_file: Path, work: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", system, str(folder), str(entries_file),
                           str(queries_file), str(work)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{system} on {folder} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the report -----------------------------------------------------------------------------------------


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / den if den else float("nan")


COLUMNS = ("load_s", "fit_s", "load_fit_s", "peak_mb", "p50_ms", "p99_ms", "index_mb", "index_load_s")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        system, folder, entries_file, queries_file, work = argv[1:6]
        queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
        print(json.dumps(child(system, Path(folder), Path(entries_file), queries, Path(work))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="entries per knowledge base, comma-separated")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--queries", type=int, default=300, help="search calls per system (default 300)")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it (default: a temporary folder)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    systems = args.systems.split(",")
    questions, sentences = corpus_text(Path(args.corpus))
    rng = random.Random(0)
    queries = [rng.choice(questions) for _ in range(args.queries)]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="faq-scale-"))
    print(f"corpus: {args.corpus} ({len(questions)} questions, {len(sentences)} answer sentences); "
          f"{len(queries)} queries; {os.cpu_count()} cores; Python {sys.version.split()[0]}", flush=True)
    results: dict[tuple[str, int], dict] = {}
    try:
        for n in sizes:
            folder = base / f"kb{n}"
            entries_file = base / f"entries{n}.json"
            if not entries_file.exists():
                entries = generate(folder, n, questions, sentences)
                entries_file.write_text(json.dumps(entries), encoding="utf-8")
            queries_file = base / "queries.json"
            queries_file.write_text(json.dumps(queries), encoding="utf-8")
            for system in systems:
                work = base / f"work-{system}-{n}"
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir(parents=True)
                r = run_child(system, folder, entries_file, queries_file, work)
                r["load_fit_s"] = r["load_s"] + r["fit_s"]
                r["index_mb"] = r["index_bytes"] / 1e6
                results[(system, n)] = r
                print(f"  {n:>7,} {system:8} " + "  ".join(f"{c}={r[c]:.3g}" for c in COLUMNS), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print()
    header = f"{'entries':>8} {'system':8}" + "".join(f"{c:>13}" for c in COLUMNS)
    print(header)
    for n in sizes:
        for system in systems:
            r = results[(system, n)]
            print(f"{n:>8,} {system:8}" + "".join(f"{r[c]:>13.3f}" for c in COLUMNS))
        if "project" in systems and "bm25s" in systems:
            p, b = results[("project", n)], results[("bm25s", n)]
            print(f"{n:>8,} {'_x bm25s':8}" + "".join(f"{p[c] / b[c] if b[c] else float('nan'):>13.2f}" for c in COLUMNS))
    if len(sizes) > 1:
        print("\ngrowth exponent (slope of log cost over log entries; 1 = linear)")
        print(f"{'system':8}" + "".join(f"{c:>13}" for c in COLUMNS))
        for system in systems:
            print(f"{system:8}" + "".join(f"{slope(sizes, [results[(system, n)][c] for n in sizes]):>13.2f}"
                                          for c in COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
