"""Texts -> TF-IDF block vectors, many texts at once: how the retriever builds and reads its vectors.

The retriever's vector has four blocks (:data:`BLOCKS`). A :class:`Block` holds one block's
vocabulary (feature -> column), its IDF and its place and weight in the stacked vector.
:func:`read_texts` reads each distinct knowledge-base text once into its features of each kind
(:class:`TextFeatures`: per text, distinct feature ids first seen first, and their counts; a
large knowledge base is read in worker processes), :func:`fit_block` learns a block from them
and gives the block's rows; :class:`QueryEncoder` turns any number of queries into the stacked,
weighted query vectors.

Every feature of a text is counted once per occurrence and weighted ``(1 + ln count) * idf``
(scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``, smooth IDF ``ln((1 + n) / (1 + df)) + 1``;
the ``page`` block has no IDF). Texts are read by :meth:`assistant.analysis.Analyzer.read_units`
and the work per word is cached: a word's stem, spelling correction and character n-gram
columns are computed once, then each text is a few dictionary look-ups and numpy operations
(a query's counting is one sort of ``text * stride + feature id``, runs of equal keys counted). A page's text, its
entries' questions and contexts joined, is not read again when there are no synonym groups
(:func:`joined_page_features`).
"""

from __future__ import annotations

import math
import os
import sys
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Callable, NamedTuple

import numpy as np

from .analysis import Analyzer, is_identifier
from .vectors import take_ragged

__all__ = ["BLOCKS", "KINDS", "Block", "TextFeatures", "read_texts", "joined_page_features", "fit_block",
           "text_features", "QueryEncoder", "char_ngrams", "word_features", "IDENTIFIER_WEIGHT"]

#: Blocks of the stacked vector, in order: name and kind of features.
BLOCKS = (("question", "words"), ("question_chars", "chars"), ("answer", "words"), ("page", "page"))

_STRIDE = np.int64(1) << 40  # text index * _STRIDE + (feature id + _SHIFT): one sortable key
_SHIFT = np.int64(1) << 39
#: Weight of a query's identifier term (``OLLAMA_MODELS``, ``--no-heading``, ``compose.yml``: see
#: :func:`assistant.analysis.identifiers`) that the knowledge base uses, relative to a word: the
#: name a ticket quotes is the surest sign of the entry that gives it. An identifier no entry uses
#: counts in the query's norm like any unknown term.
IDENTIFIER_WEIGHT = 2.0
#: Feature kinds and their flags in :func:`read_texts`' ``kinds``.
KINDS = {"words": 1, "chars": 2, "page": 4}
#: Knowledge bases with this many distinct texts to read or more are read in worker processes
#: (:func:`read_texts`); below it, starting them costs about what they save (measured at 10,000 entries).
PARALLEL_TEXTS = 50_000
#: Most worker processes :func:`read_texts` starts (the merge in the parent does not scale further).
MAX_PROCESSES = 8
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
    edge = np.empty(len(key) + 1, dtype=bool)  # where a run starts, and the end
    edge[0] = edge[-1] = True
    np.not_equal(key[1:], key[:-1], out=edge[1:-1])
    bounds = np.flatnonzero(edge)
    starts, counts = bounds[:-1], bounds[1:] - bounds[:-1]
    text, fid = np.divmod(key[starts] + _SHIFT, _STRIDE)
    return text, fid - _SHIFT, 1.0 + np.log(counts)


def _top_terms(units: list[str], limit: int) -> list[str]:
    """``units`` keeping only the ``limit`` most frequent terms (ties: the first seen first)."""
    counts = Counter(units)
    if len(counts) <= limit:
        return units
    keep = {t for t, _ in counts.most_common(limit)}  # most_common is a stable sort: first seen wins ties
    return [t for t in units if t in keep]


class TextFeatures(NamedTuple):
    """One kind's features of a list of texts (:func:`read_texts`).

    Text ``i``'s distinct features are ``ids[start[i]:start[i + 1]]`` (int32 indexes of ``names``,
    in the order they first occur in the text), each occurring ``counts`` times (int32); a text
    not read for this kind has none. ``start`` is int64, shape ``(n_texts + 1,)``.
    """

    names: list[str]
    start: np.ndarray
    ids: np.ndarray
    counts: np.ndarray


