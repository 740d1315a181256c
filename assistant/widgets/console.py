"""The support console: an ipywidgets 8 view over the retriever, ticket analysis, replies and feedback.

Two tabs:

* **Search** - a question box (press Enter or click *Search*); ranked FAQ entries with the
  question, the confidence in words and as a bar, the answer rendered from markdown (sanitized),
  the source and "why this matched"; *Accept* / *Dismiss* on each.
* **Ticket** - paste a ticket, *Find answers* extracts its questions and suggests entries for each;
  *Accept* adds an entry to the reply draft (an editable text area), *Dismiss* removes it.

Every verdict is written to the :class:`~assistant.feedback.FeedbackStore`. An exception in a
callback is shown in the console's error area and appended to :attr:`SupportConsole.errors`
(ipywidgets would only log it), so tests can assert that nothing failed.

Untrusted text (queries, tickets, FAQ questions) is escaped; FAQ answers go through
:func:`assistant.rendering.render_markdown`.
"""

from __future__ import annotations

import functools
import os

import ipywidgets as widgets

from ..config import Settings
from ..entries import entry_link
from ..feedback import FeedbackStore
from ..knowledge_base import KnowledgeBase
from ..rendering import escape, plural, render_markdown
from ..replies import TicketAnalysis, analyze_ticket, build_reply
from ..results import Match, SearchResult
from ..retrieval import TfidfRetriever
from ..tickets import clean_ticket
from .base import View

__all__ = ["SupportConsole", "build_console"]


# Our own markup only; untrusted text never goes in here.
_CSS = """<style>
.faq-console .faq-answer { border-left: 3px solid #bbb; padding-left: 8px; margin: 4px 0; }
.faq-console .faq-answer p { margin: 4px 0; }
.faq-console .faq-link { text-decoration: underline dotted; cursor: help; }
.faq-console .faq-quote { white-space: pre-wrap; font-style: italic; }
.faq-console .faq-meta { color: #444; font-size: 90%; margin: 2px 0; }
.faq-console h4 { margin: 4px 0; }
</style>"""


def _status(text_html: str, role: str = "status") -> str:
    return f'<div role="{role}" aria-live="polite">{text_html}</div>'


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


class _Card:
    """One suggested FAQ entry: question, confidence (words + bar), answer, source, why, verdict buttons."""

    def __init__(self, match: Match, result: SearchResult, *, site_url: str | None, query: str,
                 ticket: str | None, question_no: int | None, collapsed: bool):
        self.match, self.query, self.ticket, self.question_no = match, query, ticket, question_no
        self.verdict: str | None = None
        e = match.entry
        above = result.answered and match.score >= result.threshold
        level = ("clears the threshold" if above else
                 "below the threshold" if result.answered else "a close candidate, not an answer")
        self.header = widgets.HTML(
            f"<h4>{match.rank}. {escape(e.question)}</h4>"
            f'<p class="faq-meta">Confidence {_pct(match.confidence)} ({level}; score {match.score:.2f}, '
            f"threshold {result.threshold:.2f})</p>"
        )
        self.bar = widgets.FloatProgress(
            value=match.confidence, min=0.0, max=1.0, description="Confidence",
            bar_style="success" if above else "warning", layout=widgets.Layout(width="50%"),
        )
        link = entry_link(e, site_url)
        answer = render_markdown(e.answer_markdown, base_url=link)
        answer_html = f'<div class="faq-answer">{answer}</div>'
        if collapsed:
            answer_html = f"<details><summary>Show the answer</summary>{answer_html}</details>"
        self.answer = widgets.HTML(answer_html)
        where = f"<code>{escape(e.source)}:{e.line}</code>"
        if link:
            where += f' · <a href="{escape(link)}" target="_blank" rel="noopener noreferrer">{escape(link)}</a>'
        elif e.url:
            where += f" · <code>{escape(e.url)}</code>"
        why = ", ".join(f"<code>{escape(t)}</code>" for t in match.terms) or "no shared terms"
        self.source = widgets.HTML(
            f'<p class="faq-meta">Source: {where}</p><p class="faq-meta">Why this matched: {why}</p>')
        about = f"question {question_no}" if question_no else "this query"
        self.accept = widgets.Button(description="Accept", icon="check",
                                     tooltip=f"Accept: this FAQ entry answers {about}")
        self.dismiss = widgets.Button(description="Dismiss", icon="times",
                                      tooltip=f"Dismiss: this FAQ entry does not answer {about}")
        self.state = widgets.HTML(_status("Not reviewed yet."))
        self.box = widgets.VBox(
            [self.header, self.bar, self.answer, self.source,
             widgets.HBox([self.accept, self.dismiss, self.state])],
            layout=widgets.Layout(border="1px solid #ccc", padding="4px 8px", margin="4px 0"),
        )

    def set_verdict(self, verdict: str) -> None:
        self.verdict = verdict
        self.accept.disabled = verdict == "accepted"
        self.dismiss.disabled = verdict == "dismissed"
        self.accept.button_style = "success" if verdict == "accepted" else ""
        self.dismiss.button_style = "warning" if verdict == "dismissed" else ""
        self.state.value = _status("Accepted." if verdict == "accepted" else "Dismissed.")


