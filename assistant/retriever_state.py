"""A fitted :class:`~assistant.retrieval.TfidfRetriever` as plain data and back (no pickle).

:func:`to_state` gives ``(params, arrays)``. ``params`` is JSON-able: the constructor
parameters and, under ``"fitted"``, the small fitted attributes (entry ids, phrasing texts,
synonym groups, problems, block layout). ``arrays`` maps names to 1-D numpy arrays: the entry
vectors (:meth:`assistant.vectors.EntryVectors.to_arrays`: row and page matrices in CSC form,
each row's page and scale), ``rows`` (entry index of each phrasing), each block's vocabulary (``vocab.<block>``: UTF-8 terms joined by newlines, in
column order) and IDF (``idf.<block>``, ``base_idf.<block>``), and the spelling vocabulary
(``words``, ``word_counts``). :func:`from_state` rebuilds a retriever that answers exactly like
the one saved; a fitted attribute added to the retriever must be added here too (the test
``tests/test_index.py::test_state_round_trip_answers_exactly_like_a_fresh_fit`` compares them).
The retriever's ``to_state``/``from_state`` methods call these; :mod:`assistant.index` writes
them to disk. Also here: the checks of the retriever's arguments.
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
from .features import Block, text_features
from .vectors import EntryVectors
from .problems import Problem

if TYPE_CHECKING:
    from .knowledge_base import KnowledgeBase
    from .retrieval import TfidfRetriever

__all__ = ["PARAMS", "to_state", "from_state", "check_fit_args", "check_search_args", "check_score",
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
    arrays: dict[str, np.ndarray] = {"rows": np.asarray(self._rows, dtype=np.int64), **self._vectors.to_arrays()}
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
        "n_columns": int(self._encoder.n_columns),
        "page_offset": self._vectors.page_offset,
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
        vectors = EntryVectors.from_arrays(arrays, len(rows), int(fitted["page_offset"]), int(fitted["n_columns"]))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"the saved retriever state is incomplete or malformed ({type(exc).__name__}: {exc})") from None
    r._set_vectors(rows, vectors)
    if r._encoder.n_columns != int(fitted["n_columns"]):
        raise ValueError("the blocks' vocabularies do not match the matrix")
    return r


def lazy_attribute(self: TfidfRetriever, name: str):
    """``matrix_`` and ``vocabulary_`` of a retriever read back by :func:`from_state`, built on first use."""
    # A retriever read back by from_state builds its scipy matrix and flat vocabulary on first use,
    # so answering a query needs neither scipy nor the extra dict.
    state = self.__dict__
    if name == "matrix_" and "_vectors" in state:
        state["matrix_"] = state["_vectors"].to_matrix()
        return state["matrix_"]
    if name == "vocabulary_" and "blocks_" in state:
        state["vocabulary_"] = {f"{block_name}:{t}": block.offset + j
                                for block_name, block in state["blocks_"].items() for t, j in block.vocabulary_.items()}
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