def read_texts(texts: Sequence[str], kinds: Sequence[int], counted: Sequence[int], analyzer: Analyzer,
               page_terms: int, processes: int | None = None) -> tuple[dict[str, TextFeatures], list[Counter]]:
    """Read each knowledge-base text once: its features of each kind it is needed for, and its words.

    ``kinds[i]`` says which kinds text ``i`` is read for (a sum of :data:`KINDS` flags);
    ``counted[i]`` how many times its content words count for spelling (:meth:`Analyzer.learn`).
    Returns ``({kind: TextFeatures}, word counts)``: the word counts are :class:`Counter` parts
    whose :meth:`Counter.elements` in order are the counted texts' content words (first seen
    first). The features of a text are those :func:`text_features` gives.

    ``processes`` > 1 reads contiguous slices of ``texts`` in that many worker processes, which
    inherit the texts and the analyzer by ``fork``: each returns its features as ids over its own
    vocabulary and the vocabularies are merged in text order, so the result is the same as read in
    this process. ``None``: :data:`PARALLEL_TEXTS` texts to read or more use the usable cores (at
    most :data:`MAX_PROCESSES`) where ``fork`` is safe (:func:`_fork_processes`), else this process.
    """
    kinds, counted = list(kinds), list(counted)
    sizes = [len(t) + 200 if k or c else 0 for t, k, c in zip(texts, kinds, counted)]  # a text costs ~200 characters
    if processes is None:
        processes = _fork_processes() if len(sizes) - sizes.count(0) >= PARALLEL_TEXTS else 1
    job = (texts, kinds, counted, analyzer, page_terms)
    merged = {kind: _Merged() for kind in KINDS}
    words: list[Counter] = []

    def merge(parts) -> None:
        for features, counts in parts:
            for kind, part in zip(KINDS, features):
                merged[kind].add(*part)
            words.append(counts)

    if processes <= 1:
        merge([_read_slice(job, 0, len(texts))])
    else:
        import multiprocessing

        bounds = _slices(sizes, 4 * processes)  # a few slices per process: balanced, merged as they come
        with multiprocessing.get_context("fork").Pool(processes, initializer=_set_job, initargs=(job,)) as pool:
            merge(pool.imap(_read_job_slice, bounds))
    return {kind: m.result() for kind, m in merged.items()}, words


def _fork_processes() -> int:
    """How many processes to read in: the usable cores, on Linux only (``fork`` is the safe,
    long-standing default there; macOS and Windows spawn, which would re-import the caller's
    ``__main__``), and 1 in a process that runs other Python threads (a fork copies their held
    locks) or is itself a pool worker (daemonic processes cannot start processes)."""
    import multiprocessing
    import threading

    if (sys.platform != "linux" or threading.active_count() > 1 or multiprocessing.current_process().daemon
            or not hasattr(os, "sched_getaffinity")):
        return 1
    return min(len(os.sched_getaffinity(0)), MAX_PROCESSES)


