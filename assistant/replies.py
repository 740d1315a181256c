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

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence
from urllib.parse import urljoin, urlsplit

from .entries import FaqEntry, entry_link
from .rendering import markdown_safe, markdown_url, safe_url, strip_html, terminal_safe
from .results import SearchResult
from .tickets import clean_ticket, signature_name, split_questions

if TYPE_CHECKING:  # only its search() is called here; importing it would import scikit-learn
    import pandas as pd

    from .retrieval import TfidfRetriever

__all__ = ["QuestionSuggestions", "TicketAnalysis", "analyze_ticket", "build_reply", "cite", "summarize", "REPLY_FORMATS",
           "greeting_for", "page_urls", "published_link", "answer_links", "reply_section"]

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
    #: Questions found but not searched yet (``analyze_ticket(..., max_questions=n)``), in ticket order.
    pending: list[str] = field(default_factory=list)

    @property
    def total_questions(self) -> int:
        """Questions the ticket asks: searched plus pending."""
        return len(self.questions) + len(self.pending)

    def search_more(self, retriever: TfidfRetriever, n: int, top_k: int = 3) -> list[QuestionSuggestions]:
        """Search the next ``n`` pending questions, append them to ``questions`` and return them."""
        todo, self.pending = self.pending[:n], self.pending[n:]
        more = [QuestionSuggestions(q, retriever.search(q, top_k=top_k)) for q in todo]
        self.questions.extend(more)
        return more

    def to_frame(self) -> pd.DataFrame:
        """One row per (question, suggestion): ``question_no`` (1-based), ``question``, ``answered``,
        ``rank``, ``id``, ``faq_question``, ``score``, ``confidence``."""
        cols = ["question_no", "question", "answered", "rank", "id", "faq_question", "score", "confidence"]
        rows = [
            {"question_no": n, "question": q.question, "answered": q.answered, "rank": m.rank, "id": m.entry.id,
             "faq_question": m.entry.question, "score": m.score, "confidence": m.confidence}
            for n, q in enumerate(self.questions, 1) for m in q.result.matches
        ]
        import pandas as pd  # only a caller that wants a frame pays for pandas

        return pd.DataFrame(rows, columns=cols)


