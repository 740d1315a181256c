"""TF-IDF retrieval of FAQ entries for a query or a support ticket."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from .knowledge_base import KnowledgeBase
from .parsing import FaqEntry

__all__ = ["TfidfRetriever", "SearchResult", "Match", "normalize_text"]


def normalize_text(text: str) -> str:
    """Case-fold and fold accents so ``Café`` (NFC or NFD) and ``cafe`` compare equal.

    NFKC also folds full-width forms (``？`` -> ``?``) and ligatures.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass
class Match:
    """One ranked FAQ entry for a query.

    ``score`` is the cosine similarity in [0, 1]; ``confidence`` in [0, 1] is 0.5 exactly at the
    retriever's threshold and rises with the score (see :meth:`TfidfRetriever.confidence`);
    ``rank`` is 1-based; ``terms`` are the query terms that contributed most (why it matched).
    """

    entry: FaqEntry
    score: float
    confidence: float
    rank: int
    terms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The CLI's match object: ``{"id", "question", "score", "confidence", "source"}`` (+ line, url, terms)."""
        return {
            "id": self.entry.id,
            "question": self.entry.question,
            "score": round(float(self.score), 4),
            "confidence": round(float(self.confidence), 4),
            "source": self.entry.source,
            "line": self.entry.line,
            "url": self.entry.url,
            "terms": self.terms,
        }


@dataclass
class SearchResult:
    """Ranked matches for one query.

    ``matches`` are best first (length ``min(top_k, len(kb))``); ``abstained`` is True when no
    entry clears the threshold, in which case the matches are only the closest candidates.
    """

    query: str
    matches: list[Match]
    abstained: bool
    threshold: float

    @property
    def answered(self) -> bool:
        return not self.abstained

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    def to_dict(self) -> dict[str, Any]:
        """``{"query", "answered", "matches": [...]}``, the ``ask --json`` contract."""
        return {"query": self.query, "answered": self.answered, "matches": [m.to_dict() for m in self.matches]}

    def to_frame(self) -> pd.DataFrame:
        """One row per match: rank, id, question, score, confidence, source, line, url."""
        cols = ["rank", "id", "question", "score", "confidence", "source", "line", "url"]
        return pd.DataFrame(
            [{"rank": m.rank, **{k: v for k, v in m.to_dict().items() if k in cols}} for m in self.matches],
            columns=cols,
        )


class TfidfRetriever:
    """Rank FAQ entries by TF-IDF cosine similarity to a query.

    Parameters
    ----------
    threshold : float, default 0.2
        Minimum cosine score (in [0, 1]) of the best match to answer; below it the result abstains.
    question_weight : int, default 3
        How many times the question (and alternate questions) are repeated in an entry's document,
        so question words outweigh answer words.

    Attributes (after :meth:`fit`)
    ------------------------------
    entries_ : list of FaqEntry
    vectorizer_ : TfidfVectorizer
    matrix_ : sparse matrix, shape (n_entries, n_features), rows L2-normalised
    vocabulary_ : dict of term -> column
    """

    def __init__(self, threshold: float = 0.2, question_weight: int = 3):
        self.threshold = threshold
        self.question_weight = question_weight

    def _document(self, entry: FaqEntry) -> str:
        q = " ".join([entry.question, *entry.alternate_questions])
        meta = " ".join([entry.title, entry.section, " ".join(entry.keywords)])
        return " ".join([(q + " ") * self.question_weight, meta, entry.answer_text])

    def fit(self, kb: KnowledgeBase) -> "TfidfRetriever":
        """Learn the vocabulary and entry vectors from ``kb``. Returns ``self``.

        Raises ``ValueError`` if the knowledge base has no entries.
        """
        self.entries_ = list(kb)
        if not self.entries_:
            raise ValueError("cannot fit a retriever on an empty knowledge base (no FAQ entries were found)")
        self.vectorizer_ = TfidfVectorizer(
            preprocessor=normalize_text, ngram_range=(1, 2), sublinear_tf=True, stop_words="english",
            token_pattern=r"(?u)\b\w\w+\b",
        )
        try:
            self.matrix_ = self.vectorizer_.fit_transform([self._document(e) for e in self.entries_])
        except ValueError:  # every document made only of stop words
            self.vectorizer_ = TfidfVectorizer(preprocessor=normalize_text, token_pattern=r"(?u)\b\w+\b")
            self.matrix_ = self.vectorizer_.fit_transform([self._document(e) for e in self.entries_])
        self.vocabulary_ = self.vectorizer_.vocabulary_
        self._terms = np.array(self.vectorizer_.get_feature_names_out())
        return self

    def confidence(self, score: float) -> float:
        """Map a cosine score to [0, 1]: 0.5 at ``threshold``, 0 at score 0, approaching 1 as score -> 1."""
        if score <= 0:
            return 0.0
        t = min(max(self.threshold, 1e-6), 1 - 1e-6)
        # Power curve through (0, 0), (t, 0.5), (1, 1).
        return float(score ** (math.log(0.5) / math.log(t)))

    def search(self, query: str, top_k: int = 3) -> SearchResult:
        """Rank entries for ``query``.

        Parameters
        ----------
        query : str
            A question or a whole ticket. Must contain a non-space character.
        top_k : int, default 3
            How many matches to return (at most the number of entries).

        Raises
        ------
        ValueError
            If ``query`` is empty or whitespace only, or ``top_k < 1``.
        """
        if not hasattr(self, "entries_"):
            raise RuntimeError("call fit(kb) before search()")
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query is empty: type a question or paste a ticket")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        qv = self.vectorizer_.transform([query])
        scores = (self.matrix_ @ qv.T).toarray().ravel()
        k = min(top_k, len(self.entries_))
        order = np.argsort(-scores, kind="stable")[:k]
        matches = []
        for rank, i in enumerate(order, 1):
            contrib = self.matrix_[i].multiply(qv)
            cols = contrib.indices[np.argsort(-contrib.data)][:5]
            matches.append(Match(self.entries_[i], float(scores[i]), self.confidence(float(scores[i])), rank,
                                 [str(t) for t in self._terms[cols]]))
        abstained = not matches or matches[0].score < self.threshold
        return SearchResult(query, matches, abstained, self.threshold)
