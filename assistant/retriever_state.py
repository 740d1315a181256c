"""A fitted :class:`~assistant.retrieval.TfidfRetriever` as plain data and back (no pickle).

:func:`to_state` gives ``(params, arrays)``. ``params`` is JSON-able: the constructor
parameters and, under ``"fitted"``, the small fitted attributes (entry ids, phrasing texts,
synonym groups, problems, block layout). ``arrays`` maps names to 1-D numpy arrays: the matrix
in CSC form (``csc_indptr``, ``csc_indices``, ``csc_data``), ``rows`` (entry index of each
phrasing), each block's vocabulary (``vocab.<block>``: UTF-8 terms joined by newlines, in
column order) and IDF (``idf.<block>``, ``base_idf.<block>``), and the spelling vocabulary
(``words``, ``word_counts``). :func:`from_state` rebuilds a retriever that answers exactly like
the one saved; a fitted attribute added to the retriever must be added here too (the test
``tests/test_index.py::test_state_round_trip_answers_exactly_like_a_fresh_fit`` compares them).
The retriever's ``to_state``/``from_state`` methods call these; :mod:`assistant.index` writes
them to disk. Also here: the numpy-only matrix helpers a retriever read back uses to answer
without scipy, and the checks of the retriever's arguments.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .analysis import Analyzer
from .features import Block, QueryEncoder, text_features
from .problems import Problem

if TYPE_CHECKING:
    from .knowledge_base import KnowledgeBase
    from .retrieval import TfidfRetriever

__all__ = ["PARAMS", "to_state", "from_state", "csc_dot", "csc_values", "check_fit_args", "check_search_args", "check_score",
           "check_alternates", "check_threshold", "short_repr"]


#: The retriever's constructor parameters, saved with its fitted state.
PARAMS = ("threshold", "min_margin", "question_weight", "char_weight", "answer_weight", "page_weight",
          "bigram_weight", "synonyms")


def to_state(self: TfidfRetriever) -> tuple[dict, dict[str, np.ndarray]]:
    """See :meth:`TfidfRetriever.to_state`."""
    self._check_fitted()
    synonyms = self.synonyms
    if isinstance(synonyms, Path):
        synonyms = str(synonyms)
    elif isinstance(synonyms, Mapping):
        synonyms = {str(k): [str(v) for v in ([vs] if isinstance(vs, str) else vs)] for k, vs in synonyms.items()}
    params: dict = {name: getattr(self, name) for name in PARAMS}
    params["synonyms"] = synonyms
    indptr, indices, data = self._csc
    arrays: dict[str, np.ndarray] = {"rows": np.asarray(self._rows, dtype=np.int64), "csc_indptr": indptr,
                                     "csc_indices": indices, "csc_data": data}
    blocks = []
    for name, block in self.blocks_.items():
        arrays[f"vocab.{name}"] = join_terms(block.terms())
        arrays[f"idf.{name}"] = block.idf
        if block.kind != "page":
            arrays[f"base_idf.{name}"] = block.idf_
        blocks.append({"name": name, "kind": block.kind, "offset": block.offset, "weight": block.weight,
                       "oov": block.oov})
    words = list(self._analyzer.words)
    arrays["words"] = join_terms(words)
    arrays["word_counts"] = np.array([self._analyzer.words[w] for w in words], dtype=np.int64)
    params["fitted"] = {
        "entry_ids": [e.id for e in self.entries_],
        "phrasings": [text for _, text in self.phrasings_],
        "synonyms_": self.synonyms_,
        "problems_": [asdict(p) for p in self.problems_],
        "blocks": blocks,
        "n_columns": int(len(indptr) - 1),
    }
    return params, arrays



def from_state(cls: type[TfidfRetriever], params: Mapping, arrays: Mapping[str, np.ndarray],
               kb: KnowledgeBase) -> TfidfRetriever:
    """See :meth:`TfidfRetriever.from_state`."""
    from .retrieval import MAX_PAGE_TERMS

    try:
        r = cls(**{name: params[name] for name in PARAMS})
        fitted = params["fitted"]
        entries = list(kb)
        if [e.id for e in entries] != list(fitted["entry_ids"]):
            raise ValueError("the saved retriever was fitted on another knowledge base (its entry ids differ)")
        r.entries_ = entries
        r.problems_ = [Problem(**p) for p in fitted["problems_"]]
        r.synonyms_ = {str(k): [str(v) for v in vs] for k, vs in fitted["synonyms_"].items()}
        r._analyzer = Analyzer(r.synonyms_)
        words = split_terms(arrays["words"])
        counts = np.asarray(arrays["word_counts"]).tolist()
        if len(words) != len(counts):
            raise ValueError("words and word_counts differ in length")
        r._analyzer.words = Counter(dict(zip(words, counts)))
        r._analyzer.learn(())  # stems and one-edit table of the saved words
        rows = np.asarray(arrays["rows"], dtype=np.intp)
        if len(rows) != len(fitted["phrasings"]) or (len(rows) and (rows.min() < 0 or rows.max() >= len(entries))):
            raise ValueError("rows do not match the phrasings and entries")
        r.phrasings_ = list(zip(rows.tolist(), fitted["phrasings"]))
        r.blocks_ = {}
        for b in fitted["blocks"]:
            name, kind = b["name"], b["kind"]
            terms = split_terms(arrays[f"vocab.{name}"])
            idf = np.asarray(arrays[f"idf.{name}"], dtype=float)
            base_idf = np.asarray(arrays[f"base_idf.{name}"], dtype=float) if kind != "page" else None
            if len(idf) != len(terms) or (base_idf is not None and len(base_idf) != len(terms)):
                raise ValueError(f"vocabulary and IDF of block {name!r} differ in length")
            vocab = {t: j for j, t in enumerate(terms)}
            r.blocks_[name] = Block(name, kind, vocab, idf, base_idf, int(b["offset"]), float(b["weight"]),
                                    float(b["oov"]), text_features(kind, r._analyzer, MAX_PAGE_TERMS))
        indptr = np.asarray(arrays["csc_indptr"], dtype=np.intp)
        indices = np.asarray(arrays["csc_indices"], dtype=np.intp)
        data = np.asarray(arrays["csc_data"], dtype=float)
        n_cols = int(fitted["n_columns"])
        if (len(indptr) != n_cols + 1 or indptr[0] != 0 or indptr[-1] != len(indices) or len(indices) != len(data)
                or (len(indices) and (indices.min() < 0 or indices.max() >= len(rows)))
                or (len(indptr) > 1 and (np.diff(indptr) < 0).any())):
            raise ValueError("the matrix arrays are inconsistent")
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"the saved retriever state is incomplete or malformed ({type(exc).__name__}: {exc})") from None
    r._csc = (indptr, indices, data)
    r._rows = rows
    r._starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, dtype=np.intp)
    r._encoder = QueryEncoder(r._analyzer, r.blocks_)
    r._dense = None
    if len(rows) * n_cols <= 4_000_000:  # as fit does
        dense = np.zeros((len(rows), n_cols))
        dense[indices, np.repeat(np.arange(n_cols), np.diff(indptr))] = data
        r._dense = dense
    return r


def lazy_attribute(self: TfidfRetriever, name: str):
    """``matrix_`` and ``vocabulary_`` of a retriever read back by :func:`from_state`, built on first use."""
    # A retriever read back by from_state builds its scipy matrix and flat vocabulary on first use,
    # so answering a query needs neither scipy nor the extra dict.
    state = self.__dict__
    if name == "matrix_" and "_csc" in state:
        import scipy.sparse as sp

        indptr, indices, data = state["_csc"]
        state["matrix_"] = sp.csc_matrix((data, indices, indptr),
                                         shape=(len(state["_rows"]), len(indptr) - 1)).tocsr()
        return state["matrix_"]
    if name == "vocabulary_" and "blocks_" in state:
        state["vocabulary_"] = {f"{name}:{t}": block.offset + j
                                for name, block in state["blocks_"].items() for t, j in block.vocabulary_.items()}
        return state["vocabulary_"]
    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")



def join_terms(terms: Sequence[str]) -> np.ndarray:
    """Terms as one UTF-8 byte array, newline-separated (terms never hold a newline: they are split on words)."""
    if any("\n" in t for t in terms):
        raise ValueError("a term contains a newline; cannot save it")
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)


def split_terms(array: np.ndarray) -> list[str]:
    text = np.asarray(array, dtype=np.uint8).tobytes().decode("utf-8")
    return text.split("\n") if text else []


def short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "[...]"


def check_fit_args(retriever: TfidfRetriever, kb: object) -> None:
    """Raise ``TypeError`` unless ``kb`` is a KnowledgeBase; ``ValueError`` for a bad threshold or min_margin."""
    if not hasattr(kb, "entries") or not hasattr(kb, "root"):
        hint = f": load it first, KnowledgeBase.load({str(kb)!r})" if isinstance(kb, (str, Path)) else ""
        raise TypeError(f"kb must be a KnowledgeBase, got {type(kb).__name__}{hint}")
    check_threshold(retriever.threshold)
    margin = retriever.min_margin
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not 0 <= margin <= 1:
        raise ValueError(f"min_margin must be a number between 0 and 1, got {short_repr(margin)}")


def check_search_args(query: object, top_k: object) -> None:
    """Raise ``TypeError`` for a query that is not a str or a ``top_k`` that is not an int, ``ValueError``
    for an empty query or ``top_k < 1``."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__} {short_repr(query)}")
    if not query.strip():
        raise ValueError("query is empty: type a question or paste a ticket")
    if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral):
        raise TypeError(f"top_k must be a whole number (int), got {type(top_k).__name__} {short_repr(top_k)}")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")


