"""What a search returns: ranked :class:`Match` objects in a :class:`SearchResult`.

A result is plain data: ``to_dict()`` is the ``ask --json`` contract, ``to_frame()`` a table of
the matches and ``to_text()`` what ``faq-assistant ask`` prints.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .entries import FaqEntry

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Match", "SearchResult", "ConfidenceWords", "confidence_words", "display_terms"]


class ConfidenceWords(NamedTuple):
    """How a confidence reads: ``level`` (``"high"``, ``"medium"``, ``"low"``, ``"very low"``) for
    colours, ``text`` for people: ``"Likely answer"``, ``"Possible"`` or ``"No answer in the FAQ"``."""

    level: str
    text: str


#: (lowest confidence, level, words), highest first: the one mapping every view uses.
#: 0.5 is the retriever's answering threshold: below it the retriever abstains, so the words say
#: the FAQ has no answer (the match is only the closest candidate).
CONFIDENCE_BANDS = ((0.75, "high", "Likely answer"), (0.5, "medium", "Possible"),
                    (0.3, "low", "No answer in the FAQ"), (0.0, "very low", "No answer in the FAQ"))


def confidence_words(confidence: float) -> ConfidenceWords:
    """Words and a level for a match's ``confidence`` (0..1; 0.5 is the retriever's answering
    threshold). The one place the console's words and colours come from, so recalibrating the
    confidence never touches a view: ``confidence_words(0.8)`` -> ``("high", "Likely answer")``."""
    c = float(confidence)
    for floor, level, text in CONFIDENCE_BANDS:
        if c >= floor:
            return ConfidenceWords(level, text)
    return ConfidenceWords(*CONFIDENCE_BANDS[-1][1:])


@dataclass
class Match:
    """One ranked FAQ entry for a query.

    ``score`` is the cosine similarity in [0, 1] between the query and the entry's closest
    phrasing; ``confidence`` in [0, 1] (see :meth:`assistant.retrieval.TfidfRetriever.confidence`) is 0.5 at the
    retriever's threshold; ``rank`` is 1-based; ``terms`` are the query words (after synonym
    expansion: ``single sign-on -> sso``) that contributed most, best first; ``contributions``
    maps each contributing query word to its share of ``score`` (the shares sum to ``score``);
    ``phrasing`` is the question or alternate question that matched best. ``explain``, when
    given, computes ``contributions`` the first time ``terms`` or ``contributions`` is read
    (a search explains its matches only when someone looks; ``terms`` are then
    :func:`display_terms` of them).
    """

    entry: FaqEntry
    score: float
    confidence: float
    rank: int
    terms: list[str] = field(default_factory=list)
    contributions: dict[str, float] = field(default_factory=dict)
    phrasing: str = ""
    explain: Callable[[], dict[str, float]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.explain is not None:  # read on first use, through __getattr__
            del self.terms, self.contributions

    def __getattr__(self, name: str) -> Any:
        explain = self.__dict__.get("explain")
        if name not in ("terms", "contributions") or explain is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.contributions = explain()
        self.terms = display_terms(self.contributions)
        return self.__dict__[name]

    def to_dict(self) -> dict[str, Any]:
        """The ``ask --json`` match object.

        ``{"id": str, "question": str, "score": float, "confidence": float, "source": str,
        "line": int, "url": str | None, "terms": list of str}``; score and confidence rounded to 4 places.
        """
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

    ``query`` is the text that was searched (a ticket already cleaned by the caller); ``matches`` are best first (length ``min(top_k, len(kb))``); ``abstained`` is True when the
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
        """``{"query": str, "answered": bool, "matches": [Match.to_dict(), ...]}``, the ``ask --json`` contract."""
        return {"query": self.query, "answered": self.answered, "matches": [m.to_dict() for m in self.matches]}

    def to_frame(self) -> pd.DataFrame:
        """One row per match: rank, id, question, score, confidence, source, line, url."""
        import pandas as pd  # only a caller that wants a frame pays for pandas

        cols = ["rank", "id", "question", "score", "confidence", "source", "line", "url"]
        return pd.DataFrame(
            [{"rank": m.rank, **{k: v for k, v in m.to_dict().items() if k in cols}} for m in self.matches],
            columns=cols,
        )

    def to_text(self, width: int = 88) -> str:
        """The ``ask`` command's text: the best entry in full (answer wrapped to ``width``), then the other candidates.

        When the result abstained, only the closest candidates, after a line saying so.
        """
        lines: list[str] = []
        best = self.best
        if best is None:
            return "The knowledge base is empty."
        if self.abstained:
            lines.append(f"No FAQ entry answers this confidently (best confidence {best.confidence:.2f}, "
                         f"below the threshold). Closest candidates:")
            rest = self.matches
        else:
            e = best.entry
            lines += [f"Best match (confidence {best.confidence:.2f}, score {best.score:.3f})", "", f"Q: {e.question}", ""]
            for para in e.answer_text.split("\n"):
                lines.append(textwrap.fill(para, width, initial_indent="   ", subsequent_indent="   ")
                             if para.strip() else "")
            lines += ["", f"Source: {e.source}:{e.line}"]
            if e.url:
                lines.append(f"URL:    {e.url}")
            if best.terms:
                lines.append(f"Why:    matched {', '.join(best.terms)}")
            rest = self.matches[1:]
            if rest:
                lines += ["", "Other candidates:"]
        for m in rest:
            lines.append(f"  {m.rank}. [{m.confidence:.2f}] {textwrap.shorten(m.entry.question, width - 12)}")
            lines.append(f"       {m.entry.source}:{m.entry.line}")
        return "\n".join(lines)


def display_terms(contributions: Mapping[str, float], n: int = 5) -> list[str]:
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
