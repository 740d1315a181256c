"""Duplicate and near-duplicate questions across every linted file.

``duplicate-question``: the same question after normalizing case, width, spacing, ``[TAG]``
prefixes and the final ``?``. ``near-duplicate-question``: the TF-IDF cosine of the two
questions' content words (stop words dropped, plural ``s`` stripped) is at least
``near_duplicate``, unless one question only adds words to the other (a narrower question:
"... in Docker?", "non-commercial") or they are written in different scripts (translations).
Both are warnings on the later entry, naming the first one like it.

Only questions on one page or in one section (the same folder) are compared, unless both are
long and specific (at least :data:`SPECIFIC_WORDS` content words) or their answers are similar:
the same generic "How does it work?" on two products' pages is no duplicate, nor is a template
heading ("What's new?") repeated under different sections with different answers. Near-duplicates need similar answers too (TF-IDF
cosine of the answers' content words at least :data:`SIMILAR_ANSWERS`): "How Docker Offload
works" and "Why use Docker Offload?" share words but answer different things.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from ..entries import FaqEntry
from ..problems import Problem
from .pages import short

__all__ = ["NEAR_DUPLICATE", "check_duplicates", "prepare"]

#: TF-IDF cosine of two questions' content words from which they are near-duplicates.
NEAR_DUPLICATE = 0.76

#: Words that do not change what a question asks, besides scikit-learn's English stop words.
_EXTRA_STOP_WORDS = frozenset({"possible", "way", "able", "please", "does", "do", "did"})
#: Content words from which a question is specific enough to be compared across sections.
SPECIFIC_WORDS = 6
#: TF-IDF cosine of two answers from which near-duplicate questions are reported.
SIMILAR_ANSWERS = 0.5
#: Rows of the question-similarity matrix computed at a time (keeps it small).
_BLOCK = 500


def _normal_question(q: str) -> str:
    q = unicodedata.normalize("NFKC", q).casefold()
    q = re.sub(r"^(?:\[[^\]]{1,40}\]\s*)+", "", q)  # [TAG] prefixes
    q = re.sub(r"[\s\u00a0]+", " ", q).strip()
    return q.rstrip(" ?？.!。").replace("\u2019", "'")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """scikit-learn's English stop words and :data:`_EXTRA_STOP_WORDS` (scikit-learn is imported on first use)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _EXTRA_STOP_WORDS


def prepare() -> None:
    """Import what :func:`check_duplicates` needs (scikit-learn: about a second), e.g. in a worker
    process while the pages are still being parsed."""
    _stop_words()
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: F401


def _tfidf(docs: list[list[str]]):
    """Rows of L2-normalized TF-IDF weights (scipy CSR matrix, one row per list of words in ``docs``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=lambda ws: ws).fit_transform(docs)


def _content_words(q: str) -> list[str]:
    """Words that carry a question's meaning: stop words dropped, plural ``s`` stripped."""
    words = []
    stop = _stop_words()
    for w in re.findall(r"[^\W_]+", q):
        if w in stop or len(w) < 2:
            continue
        words.append(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return words


def _other_script(q: str) -> bool:
    """True for text in CJK or, mostly, in another non-Latin script (so translations are not duplicates)."""
    if re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", q):
        return True
    letters = [c for c in q if c.isalpha()]
    return bool(letters) and sum(not c.isascii() for c in letters) / len(letters) > 0.3


def check_duplicates(entries: Sequence[tuple[str, FaqEntry]], near_duplicate: float = NEAR_DUPLICATE) -> list[Problem]:
    """Duplicate and near-duplicate questions among ``entries`` (``(shown file, entry)`` pairs, in
    file order): each later entry refers to the first one like it (see the module docstring).

    ``near_duplicate`` is the cosine (0..1) from which two questions are near-duplicates.
    """
    out: list[Problem] = []
    normal = [_normal_question(e.question) for _, e in entries]
    words = [_content_words(q) for q in normal]
    folder = [shown.rsplit("/", 1)[0] if "/" in shown else "" for shown, _ in entries]

    answer_words = [_content_words(_normal_question(e.answer_text)) or ["\0"] for _, e in entries]
    A = _tfidf(answer_words) if entries else None

    def similar_answers(i: int, j: int) -> bool:
        return (A[i] @ A[j].T).toarray()[0, 0] >= SIMILAR_ANSWERS

    section = [e.section for _, e in entries]

    def comparable(i: int, j: int) -> bool:
        if similar_answers(i, j):
            return True
        if section[i] and section[j] and section[i] != section[j]:
            return False  # a template heading ("What's new?") under different sections says what differs
        return folder[i] == folder[j] or (len(set(words[i])) >= SPECIFIC_WORDS and len(set(words[j])) >= SPECIFIC_WORDS)

    first: dict[str, list[int]] = {}
    exact: set[int] = set()
    for i, q in enumerate(normal):
        if not q:
            continue
        match = next((j for j in first.get(q, []) if comparable(i, j)), None)
        first.setdefault(q, []).append(i)
        if match is not None:
            shown, e = entries[match]
            out.append(Problem(entries[i][0], entries[i][1].line, "warning", "duplicate-question",
                               f"same question as {shown}:{e.line}: readers and the retriever cannot tell them "
                               "apart; merge them or say in the question what differs"))
            exact.add(i)
    uniq = [i for i in range(len(entries)) if words[i] and i not in exact]
    if len(uniq) < 2:
        return out
    X = _tfidf([words[i] for i in uniq])
    for start in range(0, len(uniq), _BLOCK):
        sims = (X[start:start + _BLOCK] @ X.T).toarray()
        for r, row in enumerate(sims):
            a = start + r
            ia = uniq[a]
            best: tuple[float, int] | None = None
            for b in row[:a].nonzero()[0]:
                ib = uniq[b]
                wa, wb = set(words[ia]), set(words[ib])
                if row[b] < near_duplicate or (wa != wb and (wa < wb or wb < wa)) \
                        or _other_script(normal[ia]) != _other_script(normal[ib]) or not comparable(ia, ib) \
                        or not similar_answers(ia, ib):
                    continue
                if best is None or row[b] > best[0]:
                    best = (float(row[b]), ib)
            if best is not None:
                (shown_a, ea), (shown_b, eb) = entries[ia], entries[best[1]]
                out.append(Problem(shown_a, ea.line, "warning", "near-duplicate-question",
                                   f"nearly the same question as {shown_b}:{eb.line} ({short(eb.question)!r}; "
                                   f"similarity {best[0]:.2f}): merge them or say in the question what differs"))
    return out
