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
   section); and the terms of the entry's whole page (term frequency only). A quoted identifier
   (``OLLAMA_MODELS``, ``--no-heading``) is a term too, weighted double in a query. Each block is
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
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np  # scipy, scikit-learn and pandas are imported where used: a saved index answers without them

from . import retriever_state
from .analysis import Analyzer, is_content, normalize_text
from .features import BLOCKS, KINDS, Block, QueryEncoder, fit_block, joined_page_features, read_texts
from .entries import FaqEntry
from .files import parse_error_problem, shown_path
from .problems import InputFileError, KnowledgeBaseError, Problem
from .results import Match, SearchResult
from .synonyms import SYNONYMS_FILE, load_synonyms
from .vectors import EntryVectors, block_csc, top_columns

if TYPE_CHECKING:
    import pandas as pd

    from .knowledge_base import KnowledgeBase

__all__ = ["TfidfRetriever", "MAX_QUERY_CHARS", "MAX_PAGE_TERMS"]

#: Characters of a query that are read: longer input is cut.
MAX_QUERY_CHARS = 4_000

#: Synonym groups for :class:`TfidfRetriever`: ``"auto"``, ``None``, a file path or ``{concept: [phrases]}``.
SynonymSource = Union[str, Path, Mapping[str, Sequence[str]], None]


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
    blocks_ : dict of block name -> Block
        Each block's vocabulary, IDF, columns and weight (:class:`assistant.features.Block`).
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
        retriever_state.check_fit_args(self, kb)
        self.entries_ = list(kb)
        if not self.entries_:
            raise KnowledgeBaseError("cannot fit a retriever on an empty knowledge base (no FAQ entries were found)")
        weights = np.array([self.question_weight, self.char_weight, self.answer_weight, self.page_weight],
                           dtype=float)
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("question_weight, char_weight, answer_weight and page_weight must be >= 0 "
                             "and not all 0")
        weights = weights / weights.sum()
        self.problems_: list[Problem] = []
        self.synonyms_ = self._read_synonyms(kb)
        self._analyzer = Analyzer(self.synonyms_)
        self.phrasings_ = self._phrasings(kb, alternates)
        contexts = [self._context(e) for e in self.entries_]
        rows = np.array([i for i, _ in self.phrasings_], dtype=np.intp)
        by_entry: list[list[str]] = [[] for _ in self.entries_]
        for i, text in self.phrasings_:
            by_entry[i].append(text)
        entry_questions = ["\n".join(texts) for texts in by_entry]
        row_texts = [text for _, text in self.phrasings_]
        pages: dict[str, list[str]] = {}
        for e, qs, ctx in zip(self.entries_, entry_questions, contexts):
            pages.setdefault(e.source, []).extend([qs, ctx])
        page_text = {src: "\n".join(texts) for src, texts in pages.items()}
        # Each distinct text read once: numbered, the rows' and answers' first (their words are learnt in that order).
        number = dict.fromkeys(chain(row_texts, contexts, entry_questions, page_text.values()))
        number = dict(zip(number, range(len(number))))
        row_no, context_no, question_no = ([number[t] for t in ts] for ts in (row_texts, contexts, entry_questions))
        page_no = {src: number[text] for src, text in page_text.items()}
        fit_docs = {"question": question_no, "question_chars": question_no, "answer": context_no,
                    "page": list(page_no.values())}
        row_docs = {"question": row_no, "question_chars": row_no, "answer": [context_no[i] for i, _ in self.phrasings_],
                    "page": [page_no[self.entries_[i].source] for i, _ in self.phrasings_]}
        used = [(name, kind, float(w)) for (name, kind), w in zip(BLOCKS, weights) if w > 0]
        kinds = np.zeros(len(number), dtype=np.int64)
        for name, kind, _ in used:
            kinds[fit_docs[name] + row_docs[name]] |= KINDS[kind]
        # A page's text (its entries' questions and contexts joined) is not read again without synonyms.
        parts = {page_no[src]: [number[t] for t in texts] for src, texts in pages.items()}
        join = (any(kind == "page" for _, kind, _ in used) and not self.synonyms_
                and all(kinds[p] & KINDS["words"] for ps in parts.values() for p in ps))
        if join:
            kinds[list(parts)] &= ~KINDS["page"]
        counted = np.bincount(row_no + context_no, minlength=len(number)).tolist()  # texts whose words are learnt
        features, words = read_texts(list(number), kinds.tolist(), counted, self._analyzer, MAX_PAGE_TERMS)
        if join:
            features["page"] = joined_page_features(features["words"], [*parts], [*parts.values()], MAX_PAGE_TERMS)
        del number, parts
        self._analyzer.learn(c.elements() for c in words)
        self.blocks_: dict[str, Block] = {}
        blocks, page, page_csc, offset = [], np.zeros(len(rows), np.int64), None, 0
        for k, (name, kind, w) in enumerate(used):
            fitted = fit_block(name, kind, features[kind], np.array(fit_docs[name]), np.array(row_docs[name]),
                               analyzer=self._analyzer, bigram_weight=self.bigram_weight, n_entries=len(self.entries_),
                               offset=offset, weight=w, page_terms=MAX_PAGE_TERMS)
            if all(kind != later for _, later, _ in used[k + 1:]):
                del features[kind]  # no later block reads these texts' features
            if fitted is None:  # no features at all in this block (e.g. every answer empty)
                continue
            block, pos, (start, col, val) = fitted
            if kind == "page":  # kept once per page (assistant.vectors)
                page, page_csc = pos, block_csc(np.arange(len(start) - 1), start, col, val, len(block.vocabulary_), w)
            else:
                blocks.append(block_csc(pos, start, col, val, len(block.vocabulary_), w))
            del fitted, start, col, val
            self.blocks_[name] = block
            offset += len(block.vocabulary_)
        page_offset = self.blocks_["page"].offset if "page" in self.blocks_ else offset
        self._set_vectors(rows, EntryVectors.build(len(rows), blocks, page, page_csc, page_offset, offset))
        return self

    def _set_vectors(self, rows: np.ndarray, vectors: EntryVectors) -> None:
        self.__dict__.pop("matrix_", None)
        self.__dict__.pop("vocabulary_", None)
        self._vectors = vectors
        self._rows = rows
        self._starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, np.intp)
        self._encoder = QueryEncoder(self._analyzer, self.blocks_)

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

        Blocks: ``question``, ``answer`` (terms, identifiers ``"<name>"``, word pairs ``"a b"``), ``question_chars``
        (character n-grams), ``page`` (terms, identifiers). ``label`` is the query word(s) as written, with
        a spelling correction as ``word (corrected)`` and a synonym group as ``words -> concept``.
        """
        self._check_fitted()
        toks, labels, units = self._labelled_units(query)
        words = Analyzer.word_features(units)
        return {"question": words, "question_chars": Analyzer.char_features(toks, labels), "answer": words,
                "page": units}

    def _labelled_units(self, query: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        """The query's (spelling-corrected) tokens, their labels, and its ``(term, label)`` units with identifiers."""
        text = self.query_text(query)
        toks, labels = self._analyzer.read(text, correct=True)
        return toks, labels, self._analyzer.units(toks, labels) + Analyzer.identifier_units(text)

    def doc_features(self, block: str, text: str) -> list[str]:
        """Features of a knowledge-base ``text`` in ``block`` (as the entry vectors were built)."""
        return self.blocks_[block].build_analyzer()(text)

    def confidence(self, score: float) -> float:
        """How sure the retriever is that a match answers the query, on a [0, 1] scale.

        A monotone rescaling of the score (power curve through (0, 0), (threshold, 0.5), (1, 1)):
        0.5 means the score is exactly at the answering threshold, above 0.5 the retriever would
        answer with it, and it rises towards 1 as the query and the phrasing coincide. It ranks
        matches exactly like the score; it is not a calibrated probability. Raises ``ValueError``
        if ``score`` is not a number (NaN included) or ``threshold`` is not in [0, 1].
        """
        retriever_state.check_score(score, self.threshold)
        return float(confidence_curve(np.array([score], dtype=float), self.threshold)[0])

    def scores(self, query: str) -> np.ndarray:
        """Score of every entry for ``query``, shape ``(len(entries_),)``, in knowledge-base order."""
        return self._scores(query)[0]

    def _scores(self, query: str):
        """``(entry scores, phrasing-row scores, (columns, values, norm))`` of one query (see :mod:`assistant.features`)."""
        self._check_fitted()
        _, cols, vals, qnorm = self._encoder.encode([self.query_text(query)])
        if not len(cols):
            return np.zeros(len(self.entries_)), np.zeros(len(self._rows)), (cols, vals, 1.0)
        row_scores = np.clip(self._vectors.scores(cols, vals) / qnorm[0], 0.0, 1.0)
        entries = row_scores if len(self._starts) == len(row_scores) else np.maximum.reduceat(row_scores, self._starts)
        return entries, row_scores, (cols, vals, float(qnorm[0]))

    def top_scores(self, queries: Sequence[str], k: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best entries of each query, as :meth:`search` ranks them (ties in knowledge-base order).

        ``queries`` are questions or cleaned tickets (cut at :data:`MAX_QUERY_CHARS` like a search);
        an empty or blank one scores 0 everywhere. Returns ``(index, score)``, both of shape
        ``(len(queries), k)``: entry positions in ``entries_`` (int64, -1 past the number of
        entries) and their scores (float, NaN there). All queries are read and weighted in one
        pass and scored with one sparse product per slice, so thousands of tickets cost little
        more than their reading; the scores equal :meth:`scores`' (to rounding).
        """
        import scipy.sparse as sp

        self._check_fitted()
        n, n_entries, n_rows = len(queries), len(self.entries_), len(self._rows)
        index = np.full((n, k), -1, dtype=np.int64)
        score = np.full((n, k), np.nan)
        m = min(k, n_entries)
        q, cols, vals, qnorm = self._encoder.encode([self.query_text(t) for t in queries])
        matrix = sp.csr_matrix((vals, (q, cols)), shape=(n, self._encoder.n_columns))
        step = max(1, 4_000_000 // max(1, n_rows))  # bounds the (queries x rows) block in memory
        for lo in range(0, n, step):
            rows = self._vectors.batch_scores(matrix[lo:lo + step])
            norm = qnorm[lo:lo + step]
            rows = np.clip(rows / np.where(norm > 0, norm, 1.0)[:, None], 0.0, 1.0)
            entries = np.maximum.reduceat(rows, self._starts, axis=1) if n_rows else np.zeros((len(rows), n_entries))
            order = top_columns(entries, m)
            index[lo:lo + step, :m] = order
            score[lo:lo + step, :m] = np.take_along_axis(entries, order, axis=1)
        return index, score

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
        return self._result(query, *self._scores(query), top_k, self.threshold, self.min_margin)

    def _result(self, query: str, scores: np.ndarray, row_scores: np.ndarray, parts, top_k: int,
                threshold: float, min_margin: float) -> SearchResult:
        """The :class:`SearchResult` of entry ``scores`` (this retriever's, or fused ones: :mod:`assistant.semantic`),
        each match explained by the TF-IDF ``row_scores`` and query ``parts`` of :meth:`_scores`."""
        order = (ranked := top_columns(scores[None, :], max(top_k, 2))[0])[:top_k]  # ranked: the runner-up too
        rows = [self._best_row(i, row_scores) for i in order]
        explained: list[list[dict[str, float]]] = []

        def explain(j: int) -> dict[str, float]:  # all matches at once, the first time one is read
            if not explained:
                explained.append(self._explain(rows, parts, query))
            return explained[0][j]

        best_scores = scores[order]
        confidences = confidence_curve(best_scores, threshold).tolist()
        matches = [Match(self.entries_[i], s, c, j + 1,
                         phrasing=self.phrasings_[r][1], explain=partial(explain, j))
                   for j, (i, r, s, c) in enumerate(zip(order, rows, best_scores.tolist(), confidences))]
        best = float(scores[order[0]])
        margin = best - (float(scores[ranked[1]]) if len(ranked) > 1 else 0.0)
        abstained = best <= 0 or best < threshold or margin < min_margin
        return SearchResult(query, matches, abstained, threshold, margin)

    def _best_row(self, entry: int, row_scores: np.ndarray) -> int:
        if len(self._starts) == len(self._rows):  # one phrasing per entry
            return int(entry)
        start = self._starts[entry]
        end = self._starts[entry + 1] if entry + 1 < len(self._starts) else len(self._rows)
        return int(start + np.argmax(row_scores[start:end]))

    def _explain(self, rows: list[int], parts, query: str) -> list[dict[str, float]]:
        """Each phrasing row's score split by the query word(s) each share came from, largest first.

        ``parts`` are the query's ``(columns, values, norm)`` (:meth:`_scores`); the shares of a row sum to its score.
        """
        cols, vals, qnorm = parts
        if not len(cols) or not rows:
            return [{} for _ in rows]
        shares = self._vectors.values(rows, cols) * (vals / qnorm)
        used = np.flatnonzero((shares > 0).any(axis=0))
        names, label_of = np.unique(self._labels(query, cols[used]), return_inverse=True)
        out = []
        for row_shares in shares[:, used]:
            sums = np.bincount(label_of, weights=np.where(row_shares > 0, row_shares, 0.0), minlength=len(names))
            nz = np.flatnonzero(sums > 0)
            out.append(dict(sorted(zip(names[nz].tolist(), sums[nz].tolist()), key=lambda kv: (-kv[1], kv[0]))))
        return out

    def _labels(self, query: str, cols: np.ndarray) -> list[str]:
        """The query word(s) each of ``cols`` (columns the query has) came from: a term or word pair is
        labelled by its first occurrence (:meth:`query_features`), a character n-gram by the first
        content word that contains it (an n-gram of a padded word is a substring of it)."""
        toks, labels, units = self._labelled_units(query)
        words: dict[str, str] = {}
        for t, lab in Analyzer.word_features(units):
            words.setdefault(t, lab)
        page: dict[str, str] = {}
        for t, lab in units:
            page.setdefault(t, lab)
        chars: dict[str, str] = {}  # padded word -> label, words in query order
        for tok, lab in zip(toks, labels):
            if is_content(tok):
                chars.setdefault(f" {tok} ", lab)
        by_block = {"question": words, "answer": words, "page": page, "question_chars": chars}
        blocks = sorted(self.blocks_.values(), key=lambda b: b.offset)
        which = np.searchsorted([b.offset for b in blocks], cols, side="right") - 1
        out = []
        for col, k in zip(cols.tolist(), which.tolist()):
            block = blocks[k]
            term, known = block.terms()[col - block.offset], by_block[block.name]
            if block.kind == "chars":
                out.append(next((lab for padded, lab in known.items() if term in padded), term))
            else:
                out.append(known.get(term, term))
        return out

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
        _, row_scores, parts = self._scores(query)
        shares = self._explain([self._best_row(idx, row_scores)], parts, query)[0]
        return pd.DataFrame({"term": list(shares), "contribution": list(shares.values())},
                            columns=["term", "contribution"])


def confidence_curve(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Confidence of each score (same shape): the power curve through (0, 0), (``threshold``, 0.5), (1, 1);
    0 for a score <= 0. See :meth:`TfidfRetriever.confidence`."""
    t = min(max(threshold, 1e-6), 1 - 1e-6)
    clipped = np.clip(scores, 0.0, 1.0)
    return np.where(clipped > 0, clipped ** (math.log(0.5) / math.log(t)), 0.0)


def _synonyms_problem(exc: InputFileError | OSError, shown: str) -> Problem:
    """The ``synonyms-invalid`` problem for a synonym file the retriever cannot use (it searches without)."""
    if isinstance(exc, OSError):
        problem = parse_error_problem(exc, shown, "synonyms-invalid", "synonym file")
    else:
        problem = Problem(exc.file or shown, exc.line, "error", "synonyms-invalid", exc.message)
    return replace(problem, message=f"{problem.message}; searching without synonyms")
