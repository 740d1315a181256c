"""TF-IDF retrieval of FAQ entries for a query or a support ticket.

How a query is scored (:class:`TfidfRetriever`):

1. A pasted ticket is cleaned (:func:`assistant.tickets.clean_ticket`: quoted mail, greeting and
   signature dropped) and capped in length, so any input is answered in bounded time.
2. Text is normalised (NFKC, case-folded, accents folded: ``café`` in NFC or NFD is ``cafe``),
   split into words of any script, spelling-corrected against the knowledge base's own words
   (queries only, one edit, words of 5+ letters), lightly stemmed (:func:`stem`), and read
   through the knowledge base's synonym groups (``synonyms.yaml``, see :func:`load_synonyms`):
   every phrase of a group becomes the group's one concept term, so ``single sign-on``, ``SAML``
   and ``SSO`` match. Stop words (:data:`STOP_WORDS`) and one-letter words are dropped.
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
   abstains and the matches are only the closest candidates.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .knowledge_base import KnowledgeBase
from .parsing import FaqEntry, Problem, load_yaml
from .synonyms import SYNONYMS_FILE, load_synonyms
from .tickets import clean_ticket

__all__ = [
    "TfidfRetriever", "SearchResult", "Match", "normalize_text", "stem", "load_synonyms",
    "STOP_WORDS", "SYNONYMS_FILE",
]

#: Name of the synonym file the retriever reads from the knowledge-base folder.
#: Characters of a query read before ticket cleaning, and after it: longer input is cut.
MAX_INPUT_CHARS = 100_000
MAX_QUERY_CHARS = 4_000

#: English function words, and the filler of support tickets (greetings, "wondering", "please").
#: Unlike scikit-learn's list it keeps words that carry meaning in FAQs (system, same, not, no, move).
STOP_WORDS = frozenset("""
a an the and or but if then else so than that this these those there here
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his she her
hers it its itself they them their theirs themselves one ones someone anyone everyone something
anything everything
am is are was were be been being do does did doing done have has had having get gets got getting
can could should would will shall may might must ll ve re d s t m don doesn didn isn aren wasn
weren won wouldn shouldn couldn cannot cant
of in on at to from by with for about into onto over under up down out off again further once
as also just too very really quite only even still already yet while though although however
what which who whom whose when where why how whether
all any both each every few more most some such other another
please thanks thank thx hi hello hey dear regards cheers ok okay yes yeah hmm
wondering wonder question questions help know let lets need needs want wants like would
currently possible way there
""".split())

_WORD_RE = re.compile(r"[^\W_]+")


def normalize_text(text: str) -> str:
    """Case-fold and fold accents so ``Café`` (NFC or NFD) and ``cafe`` compare equal.

    NFKC also folds full-width forms (``？`` -> ``?``) and ligatures.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text).casefold()


