"""The support console: an ipywidgets 8 view over the retriever, ticket analysis, replies and feedback.

One screen, two columns (they stack below about 760 px):

* **left** - *Question* (press Enter or click *Search*) and *Ticket* (paste a whole mail, click
  *Find answers* or press Ctrl+Enter), then the collapsed *Settings* (knowledge base, feedback
  database, site URL);
* **right** - per question, the suggestions as compact cards (the answer, when the retriever
  answers, then "also consider"; or "No answer in the FAQ" and the closest candidates), in a
  scrolling box, and below it the **reply draft** with *Rebuild*, *Undo* and *Copy*.

The draft is never lost: once edited, new accepted answers are added to it, *Find answers* keeps
it and every verdict, *Rebuild draft* asks before replacing edits, and *Undo* restores the text
the last rebuild replaced. A ticket that asks many questions shows the first
:data:`MAX_QUESTIONS_SHOWN`; *Show more questions* searches and shows the next ones.

Every verdict is written to the :class:`~assistant.feedback.FeedbackStore`. An exception in a
callback is shown in the console's error area and appended to :attr:`SupportConsole.errors`.
Untrusted text (queries, tickets, FAQ questions) is escaped; FAQ answers go through
:func:`assistant.rendering.render_markdown`. Confidence words and levels come from
:func:`assistant.results.confidence_words` only (see :mod:`.cards`).
"""

from __future__ import annotations

import functools
import os

import ipywidgets as widgets

from ..config import Settings
from ..entries import FaqEntry
from ..feedback import FeedbackStore
from ..knowledge_base import KnowledgeBase
from ..rendering import escape, plural
from ..replies import QuestionSuggestions, TicketAnalysis, analyze_ticket, build_reply, page_urls, reply_section
from ..results import SearchResult
from ..retrieval import TfidfRetriever
from ..tickets import clean_ticket
from .base import View
from .cards import CSS, Card, status_html
from .keys import ACCEPT_SHORTCUT, FIND_SHORTCUT, ConsoleKeys

__all__ = ["SupportConsole", "build_console", "MAX_QUESTIONS_SHOWN"]

#: Questions of one ticket shown at once; *Show more questions* adds as many again.
MAX_QUESTIONS_SHOWN = 20