def _slices(sizes: list[int], n: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` bounds cutting texts of ``sizes`` (their cost) into ``n`` contiguous slices of similar size."""
    ends = np.cumsum(sizes)
    cuts = np.searchsorted(ends, np.linspace(0, ends[-1], n + 1)[1:-1], side="right") if len(sizes) else []
    edges = [0, *sorted(set(int(c) for c in cuts) - {0, len(sizes)}), len(sizes)]
    return list(zip(edges[:-1], edges[1:]))


_JOB: tuple | None = None  # a worker process's texts and analyzer (inherited from the parent by fork)


def _set_job(job: tuple) -> None:
    global _JOB
    _JOB = job


def _read_job_slice(bounds: tuple[int, int]):
    return _read_slice(_JOB, *bounds)


class _Vocab(dict):
    """Feature -> id, a new feature getting the next id (``map(vocab.__getitem__, features)`` runs in C)."""

    def __missing__(self, feature: str) -> int:
        n = self[feature] = len(self)
        return n


class _GramIds(dict):
    """Token -> the ids of its character n-grams in ``self.vocab`` (a :class:`_Vocab`), computed once per token."""

    vocab: _Vocab

    def __missing__(self, token: str) -> list[int]:
        ids = self[token] = list(map(self.vocab.__getitem__, char_ngrams(token)))
        return ids


def _read_slice(job: tuple, lo: int, hi: int):
    """Texts ``lo:hi`` of ``job`` (see :func:`read_texts`) -> per kind ``(names, ids, counts, lens)`` over
    the slice's own vocabulary (``lens``: the number of distinct features of each text), and the word counts."""
    texts, kinds, counted, analyzer, page_terms = job
    vocabs = {kind: _Vocab() for kind in KINDS}
    grams = _GramIds()
    grams.vocab = vocabs["chars"]
    of_words, of_page = _feature_fn("words", page_terms), _feature_fn("page", page_terms)
    readers = [  # (flag, units and content -> feature ids); a content word's n-grams looked up once
        (KINDS["words"], lambda units, content: map(vocabs["words"].__getitem__, of_words(units, content))),
        (KINDS["chars"], lambda units, content: chain.from_iterable(map(grams.__getitem__, content))),
        (KINDS["page"], lambda units, content: map(vocabs["page"].__getitem__, of_page(units, content)))]
    ids, counts, lens = ([array("i") for _ in KINDS] for _ in range(3))
    words: Counter = Counter()
    for i in range(lo, hi):
        if not kinds[i] and not counted[i]:
            for k_lens in lens:
                k_lens.append(0)
            continue
        units, content = analyzer.read_units(texts[i])
        for _ in range(counted[i]):
            words.update(content)
        for k, (flag, read) in enumerate(readers):
            if kinds[i] & flag:
                found = Counter(read(units, content))  # distinct ids, first seen first
                ids[k].extend(found)
                counts[k].extend(found.values())
                lens[k].append(len(found))
            else:
                lens[k].append(0)
    features = [(list(v), *(np.frombuffer(a, dtype=np.intc).astype(np.int32) for a in arrays))
                for v, *arrays in zip(vocabs.values(), ids, counts, lens)]
    return features, words


class _Merged:
    """The slices of one kind merged in order: their vocabularies into one (first seen first), ids mapped to it."""

    def __init__(self):
        self.vocab, self.parts = _Vocab(), []

    def add(self, names: list[str], ids: np.ndarray, counts: np.ndarray, lens: np.ndarray) -> None:
        self.parts.append((np.fromiter(map(self.vocab.__getitem__, names), np.int32, len(names))[ids], counts, lens))

    def result(self) -> TextFeatures:
        ids, counts, lens = (np.concatenate(arrays) for arrays in zip(*self.parts))  # one slice at least
        return TextFeatures(list(self.vocab), np.r_[0, np.cumsum(lens, dtype=np.int64)], ids, counts)


def joined_page_features(words: TextFeatures, joined: Sequence[int], parts: Sequence[Sequence[int]], page_terms: int
                         ) -> TextFeatures:
    """The ``page`` features of texts that are other texts joined by newlines, from those texts' ``words``
    features, without reading the joined texts: text ``joined[k]`` is ``"\\n".join`` of the texts
    numbered ``parts[k]``.

    A page's terms are its parts' unit terms (a ``words`` feature without a space: not a word
    pair), then their identifiers, each first seen first, counted over the parts; then the
    ``page_terms`` most frequent (:func:`_top_terms`). That is what reading the joined text gives
    when the analyzer has no synonym groups (a phrase could span two parts): a word, an
    identifier and text normalisation never cross a newline.
    """
    names = words.names
    # 0: a word pair, 1: a term, 2: an identifier
    term_sort = np.array([0 if " " in t else 2 if is_identifier(t) else 1 for t in names], dtype=np.int64)
    order = np.argsort(joined, kind="stable")  # the result is laid out in text order
    joined, parts = np.asarray(joined, dtype=np.int64)[order], [parts[k] for k in order]
    lens, take = take_ragged(words.start, np.fromiter(chain.from_iterable(parts), np.int64))
    ids = words.ids[take]
    units = np.flatnonzero(term_sort[ids])
    page_lens = np.add.reduceat(lens, np.cumsum([0] + [len(p) for p in parts[:-1]])) if parts else lens
    page = np.repeat(np.arange(len(parts), dtype=np.int64), page_lens)[units]
    ids, counts = ids[units], words.counts[take][units]
    del take
    # One group per (page, feature): first position, summed count; then terms before identifiers, first seen first.
    key = (page * 3 + term_sort[ids]) * len(names) + ids
    by_key = np.argsort(key, kind="stable")
    key = key[by_key]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    first = by_key[starts]
    total = np.add.reduceat(counts[by_key], starts) if len(starts) else np.zeros(0, np.int64)
    del key, by_key
    groups = np.argsort((page[first] * 3 + term_sort[ids[first]]) * len(page) + first)
    page, ids, total = page[first[groups]], ids[first[groups]], total[groups]
    # The page_terms most frequent of each page (ties: first seen first, the stable sort keeps them in order).
    most = int(total.max()) + 1 if len(total) else 1
    by_count = np.argsort(page * most + (most - total), kind="stable")
    page_start = np.searchsorted(page, np.arange(len(parts) + 1))
    rank = np.empty(len(page), dtype=np.int64)
    rank[by_count] = np.arange(len(page)) - page_start[page[by_count]]
    keep = rank < page_terms
    ids, total, page = ids[keep], total[keep], page[keep]
    start = np.zeros(len(words.start), dtype=np.int64)
    start[joined + 1] = np.bincount(page, minlength=len(parts))
    np.cumsum(start, out=start)
    return TextFeatures(names, start, ids.astype(np.int32), total.astype(np.int32))


def fit_block(name: str, kind: str, features: TextFeatures, fit: np.ndarray, rows: np.ndarray, *, analyzer: Analyzer,
              bigram_weight: float, n_entries: int, offset: int, weight: float, page_terms: int):
    """Learn block ``name`` from the texts numbered ``fit`` and give the TF-IDF values of its rows, row ``r``
    being text ``rows[r]`` (text numbers index ``features``, the texts' features of the block's kind).

    The vocabulary is the fit texts' features, numbered in the order they first occur; a row's
    features outside it are dropped. Returns ``(block, pos, (start, column, value))``: the distinct
    row texts, numbered in order of first use (``pos``: each row's text number), and text ``k``'s
    non-zeros ``column[start[k]:start[k + 1]]`` (int32 columns inside the block) and ``value``
    (``(1 + ln count) * idf``, not normalised); ``None`` when the fit texts have no features.
    """
    seq = features.ids[take_ragged(features.start, fit)[1]]  # the fit texts' features, in order
    if not len(seq):
        return None
    dtype = np.int32 if len(seq) < 2 ** 31 else np.int64
    first = np.full(len(features.names), len(seq), dtype=dtype)
    np.minimum.at(first, seq, np.arange(len(seq), dtype=dtype))
    used = np.flatnonzero(first < len(seq))
    used = used[np.argsort(first[used])]  # feature ids in column order
    column = np.full(len(features.names), -1, dtype=np.int32)
    column[used] = np.arange(len(used), dtype=np.int32)
    terms = list(map(features.names.__getitem__, used.tolist()))
    vocab = dict(zip(terms, range(len(terms))))
    if kind == "page":
        base_idf, idf, oov = None, np.ones(len(vocab)), 1.0
    else:
        df = np.bincount(column[seq], minlength=len(vocab))  # a text's features are distinct
        base_idf = np.log((1 + len(fit)) / (1 + df)) + 1
        idf = base_idf.copy()
        if kind == "words":
            idf[[j for j, t in enumerate(terms) if " " in t]] *= bigram_weight
        oov = math.log(1 + n_entries) + 1
    del seq, first
    # Each distinct row text once: every row of a page shares the page's text.
    texts, first_use, pos = np.unique(rows, return_index=True, return_inverse=True)
    order = np.argsort(first_use)
    texts, rank = texts[order], np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    lens, take = take_ragged(features.start, texts)
    col = column[features.ids[take]]
    known = col >= 0
    count = features.counts[take]
    if not known.all():
        lens = np.bincount(np.repeat(np.arange(len(texts)), lens)[known], minlength=len(texts))
        col, count = col[known], count[known]
    start = np.r_[0, np.cumsum(lens, dtype=np.int64)]
    value = (1.0 + np.log(count)) * idf[col]
    block = Block(name, kind, vocab, idf, base_idf, offset, weight, oov, text_features(kind, analyzer, page_terms))
    block._terms = terms
    return block, rank[pos.ravel()], (start, col, value)


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
                char_q.append(np.full(sum(map(len, arrays)), q, dtype=np.int64))
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