def check_score(score: object, threshold: object) -> None:
    """Raise ``ValueError`` unless ``score`` is a number (not NaN) and ``threshold`` a score in [0, 1]."""
    if isinstance(score, bool) or not isinstance(score, numbers.Real) or score != score:
        raise ValueError(f"score must be a number, got {short_repr(score)}")
    check_threshold(threshold)


def check_alternates(entry_id: str, texts: object) -> list[str]:
    """``texts`` as a list of str (one str is a list of one); ``TypeError`` naming the entry otherwise."""
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, Sequence) or not all(isinstance(t, str) for t in texts):
        raise TypeError(f"alternates[{entry_id!r}] must be a list of str, got {short_repr(texts)}")
    return list(texts)


def check_threshold(threshold: object) -> None:
    """Raise ``ValueError`` unless ``threshold`` is a number in [0, 1] (not NaN)."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be a score between 0 and 1, got {short_repr(threshold)}")


def csc_dot(csc: tuple[np.ndarray, np.ndarray, np.ndarray], cols: np.ndarray, vals: np.ndarray,
             n_rows: int) -> np.ndarray:
    """``matrix[:, cols] @ vals`` for a CSC matrix given as ``(indptr, indices, data)``; shape ``(n_rows,)``."""
    indptr, indices, data = csc
    starts, lens = indptr[cols], indptr[cols + 1] - indptr[cols]
    total = int(lens.sum())
    if not total:
        return np.zeros(n_rows)
    pos = np.repeat(starts - np.cumsum(np.r_[0, lens[:-1]]), lens) + np.arange(total)
    return np.bincount(indices[pos], weights=np.repeat(vals, lens) * data[pos], minlength=n_rows)


#: The last query's gather (its columns' non-zeros sorted by row), reused for each match of one search.
_GATHER: dict[str, tuple] = {}


def csc_values(csc: tuple[np.ndarray, np.ndarray, np.ndarray], row: int, cols: np.ndarray) -> np.ndarray:
    """``matrix[row, cols]`` for a CSC matrix given as ``(indptr, indices, data)``.

    The non-zeros of ``cols`` are gathered and sorted by row once per distinct ``(matrix, cols)``
    (one search explains up to ``top_k`` rows with the same columns); each row is then a binary search.
    """
    indptr, indices, data = csc
    cols = np.asarray(cols, dtype=np.intp)
    key = (id(indices), id(data), cols.tobytes())
    last = _GATHER.get("last")  # one tuple, read and replaced whole: safe across threads
    if last is None or last[0] != key:
        starts, lens = indptr[cols], indptr[cols + 1] - indptr[cols]
        total = int(lens.sum())
        pos = np.repeat(starts - np.cumsum(np.r_[0, lens[:-1]]), lens) + np.arange(total)
        rows = indices[pos]
        order = np.argsort(rows, kind="stable")
        # indices and data are kept alive with the key, so their ids cannot be reused by another matrix
        last = (key, rows[order], np.repeat(np.arange(len(cols)), lens)[order], data[pos[order]], indices, data)
        _GATHER["last"] = last
    _, rows, which, values, _, _ = last
    lo, hi = np.searchsorted(rows, row, "left"), np.searchsorted(rows, row, "right")
    out = np.zeros(len(cols))
    out[which[lo:hi]] = values[lo:hi]
    return out
