"""Texts -> TF-IDF block vectors, many texts at once: how the retriever builds and reads its vectors.

The retriever's vector has four blocks (:data:`BLOCKS`). A :class:`Block` holds one block's
vocabulary (feature -> column), its IDF and its place and weight in the stacked vector.
:func:`fit_block` learns a block from the knowledge base's texts and gives the block's rows;
:class:`QueryEncoder` turns any number of queries into the stacked, weighted query vectors.

Every feature of a text is counted once per occurrence and weighted ``(1 + ln count) * idf``
(scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``, smooth IDF ``ln((1 + n) / (1 + df)) + 1``;
the ``page`` block has no IDF). Texts are read by :meth:`assistant.analysis.Analyzer.read_units`
and the work per word is cached: a word's stem, spelling correction and character n-gram
columns are computed once, then each text is a few dictionary look-ups and numpy operations
(counting is ``np.unique`` over ``text * stride + feature id``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Callable

import numpy as np

from .analysis import Analyzer, is_identifier

__all__ = ["BLOCKS", "Block", "fit_block", "expand", "text_features", "QueryEncoder", "char_ngrams", "word_features",
           "IDENTIFIER_WEIGHT"]

#: Blocks of the stacked vector, in order: name and kind of features.
BLOCKS = (("question", "words"), ("question_chars", "chars"), ("answer", "words"), ("page", "page"))

_STRIDE = np.int64(1) << 40  # text index * _STRIDE + (feature id + _SHIFT): one sortable key
_SHIFT = np.int64(1) << 39
#: Weight of a query's identifier term (``OLLAMA_MODELS``, ``--no-heading``, ``compose.yml``: see
#: :func:`assistant.analysis.identifiers`) that the knowledge base uses, relative to a word: the
#: name a ticket quotes is the surest sign of the entry that gives it. An identifier no entry uses
#: counts in the query's norm like any unknown term.
IDENTIFIER_WEIGHT = 2.0
#: Query-side caches (unknown features, words read) are cleared past this size, between batches.
_MAX_CACHE = 500_000


def char_ngrams(token: str) -> list[str]:
    """Character 3-5-grams of a token padded with spaces (scikit-learn's ``char_wb``)."""
    padded = f" {token} "
    return [padded[k:k + size] for size in (3, 4, 5) if len(padded) >= size for k in range(len(padded) - size + 1)]


def word_features(units: list[str]) -> list[str]:
    """The unit terms, then each pair of neighbouring terms (``"a b"``); the identifier terms at
    the end of the units (:func:`assistant.analysis.identifiers`) form no pairs."""
    k = len(units)
    while k and is_identifier(units[k - 1]):
        k -= 1
    return units + [f"{a} {b}" for a, b in zip(units[:k], units[1:k])]


class Block:
    """One block of the stacked vector.

    ``vocabulary_`` maps a feature (a term, a word pair ``"a b"``, a character n-gram) to its
    column inside the block; ``idf_`` is the smooth IDF of each column (absent for ``page``);
    ``idf`` the weight actually used (a word pair's IDF times ``bigram_weight``; 1 for ``page``);
    ``offset`` the block's first column in the stacked matrix; ``weight`` its share of the score
    (the weights sum to 1); ``oov`` the IDF of a feature no entry uses (``ln(1 + n_entries) + 1``;
    1 for ``page``). ``build_analyzer()`` returns how a knowledge-base text becomes this block's features.
    """

    def __init__(self, name: str, kind: str, vocabulary: dict[str, int], idf: np.ndarray, base_idf: np.ndarray | None,
                 offset: int, weight: float, oov: float, analyzer: Callable[[str], list[str]]):
        self.name, self.kind = name, kind
        self.vocabulary_ = vocabulary
        self.idf = np.asarray(idf, dtype=float)
        if base_idf is not None:
            self.idf_ = np.asarray(base_idf, dtype=float)
        self.offset, self.weight, self.oov = int(offset), float(weight), float(oov)
        self._analyzer = analyzer
        self._terms: list[str] | None = None

    def terms(self) -> list[str]:
        """The block's features in column order."""
        if self._terms is None:
            self._terms = _terms_in_order(self.vocabulary_)
        return self._terms

    def build_analyzer(self) -> Callable[[str], list[str]]:
        return self._analyzer


def _tf(doc: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occurrences ``(doc, id)`` -> distinct ``(doc, id, 1 + ln count)``, sorted by doc then id."""
    if not len(ids):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    key = np.asarray(doc, dtype=np.int64) * _STRIDE
    key += np.asarray(ids, dtype=np.int64)
    key.sort()  # then each run of equal keys is one (doc, id) and its length the count
    first = np.empty(len(key), dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=len(key))
    text, fid = np.divmod(key[starts] + _SHIFT, _STRIDE)
    return text, fid - _SHIFT, 1.0 + np.log(counts)


def _top_terms(units: list[str], limit: int) -> list[str]:
    """``units`` keeping only the ``limit`` most frequent terms (ties: the first seen first)."""
    counts: dict[str, int] = {}
    for t in units:
        counts[t] = counts.get(t, 0) + 1
    if len(counts) <= limit:
        return units
    keep = set(sorted(counts, key=lambda t: -counts[t])[:limit])  # sorted() is stable: first seen wins ties
    return [t for t in units if t in keep]


def fit_block(name: str, kind: str, fit_texts: Sequence[str], row_texts: Sequence[str], *, analyzer: Analyzer,
              read: Mapping[str, tuple[list[str], list[str]]], bigram_weight: float, n_entries: int,
              offset: int, weight: float, page_terms: int):
    """Learn block ``name`` from ``fit_texts`` and build its rows, one per ``row_texts`` item.

    ``read`` maps every text to ``analyzer.read_units(text)`` (each distinct text read once by the
    caller). The vocabulary is the fit texts' features; a row's features outside it are dropped.
    Returns ``(block, pos, (text, column, value))``: the distinct row texts' features as
    L2-normalised TF-IDF values (columns inside the block; texts numbered in order of first use)
    and ``pos``, each row's text number (:func:`expand` gives the rows); ``None`` when the fit
    texts have no features.
    """
    vocab: dict[str, int] = {}
    ids_of = _Ids(kind, vocab, read, page_terms)
    fit_ids = [ids_of(t, grow=True) for t in fit_texts]
    if not vocab:
        return None
    terms = _terms_in_order(vocab)
    if kind == "page":
        base_idf, idf, oov = None, np.ones(len(vocab)), 1.0
    else:
        doc = np.repeat(np.arange(len(fit_ids)), [len(x) for x in fit_ids])
        _, fids, _ = _tf(doc, np.concatenate(fit_ids))
        df = np.bincount(fids, minlength=len(vocab))
        base_idf = np.log((1 + len(fit_texts)) / (1 + df)) + 1
        idf = base_idf.copy()
        if kind == "words":
            idf[[j for j, t in enumerate(terms) if " " in t]] *= bigram_weight
        oov = math.log(1 + n_entries) + 1
    # Each distinct row text once: every row of a page shares the page's text.
    distinct: dict[str, int] = {}
    pos = np.array([distinct.setdefault(t, len(distinct)) for t in row_texts], dtype=np.int64)
    row_ids = [ids_of(t, grow=False) for t in distinct]
    d, col, tf = _tf(np.repeat(np.arange(len(row_ids)), [len(x) for x in row_ids]),
                     np.concatenate(row_ids) if row_ids else np.zeros(0, np.int64))
    val = tf * idf[col]
    norm = np.sqrt(np.bincount(d, weights=val * val, minlength=len(distinct)))
    val = val / np.where(norm > 0, norm, 1.0)[d]
    block = Block(name, kind, vocab, idf, base_idf, offset, weight, oov, text_features(kind, analyzer, page_terms))
    block._terms = terms
    return block, pos, (d, col, val)


def expand(pos: np.ndarray, d: np.ndarray, col: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zeros ``(text, column, value)`` of distinct texts (sorted by text) -> ``(row, column, value)``
    for rows whose text is ``pos[row]``."""
    starts = np.searchsorted(d, np.arange(int(pos.max()) + 2 if len(pos) else 1))
    lens = (starts[1:] - starts[:-1])[pos]
    take = np.repeat(starts[:-1][pos] - np.cumsum(np.r_[0, lens[:-1]]), lens) + np.arange(int(lens.sum()))
    return np.repeat(np.arange(len(pos)), lens), col[take], val[take]


class _Ids:
    """A text -> the ids of its features in ``vocab`` (features added when ``grow``, else unknown ones
    dropped); each text's ids computed once, a word's character n-grams once."""

    def __init__(self, kind: str, vocab: dict[str, int], read: Mapping[str, tuple[list[str], list[str]]],
                 page_terms: int):
        self.kind, self.vocab, self.read = kind, vocab, read
        self.features = _feature_fn(kind, page_terms)
        self.done: dict[str, np.ndarray] = {}
        self.token_ids: dict[str, np.ndarray] = {}

    def __call__(self, text: str, grow: bool) -> np.ndarray:
        ids = self.done.get(text)
        if ids is not None:
            return ids
        vocab = self.vocab
        if self.kind == "chars":
            ids = self._char_ids(self.read[text][1], grow)
        elif grow:
            feats = self.features(*self.read[text])
            ids = np.fromiter([vocab.setdefault(f, len(vocab)) for f in feats], np.int64, len(feats))
        else:
            cols = [c for c in map(vocab.get, self.features(*self.read[text])) if c is not None]
            ids = np.fromiter(cols, np.int64, len(cols))
        if grow:  # ids found while the vocabulary grows stay valid; others are looked up again later
            self.done[text] = ids
        return ids

    def _char_ids(self, content: list[str], grow: bool) -> np.ndarray:
        parts = []
        for tok in content:
            ids = self.token_ids.get(tok)
            if ids is None:
                grams = char_ngrams(tok)
                if grow:
                    ids = np.array([self.vocab.setdefault(g, len(self.vocab)) for g in grams], dtype=np.int64)
                    self.token_ids[tok] = ids
                else:
                    ids = np.array([c for c in map(self.vocab.get, grams) if c is not None], dtype=np.int64)
            parts.append(ids)
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _feature_fn(kind: str, page_terms: int) -> Callable[[list[str], list[str]], list[str]]:
    if kind == "words":
        return lambda units, content: word_features(units)
    if kind == "chars":
        return lambda units, content: [g for tok in content for g in char_ngrams(tok)]
    return lambda units, content: _top_terms(units, page_terms)


def text_features(kind: str, analyzer: Analyzer, page_terms: int) -> Callable[[str], list[str]]:
    """A knowledge-base text -> its features in a block of ``kind`` (what :meth:`Block.build_analyzer` returns)."""
    features = _feature_fn(kind, page_terms)
    return lambda text: features(*analyzer.read_units(text))


def _terms_in_order(vocab: Mapping[str, int]) -> list[str]:
    terms = [""] * len(vocab)
    for t, j in vocab.items():
        terms[j] = t
    return terms


class QueryEncoder:
    """Queries -> stacked query vectors in the columns of the retriever's matrix.

    Each block of a query is ``(1 + ln count) * idf`` per feature (times :data:`IDENTIFIER_WEIGHT`
    for a known identifier term), L2-normalised over the known
    features *and* the unknown ones (IDF :attr:`Block.oov`; an unknown word pair is left out),
    times ``sqrt(block weight)``; the query's norm is ``sqrt`` of the summed weights of its
    non-empty blocks, so a score is a true cosine in a space with a dimension per unknown feature.
    """

    def __init__(self, analyzer: Analyzer, blocks: Mapping[str, Block]):
        self.analyzer = analyzer
        self.blocks = blocks
        self._words = [b for b in blocks.values() if b.kind != "chars"]  # words and page blocks
        self._chars = next((b for b in blocks.values() if b.kind == "chars"), None)
        order = self._words + ([self._chars] if self._chars is not None else [])
        self._n_blocks = len(order)
        self._char_slot = len(self._words)
        # Query-side weight per column: the IDF, times IDENTIFIER_WEIGHT for an identifier's columns
        # (set when the term is first looked up, in _units).
        self._idf = np.concatenate([b.idf for b in sorted(order, key=lambda b: b.offset)]) if order else np.zeros(0)
        self._oov = np.array([b.oov for b in order])
        self._weight = np.array([b.weight for b in order])
        self.n_columns = len(self._idf)
        self._is_pairs = [b.kind == "words" for b in self._words]
        # Caches: term -> column per words/page block; word pair -> column per block (-1: not
        # there); content word -> its n-grams' columns. A feature no entry uses gets an id < 0.
        self._unit_ids: dict[str, tuple[int, ...]] = {}
        self._pair_ids: dict[str, tuple[int, ...]] | None = None
        self._char_ids: dict[str, np.ndarray] = {}
        self._unknown: dict[str, int] = {}

    def _unknown_id(self, feature: str) -> int:
        return self._unknown.setdefault(feature, -1 - len(self._unknown))

    def _units(self, term: str) -> tuple[int, ...]:
        cols = [b.vocabulary_.get(term) for b in self._words]
        ids = self._unit_ids[term] = tuple(b.offset + c if c is not None else self._unknown_id(term)
                                           for b, c in zip(self._words, cols))
        if is_identifier(term):
            for b, c in zip(self._words, cols):
                if c is not None:
                    self._idf[b.offset + c] = b.idf[c] * IDENTIFIER_WEIGHT
        return ids

    def _chars_of(self, token: str) -> np.ndarray:
        vocab, offset = self._chars.vocabulary_, self._chars.offset
        ids = self._char_ids[token] = np.array(
            [offset + vocab[g] if g in vocab else self._unknown_id("\0" + g) for g in char_ngrams(token)],
            dtype=np.int64)
        return ids

    def _pairs(self) -> dict[str, tuple[int, ...]]:
        pairs: dict[str, list[int]] = {}
        for k, b in enumerate(self._words):
            if b.kind == "words":
                for t, j in b.vocabulary_.items():
                    if " " in t:
                        pairs.setdefault(t, [-1] * len(self._words))[k] = b.offset + j
        return {t: tuple(cols) for t, cols in pairs.items()}

    def encode(self, queries: Sequence[str], correct: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(query, column, value, norm)``: the non-zeros of each query's vector (query index, column of
        the stacked matrix, weight) and each query's norm (shape ``(len(queries),)``; 0 when it has no
        feature at all). The score of a row is ``sum(value * matrix[row, column]) / norm``."""
        if max(len(self._unknown), len(self._unit_ids), len(self._char_ids)) > _MAX_CACHE:
            self._unknown.clear(), self._unit_ids.clear(), self._char_ids.clear()
        if self._pair_ids is None:
            self._pair_ids = self._pairs()
        n, nb = len(queries), self._n_blocks
        unit_q, unit_ids, pair_q, pair_ids, char_q, char_ids = [], [], [], [], [], []
        known_units, known_pairs, known_chars = self._unit_ids, self._pair_ids, self._char_ids
        for q, text in enumerate(queries):
            units, content = self.analyzer.read_units(text, correct=correct)
            unit_ids += [known_units.get(u) or self._units(u) for u in units]
            unit_q += [q] * len(units)
            if len(units) > 1:
                found = [c for c in map(known_pairs.get, [f"{a} {b}" for a, b in zip(units, units[1:])]) if c]
                pair_ids += found
                pair_q += [q] * len(found)
            if self._chars is not None and content:
                arrays = [known_chars[t] if t in known_chars else self._chars_of(t) for t in content]
                char_ids += arrays
                char_q.append(np.repeat(q, sum(map(len, arrays))))
        # Every occurrence as (slot = query * n_blocks + block, id); an unknown word pair is left out
        # (no evidence the query asks something else), an unknown term or n-gram counts in the norm.
        slots, ids = [], []
        nw = len(self._words)
        if unit_ids:
            u = np.array(unit_ids, dtype=np.int64)
            slots.append((np.array(unit_q, dtype=np.int64)[:, None] * nb + np.arange(nw)).ravel())
            ids.append(u.ravel())
        if pair_ids:
            p = np.array(pair_ids, dtype=np.int64)
            pq = np.array(pair_q, dtype=np.int64)[:, None] * nb + np.arange(nw)
            keep = p >= 0
            slots.append(pq[keep])
            ids.append(p[keep])
        if char_ids:
            slots.append(np.concatenate(char_q) * nb + self._char_slot)
            ids.append(np.concatenate(char_ids))
        if not slots:
            return np.zeros(0, np.int64), np.zeros(0, np.intp), np.zeros(0), np.zeros(n)
        slot, fid, tf = _tf(np.concatenate(slots), np.concatenate(ids))
        block = slot % nb
        known = fid >= 0
        w = tf * np.where(known, self._idf[np.where(known, fid, 0)], self._oov[block])
        norm2 = np.bincount(slot, weights=w * w, minlength=n * nb)
        weight_sum = ((norm2 > 0).reshape(n, nb) * self._weight).sum(axis=1)
        value = w * np.sqrt(self._weight[block] / norm2[slot])
        return slot[known] // nb, fid[known], value[known], np.sqrt(weight_sum)