def _has_vowel(s: str) -> bool:
    return any(c in "aeiouy" for c in s)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light English stemmer: conflate plural, -ing, -ed, -ment and -ation forms of a word.

    ``enforce``, ``enforces``, ``enforced``, ``enforcing`` and ``enforcement`` all give
    ``enforc``; ``migration``/``migrated`` give ``migrat``; ``policy``/``policies`` give
    ``polici``. A reduced Porter stemmer (steps 1a-1c plus a few suffixes): words of three
    letters or fewer, and words with digits or non-Latin letters, are returned unchanged.
    """
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    w = word
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix, repl in (("ification", "ify"), ("ization", "ize"), ("isation", "ize"), ("ation", "ate")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("ment") and len(w) >= 8:
        w = w[:-4]
    elif w.endswith("ing") and len(w) >= 6 and _has_vowel(w[:-3]):
        w = _undouble(w[:-3])
    elif w.endswith("ed") and len(w) >= 5 and _has_vowel(w[:-2]):
        w = _undouble(w[:-2])
    if len(w) > 3 and w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def _undouble(w: str) -> str:
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouylsz":
        return w[:-1]
    return w


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or adjacent swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]


def _tokens(text: str) -> list[str]:
    return _WORD_RE.findall(normalize_text(text))


def _is_content(token: str) -> bool:
    return token not in STOP_WORDS and (len(token) > 1 or not token.isascii())


# --- synonyms ----------------------------------------------------------------------------------


SynonymSource = Union[str, Path, Mapping[str, Sequence[str]], None]


class _Analyzer:
    """Text -> terms: tokens, spelling, stems, synonym concepts; word, bigram and character features.

    ``read`` gives a text's tokens and their labels (the words as written, for explanations);
    ``units`` turns tokens into terms (a stem, or a synonym group's concept term);
    ``word_features`` adds bigrams; ``char_features`` gives character n-grams of the tokens.
    """

    def __init__(self, groups: Mapping[str, Sequence[str]]):
        # Phrases match on the full token stream (so "turn on" keeps its "on") and, when they
        # have no stop word, also in any order with up to three stop words between their words
        # ("verify my domain", "the domain needs to be verified").
        self.full: dict[tuple[str, ...], str] = {}
        self.content: dict[tuple[str, ...], str] = {}
        self.names: dict[str, str] = {}  # concept term -> the concept as written
        self.words: Counter[str] = Counter()  # known words (KB + synonyms) -> count, for spelling
        self.stems: set[str] = set()
        for concept, phrases in groups.items():
            ctoks = _tokens(concept)
            if not ctoks:
                continue
            term = "_".join(stem(t) for t in ctoks)
            self.names.setdefault(term, " ".join(ctoks))
            for phrase in [concept, *phrases]:
                toks = _tokens(phrase)
                if not toks:
                    continue
                self.words.update(toks)
                key = tuple(stem(t) for t in toks)
                self.full.setdefault(key, term)
                if len(toks) > 1 and all(_is_content(t) for t in toks):
                    self.content.setdefault(tuple(sorted(key)), term)
        self.max_len = max((len(k) for k in self.full), default=1)
        self._deletes: dict[str, list[str]] = {}

    def learn(self, texts: Iterable[str]) -> None:
        """Add the words of ``texts`` (the knowledge base) to the words spelling correction knows."""
        for text in texts:
            self.words.update(t for t in _tokens(text) if _is_content(t))
        self.stems = {stem(w) for w in self.words}
        # Every known word with one letter deleted -> the words, for one-edit look-ups.
        self._deletes = {}
        for w in self.words:
            if len(w) >= 3 and w.isalpha():
                for d in {w[:k] + w[k + 1:] for k in range(len(w))}:
                    self._deletes.setdefault(d, []).append(w)

    def correct(self, token: str) -> str:
        """The known word one edit (insert, delete, substitute, swap) away from an unknown ``token``.

        Only for letter-only words of 5+ letters that the knowledge base never uses (shorter
        words are too often other real words); among several candidates the most frequent
        wins. Returns ``token`` when none is found.
        """
        if (token in self.words or len(token) < 5 or not token.isalpha() or not _is_content(token)
                or stem(token) in self.stems):
            return token
        cands: set[str] = set(self._deletes.get(token, ()))  # a letter missing
        for d in {token[:k] + token[k + 1:] for k in range(len(token))}:
            if d in self.words:  # a letter too many
                cands.add(d)
            cands.update(self._deletes.get(d, ()))  # a letter wrong, or two swapped
        cands = {c for c in cands if len(c) >= 5 and _one_edit(token, c)}
        if not cands:
            return token
        return max(sorted(cands), key=lambda c: self.words[c])

    def read(self, text: str, correct: bool = False) -> tuple[list[str], list[str]]:
        """Normalised tokens of ``text`` (spelling-corrected if ``correct``) and their labels."""
        toks = _tokens(text)
        if not correct:
            return toks, toks
        fixed = [self.correct(t) for t in toks]
        return fixed, [t if t == f else f"{t} ({f})" for t, f in zip(toks, fixed)]

    def units(self, toks: list[str], labels: list[str]) -> list[tuple[str, str]]:
        """``(term, label)`` for each content word or synonym phrase of the tokens, in order.

        A synonym phrase gives only its concept term (replacing its words: keeping them as well
        measured worse, as the words then count twice).
        """
        stems = [stem(t) for t in toks]
        content = [_is_content(t) for t in toks]
        out: list[tuple[str, str]] = []
        n, i = len(toks), 0
        while i < n:
            found = self._match(stems, content, i)
            if found is None:
                if content[i]:
                    out.append((stems[i], labels[i]))
                i += 1
                continue
            term, pos = found
            out.append((term, self._label(term, [toks[p] for p in pos], [labels[p] for p in pos])))
            i = pos[-1] + 1
        return out

    def _match(self, stems: list[str], content: list[bool], i: int) -> tuple[str, list[int]] | None:
        """The longest synonym phrase starting at token ``i``: (concept term, its token positions)."""
        n = len(stems)
        for size in range(min(self.max_len, n - i), 0, -1):
            term = self.full.get(tuple(stems[i:i + size]))
            if term is not None:
                return term, list(range(i, i + size))
        if not content[i] or not self.content:
            return None
        pos, j, gap = [i], i + 1, 0
        while len(pos) < self.max_len and j < n and gap <= 3:
            if content[j]:
                pos.append(j)
                gap = 0
            else:
                gap += 1
            j += 1
        for size in range(len(pos), 1, -1):
            term = self.content.get(tuple(sorted(stems[p] for p in pos[:size])))
            if term is not None:
                return term, pos[:size]
        return None

    def _label(self, term: str, toks: list[str], labels: list[str]) -> str:
        surface, name = " ".join(labels), self.names[term]
        return surface if " ".join(toks) == name else f"{surface} -> {name}"

    def terms(self, text: str) -> list[str]:
        """Word features of a knowledge-base text (no spelling correction)."""
        toks, labels = self.read(text)
        return [t for t, _ in self.word_features(self.units(toks, labels))]

    def unigrams(self, text: str) -> list[str]:
        """Terms of a knowledge-base text, without word pairs."""
        toks, labels = self.read(text)
        return [t for t, _ in self.units(toks, labels)]

    def char_terms(self, text: str) -> list[str]:
        """Character features of a knowledge-base text."""
        toks, labels = self.read(text)
        return [t for t, _ in self.char_features(toks, labels)]

    @staticmethod
    def word_features(units: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Each unit's term, then each pair of neighbouring terms (``"a b"``), with their labels."""
        feats = list(units)
        plain = [lab.split(" -> ")[0] for _, lab in units]  # a pair's label: the words as written
        feats += [(f"{a[0]} {b[0]}", f"{pa} {pb}") for a, b, pa, pb in zip(units, units[1:], plain, plain[1:])]
        return feats

    @staticmethod
    def char_features(toks: list[str], labels: list[str]) -> list[tuple[str, str]]:
        """Character 3-5-grams of each content token padded with spaces (scikit-learn's ``char_wb``)."""
        feats = []
        for tok, label in zip(toks, labels):
            if not _is_content(tok):
                continue
            padded = f" {tok} "
            for size in (3, 4, 5):
                if len(padded) < size:
                    break
                feats += [(padded[k:k + size], label) for k in range(len(padded) - size + 1)]
        return feats


# --- results -----------------------------------------------------------------------------------


@dataclass
class Match:
    """One ranked FAQ entry for a query.

    ``score`` is the cosine similarity in [0, 1] between the query and the entry's closest
    phrasing; ``confidence`` in [0, 1] (see :meth:`TfidfRetriever.confidence`) is 0.5 at the
    retriever's threshold; ``rank`` is 1-based; ``terms`` are the query words (after synonym
    expansion: ``single sign-on -> sso``) that contributed most, best first; ``contributions``
    maps each contributing query word to its share of ``score`` (the shares sum to ``score``);
    ``phrasing`` is the question or alternate question that matched best.
    """

    entry: FaqEntry
    score: float
    confidence: float
    rank: int
    terms: list[str] = field(default_factory=list)
    contributions: dict[str, float] = field(default_factory=dict)
    phrasing: str = ""

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

    ``matches`` are best first (length ``min(top_k, len(kb))``); ``abstained`` is True when the
    best score is below ``threshold`` or beats the runner-up by less than the retriever's
    ``min_margin``, in which case the matches are only the closest candidates. ``margin`` is the
    best score minus the second best (the best score when the knowledge base has one entry).
    """

    query: str
    matches: list[Match]
    abstained: bool
    threshold: float
    margin: float = 0.0

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


# --- the retriever -----------------------------------------------------------------------------

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
        exists (else none); a path reads that file (see :func:`load_synonyms`); a mapping
        ``{concept: [phrases]}`` is used as is; ``None`` uses no synonyms.
    clean_tickets : bool, default True
        Strip quoted mail, greetings and signatures from a query before scoring it.

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
                 bigram_weight: float = 0.5, synonyms: SynonymSource = "auto", clean_tickets: bool = True):
        self.threshold = threshold
        self.min_margin = min_margin
        self.question_weight = question_weight
        self.char_weight = char_weight
        self.answer_weight = answer_weight
        self.page_weight = page_weight
        self.bigram_weight = bigram_weight
        self.synonyms = synonyms
        self.clean_tickets = clean_tickets

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
            except (ValueError, OSError) as exc:  # a broken synonym file never stops answering
                msg = str(exc) if isinstance(exc, ValueError) else f"{path}: cannot read synonym file: {exc}"
                self.problems_.append(Problem(str(path), None, "error", "synonyms-invalid",
                                              f"{msg}; searching without synonyms"))
                warnings.warn(self.problems_[-1].message, stacklevel=3)
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
            # Feedback alternates are queries as typed (maybe whole tickets): read them like a query.
            extra[entry_id] = [self.query_text(str(t)) for t in ([texts] if isinstance(texts, str) else texts)]
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
            answers), used like the entries' own ``alternate_questions``. Ids not in ``kb`` are
            ignored and listed in ``problems_``.

        Raises
        ------
        ValueError
            If the knowledge base has no entries, or an explicit ``synonyms`` file is invalid.
        """
        self.entries_ = list(kb)
        if not self.entries_:
            raise ValueError("cannot fit a retriever on an empty knowledge base (no FAQ entries were found)")
        self.problems_: list[Problem] = []
        self.synonyms_ = self._read_synonyms(kb)
        self._analyzer = _Analyzer(self.synonyms_)
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
        self._csc = self.matrix_.tocsc()
        self._rows = rows
        self._starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        return self

    # -- querying --

    def query_text(self, query: str) -> str:
        """The part of ``query`` that is scored: the ticket cleaned (if enabled) and length-capped."""
        text = query[:MAX_INPUT_CHARS]
        if self.clean_tickets:
            text = clean_ticket(text) or text
        return text[:MAX_QUERY_CHARS]

    def query_features(self, query: str) -> dict[str, list[tuple[str, str]]]:
        """The query's features per block, ``{block: [(term, label), ...]}``, in query order.

        Blocks: ``question`` and ``answer`` (terms and word pairs ``"a b"``), ``question_chars``
        (character n-grams), ``page`` (terms). ``label`` is the query word(s) as written, with a
        spelling correction as ``word (corrected)`` and a synonym group as ``words -> concept``.
        """
        self._check_fitted()
        toks, labels = self._analyzer.read(self.query_text(query), correct=True)
        units = self._analyzer.units(toks, labels)
        words = _Analyzer.word_features(units)
        return {"question": words, "question_chars": _Analyzer.char_features(toks, labels), "answer": words,
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
        matches exactly like the score; it is not a calibrated probability.
        """
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
            row_scores = np.asarray(self._csc[:, cols] @ vals).ravel()
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
            A question or a whole ticket. Must contain a non-space character. Any text is
            answered in bounded time: input past 100,000 characters, and a cleaned query past
            4,000, is cut; text made only of stop words or of another script just scores low.
        top_k : int, default 3
            How many matches to return (at most the number of entries).

        Raises
        ------
        ValueError
            If ``query`` is empty or whitespace only, or ``top_k < 1``.
        """
        self._check_fitted()
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query is empty: type a question or paste a ticket")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
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
            parts = np.asarray(self._csc[row, cols].toarray()).ravel() * vals / qnorm
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
