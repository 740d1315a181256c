"""TF-IDF retrieval of FAQ entries for a query: :class:`TfidfRetriever` (fit, search, explain).

How a query is scored:

1. The query is capped at :data:`MAX_QUERY_CHARS` characters, so any input is answered in bounded
   time. The retriever reads the text it is given: a pasted ticket is cleaned by the caller first
   (:func:`assistant.tickets.clean_ticket`: quoted mail, greeting and signature dropped), once.
2. Text becomes terms (:mod:`assistant.analysis`): normalised (NFKC, case-folded, accents
   folded), split into words of any script, spelling-corrected against the knowledge base's own
   words (queries only, one edit, words of 5+ letters), lightly stemmed, and read through the
   knowledge base's synonym groups (``synonyms.yaml``, see :func:`assistant.synonyms.load_synonyms`):
   every phrase of a group becomes the group's one concept term, so ``single sign-on``, ``SAML``
   and ``SSO`` match. Stop words and one-letter words are dropped.
3. Four TF-IDF blocks describe each phrasing (the question, or one alternate question) of an
   entry: terms + word pairs of the phrasing; character 3-5-grams of its words (typos); terms +
   word pairs of the entry's answer and page metadata (title, description, keywords, tags,
   section); and the terms of the entry's whole page (term frequency only). Each block is
   L2-normalised and weighted, and the blocks are stacked into one vector, so the **score** is
   one cosine similarity in [0, 1]. Query terms the knowledge base never uses still count in
   the query's norm (with the largest IDF), so a question about something else scores low
   instead of matching on its one known word.
4. An entry's score is the best score over its phrasings. The retriever answers when the best
   score reaches ``threshold`` and beats the runner-up by at least ``min_margin``; otherwise it
   abstains and the matches are only the closest candidates (:class:`assistant.results.SearchResult`).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np  # scipy, scikit-learn and pandas are imported where used: a saved index answers without them

from . import retriever_state
from .analysis import Analyzer, normalize_text
from .entries import FaqEntry
from .files import parse_error_problem, shown_path
from .problems import InputFileError, KnowledgeBaseError, Problem
from .results import Match, SearchResult
from .synonyms import SYNONYMS_FILE, load_synonyms

if TYPE_CHECKING:
    import pandas as pd

    from .knowledge_base import KnowledgeBase

__all__ = ["TfidfRetriever", "MAX_QUERY_CHARS", "MAX_PAGE_TERMS"]

#: Characters of a query that are read: longer input is cut.
MAX_QUERY_CHARS = 4_000

#: Synonym groups for :class:`TfidfRetriever`: ``"auto"``, ``None``, a file path or ``{concept: [phrases]}``.
SynonymSource = Union[str, Path, Mapping[str, Sequence[str]], None]

#: Blocks of the stacked vector, in order: name and kind of features.
_BLOCKS = (("question", "words"), ("question_chars", "chars"), ("answer", "words"), ("page", "page"))

#: Terms of a page kept in the ``page`` block (its most frequent ones); bounds memory for huge pages.
MAX_PAGE_TERMS = 500


class TfidfRetriever:
    """Rank FAQ entries by TF-IDF cosine similarity to a query (see the module docstring).

    Parameters
    ----------
    threshold : float, default 0.19
        Minimum score (cosine, in [0, 1]) of the best match to answer; below it the result
        abstains. The default separates answerable from out-of-scope questions on the bundled
        knowledge base (``faq-assistant eval``); a different knowledge base may need its own.
    min_margin : float, default 0.0
        Minimum difference between the best and the second-best entry's score to answer. Off by
        default: FAQs often hold near-duplicate entries that are both right, and on the bundled
        knowledge base any margin rule abstained on more answerable questions than out-of-scope ones.
    question_weight, char_weight, answer_weight, page_weight : float, default 0.4, 0.05, 0.25, 0.3
        Weights of the blocks: the phrasing's words (and word pairs), the phrasing's character
        3-5-grams, the answer and page metadata words, and all the words of the entry's page
        (term frequency, no IDF: how much the query is about what the page is about; it lifts
        every entry of a page alike, so it mostly separates answerable from out-of-scope queries).
        Rescaled to sum to 1; the score is the cosine of the stacked vectors.
    bigram_weight : float, default 0.5
        Weight of a word pair relative to a single word (in the ``question`` and ``answer`` blocks).
    synonyms : "auto", None, path or mapping, default "auto"
        Synonym groups: ``"auto"`` reads ``synonyms.yaml`` at the knowledge base's root when it
        exists (else none); a path reads that file (see :func:`assistant.synonyms.load_synonyms`);
        a mapping ``{concept: [phrases]}`` is used as is; ``None`` uses no synonyms.

    Attributes (after :meth:`fit`)
    ------------------------------
    entries_ : list of FaqEntry
    phrasings_ : list of (entry index, text)
        Every question and alternate question, one row of ``matrix_`` each.
    vectorizers_ : dict of block name -> TfidfVectorizer
    matrix_ : sparse matrix, shape (n_phrasings, n_features)
        The stacked, weighted block vectors; every row has unit L2 norm.
    vocabulary_ : dict of str -> int
        ``"block:term"`` -> column of ``matrix_``.
    synonyms_ : dict of concept -> list of phrases
    problems_ : list of Problem
        What went wrong reading the synonyms or the ``alternates`` given to :meth:`fit`
        (an unknown entry id); the retriever still works without them.
    """

    def __init__(self, threshold: float = 0.19, min_margin: float = 0.0, question_weight: float = 0.4,
                 char_weight: float = 0.05, answer_weight: float = 0.25, page_weight: float = 0.3,
                 bigram_weight: float = 0.5, synonyms: SynonymSource = "auto"):
        self.threshold = threshold
        self.min_margin = min_margin
        self.question_weight = question_weight
        self.char_weight = char_weight
        self.answer_weight = answer_weight
        self.page_weight = page_weight
        self.bigram_weight = bigram_weight
        self.synonyms = synonyms

    # -- fitting --

    def _read_synonyms(self, kb: KnowledgeBase) -> dict[str, list[str]]:
        source = self.synonyms
        if source is None:
            return {}
        if isinstance(source, Mapping):
            return {str(k): [str(v) for v in ([vs] if isinstance(vs, str) else vs)] for k, vs in source.items()}
        if isinstance(source, str) and source == "auto":
            if kb.root is None or not (Path(kb.root) / SYNONYMS_FILE).is_file():
                return {}
            path = Path(kb.root) / SYNONYMS_FILE
            try:
                return load_synonyms(path)
            except (InputFileError, OSError) as exc:  # a broken synonym file never stops answering
                self.problems_.append(_synonyms_problem(exc, shown_path(path)))
                warnings.warn(str(self.problems_[-1]), stacklevel=3)
                return {}
        return load_synonyms(source)

    def _phrasings(self, kb: KnowledgeBase, alternates: Mapping[str, Sequence[str]] | None) -> list[tuple[int, str]]:
        extra: dict[str, list[str]] = {}
        for entry_id, texts in (alternates or {}).items():
            if entry_id not in kb:
                self.problems_.append(Problem("<alternates>", None, "warning", "alternate-unknown-entry",
                                              f"alternate questions given for {entry_id!r}, "
                                              f"which is not in the knowledge base; ignored"))
                continue
            # Read like a query (capped); a ticket-shaped alternate is cleaned by the caller.
            extra[entry_id] = [self.query_text(t) for t in retriever_state.check_alternates(entry_id, texts)]
        rows: list[tuple[int, str]] = []
        for i, e in enumerate(self.entries_):
            rows.append((i, e.question))  # every entry has a row, even a question of only punctuation
            seen = {normalize_text(" ".join(e.question.split()))}
            for text in [*e.alternate_questions, *extra.get(e.id, [])]:
                key = normalize_text(" ".join(text.split()))
                if key and key not in seen:
                    seen.add(key)
                    rows.append((i, text))
        return rows

    @staticmethod
    def _context(entry: FaqEntry) -> str:
        fm = entry.front_matter
        meta = [entry.title, str(fm.get("description") or ""), " ".join(entry.keywords), " ".join(entry.tags),
                entry.section]
        return "\n".join([entry.answer_text, *meta])

    def _page_terms(self, text: str) -> list[str]:
        """A page's terms, limited to its :data:`MAX_PAGE_TERMS` most frequent ones.

        Every phrasing row carries its page's vector, so without a cap a page with thousands of
        questions costs rows x page vocabulary in memory.
        """
        terms = self._analyzer.unigrams(text)
        counts = Counter(terms)
        if len(counts) <= MAX_PAGE_TERMS:
            return terms
        keep = {t for t, _ in counts.most_common(MAX_PAGE_TERMS)}
        return [t for t in terms if t in keep]

    def fit(self, kb: KnowledgeBase, alternates: Mapping[str, Sequence[str]] | None = None) -> "TfidfRetriever":
        """Learn the vocabulary and the vectors of every entry of ``kb``. Returns ``self``.

        Parameters
        ----------
        kb : KnowledgeBase
        alternates : mapping of entry id -> list of str, optional
            Extra alternate questions (e.g. accepted feedback: queries staff confirmed an entry
            answers), used like the entries' own ``alternate_questions`` and read like a query
            (capped at :data:`MAX_QUERY_CHARS`; a ticket should be cleaned by the caller first).
            Ids not in ``kb`` are ignored and listed in ``problems_``.

        Raises
        ------
        KnowledgeBaseError
            (a ``ValueError``) If the knowledge base has no entries.
        InputFileError
            (a ``ValueError``) If an explicit ``synonyms`` file is invalid.
        OSError
            If an explicit ``synonyms`` file cannot be read.
        TypeError, ValueError
            ``kb`` not a KnowledgeBase, an ``alternates`` value not a list of str; ``threshold`` or ``min_margin`` not in [0, 1].
        """
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        retriever_state.check_fit_args(self, kb)
        self.entries_ = list(kb)
        if not self.entries_:
            raise KnowledgeBaseError("cannot fit a retriever on an empty knowledge base (no FAQ entries were found)")
        self.problems_: list[Problem] = []
        self.synonyms_ = self._read_synonyms(kb)
        self._analyzer = Analyzer(self.synonyms_)
        self.phrasings_ = self._phrasings(kb, alternates)
        self._analyzer.learn([text for _, text in self.phrasings_] + [self._context(e) for e in self.entries_])
        rows = np.array([i for i, _ in self.phrasings_])
        by_entry = [[] for _ in self.entries_]
        for i, text in self.phrasings_:
            by_entry[i].append(text)
        entry_questions = ["\n".join(texts) for texts in by_entry]
        row_texts = [text for _, text in self.phrasings_]
        contexts = [self._context(e) for e in self.entries_]

        pages: dict[str, list[str]] = {}
        for e, qs, ctx in zip(self.entries_, entry_questions, contexts):
            pages.setdefault(e.source, []).extend([qs, ctx])
        page_text = {src: "\n".join(texts) for src, texts in pages.items()}
        fit_docs = {"question": entry_questions, "question_chars": entry_questions, "answer": contexts,
                    "page": list(page_text.values())}
        row_docs = {"question": row_texts, "question_chars": row_texts, "answer": [contexts[i] for i in rows],
                    "page": [page_text[self.entries_[i].source] for i in rows]}
        weights = np.array([self.question_weight, self.char_weight, self.answer_weight, self.page_weight],
                           dtype=float)
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("question_weight, char_weight, answer_weight and page_weight must be >= 0 "
                             "and not all 0")
        weights = weights / weights.sum()
        self.vectorizers_: dict[str, TfidfVectorizer] = {}
        self._idf: dict[str, dict[str, float]] = {}
        self._offset: dict[str, int] = {}
        self._weight: dict[str, float] = {}
        self._oov: dict[str, float] = {}
        blocks, self.vocabulary_, offset = [], {}, 0
        for (name, kind), w in zip(_BLOCKS, weights):
            if w == 0:
                continue
            analyzer = {"words": self._analyzer.terms, "chars": self._analyzer.char_terms,
                        "page": self._page_terms}[kind]
            vec = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, norm=None, lowercase=False,
                                  use_idf=kind != "page")
            try:
                vec.fit(fit_docs[name])
            except ValueError:  # no terms at all in this block (e.g. every answer empty)
                continue
            vocab = vec.vocabulary_
            base_idf = vec.idf_ if kind != "page" else np.ones(len(vocab))
            idf = base_idf.copy()
            if kind == "words":  # word pairs count bigram_weight times a word
                for t, j in vocab.items():
                    if " " in t:
                        idf[j] *= self.bigram_weight
            # Analyse each distinct text once: every row of a page shares the page's text.
            index: dict[str, int] = {}
            pos = [index.setdefault(doc, len(index)) for doc in row_docs[name]]
            x = vec.transform(list(index))[pos] @ sp.diags(idf / base_idf)
            blocks.append(normalize(x) * math.sqrt(w))
            self.vectorizers_[name] = vec
            self._idf[name] = {t: float(idf[j]) for t, j in vocab.items()}
            # A term no entry uses gets the IDF of df=0 under smooth_idf: ln(1 + n) + 1.
            self._oov[name] = math.log(1 + len(self.entries_)) + 1 if kind != "page" else 1.0
            self._offset[name] = offset
            self._weight[name] = float(w)
            self.vocabulary_.update({f"{name}:{t}": offset + j for t, j in vocab.items()})
            offset += len(vocab)
        if not blocks:
            matrix = sp.csr_matrix((len(rows), 0))
        else:
            matrix = sp.hstack(blocks).tocsr()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.matrix_ = sp.csr_matrix(sp.diags(1 / norms) @ matrix)
        # Dense copy for fast column gathers when it is small (the bundled KB: ~100 KB).
        self._dense = self.matrix_.toarray() if matrix.shape[0] * matrix.shape[1] <= 4_000_000 else None
        csc = self.matrix_.tocsc()  # CSR -> CSC keeps each column's rows sorted (csc_values needs it)
        self._csc = (csc.indptr, csc.indices, csc.data)  # plain arrays: searching needs only numpy
        self._rows = rows
        self._starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        return self

    # -- saving and loading (assistant.index; the code is in assistant.retriever_state) --

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """The fitted retriever as ``(params: JSON-able dict, arrays: {name: 1-D numpy array})``, no pickle.

        Every fitted attribute is in it (a new one goes in :mod:`assistant.retriever_state`: the layout).
        """
        return retriever_state.to_state(self)

    @classmethod
    def from_state(cls, params: Mapping, arrays: Mapping[str, np.ndarray], kb: KnowledgeBase) -> "TfidfRetriever":
        """The retriever :meth:`to_state` saved, on the knowledge base it was fitted on: same matches, same scores.
        Raises ``ValueError`` if ``kb``'s entry ids differ or the state is incomplete or inconsistent."""
        return retriever_state.from_state(cls, params, arrays, kb)

    __getattr__ = retriever_state.lazy_attribute  # matrix_, vocabulary_ of a retriever read back: built on first use

    # -- querying --

    @staticmethod
    def query_text(query: str) -> str:
        """The part of ``query`` that is scored: its first :data:`MAX_QUERY_CHARS` characters."""
        return query[:MAX_QUERY_CHARS]

    def query_features(self, query: str) -> dict[str, list[tuple[str, str]]]:
        """The query's features per block, ``{block: [(term, label), ...]}``, in query order.

        Blocks: ``question`` and ``answer`` (terms and word pairs ``"a b"``), ``question_chars``
        (character n-grams), ``page`` (terms). ``label`` is the query word(s) as written, with a
        spelling correction as ``word (corrected)`` and a synonym group as ``words -> concept``.
        """
        self._check_fitted()
        toks, labels = self._analyzer.read(self.query_text(query), correct=True)
        units = self._analyzer.units(toks, labels)
        words = Analyzer.word_features(units)
        return {"question": words, "question_chars": Analyzer.char_features(toks, labels), "answer": words,
                "page": units}

    def doc_features(self, block: str, text: str) -> list[str]:
        """Features of a knowledge-base ``text`` in ``block`` (as the entry vectors were built)."""
        return self.vectorizers_[block].build_analyzer()(text)

    def query_vector(self, query: str) -> tuple[np.ndarray, np.ndarray, list[str], float]:
        """The query's weighted TF-IDF vector in the columns of ``matrix_``.

        Returns ``(columns, values, labels, norm)``: the query's known terms as column indices
        and weights, the query words each came from, and the norm to divide by. Each block is
        ``(1 + ln tf) * idf`` per term, L2-normalised over the known terms *and* the unknown
        single terms (IDF ``ln(1 + n_entries) + 1``, as for a term no entry uses; 1 in the
        ``page`` block, which has no IDF), times ``sqrt(block weight)``; unknown word pairs are
        left out. So the score is a true cosine in a space with a dimension per unknown term.
        """
        feats = self.query_features(query)
        cols: list[int] = []
        vals: list[float] = []
        labels = []
        total = 0.0
        for name, kind in _BLOCKS:
            if name not in self.vectorizers_ or not feats[name]:
                continue
            counts = Counter(t for t, _ in feats[name])
            label_of: dict[str, str] = {}
            for t, lab in feats[name]:
                label_of.setdefault(t, lab)
            idf = self._idf[name]
            weights, norm2 = {}, 0.0
            for t, c in counts.items():
                known = t in idf
                if kind == "words" and " " in t:
                    # An unknown word pair is no evidence the query asks something else: not counted.
                    if not known:
                        continue
                w = (1 + math.log(c)) * (idf[t] if known else self._oov[name])
                norm2 += w * w
                if known:
                    weights[t] = w
            if norm2 == 0:
                continue
            scale = math.sqrt(self._weight[name] / norm2)
            base = self._offset[name]
            vocab = self.vectorizers_[name].vocabulary_
            for t, w in weights.items():
                cols.append(base + vocab[t])
                vals.append(w * scale)
                labels.append(label_of[t])
            total += self._weight[name]
        return np.array(cols, dtype=np.intp), np.array(vals), labels, math.sqrt(total)

    def confidence(self, score: float) -> float:
        """How sure the retriever is that a match answers the query, on a [0, 1] scale.

        A monotone rescaling of the score (power curve through (0, 0), (threshold, 0.5), (1, 1)):
        0.5 means the score is exactly at the answering threshold, above 0.5 the retriever would
        answer with it, and it rises towards 1 as the query and the phrasing coincide. It ranks
        matches exactly like the score; it is not a calibrated probability. Raises ``ValueError``
        if ``score`` is not a number (NaN included) or ``threshold`` is not in [0, 1].
        """
        retriever_state.check_score(score, self.threshold)
        if score <= 0:
            return 0.0
        t = min(max(self.threshold, 1e-6), 1 - 1e-6)
        return float(min(1.0, score) ** (math.log(0.5) / math.log(t)))

    def scores(self, query: str) -> np.ndarray:
        """Score of every entry for ``query``, shape ``(len(entries_),)``, in knowledge-base order."""
        return self._scores(query)[0]

    def _scores(self, query: str):
        self._check_fitted()
        cols, vals, labels, qnorm = self.query_vector(query)
        if not len(cols):
            return np.zeros(len(self.entries_)), np.zeros(len(self._rows)), (cols, vals, labels, qnorm)
        if self._dense is not None:
            row_scores = self._dense[:, cols] @ vals
        else:
            row_scores = retriever_state.csc_dot(self._csc, cols, vals, len(self._rows))
        row_scores = np.clip(row_scores / qnorm, 0.0, 1.0)
        return np.maximum.reduceat(row_scores, self._starts), row_scores, (cols, vals, labels, qnorm)

    def _check_fitted(self) -> None:
        if not hasattr(self, "entries_"):
            raise RuntimeError("call fit(kb) before search()")

    def search(self, query: str, top_k: int = 3) -> SearchResult:
        """Rank entries for ``query``.

        Parameters
        ----------
        query : str
            A question, or a ticket already cleaned with :func:`assistant.tickets.clean_ticket`
            (the retriever does not clean). Must contain a non-space character. Any text is
            answered in bounded time: a query past :data:`MAX_QUERY_CHARS` characters is cut;
            text made only of stop words or of another script just scores low.
        top_k : int, default 3
            How many matches to return (at most the number of entries).

        Returns
        -------
        SearchResult
            ``min(top_k, len(entries_))`` matches, best first, and whether the retriever abstained.

        Raises
        ------
        TypeError, ValueError
            ``query`` not a str, ``top_k`` not an int (None, "3", 2.5, NaN); ``query`` empty, ``top_k < 1``.
        RuntimeError
            If the retriever is not fitted.
        """
        self._check_fitted()
        retriever_state.check_search_args(query, top_k)
        scores, row_scores, (cols, vals, labels, qnorm) = self._scores(query)
        k = min(top_k, len(self.entries_))
        order = np.argsort(-scores, kind="stable")
        matches = []
        for rank, i in enumerate(order[:k], 1):
            start = self._starts[i]
            end = self._starts[i + 1] if i + 1 < len(self._starts) else len(self._rows)
            r = start + int(np.argmax(row_scores[start:end]))
            contributions = self._explain(r, cols, vals, labels, qnorm)
            score = float(scores[i])
            matches.append(Match(self.entries_[i], score, self.confidence(score), rank,
                                 _display_terms(contributions), contributions, self.phrasings_[r][1]))
        best = float(scores[order[0]])
        second = float(scores[order[1]]) if len(order) > 1 else 0.0
        margin = best - second
        abstained = best <= 0 or best < self.threshold or margin < self.min_margin
        return SearchResult(query, matches, abstained, self.threshold, margin)

    def _explain(self, row: int, cols, vals, labels, qnorm) -> dict[str, float]:
        if not len(cols):
            return {}
        if self._dense is not None:
            parts = self._dense[row, cols] * vals / qnorm
        else:
            parts = retriever_state.csc_values(self._csc, row, cols) * vals / qnorm
        out: dict[str, float] = {}
        for lab, p in zip(labels, parts):
            if p > 0:
                out[lab] = out.get(lab, 0.0) + float(p)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def explain(self, query: str, entry_id: str) -> pd.DataFrame:
        """Why ``entry_id`` scored what it did for ``query``: one row per contributing query word.

        Columns ``term`` (the query word as written, ``words -> concept`` when a synonym group
        matched, two words for a bigram), ``contribution`` (its share of the score; the column sums to the
        entry's score), sorted by contribution. Raises ``KeyError`` for an unknown entry id.
        """
        import pandas as pd

        self._check_fitted()
        idx = next((i for i, e in enumerate(self.entries_) if e.id == entry_id), None)
        if idx is None:
            raise KeyError(f"no FAQ entry with id {entry_id!r}")
        _, row_scores, (cols, vals, labels, qnorm) = self._scores(query)
        start = self._starts[idx]
        end = self._starts[idx + 1] if idx + 1 < len(self._starts) else len(self._rows)
        r = start + int(np.argmax(row_scores[start:end]))
        parts = self._explain(r, cols, vals, labels, qnorm)
        return pd.DataFrame({"term": list(parts), "contribution": list(parts.values())},
                            columns=["term", "contribution"])


def _synonyms_problem(exc: InputFileError | OSError, shown: str) -> Problem:
    """The ``synonyms-invalid`` problem for a synonym file the retriever cannot use (it searches without)."""
    if isinstance(exc, OSError):
        problem = parse_error_problem(exc, shown, "synonyms-invalid", "synonym file")
    else:
        problem = Problem(exc.file or shown, exc.line, "error", "synonyms-invalid", exc.message)
    return replace(problem, message=f"{problem.message}; searching without synonyms")


def _display_terms(contributions: Mapping[str, float], n: int = 5) -> list[str]:
    """The ``n`` labels that explain a match best, each word once.

    The same query word can contribute through several blocks (``"enforcing -> enforce"`` from
    the words, ``"enforcing"`` from its character n-grams); the label that says more is kept.
    """
    expanded = {label.split(" -> ")[0] for label in contributions if " -> " in label}
    out: list[str] = []
    for label in contributions:
        if " -> " not in label and label in expanded:
            continue
        if label not in out:
            out.append(label)
        if len(out) == n:
            break
    return out