class SupportConsole(View):
    """Search the knowledge base, answer tickets, draft replies and give feedback, in a notebook.

    Parameters
    ----------
    kb : KnowledgeBase, optional
        Default: the bundled knowledge base with the retriever of its saved index
        (:func:`assistant.index.load_index`, in ``Settings.index_dir``; fitted only when stale).
    retriever : TfidfRetriever, optional
        A fitted retriever; default: for a given ``kb``, ``TfidfRetriever().fit(kb)`` (with the
        store's accepted alternates when ``use_feedback`` is True). :func:`build_console` passes
        the saved index's for a folder.
    store : FeedbackStore, optional
        Where verdicts go; default ``FeedbackStore()`` (the database :class:`~assistant.config.Settings` names).
        If it cannot be opened the console still works and says feedback is not saved.
    top_k : int, default 3
        Suggestions per question.
    site_url : str, optional
        Base URL of the published FAQ site, so that entry URLs and links inside answers work.
    use_feedback : bool, default False
        The default retriever uses ``alternates=store.accepted_alternates()`` (the saved index has
        one archive per set of alternates).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole console; displaying the console displays it.
    search_box, search_button, ticket_box, analyze_button, status, results, more_button
        Left column inputs; the right column's status line, question blocks and *Show more questions*.
    draft, draft_format, rebuild_button, confirm_replace, keep_edits, undo_button, copy, draft_status
        The reply draft and its controls (``copy`` is the browser-side *Copy* button).
    settings : ipywidgets.Accordion
        Collapsed: knowledge-base folder, feedback database, site URL (editable).
    error_area : ipywidgets.HTML
        Shows the latest exception raised in a callback (hidden when there is none).
    errors : list of str
        Every exception raised in a callback, as ``"<callback>: <Type>: <message>"``.
    result : SearchResult or None
        The latest *Search* (``None`` after a ticket).
    analysis : TicketAnalysis or None
        The latest ticket analysis (``None`` after a search).
    cards : list
        The cards on screen (``.match``, ``.kind``, ``.accept``, ``.dismiss``, ``.verdict``).
    """

    label = "support console"

    def __init__(self, kb: KnowledgeBase | None = None, retriever: TfidfRetriever | None = None,
                 store: FeedbackStore | None = None, *, top_k: int = 3, site_url: str | None = None,
                 use_feedback: bool = False):
        super().__init__()
        self.top_k = top_k
        self.site_url = site_url
        self.store = store
        if self.store is None:
            try:
                self.store = FeedbackStore()
            except Exception as exc:  # noqa: BLE001 - shown in the UI, the console still searches
                self._report("opening the feedback database", exc)
        alternates = self.store.accepted_alternates() if (use_feedback and self.store is not None) else None
        if kb is None:  # the bundled knowledge base from its saved index: no parsing or fitting when fresh
            from ..index import load_index

            kb, fitted, _ = load_index(None, Settings.from_env().index_dir, alternates=alternates)
            retriever = fitted if retriever is None else retriever
        self.kb = kb
        self.pages = page_urls(self.kb)
        self.retriever = retriever if retriever is not None else TfidfRetriever().fit(self.kb, alternates=alternates)
        self.result: SearchResult | None = None
        self.analysis: TicketAnalysis | None = None
        self.cards: list[Card] = []
        self._questions: list[QuestionSuggestions] = []
        self._ticket: str | None = None  # the ticket of the latest analysis (greeting, feedback)
        self._accepted: dict[str, FaqEntry] = {}  # kept across searches until dismissed
        self._dismissed: set[tuple[str, str]] = set()  # (question, entry id)
        self._last_draft = ""  # the text the console last wrote into the draft
        self._undo: str | None = None
        self._build()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        full = widgets.Layout(width="100%")
        label_style = {"description_width": "initial"}
        # Enter (the front end's "submit" message) searches; typing or leaving the box does not.
        self.search_box = widgets.Text(
            description="Question", placeholder="A customer's question; press Enter",
            continuous_update=True, layout=widgets.Layout(flex="1 1 auto", width="auto"), style=label_style)
        self.search_box.on_msg(self._guard(self._on_search_msg))
        self.search_button = widgets.Button(description="Search", icon="search", button_style="primary",
                                            tooltip="Search the knowledge base for the question (Enter)",
                                            layout=widgets.Layout(width="auto"))
        self.search_button.on_click(self._guard(self._on_search_click))
        self.ticket_box = widgets.Textarea(
            description="Ticket", placeholder="Or paste the whole ticket: greeting, questions, signature, quoted mail",
            rows=14, layout=full, style=label_style)
        self.ticket_box.add_class("faq-ticket")
        self.analyze_button = widgets.Button(description="Find answers", icon="search", button_style="primary",
                                             tooltip=f"Suggest FAQ entries for each question of the ticket ({FIND_SHORTCUT})",
                                             layout=widgets.Layout(width="auto"))
        self.analyze_button.add_class("faq-find")
        self.analyze_button.on_click(self._guard(self._on_analyze))
        help_line = widgets.HTML(
            f'<p class="faq-meta">Enter searches the question; {FIND_SHORTCUT} in the ticket finds answers; '
            f"{ACCEPT_SHORTCUT} accepts the top suggestion.</p>")
        self.settings = self._build_settings(label_style)
        left = widgets.VBox([
            widgets.HTML("<h2>Customer</h2>"),
            widgets.HBox([self.search_box, self.search_button], layout=full),
            self.ticket_box, self.analyze_button, help_line, self.settings,
        ])
        left.add_class("faq-left")

        self.status = widgets.HTML(status_html("Type a question and press Enter, or paste a ticket and click Find answers."))
        self.results = widgets.VBox(layout=widgets.Layout(max_height="46vh", overflow="auto", width="100%"))
        self.results.add_class("faq-results")
        self.more_button = widgets.Button(description="Show more questions", icon="plus",
                                          tooltip=f"Search and show the next {MAX_QUESTIONS_SHOWN} questions of the ticket",
                                          layout=widgets.Layout(display="none", width="auto"))
        self.more_button.on_click(self._guard(self._on_more))
        self.draft_format = widgets.ToggleButtons(
            options=[("Markdown", "markdown"), ("Plain text", "text")], value="markdown",
            description="Format", tooltips=["Reply in markdown", "Reply in plain text"], style=label_style)
        self.draft_format.observe(self._guard(self._on_format), names="value")
        small = widgets.Layout(width="auto")
        self.rebuild_button = widgets.Button(description="Rebuild draft", icon="refresh", layout=small,
                                             tooltip="Write the draft afresh from the accepted entries (asks before replacing your edits)")
        self.rebuild_button.on_click(self._guard(self._on_rebuild))
        self.undo_button = widgets.Button(description="Undo rebuild", icon="undo", disabled=True, layout=small,
                                          tooltip="Put back the draft the last rebuild replaced")
        self.undo_button.on_click(self._guard(self._on_undo))
        self.copy = ConsoleKeys()
        self.copy.observe(self._guard(self._on_copied), names=["copied", "copy_failed"])
        self.confirm_replace = widgets.Button(description="Replace my edits", button_style="danger", layout=small,
                                              tooltip="Replace the edited draft with a fresh one (Undo brings it back)")
        self.keep_edits = widgets.Button(description="Keep my edits", layout=small, tooltip="Do not rebuild the draft")
        self.confirm_replace.on_click(self._guard(lambda _b: self._rebuild(confirmed=True)))
        self.keep_edits.on_click(self._guard(self._on_keep_edits))
        self.confirm_box = widgets.HBox(
            [widgets.HTML(status_html("You edited the draft. Replace it?", role="alert")), self.confirm_replace, self.keep_edits],
            layout=widgets.Layout(display="none"))
        self.draft = widgets.Textarea(description="Reply draft", rows=9, layout=full, style=label_style,
                                      placeholder="Accept suggestions to build a reply; edit it here, then Copy")
        self.draft.add_class("faq-draft")
        self.draft_status = widgets.HTML(status_html("No entry accepted yet."))
        right = widgets.VBox([
            widgets.HTML("<h2>Suggestions</h2>"), self.status, self.results, self.more_button,
            widgets.HBox([self.draft_format, self.rebuild_button, self.undo_button, self.copy],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.confirm_box, self.draft, self.draft_status,
        ])
        right.add_class("faq-right")
        cols = widgets.HBox([left, right], layout=widgets.Layout(width="100%"))
        cols.add_class("faq-cols")
        self.widget = widgets.VBox([widgets.HTML(CSS), self.error_area, cols])
        self.widget.add_class("faq-console")

    def _build_settings(self, label_style: dict) -> widgets.Accordion:
        full = widgets.Layout(width="100%")
        self.kb_field = widgets.Text(value=str(self.kb.root), description="Knowledge base folder", disabled=True,
                                     layout=full, style=label_style)
        db = str(self.store.path) if self.store is not None else "not saved: the feedback database could not be opened"
        self.db_field = widgets.Text(value=db, description="Feedback database", disabled=True, layout=full,
                                     style=label_style)
        self.site_field = widgets.Text(value=self.site_url or "", description="Site URL", layout=full,
                                       placeholder="https://docs.example.com/ (full links in replies)",
                                       continuous_update=False, style=label_style)
        self.site_field.observe(self._guard(self._on_site_url), names="value")
        notes = [f"{len(self.kb)} FAQ entries. Folder and database are set when the console starts "
                 "(<code>faq-assistant console --kb DIR --feedback-db FILE</code>)."]
        if self.kb.problems:
            items = "".join(f"<li>{escape(p)}</li>" for p in self.kb.problems)
            notes.append(f"<details><summary>{plural(len(self.kb.problems), 'problem')} reading the FAQ files"
                         f"</summary><ul>{items}</ul></details>")
        if self.store is None:
            notes.append("Feedback is <strong>not saved</strong>: the feedback database could not be opened.")
        self.settings_note = widgets.HTML("".join(f'<p class="faq-meta">{n}</p>' for n in notes))
        acc = widgets.Accordion(children=[widgets.VBox([self.kb_field, self.db_field, self.site_field,
                                                        self.settings_note])], titles=["Settings"])
        acc.selected_index = None
        return acc

    def _on_site_url(self, change) -> None:
        self.site_url = change["new"].strip() or None
        self._render(self._questions, origin="ticket" if self.analysis else "search")
        self._refresh_draft()

    # --- search and tickets -------------------------------------------------------------------

    def _on_search_msg(self, _widget, content, _buffers) -> None:
        if content.get("event") == "submit":
            self.search(self.search_box.value)

    def _on_search_click(self, _button) -> None:
        self.search(self.search_box.value)

    def search(self, query: str) -> SearchResult | None:
        """Search one question and show its suggestions (what Enter and the Search button do).

        The query is cleaned like a ticket first (:func:`~assistant.tickets.clean_ticket`) but not
        split, so ``result.query`` is the cleaned text; feedback records the query as typed
        (redacted). Returns the result, or ``None`` for an empty query (the status asks for one).
        The draft and the accepted entries are kept.
        """
        if not query.strip():
            self.status.value = status_html("Type a question first.")
            return None
        result = self.retriever.search(clean_ticket(query), top_k=self.top_k)  # a pasted mail works too
        self.result, self.analysis, self._ticket = result, None, None
        self._render([QuestionSuggestions(query.strip(), result)], origin="search")
        q = escape(query.strip())
        if result.answered:
            msg = f"Answer found for “{q}”: {escape(result.best.entry.question)}"
        else:
            msg = f"No answer in the FAQ for “{q}”. The closest entries are below; check them before using one."
        self.status.value = status_html(msg)
        self._refresh_draft()
        return result

    def _on_analyze(self, _button) -> None:
        self.analyze(self.ticket_box.value)

    def analyze(self, ticket: str) -> TicketAnalysis | None:
        """Extract the ticket's questions and show suggestions for each (what *Find answers* does).

        At most :data:`MAX_QUESTIONS_SHOWN` questions are searched and shown; *Show more
        questions* adds more. The draft, its edits and every verdict are kept. Returns the
        analysis, or ``None`` for an empty ticket (the status asks for one).
        """
        if not ticket.strip():
            self.status.value = status_html("Paste a ticket first.")
            return None
        analysis = analyze_ticket(ticket, self.retriever, top_k=self.top_k, max_questions=MAX_QUESTIONS_SHOWN)
        self.analysis, self.result, self._ticket = analysis, None, ticket
        self._render(list(analysis.questions), origin="ticket")
        self._ticket_status()
        self._refresh_draft()
        return analysis

    def _on_more(self, _button) -> None:
        if self.analysis is None or not self.analysis.pending:
            return
        more = self.analysis.search_more(self.retriever, MAX_QUESTIONS_SHOWN, top_k=self.top_k)
        self._render(more, origin="ticket", append=True)
        self._ticket_status()

    def _ticket_status(self) -> None:
        a = self.analysis
        shown, total = len(a.questions), a.total_questions
        answered = sum(q.answered for q in a.questions)
        msg = f"Found {plural(total, 'question')} in the ticket"
        if shown < total:
            msg += f"; showing the first {shown} (click Show more questions for the rest)"
        msg += f"; {answered} of {shown} answered by the FAQ. Accept the entries to use in the reply."
        self.status.value = status_html(msg)
        self.more_button.layout.display = None if a.pending else "none"
        if a.pending:
            self.more_button.description = f"Show more questions ({len(a.pending)} not shown)"

    def _render(self, questions: list[QuestionSuggestions], origin: str, append: bool = False) -> None:
        """Show a block per question: the question, a verdict line, then its cards."""
        if not append:
            self.cards, self._questions = [], []
        boxes = list(self.results.children) if append else []
        for qs in questions:
            self._questions.append(qs)
            n = len(self._questions)
            numbered = origin == "ticket"
            result = qs.result
            if result.answered:
                verdict = '<span class="faq-verdict-yes">Answer found</span>'
            else:
                verdict = '<span class="faq-verdict-none">No answer in the FAQ</span>: closest entries, not answers'
            title = f"Question {n}" if numbered else "Question"
            head = widgets.HTML(f'<h3>{title}: {verdict}</h3><p class="faq-quote">{escape(qs.question)}</p>')
            block = [head]
            for m in result.matches:
                kind = "candidate" if result.abstained else ("answer" if m.rank == 1 else "also")
                card = Card(m, kind, query=qs.question, ticket=self._ticket, question_no=n if numbered else None,
                             site_url=self.site_url, pages=self.pages, open_answer=(kind == "answer" and not numbered))
                if m.rank == 1:
                    card.accept.add_class("faq-top-accept")
                if kind == "also" and m.rank == 2:
                    block.append(widgets.HTML('<p class="faq-meta">Also consider:</p>'))
                self._wire(card, origin)
                if m.entry.id in self._accepted:
                    card.set_verdict("accepted", " (earlier)")
                elif (qs.question, m.entry.id) in self._dismissed:
                    card.set_verdict("dismissed", " (earlier)")
                self.cards.append(card)
                block.append(card.box)
            box = widgets.VBox(block, layout=widgets.Layout(margin="0 0 6px 0"))
            box.add_class("faq-question")
            boxes.append(box)
        self.results.children = boxes

    # --- feedback and the draft ---------------------------------------------------------------

    def _wire(self, card: Card, origin: str) -> None:
        card.accept.on_click(self._guard(functools.partial(self._on_verdict, card, "accepted", origin)))
        card.dismiss.on_click(self._guard(functools.partial(self._on_verdict, card, "dismissed", origin)))

    def _on_verdict(self, card: Card, verdict: str, origin: str, _button=None) -> None:
        m = card.match
        if self.store is not None:  # saved first: a card never says "Accepted." for a lost verdict
            self.store.record(card.query, m.entry.id, verdict, question=m.entry.question, rank=m.rank,
                              score=m.score, confidence=m.confidence, ticket=card.ticket, origin=origin)
        card.set_verdict(verdict, "" if self.store is not None else " (not saved: no feedback database)")
        added = verdict == "accepted" and m.entry.id not in self._accepted
        if verdict == "accepted":
            self._accepted[m.entry.id] = m.entry
            self._dismissed.discard((card.query, m.entry.id))
        else:
            self._dismissed.add((card.query, m.entry.id))
            if self._accepted.pop(m.entry.id, None) is not None:
                for other in self.cards:  # the entry is out of the reply everywhere
                    if other is not card and other.match.entry.id == m.entry.id and other.verdict == "accepted":
                        other.verdict = None
                        other.accept.disabled = False
                        other.accept.button_style = ""
                        other.state.value = status_html("Not in the reply.")
        self._refresh_draft(new_entry=m.entry if added else None)

    @property
    def accepted_entries(self) -> list[FaqEntry]:
        """Entries in the reply: those on screen in question then rank order, then those accepted
        earlier (another search or ticket), each once."""
        order = {}
        for c in self.cards:
            order.setdefault(c.match.entry.id, len(order))
        return sorted(self._accepted.values(), key=lambda e: order.get(e.id, len(order)))

    @property
    def draft_edited(self) -> bool:
        """True when the draft holds text the console did not write (the engineer's edits)."""
        return bool(self.draft.value.strip()) and self.draft.value != self._last_draft

    def _fresh_draft(self) -> str:
        entries = self.accepted_entries
        if not entries:
            return ""
        return build_reply(entries, fmt=self.draft_format.value, site_url=self.site_url, pages=self.pages,
                           ticket=self._ticket)  # greets the customer by name when the ticket is signed

    def _write(self, text: str) -> None:
        self.draft.value = self._last_draft = text

    def _refresh_draft(self, new_entry: FaqEntry | None = None) -> None:
        """Keep the draft in step with the accepted entries without ever losing an edit."""
        n = len(self._accepted)
        if not self.draft_edited:
            self._write(self._fresh_draft())
            self.draft_status.value = status_html(
                f"Draft built from {plural(n, 'accepted FAQ entry', 'accepted FAQ entries')}; edit it, then Copy."
                if n else "No entry accepted yet.")
            return
        if new_entry is not None:  # add the new answer to the edited text, before the closing line
            section = reply_section(new_entry, n, fmt=self.draft_format.value, site_url=self.site_url,
                                    pages=self.pages)
            text = self.draft.value.rstrip("\n")
            closing = text.rfind("\nBest regards,")
            text = (f"{text[:closing].rstrip()}\n\n{section}\n{text[closing:]}" if closing >= 0
                    else f"{text}\n\n{section}")
            self.draft.value = text + "\n"
            self.draft_status.value = status_html(
                f"Added “{escape(new_entry.question)}” to your edited draft; your edits are kept.")
        else:
            self.draft_status.value = status_html(
                "Your edits are kept. Rebuild draft writes it afresh from the accepted entries (it asks first).")

    def _on_format(self, _change) -> None:
        self._refresh_draft()

    def _on_rebuild(self, _button) -> None:
        self._rebuild(confirmed=False)

    def _rebuild(self, confirmed: bool) -> None:
        """Write the draft afresh; an edited draft is replaced only once confirmed, and can be undone."""
        if self.draft_edited and not confirmed:
            self.confirm_box.layout.display = None
            return
        self.confirm_box.layout.display = "none"
        previous = self.draft.value
        self._write(self._fresh_draft())
        if previous.strip() and previous != self.draft.value:
            self._undo = previous
            self.undo_button.disabled = False
        self.draft_status.value = status_html("Draft rebuilt from the accepted entries."
                                          + (" Undo rebuild puts the previous text back." if self._undo else ""))

    def _on_keep_edits(self, _button) -> None:
        self.confirm_box.layout.display = "none"
        self.draft_status.value = status_html("Your edits are kept.")

    def _on_undo(self, _button) -> None:
        if self._undo is None:
            return
        self.draft.value, self._undo = self._undo, None
        self.undo_button.disabled = True
        self.draft_status.value = status_html("The draft before the rebuild is back.")

    def _on_copied(self, change) -> None:
        if change["name"] == "copied":
            self.draft_status.value = status_html("Copied the draft to the clipboard.")
        else:
            self.draft_status.value = status_html("The browser did not allow copying: select the draft and press Ctrl+C.")


def build_console(kb_path: str | os.PathLike | None = None, *, feedback_db: str | os.PathLike | None = None,
                  site_url: str | None = None, use_feedback: bool | None = None, top_k: int = 3,
                  index_dir: str | os.PathLike | None = None) -> SupportConsole:
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
        Base URL of the published FAQ site; default ``$FAQ_ASSISTANT_SITE_URL``.
    use_feedback : bool, optional
        Use accepted feedback as alternate questions; default: ``$FAQ_ASSISTANT_USE_FEEDBACK``
        is set and not ``0``.
    top_k : int, default 3
    index_dir : path, optional
        Folder of saved indexes; default ``$FAQ_ASSISTANT_INDEX_DIR``, else ``$XDG_CACHE_HOME/faq-assistant``.
        The console reads the folder's saved index there (the one ``faq-assistant ask`` and
        ``faq-assistant index`` use; its own one when feedback adds alternates), and refits only
        when a page changed.

    Raises
    ------
    KnowledgeBaseError
        If the knowledge base folder is missing or holds no FAQ files.
    """
    from ..index import load_index

    settings = Settings.from_env()
    use_feedback = settings.use_feedback if use_feedback is None else use_feedback
    store = None if feedback_db is None else FeedbackStore(feedback_db)  # None: the console opens the default
    if use_feedback and store is None:
        try:
            store = FeedbackStore()
        except Exception:  # noqa: BLE001 - the console opens it again and shows why it cannot
            store = None
    alternates = store.accepted_alternates() if (use_feedback and store is not None) else None
    # The saved index the CLI uses (its own one when feedback adds alternates): no refit when it is fresh.
    kb, retriever, _ = load_index(kb_path or settings.kb, index_dir or settings.index_dir, alternates=alternates)
    return SupportConsole(kb, retriever=retriever, store=store, top_k=top_k, site_url=site_url or settings.site_url,
                          use_feedback=use_feedback)