class SupportConsole(View):
    """Search the knowledge base, answer tickets, draft replies and give feedback, in a notebook.

    Parameters
    ----------
    kb : KnowledgeBase, optional
        Default: the bundled knowledge base.
    retriever : TfidfRetriever, optional
        A fitted retriever; default ``TfidfRetriever().fit(kb)`` (with the store's accepted
        alternates when ``use_feedback`` is True).
    store : FeedbackStore, optional
        Where verdicts go; default ``FeedbackStore()`` (the database :class:`~assistant.config.Settings` names).
        If it cannot be opened the console still works and says feedback is not saved.
    top_k : int, default 3
        Suggestions per query or ticket question.
    site_url : str, optional
        Base URL for site-relative entry URLs (``/docs/page/#anchor``), so that links work.
    use_feedback : bool, default False
        Fit the default retriever with ``alternates=store.accepted_alternates()``.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole console; displaying the console displays it.
    search_box, search_button, search_status, search_results
    ticket_box, analyze_button, ticket_status, ticket_results, draft_format, rebuild_button, draft, draft_status
    error_area : ipywidgets.HTML
        Shows the latest exception raised in a callback (hidden when there is none).
    errors : list of str
        Every exception raised in a callback, as ``"<callback>: <Type>: <message>"``.
    result : SearchResult or None
        The latest search.
    analysis : TicketAnalysis or None
        The latest ticket analysis.
    search_cards, ticket_cards : list
        The cards on screen (``.match``, ``.accept``, ``.dismiss``, ``.verdict``).
    """

    label = "support console"

    def __init__(self, kb: KnowledgeBase | None = None, retriever: TfidfRetriever | None = None,
                 store: FeedbackStore | None = None, *, top_k: int = 3, site_url: str | None = None,
                 use_feedback: bool = False):
        super().__init__()
        self.kb = kb if kb is not None else KnowledgeBase.load()
        self.top_k = top_k
        self.site_url = site_url
        self.store = store
        if self.store is None:
            try:
                self.store = FeedbackStore()
            except Exception as exc:  # noqa: BLE001 - shown in the UI, the console still searches
                self._report("opening the feedback database", exc)
        if retriever is None:
            alternates = self.store.accepted_alternates() if (use_feedback and self.store is not None) else None
            retriever = TfidfRetriever().fit(self.kb, alternates=alternates)
        self.retriever = retriever
        self.result: SearchResult | None = None
        self.analysis: TicketAnalysis | None = None
        self.search_cards: list[_Card] = []
        self.ticket_cards: list[_Card] = []
        self._last_draft = ""
        self._build()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        full = widgets.Layout(width="95%")
        label_style = {"description_width": "initial"}
        self.search_box = widgets.Text(
            description="Question", placeholder="Type a customer's question and press Enter",
            continuous_update=False, layout=full, style=label_style)
        self.search_button = widgets.Button(description="Search", icon="search", button_style="primary",
                                            tooltip="Search the knowledge base for the question")
        self.search_status = widgets.HTML(_status("Type a question and press Enter or click Search."))
        self.search_results = widgets.VBox()
        self.search_box.observe(self._guard(self._on_search_value), names="value")
        self.search_button.on_click(self._guard(self._on_search_click))
        search_tab = widgets.VBox([widgets.HBox([self.search_box, self.search_button]),
                                   self.search_status, self.search_results])

        self.ticket_box = widgets.Textarea(
            description="Ticket", placeholder="Paste the whole ticket: greeting, questions, signature, quoted mail",
            rows=8, layout=full, style=label_style)
        self.analyze_button = widgets.Button(description="Find answers", icon="search", button_style="primary",
                                             tooltip="Extract the ticket's questions and suggest FAQ entries for each")
        self.ticket_status = widgets.HTML(_status("Paste a ticket and click Find answers."))
        self.ticket_results = widgets.VBox()
        self.draft_format = widgets.ToggleButtons(
            options=[("Markdown", "markdown"), ("Plain text", "text")], value="markdown",
            description="Draft format", tooltips=["Reply in markdown", "Reply in plain text"], style=label_style)
        self.rebuild_button = widgets.Button(description="Rebuild draft", icon="refresh",
                                             tooltip="Rebuild the draft from the accepted entries (replaces your edits)")
        self.draft = widgets.Textarea(description="Reply draft", rows=14, layout=full, style=label_style,
                                      placeholder="Accept suggestions to build a reply; then edit it and copy it")
        self.draft_status = widgets.HTML(_status("No entry accepted yet."))
        self.analyze_button.on_click(self._guard(self._on_analyze))
        self.rebuild_button.on_click(self._guard(lambda _: self._update_draft(force=True)))
        self.draft_format.observe(self._guard(self._on_format), names="value")
        ticket_tab = widgets.VBox([
            self.ticket_box, self.analyze_button, self.ticket_status, self.ticket_results,
            widgets.HTML("<h4>Reply draft</h4>"), widgets.HBox([self.draft_format, self.rebuild_button]),
            self.draft, self.draft_status,
        ])

        self.tabs = widgets.Tab(children=[search_tab, ticket_tab], titles=["Search", "Ticket"])
        kb_line = f"Knowledge base: {len(self.kb)} FAQ entries from <code>{escape(self.kb.root)}</code>"
        if self.kb.problems:
            items = "".join(f"<li>{escape(p)}</li>" for p in self.kb.problems)
            kb_line += f"<details><summary>{len(self.kb.problems)} problem(s) reading the FAQ files</summary><ul>{items}</ul></details>"
        store_line = (f"Feedback is saved to <code>{escape(self.store.path)}</code>." if self.store is not None
                      else "Feedback is <strong>not saved</strong>: the feedback database could not be opened.")
        self.header = widgets.HTML(f'{_CSS}<p class="faq-meta">{kb_line}</p><p class="faq-meta">{store_line}</p>')
        self.widget = widgets.VBox([self.header, self.error_area, self.tabs])
        self.widget.add_class("faq-console")

    # --- search -------------------------------------------------------------------------------

    def _on_search_value(self, change) -> None:
        self.search(change["new"])

    def _on_search_click(self, _button) -> None:
        self.search(self.search_box.value)

    def search(self, query: str) -> SearchResult | None:
        """Search and show the ranked entries (what Enter and the Search button do).

        The query is cleaned like a ticket first (:func:`~assistant.tickets.clean_ticket`: a pasted
        mail loses its greeting, signature and quoted mail), so ``result.query`` is the cleaned
        text; feedback records the query as typed (redacted). Returns the result, or ``None`` for
        an empty query (the status asks for a question).
        """
        if not query.strip():
            self.search_status.value = _status("Type a question first.")
            self.search_results.children = ()
            self.result = None
            return None
        result = self.retriever.search(clean_ticket(query), top_k=self.top_k)  # a pasted mail works too
        self.result = result
        self.search_cards = [_Card(m, result, site_url=self.site_url, query=query, ticket=None,
                                   question_no=None, collapsed=False) for m in result.matches]
        for card in self.search_cards:
            self._wire(card, origin="search")
        q = escape(query.strip())
        if result.answered:
            n = sum(m.score >= result.threshold for m in result.matches)
            msg = f"Answered: {n} FAQ {'entry clears' if n == 1 else 'entries clear'} the threshold for “{q}”. Best first."
        else:
            best = f" (best confidence {_pct(result.best.confidence)})" if result.best else ""
            msg = (f"No FAQ entry answers “{q}” confidently{best}: nothing clears the threshold. "
                   "The closest candidates are below; check them before using one.")
        self.search_status.value = _status(msg)
        self.search_results.children = [c.box for c in self.search_cards]
        return result

    # --- tickets ------------------------------------------------------------------------------

    def _on_analyze(self, _button) -> None:
        self.analyze(self.ticket_box.value)

    def analyze(self, ticket: str) -> TicketAnalysis | None:
        """Extract the ticket's questions and show suggestions for each (what *Find answers* does).

        Returns the analysis, or ``None`` for an empty ticket (the status asks for one).
        """
        self.ticket_cards = []
        self.draft.value = self._last_draft = ""
        self.draft_status.value = _status("No entry accepted yet.")
        if not ticket.strip():
            self.ticket_status.value = _status("Paste a ticket first.")
            self.ticket_results.children = ()
            self.analysis = None
            return None
        analysis = analyze_ticket(ticket, self.retriever, top_k=self.top_k)
        self.analysis = analysis
        boxes = []
        for n, qs in enumerate(analysis.questions, 1):
            verdict = ("answered by the FAQ" if qs.answered
                       else "no FAQ entry clears the threshold; closest candidates shown")
            boxes.append(widgets.HTML(f'<h4>Question {n} ({verdict})</h4><p class="faq-quote">{escape(qs.question)}</p>'))
            for m in qs.result.matches:
                card = _Card(m, qs.result, site_url=self.site_url, query=qs.question, ticket=ticket,
                             question_no=n, collapsed=True)
                self._wire(card, origin="ticket")
                self.ticket_cards.append(card)
                boxes.append(card.box)
        answered = sum(q.answered for q in analysis.questions)
        k = len(analysis.questions)
        self.ticket_status.value = _status(
            f"Found {plural(k, 'question')} in the ticket; {answered} answered by the FAQ. "
            "Accept the entries to use in the reply.")
        self.ticket_results.children = boxes
        return analysis

    # --- feedback and the draft ---------------------------------------------------------------

    def _wire(self, card: _Card, origin: str) -> None:
        card.accept.on_click(self._guard(functools.partial(self._on_verdict, card, "accepted", origin)))
        card.dismiss.on_click(self._guard(functools.partial(self._on_verdict, card, "dismissed", origin)))

    def _on_verdict(self, card: _Card, verdict: str, origin: str, _button=None) -> None:
        if self.store is not None:  # saved first: a card never says "Accepted." for a lost verdict
            m = card.match
            self.store.record(card.query, m.entry.id, verdict, question=m.entry.question, rank=m.rank,
                              score=m.score, confidence=m.confidence, ticket=card.ticket, origin=origin)
        card.set_verdict(verdict)
        if self.store is None:
            card.state.value = _status(f"{verdict.capitalize()} (not saved: no feedback database).")
        if origin == "ticket":
            self._update_draft()

    def _on_format(self, _change) -> None:
        self._update_draft()

    @property
    def accepted_entries(self) -> list:
        """Entries accepted in the Ticket tab, in ticket-question then rank order, each once."""
        seen, out = set(), []
        for c in self.ticket_cards:
            if c.verdict == "accepted" and c.match.entry.id not in seen:
                seen.add(c.match.entry.id)
                out.append(c.match.entry)
        return out

    def _update_draft(self, force: bool = False) -> None:
        """Rebuild the draft from the accepted entries unless the engineer edited it (then say so)."""
        entries = self.accepted_entries
        if self.draft.value != self._last_draft and not force:
            self.draft_status.value = _status(
                "You edited the draft, so it was not replaced. Click Rebuild draft to include your latest choices.")
            return
        text = build_reply(entries, fmt=self.draft_format.value, site_url=self.site_url) if entries else ""
        self.draft.value = self._last_draft = text
        n = len(entries)
        self.draft_status.value = _status(
            f"Draft built from {plural(n, 'accepted FAQ entry', 'accepted FAQ entries')}; edit it, then copy it "
            "(click in it, Ctrl+A, Ctrl+C)." if n else "No entry accepted yet.")


