"""Gap topics: uncovered tickets grouped by what they are about (agglomerative clustering over TF-IDF).

:func:`find_gaps` takes cleaned, redacted ticket texts and returns a topic label per text and the
:class:`Gap` topics, biggest first. :func:`one_line` shows a ticket on one line the way every
coverage output does (subject and body joined with `` | ``).
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

__all__ = ["Gap", "find_gaps", "one_line", "draft_entry", "GAP_STOP_WORDS"]

#: Words that say nothing about a ticket's topic: English function words and helpdesk filler.
GAP_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "hi hello hey dear thanks thank thx regards cheers best kind sincerely please pls urgent asap help "
    "need needs want wants like know tried try trying able unable issue problem question questions "
    "ticket team support wondering wonder let just really ve ll re don doesn didn isn aren won can "
    "could would should does did use using used way possible currently".split()
)
_PLACEHOLDER_RE = re.compile(r"\[(?:email|phone|token)\]")
_PARAGRAPH_RE = re.compile(r"\s*\n\s*\n\s*")


def one_line(text: str, width: int) -> str:
    """Ticket text on one line: paragraph breaks (subject | body) shown as `` | ``, cut to ``width`` characters."""
    return textwrap.shorten(_PARAGRAPH_RE.sub(" | ", text.strip()), width, placeholder=" ...")


_SENTENCE_RE = re.compile(r"[^.!?\n]*\?")
_GREETING_RE = re.compile(r"^(?:hi|hello|hey|dear)\b[^,.!?]*[,.!]?\s*", re.I)


def _question_from(ticket: str) -> str:
    """A question phrased from a ticket: its first sentence ending in ``?``, else its subject line with ``?``."""
    paragraphs = [p.strip() for p in _PARAGRAPH_RE.split(ticket.strip()) if p.strip()]
    for part in paragraphs:
        for m in _SENTENCE_RE.finditer(_GREETING_RE.sub("", part)):
            q = " ".join(m.group(0).split())
            if len(q.split()) >= 3:
                return q[0].upper() + q[1:]
    first = " ".join(_GREETING_RE.sub("", paragraphs[0] if paragraphs else ticket).split()).rstrip(".!:;,")
    first = textwrap.shorten(first, 120, placeholder="...") or "New question"
    return first[0].upper() + first[1:] + ("" if first.endswith("?") else "?")


def _markdown_safe(text: str) -> str:
    """Ticket text safe inside a markdown heading or an HTML comment: no tags, no comment end."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    while "--" in text:
        text = text.replace("--", "- -")
    return text


def draft_entry(label: str, size: int, central: str, examples: list[str]) -> str:
    """A markdown skeleton of a new FAQ entry for a gap (see :attr:`Gap.draft`)."""
    question = _markdown_safe(_question_from(central)).lstrip("#").strip()
    lines = [f"### {question}", "", f"<!-- Draft for the coverage gap \"{_markdown_safe(label)}\" ({size} uncovered "
             "tickets). Example tickets (redacted):"]
    lines += [f"  - {_markdown_safe(e)}" for e in examples]
    lines += ["Write the answer below, check the question, then remove this comment. -->", "",
              "TODO: the answer.", ""]
    return "\n".join(lines)


