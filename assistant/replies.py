"""Answer a support ticket: questions -> suggested FAQ entries -> a reply draft citing each entry.

The flow the support console drives (and any script can)::

    analysis = analyze_ticket(ticket_text, retriever, top_k=3)
    for q in analysis.questions:          # one per question the ticket asks
        q.question, q.result.matches      # the suggestions, best first
    draft = build_reply([chosen entries], fmt="markdown")

Ticket cleaning and splitting come from :mod:`assistant.tickets` (``clean_ticket``,
``split_questions``); this module only adds the retrieval and the reply. A ticket is cleaned once,
here, before its questions reach the retriever (which does not clean its input).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import pandas as pd

from .entries import FaqEntry, entry_link
from .rendering import safe_url
from .results import SearchResult
from .tickets import clean_ticket, split_questions

if TYPE_CHECKING:  # only its search() is called here; importing it would import scikit-learn
    from .retrieval import TfidfRetriever

__all__ = ["QuestionSuggestions", "TicketAnalysis", "analyze_ticket", "build_reply", "cite", "summarize", "REPLY_FORMATS"]

#: Formats :func:`build_reply` writes.
REPLY_FORMATS = ("markdown", "text")


@dataclass
class QuestionSuggestions:
    """One question a ticket asks and the FAQ entries suggested for it.

    ``question`` is the text as split from the cleaned ticket (untrusted: escape it before
    showing it as HTML); ``result`` is the retriever's answer for it (``result.abstained`` is True
    when no entry clears the threshold, and the matches are then only the closest candidates).
    """

    question: str
    result: SearchResult

    @property
    def answered(self) -> bool:
        return self.result.answered


@dataclass
class TicketAnalysis:
    """A ticket, its cleaned text, and suggestions for each question it asks (in ticket order)."""

    ticket: str
    cleaned: str
    questions: list[QuestionSuggestions]

    def to_frame(self) -> pd.DataFrame:
        """One row per (question, suggestion): ``question_no`` (1-based), ``question``, ``answered``,
        ``rank``, ``id``, ``faq_question``, ``score``, ``confidence``."""
        cols = ["question_no", "question", "answered", "rank", "id", "faq_question", "score", "confidence"]
        rows = [
            {"question_no": n, "question": q.question, "answered": q.answered, "rank": m.rank, "id": m.entry.id,
             "faq_question": m.entry.question, "score": m.score, "confidence": m.confidence}
            for n, q in enumerate(self.questions, 1) for m in q.result.matches
        ]
        return pd.DataFrame(rows, columns=cols)


def analyze_ticket(ticket: str, retriever: TfidfRetriever, top_k: int = 3) -> TicketAnalysis:
    """Clean a ticket once, split it into questions and search the knowledge base for each.

    Parameters
    ----------
    ticket : str
        The whole ticket as pasted (greeting, body, signature, quoted earlier mail).
    retriever : TfidfRetriever
        A fitted retriever.
    top_k : int, default 3
        Suggestions per question.

    Returns
    -------
    TicketAnalysis
        ``cleaned`` is :func:`~assistant.tickets.clean_ticket` of the ticket; ``questions`` holds
        one :class:`QuestionSuggestions` per question :func:`~assistant.tickets.split_questions`
        finds (the whole cleaned text when it finds none), each searched as it is.

    Raises
    ------
    ValueError
        If the ticket is empty or whitespace only, or ``top_k < 1``.
    """
    if not isinstance(ticket, str) or not ticket.strip():
        raise ValueError("the ticket is empty: paste the customer's message")
    cleaned = clean_ticket(ticket)
    questions = split_questions(cleaned) or [cleaned]
    return TicketAnalysis(ticket, cleaned, [QuestionSuggestions(q, retriever.search(q, top_k=top_k)) for q in questions])


def cite(entry: FaqEntry, site_url: str | None = None) -> str:
    """Where a reader finds the entry: its absolute link, else ``entry.url`` as written, else ``source:line``."""
    return entry_link(entry, site_url) or entry.citation


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def summarize(text: str, max_chars: int = 500) -> str:
    """Shorten an answer to at most about ``max_chars`` characters, cutting after a whole sentence.

    Text that already fits is returned unchanged (stripped). Otherwise the longest run of whole
    sentences (or lines) that fits is kept and `` …`` is appended; when even the first sentence
    is too long it is cut at a word boundary.
    """
    text = text.strip()
    if len(text) <= max_chars:
        return text
    cut = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > max_chars:
            break
        cut = m.start()
    if cut < max_chars // 4:
        cut = text.rfind(" ", 0, max_chars) if text.rfind(" ", 0, max_chars) > 0 else max_chars
    return text[:cut].rstrip() + " …"


def build_reply(
    entries: Sequence[FaqEntry] | Iterable[FaqEntry],
    *,
    fmt: str = "markdown",
    site_url: str | None = None,
    greeting: str = "Hi,",
    closing: str = "Best regards,",
    max_answer_chars: int = 500,
) -> str:
    """A short reply draft answering with the chosen FAQ entries, each cited with its link.

    Parameters
    ----------
    entries : sequence of FaqEntry
        The entries the engineer picked, in the order to answer them; an entry listed twice is
        used once.
    fmt : {"markdown", "text"}, default "markdown"
        ``markdown`` quotes each answer (``> ``) under its question in bold and links the source;
        ``text`` writes a numbered list with ``Source:`` lines.
    site_url : str, optional
        Base URL that site-relative entry URLs are resolved against (see :func:`assistant.entries.entry_link`).
    greeting, closing : str
        First and last line of the draft.
    max_answer_chars : int, default 500
        Each answer is summarized to about this many characters (see :func:`summarize`).

    Raises
    ------
    ValueError
        If no entry is given or ``fmt`` is not one of :data:`REPLY_FORMATS`.
    """
    if fmt not in REPLY_FORMATS:
        raise ValueError(f"reply format must be one of {', '.join(REPLY_FORMATS)}; got {fmt!r}")
    chosen: list[FaqEntry] = []
    seen: set[str] = set()
    for e in entries:
        if e.id not in seen:
            seen.add(e.id)
            chosen.append(e)
    if not chosen:
        raise ValueError("no FAQ entry chosen: accept at least one suggestion to build a reply")
    intro = ("Thanks for getting in touch. Here is what our FAQ says:" if len(chosen) == 1
             else "Thanks for getting in touch. Here is what our FAQ says about each of your questions:")
    parts = [greeting, intro]
    for n, e in enumerate(chosen, 1):
        answer = summarize(e.answer_text, max_answer_chars)
        link = entry_link(e, site_url)
        # Links inside the answer lose their targets in answer_text; list those a reader can open.
        see = [(ln["text"] or url, url) for ln in e.links
               if (url := safe_url(ln["target"], link)) and ln["text"] in answer]
        if fmt == "markdown":
            quoted = "\n".join(f"> {line}".rstrip() for line in answer.splitlines())
            also = "".join(f"\n- [{text}]({url})" for text, url in see)
            where = f"[{e.title or e.question}]({link})" if link else f"`{cite(e, site_url)}`"
            parts.append(f"**{e.question}**\n\n{quoted}\n{also}\n\nSource: {where}".replace("\n\n\n", "\n\n"))
        else:
            body = "\n".join(f"   {line}".rstrip() for line in answer.splitlines())
            also = "".join(f"\n   {text}: {url}" for text, url in see)
            parts.append(f"{n}. {e.question}\n{body}{also}\n   Source: {cite(e, site_url)}")
    parts.append(closing)
    return "\n\n".join(p for p in parts if p) + "\n"
