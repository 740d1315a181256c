"""Coverage at archive scale: time and whole-process peak memory of ``faq-assistant coverage``.

For each size (default 10k, 100k and 1M generated tickets, written once by
``data/make_sample_tickets.py``'s :func:`write_many` into ``--workdir``) this runs, each in its own
process, in the same run:

* **ours**: ``faq-assistant coverage FILE --jobs J --out results.parquet`` (the whole command:
  reading, redaction, cleaning, scoring, writing every result, gap clustering, the report);
* **baseline**: a plain scikit-learn pass: pandas reads the CSV in chunks, a ``TfidfVectorizer``
  fitted on the entries' questions and answers vectorizes each chunk, a sparse dot with the entries
  and an argmax give each ticket's best entry, written to a Parquet file per chunk like ``--out``
  (no redaction, no cleaning, no report; one process, where ours has ``--jobs`` of them).

Peak memory is the largest sum of PSS (resident memory, pages shared between the worker
processes counted once) over the process and its children, sampled every 0.1 s with psutil. It prints tickets per second, peak MB, ours/baseline ratios, and the growth of time and
memory from one size to the next (10x the tickets). Usage::

    python bench/coverage.py                       # 10k, 100k, 1M; about half an hour on 2 cores
    python bench/coverage.py --sizes 10000 100000 --jobs 2
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("make_sample_tickets", ROOT / "data" / "make_sample_tickets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_measured(cmd: list[str]) -> tuple[float, float, str, float]:
    """Run ``cmd``; returns (seconds, peak MB of the process tree's summed PSS, stdout, CPU seconds of the tree).

    CPU seconds are the last sampled user+system time of every process of the tree (so a
    process that lives less than 0.1 s is missed: a lower bound).
    """
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    ps = psutil.Process(proc.pid)
    peak = 0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            total = 0
            for p in procs:
                with p.oneshot():
                    total += p.memory_full_info().pss
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.1)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return seconds, peak / 2**20, out, sum(cpu.values())


def baseline(path: str, out: str) -> None:
    """The plain scikit-learn pass (run in its own process by the benchmark); per-ticket results go to ``out``."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sklearn.feature_extraction.text import TfidfVectorizer

    from assistant import KnowledgeBase

    kb = KnowledgeBase.load(None)
    docs = [f"{e.question}\n{e.answer_text}" for e in kb]
    vec = TfidfVectorizer(sublinear_tf=True).fit(docs)
    entries = vec.transform(docs)
    n = covered = 0
    hits = np.zeros(len(docs), dtype=np.int64)
    writer = None
    for chunk in pd.read_csv(path, chunksize=50_000, usecols=["subject", "body"], dtype=str):
        texts = (chunk["subject"].fillna("") + "\n\n" + chunk["body"].fillna("")).tolist()
        scores = (vec.transform(texts) @ entries.T).toarray()
        best = scores.argmax(axis=1)
        ok = scores.max(axis=1) >= 0.19
        hits += np.bincount(best[ok], minlength=len(docs))
        table = pa.table({"row": np.arange(n, n + len(texts)), "best": best, "score": scores.max(axis=1),
                          "covered": ok})
        writer = writer or pq.ParquetWriter(out, table.schema)
        writer.write_table(table)
        n += len(texts)
        covered += int(ok.sum())
    if writer is not None:
        writer.close()
    print(f"{n} {covered}")


def _bench_dask(args: argparse.Namespace, gen, exe: str) -> None:
    import pandas as pd

    n = args.dask
    parts = args.workdir / f"parts-{n}"
    if not parts.exists():
        parts.mkdir()
        csv = gen.write_many(args.workdir / f"tickets-{n}.csv", n) if not (args.workdir / f"tickets-{n}.csv").exists() \
            else args.workdir / f"tickets-{n}.csv"
        for i, chunk in enumerate(pd.read_csv(csv, dtype=str, chunksize=-(-n // 4))):
            chunk.to_parquet(parts / f"part-{i}.parquet")
    pattern = str(parts / "*.parquet")
    print(f"\n{n:,} tickets in 4 Parquet files: local engine (--jobs {args.jobs}) vs --engine dask (local cluster)")
    for name, extra in (("local", ["--jobs", str(args.jobs)]), ("dask", ["--engine", "dask"])):
        t, m, text, cpu = run_measured([exe, "coverage", pattern, *extra])
        print(f"  {name:5s}  {t:7.1f} s  {n / t:6.0f} tickets/s  peak {m:5.0f} MB  CPU {cpu:7.1f} s = "
              f"{cpu / n * 1e6 / 3600:.2f} core-hours per million tickets", flush=True)
        print(f"         {text.splitlines()[0]}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of faq-assistant coverage (default 2)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/faq-coverage-bench"))
    parser.add_argument("--dask", type=int, default=0, metavar="N",
                        help="also run --engine dask (a local cluster, one worker per core) on N tickets split "
                             "into 4 Parquet files, and print CPU seconds per million tickets (what a cluster costs)")
    parser.add_argument("--baseline", nargs=2, metavar=("FILE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline:
        baseline(*args.baseline)
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    gen = _generator()
    exe = str(Path(sys.executable).with_name("faq-assistant"))
    rows = []
    print(f"{'tickets':>9} | {'ours s':>8} {'tickets/s':>9} {'peak MB':>8} | {'sklearn s':>9} {'tickets/s':>9} "
          f"{'peak MB':>8} | {'time ours/base':>14} {'mem ours/base':>13}")
    for n in args.sizes:
        path = args.workdir / f"tickets-{n}.csv"
        if not path.exists():
            gen.write_many(path, n)
        out = args.workdir / f"results-{n}.parquet"
        t_ours, m_ours, text, cpu_ours = run_measured([exe, "coverage", str(path), "--jobs", str(args.jobs),
                                                       "--out", str(out)])
        headline = text.splitlines()[0]
        t_base, m_base, _, cpu_base = run_measured([sys.executable, __file__, "--baseline", str(path),
                                                    str(args.workdir / f"baseline-{n}.parquet")])
        rows.append((n, t_ours, m_ours, t_base, m_base))
        print(f"{n:>9,} | {t_ours:8.1f} {n / t_ours:9.0f} {m_ours:8.0f} | {t_base:9.1f} {n / t_base:9.0f} "
              f"{m_base:8.0f} | {t_ours / t_base:14.2f} {m_ours / m_base:13.2f}", flush=True)
        print(f"          {headline}", flush=True)
        # On a shared machine wall time depends on the others' load; CPU time much less.
        print(f"          CPU seconds (lower bound): ours {cpu_ours:.1f} ({n / max(cpu_ours, 1e-9):,.0f} tickets per "
              f"CPU-second), baseline {cpu_base:.1f} ({n / max(cpu_base, 1e-9):,.0f}); ours/base "
              f"{cpu_ours / max(cpu_base, 1e-9):.2f}", flush=True)
    if len(rows) > 1:
        print("\ngrowth from one size to the next (ours; baseline)")
        for (n0, t0, m0, b0, bm0), (n1, t1, m1, b1, bm1) in zip(rows, rows[1:]):
            print(f"  {n0:>9,} -> {n1:>9,} tickets ({n1 / n0:.0f}x): time {t1 / t0:.1f}x, peak memory "
                  f"{m1 / m0:.2f}x; baseline time {b1 / b0:.1f}x, memory {bm1 / bm0:.2f}x")
    if args.dask:
        _bench_dask(args, gen, exe)
    print("\ntargets: >= 5,000 tickets/s, <= 1.5x the baseline's time, 1M tickets <= 1 GB peak and <= 5 min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