@dataclass
class Gap:
    """A topic of uncovered tickets: ``size`` tickets, their top ``terms``, a few ``examples``.

    ``label`` is the top three terms joined by `` / `` (``"(no distinctive words)"`` when there are none).
    ``draft`` is a markdown skeleton of a new FAQ entry a maintainer can paste into a page: a
    ``###`` question phrased from the gap's most central ticket (its first sentence ending in
    ``?``, else its subject) and the redacted example tickets in an HTML comment; ticket text is
    escaped (``&lt;``, no ``--``) so it can neither add markup nor end the comment.
    """

    label: str
    size: int
    terms: list[str]
    examples: list[str]
    draft: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"label": str, "size": int, "terms": [str], "examples": [str], "draft": str}``."""
        return {"label": self.label, "size": self.size, "terms": list(self.terms), "examples": list(self.examples),
                "draft": self.draft}


def find_gaps(texts: Sequence[str], *, distance: float = 0.8, min_size: int = 2, max_examples: int = 3,
              max_tickets: int = 2000, seed: int = 0) -> tuple[np.ndarray, list[Gap]]:
    """Group ticket texts into topics (agglomerative clustering over TF-IDF, cosine, average linkage).

    Parameters
    ----------
    texts : sequence of str
        Cleaned, redacted ticket texts (usually the uncovered ones).
    distance : float, default 0.8
        Cosine distance under which groups merge (average over their tickets' pairs); lower makes
        tighter, smaller topics.
    min_size : int, default 2
        Smaller groups are not reported as gaps (label -1).
    max_examples : int, default 3
        Example tickets per gap: the ones closest to the topic's centre, skipping any nearly the same
        as one already chosen, shortened to 200 characters (paragraph breaks shown as ``|``).
    max_tickets : int, default 2000
        At most this many tickets are clustered (a fixed random sample, memory is O(n^2)); the
        others join the nearest topic when within ``distance`` of its centre.
    seed : int, default 0
        Seed of that sample.

    Returns
    -------
    labels : ndarray of int, shape (len(texts),)
        Index into ``gaps`` for each text, -1 when it belongs to no gap.
    gaps : list of Gap
        Biggest first (ties by label).
    """
    n = len(texts)
    labels = np.full(n, -1, dtype=int)
    if n < max(min_size, 2):
        return labels, []
    docs = [_PLACEHOLDER_RE.sub(" ", t) for t in texts]
    vec = TfidfVectorizer(stop_words=sorted(GAP_STOP_WORDS), token_pattern=r"(?u)\b[^\W\d_][^\W_]+\b",
                          sublinear_tf=True, min_df=2 if n >= 20 else 1)
    try:
        X = vec.fit_transform(docs)
    except ValueError:  # nothing but stop words
        return labels, []
    terms = vec.get_feature_names_out()
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, max_tickets, replace=False)) if n > max_tickets else np.arange(n)
    Xs = X[sample]
    dist = np.clip(1.0 - (Xs @ Xs.T).toarray(), 0.0, 1.0)
    np.fill_diagonal(dist, 0.0)
    found = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                    distance_threshold=distance).fit(dist).labels_
    sizes = Counter(found)
    keep = [c for c, s in sizes.items() if s >= min_size]
    if not keep:
        return labels, []
    centres = normalize(np.vstack([np.asarray(Xs[found == c].mean(axis=0)) for c in keep]))
    sims = np.asarray(X @ centres.T)
    best = sims.argmax(axis=1)
    in_sample = np.zeros(n, dtype=bool)
    in_sample[sample] = True
    for pos, c in zip(sample, found):
        if c in keep:
            labels[pos] = keep.index(c)
    outside = ~in_sample & (sims.max(axis=1) >= 1.0 - distance)
    labels[outside] = best[outside]

    gaps: list[tuple[Gap, int]] = []
    for k in range(len(keep)):
        members = np.flatnonzero(labels == k)
        if len(members) < min_size:
            continue
        weights = np.asarray(X[members].mean(axis=0)).ravel()
        top = [str(terms[i]) for i in np.argsort(-weights, kind="stable")[:5] if weights[i] > 0]
        examples: list[str] = []
        chosen: list[int] = []
        ranked = members[np.argsort(-sims[members, k], kind="stable")]
        closest = np.full(len(ranked), -np.inf)  # each ticket's similarity to the nearest example chosen
        for pos, i in enumerate(ranked):
            if closest[pos] > 0.8:
                continue  # nearly the same words as an example already shown
            ex = one_line(texts[i], 200)
            if ex and ex not in examples:
                examples.append(ex)
                chosen.append(i)
                rest = ranked[pos + 1:]
                closest[pos + 1:] = np.maximum(closest[pos + 1:], (X[rest] @ X[i].T).toarray().ravel())
            if len(examples) >= max_examples:
                break
        if not examples:
            examples = [one_line(texts[members[0]], 200)]
        label = " / ".join(top[:3]) or "(no distinctive words)"
        central = texts[chosen[0]] if chosen else texts[members[0]]
        gaps.append((Gap(label, len(members), top, examples, draft_entry(label, len(members), central, examples)), k))
    gaps.sort(key=lambda g: (-g[0].size, g[0].label))
    remap = {old: new for new, (_, old) in enumerate(gaps)}
    labels = np.array([remap.get(x, -1) for x in labels], dtype=int)
    return labels, [g for g, _ in gaps]