def analyze_ticket(ticket: str, retriever: TfidfRetriever, top_k: int = 3,
                   max_questions: int | None = None) -> TicketAnalysis:
    """Clean a ticket once, split it into questions and search the knowledge base for each.

    Parameters
    ----------
    ticket : str
        The whole ticket as pasted (greeting, body, signature, quoted earlier mail).
    retriever : TfidfRetriever
        A fitted retriever.
    top_k : int, default 3
        Suggestions per question.
    max_questions : int, optional
        Search at most this many questions; the rest are listed in ``pending`` (a pasted list of
        300 questions stays quick; :meth:`TicketAnalysis.search_more` searches more). Default: all.

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
    limit = len(questions) if max_questions is None else max(0, max_questions)
    return TicketAnalysis(ticket, cleaned,
                          [QuestionSuggestions(q, retriever.search(q, top_k=top_k)) for q in questions[:limit]],
                          pending=questions[limit:])


def cite(entry: FaqEntry, site_url: str | None = None) -> str:
    """Where a reader finds the entry: its absolute link, else ``entry.url`` as written, else ``source:line``."""
    return entry_link(entry, site_url) or entry.citation


def page_urls(entries: Iterable[FaqEntry]) -> dict[str, str]:
    """``{source: page URL}`` for the pages whose front matter gives one (``url``, else the first
    ``aliases``), the anchor removed: what :func:`published_link` uses for links between pages of
    the knowledge base. ``entries`` is a :class:`~assistant.knowledge_base.KnowledgeBase` or any
    iterable of entries."""
    out: dict[str, str] = {}
    for e in entries:
        if e.url and e.source not in out:
            out[e.source] = e.url.split("#", 1)[0]
    return out


_PAGE_SUFFIXES = (".md", ".mdx", ".markdown")
_INDEX_PAGES = ("index", "_index", "readme")


def _site_root(entry: FaqEntry, site_url: str | None) -> str | None:
    """The published site's base URL: ``site_url``, else the scheme and host of the entry's absolute URL."""
    if site_url and urlsplit(site_url).scheme in ("http", "https") and urlsplit(site_url).netloc:
        return site_url
    link = entry_link(entry)
    if link:
        parts = urlsplit(link)
        return f"{parts.scheme}://{parts.netloc}/"
    return None


def published_link(target: str, entry: FaqEntry, site_url: str | None = None,
                   pages: Mapping[str, str] | None = None) -> str | None:
    """Where a link inside ``entry``'s answer points on the published site, or ``None``.

    Parameters
    ----------
    target : str
        The link target as written in the answer: absolute (``https://...``, ``mailto:``), a page of
        the docs source (``../../upgrade.md#plans``, relative to the entry's file), site-absolute
        (``/billing/``) or a fragment (``#other-question``).
    entry : FaqEntry
        The entry whose answer holds the link.
    site_url : str, optional
        Base URL of the published site (``https://docs.example.com/``).
    pages : mapping, optional
        ``{source: page URL}`` of the knowledge base (:func:`page_urls`).

    Returns
    -------
    str or None
        An absolute http(s) or mailto URL, never a ``.md`` source path: a page of the knowledge
        base links to its front matter ``url`` / ``aliases`` page; any other markdown page to the
        site URL plus the page's path without its suffix (``security/tokens.md`` ->
        ``https://docs.example.com/security/tokens/``; ``index.md`` / ``_index.md`` -> its folder);
        a fragment to the entry's page. ``None`` for unsafe schemes and when no site URL is known
        (neither ``site_url`` nor an absolute entry URL).
    """
    target = (target or "").strip()
    if not target:
        return None
    if urlsplit(target).scheme:
        return safe_url(target)
    root = _site_root(entry, site_url)
    if root is None:
        return None
    path, _, fragment = target.partition("#")
    frag = f"#{fragment}" if fragment else ""
    page = entry_link(entry, root)
    if not path:
        return safe_url(page.split("#", 1)[0] + frag) if page else None
    if path.startswith("/"):
        resolved = path.lstrip("/")
    else:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.source), path))
        while resolved.startswith("../"):  # a link above the knowledge base's root: clamp like a URL
            resolved = resolved[3:]
        resolved = "" if resolved in (".", "..") else resolved
    if pages and resolved in pages:
        return safe_url(urljoin(root, pages[resolved]) + frag)
    stem, ext = posixpath.splitext(resolved)
    if ext.lower() not in _PAGE_SUFFIXES:  # an image, a file or an extensionless page: as written
        base = page or root
        return safe_url(urljoin(base, target))
    if posixpath.basename(stem).lower() in _INDEX_PAGES:
        stem = posixpath.dirname(stem)
    page_path = f"{stem}/" if stem else ""
    return safe_url(root.rstrip("/") + "/" + page_path + frag)


def answer_links(entry: FaqEntry, site_url: str | None = None,
                 pages: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{target as written: published URL}`` for each link in the entry's answer that has one
    (:func:`published_link`); the console renders answers with it, the reply lists them."""
    out: dict[str, str] = {}
    for ln in entry.links:
        url = published_link(ln["target"], entry, site_url, pages)
        if url:
            out[ln["target"]] = url
    return out


def greeting_for(ticket: str | None) -> str:
    """``"Hi Sam,"`` when the ticket is signed (:func:`assistant.tickets.signature_name`), else ``"Hi,"``."""
    name = signature_name(ticket) if ticket else None
    return f"Hi {name}," if name else "Hi,"


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
    greeting: str | None = None,
    closing: str = "Best regards,",
    max_answer_chars: int = 500,
    ticket: str | None = None,
    pages: Mapping[str, str] | None = None,
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
    greeting : str, optional
        First line of the draft; default :func:`greeting_for` the ticket (``"Hi Sam,"`` when it is
        signed by Sam, else ``"Hi,"``).
    closing : str, default "Best regards,"
        Last line of the draft.
    max_answer_chars : int, default 500
        Each answer is summarized to about this many characters (see :func:`summarize`).
    ticket : str, optional
        The customer's ticket, for the greeting.
    pages : mapping, optional
        ``{source: page URL}`` of the knowledge base (:func:`page_urls`): links inside an answer
        to another page of it go to that page's published URL.

    Links inside an answer are listed under it with their published URL (:func:`published_link`),
    never a ``.md`` source path.

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
    if greeting is None:  # the name comes from the ticket: untrusted
        greeting = greeting_for(ticket)
        greeting = markdown_safe(greeting) if fmt == "markdown" else strip_html(greeting)
    parts = [greeting, intro]
    parts += [reply_section(e, n, fmt=fmt, site_url=site_url, pages=pages, max_answer_chars=max_answer_chars)
              for n, e in enumerate(chosen, 1)]
    parts.append(closing)
    return "\n\n".join(p for p in parts if p) + "\n"


def reply_section(entry: FaqEntry, n: int = 1, *, fmt: str = "markdown", site_url: str | None = None,
                  pages: Mapping[str, str] | None = None, max_answer_chars: int = 500) -> str:
    """The part of a reply that answers with one entry (what :func:`build_reply` writes per entry).

    ``n`` numbers it in the ``text`` format. The console adds it to a draft the engineer has
    already edited, instead of rebuilding the draft. Raises ``ValueError`` for an unknown ``fmt``.
    """
    if fmt not in REPLY_FORMATS:
        raise ValueError(f"reply format must be one of {', '.join(REPLY_FORMATS)}; got {fmt!r}")
    e = entry
    answer = summarize(e.answer_text, max_answer_chars)
    link = entry_link(e, site_url)
    # Links inside the answer lose their targets in answer_text; list those a reader can open.
    see = [(ln["text"] or url, url) for ln in e.links
           if (url := published_link(ln["target"], e, site_url, pages)) and ln["text"] in answer]
    # FAQ text is untrusted: the draft is pasted into helpdesks that render markdown and HTML.
    # Markdown: every FAQ string escaped (raw HTML and link syntax show as text), links built here
    # only to http/https/mailto URLs. Text: HTML tags dropped, no link syntax added.
    link = safe_url(link) if link else None
    see = [(text, url) for text, url in see if safe_url(url)]
    if fmt == "markdown":
        quoted = "\n".join(f"> {markdown_safe(line)}".rstrip() for line in answer.splitlines())
        also = "".join(f"\n- [{markdown_safe(text)}]({markdown_url(url)})" for text, url in see)
        where = (f"[{markdown_safe(e.title or e.question)}]({markdown_url(link)})" if link
                 else f"`{terminal_safe(cite(e, site_url))}`" if "`" not in cite(e, site_url)
                 else markdown_safe(cite(e, site_url)))
        return f"**{markdown_safe(e.question)}**\n\n{quoted}\n{also}\n\nSource: {where}".replace("\n\n\n", "\n\n")
    body = "\n".join(f"   {strip_html(line)}".rstrip() for line in answer.splitlines())
    also = "".join(f"\n   {strip_html(text)}: {terminal_safe(url)}" for text, url in see)
    return f"{n}. {strip_html(e.question)}\n{body}{also}\n   Source: {strip_html(cite(e, site_url))}"