def build_console(kb_path: str | os.PathLike | None = None, *, feedback_db: str | os.PathLike | None = None,
                  site_url: str | None = None, use_feedback: bool | None = None, top_k: int = 3) -> SupportConsole:
    """The console the notebook shows, configured by arguments, else by the environment.

    Every default comes from :meth:`assistant.config.Settings.from_env` (the environment
    variables are listed in :mod:`assistant.config`); an argument given here wins.

    Parameters
    ----------
    kb_path : path, optional
        Folder of FAQ markdown; default ``$FAQ_ASSISTANT_KB``, else the bundled knowledge base.
    feedback_db : path, optional
        Feedback database; default ``$FAQ_ASSISTANT_FEEDBACK_DB``, else
        ``$XDG_DATA_HOME/faq-assistant/feedback.sqlite3`` (``~/.local/share/...``). When the
        default cannot be opened the console still works and says feedback is not saved.
    site_url : str, optional
        Base URL for site-relative entry URLs; default ``$FAQ_ASSISTANT_SITE_URL``.
    use_feedback : bool, optional
        Use accepted feedback as alternate questions; default: ``$FAQ_ASSISTANT_USE_FEEDBACK``
        is set and not ``0``.
    top_k : int, default 3

    Raises
    ------
    KnowledgeBaseError
        If the knowledge base folder is missing or holds no FAQ files.
    """
    settings = Settings.from_env()
    kb = KnowledgeBase.load(kb_path or settings.kb)
    store = None if feedback_db is None else FeedbackStore(feedback_db)  # None: the console opens the default
    return SupportConsole(kb, store=store, top_k=top_k, site_url=site_url or settings.site_url,
                          use_feedback=settings.use_feedback if use_feedback is None else use_feedback)
