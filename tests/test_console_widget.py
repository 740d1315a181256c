"""The support console's widgets, driven without a browser: set values, click, read state."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pytest
from html_checks import assert_inert

from assistant import KnowledgeBase, TfidfRetriever
from assistant.feedback import FeedbackStore
from assistant.rendering import escape
from assistant.results import ConfidenceWords, confidence_words
from assistant.widgets import SupportConsole, build_console
from assistant.widgets.console import MAX_QUESTIONS_SHOWN


HOSTILE_KB = Path(__file__).parent / "fixtures" / "hostile-kb"
DNS = "Is DNS verification required to enable SSO?"
ENABLE = "We currently have a iEchor Team subscription. How do we enable SSO?"
CLI = "Does iEchor SSO support authenticating through the command line?"


@pytest.fixture
def store(tmp_path):
    with FeedbackStore(tmp_path / "feedback.sqlite3") as s:
        yield s


@pytest.fixture
def console(kb, retriever, store):
    c = SupportConsole(kb, retriever, store)
    yield c
    assert c.errors == [], "a console callback raised"


def _html(w) -> str:
    """All HTML shown by a widget tree."""
    if isinstance(w, widgets.HTML):
        return w.value
    return "".join(_html(c) for c in getattr(w, "children", ()))


def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)


def _enter(box) -> None:
    """What the browser sends when Enter is pressed in a Text box."""
    box._handle_custom_msg({"event": "submit"}, [])


def test_enter_in_the_question_box_searches(console):
    console.search_box.value = "is dns verification needed before I can enable sso"
    assert console.result is None  # typing (or clicking away) does not search: only Enter or the button
    _enter(console.search_box)
    assert console.result is not None and console.result.answered
    first = console.cards[0]
    assert first.match.entry.question == DNS and first.kind == "answer"
    words = confidence_words(first.match.confidence)
    assert f"{words.text} ({round(100 * first.match.confidence)}%)" in first.header.value
    assert f"faq-level-{words.level.replace(' ', '-')}" in first.header.value
    assert "You must verify a domain before using it with an SSO connection." in first.header.value
    assert "security/single-sign-on/enforcement-faqs.md:19" in first.header.value
    assert "Why this matched" in first.header.value and first.match.terms
    assert all(escape(t) in first.header.value for t in first.match.terms)
    assert "Answer found" in console.status.value
    assert len(console.results.children) == 1 and len(console.cards) == 3


def test_leaving_the_question_box_without_enter_does_not_search(console):
    console.search_box.value = "dns verification for sso"
    console.search_box.value = "dns verification for sso, edited"  # each keystroke, then focus moves away
    assert console.result is None and console.cards == []
    console.search_box._handle_custom_msg({"event": "blur"}, [])
    assert console.result is None


def test_search_button_searches_the_box(console):
    console.search_box.value = CLI
    console.search_button.click()
    assert console.result.query == CLI
    assert console.cards[0].match.entry.question == CLI


def test_one_answer_per_question_the_rest_also_consider(console):
    console.search("dns verification for sso")
    assert [c.kind for c in console.cards] == ["answer", "also", "also"]
    answer, *others = console.cards
    assert "faq-card-answer" in answer.box._dom_classes and "Answer</div>" in answer.header.value
    for c in others:
        assert "faq-card-also" in c.box._dom_classes and "faq-card-answer" not in c.box._dom_classes
        assert "Also consider" in c.header.value
    assert "Also consider:" in _html(console.results)
    assert "faq-top-accept" in answer.accept._dom_classes  # what the shortcut clicks
    assert not any("faq-top-accept" in c.accept._dom_classes for c in others)


def test_no_answer_says_so_plainly(console):
    console.search("what colour is the office sofa")
    assert console.result.abstained
    assert "No answer in the FAQ" in console.status.value
    assert "No answer in the FAQ" in _html(console.results)
    assert [c.kind for c in console.cards] == ["candidate"] * 3
    assert not any("faq-card-answer" in c.box._dom_classes for c in console.cards)


def test_confidence_words_come_from_the_one_mapping(console, monkeypatch):
    from assistant.widgets import cards

    monkeypatch.setattr(cards, "confidence_words", lambda c: ConfidenceWords("high", "Recalibrated words"))
    console.search("dns verification for sso")
    assert all("Recalibrated words" in c.header.value for c in console.cards)


def test_empty_query_asks_for_one(console):
    console.search_box.value = "   "
    _enter(console.search_box)
    assert "Type a question first" in console.status.value and console.result is None


def test_search_feedback_is_stored(console, store):
    console.search("dns verification for sso")
    card = console.cards[0]
    card.accept.click()
    assert card.verdict == "accepted" and card.accept.disabled and not card.dismiss.disabled
    assert "Accepted" in card.state.value
    console.cards[1].dismiss.click()
    df = store.to_frame()
    assert df[["query", "entry_id", "verdict", "rank", "origin"]].values.tolist() == [
        ["dns verification for sso", card.match.entry.id, "accepted", 1, "search"],
        ["dns verification for sso", console.cards[1].match.entry.id, "dismissed", 2, "search"],
    ]


TICKET = """Hi support,

We are on the Team plan. How do we enable SSO? Our CI logs in with a password; does SSO support
authenticating through the command line? Reach me at lee@example.com.

Best regards,
Lee
"""


def test_ticket_flow_builds_an_editable_draft(console, store):
    console.ticket_box.value = TICKET
    console.analyze_button.click()
    assert len(console.analysis.questions) == 2
    assert "Found 2 questions" in console.status.value
    by_q = {(c.question_no, c.match.entry.question): c for c in console.cards}
    assert len(console.cards) == 6
    results = _html(console.results)
    assert "Question 1" in results and "Question 2" in results
    assert console.draft.value == "" and "No entry accepted" in console.draft_status.value

    by_q[(2, CLI)].accept.click()
    by_q[(1, ENABLE)].accept.click()
    draft = console.draft.value
    assert draft.startswith("Hi Lee,\n")  # the ticket is signed
    assert draft.index(ENABLE) < draft.index(CLI)  # ticket order, not click order
    assert "Source:" in draft and "> SSO is available" in draft
    assert "Draft built from 2 accepted FAQ entries" in console.draft_status.value

    console.draft_format.value = "text"
    assert console.draft.value.startswith("Hi Lee,") and f"1. {ENABLE}" in console.draft.value

    df = store.to_frame()
    assert df["verdict"].tolist() == ["accepted", "accepted"]
    assert set(df["origin"]) == {"ticket"}
    assert df["ticket"].str.contains("[email]", regex=False).all()
    assert not df["ticket"].str.contains("lee@example.com").any()
    assert not df["query"].str.contains("lee@example.com").any()


def test_find_answers_again_keeps_the_edited_draft_and_every_verdict(console):
    console.analyze(TICKET)
    by_q = {(c.question_no, c.match.entry.question): c for c in console.cards}
    by_q[(1, ENABLE)].accept.click()
    dismissed = next(c for c in console.cards if c.question_no == 2 and c.match.entry.question != CLI)
    dismissed.dismiss.click()
    console.draft.value = console.draft.value.replace("Thanks for getting in touch.", "Thanks for writing, Lee!")
    edited = console.draft.value

    console.analyze(TICKET)  # clicked again
    assert console.draft.value == edited
    verdicts = {(c.question_no, c.match.entry.id): c.verdict for c in console.cards}
    assert verdicts[(1, by_q[(1, ENABLE)].match.entry.id)] == "accepted"
    assert verdicts[(2, dismissed.match.entry.id)] == "dismissed"

    # A new accepted answer is added to the edited text, before the closing line.
    cli = next(c for c in console.cards if c.match.entry.question == CLI)
    cli.accept.click()
    text = console.draft.value
    assert "Thanks for writing, Lee!" in text and f"**{CLI}**" in text
    assert text.index(f"**{CLI}**") < text.index("Best regards,")
    assert "your edits are kept" in console.draft_status.value


def test_rebuild_asks_before_replacing_edits_and_can_be_undone(console):
    console.analyze(TICKET)
    console.cards[0].accept.click()
    console.draft.value += "\nPS: call us any time."
    edited = console.draft.value
    console.rebuild_button.click()
    assert console.draft.value == edited and console.confirm_box.layout.display is None  # asks first
    console.keep_edits.click()
    assert console.draft.value == edited and console.confirm_box.layout.display == "none"
    console.rebuild_button.click()
    console.confirm_replace.click()
    assert "PS: call us any time." not in console.draft.value and not console.undo_button.disabled
    console.undo_button.click()
    assert console.draft.value == edited and console.undo_button.disabled
    # An unedited draft follows the verdicts: dismissing takes the entry out.
    console.rebuild_button.click()
    console.confirm_replace.click()
    console.cards[0].dismiss.click()
    assert console.draft.value == ""


def test_copy_reports_back(console):
    console.copy.copied += 1
    assert "Copied" in console.draft_status.value
    console.copy.copy_failed += 1
    assert "did not allow copying" in console.draft_status.value


def test_a_ticket_with_hundreds_of_questions_shows_a_bounded_number(console):
    ticket = "\n".join(f"- Is DNS verification required for domain number {i}?" for i in range(300))
    console.analyze(ticket)
    assert len(console.results.children) == MAX_QUESTIONS_SHOWN
    assert len(console.cards) == MAX_QUESTIONS_SHOWN * 3
    assert f"Found 300 questions in the ticket; showing the first {MAX_QUESTIONS_SHOWN}" in console.status.value
    assert console.more_button.layout.display is None and "280 not shown" in console.more_button.description
    console.more_button.click()
    assert len(console.results.children) == 2 * MAX_QUESTIONS_SHOWN
    assert "Question 40" in _html(console.results.children[-1])
    assert console.analysis.total_questions == 300


def test_settings_sit_in_a_collapsed_panel(console, store, kb):
    assert console.settings.selected_index is None  # collapsed
    assert console.kb_field.value == str(kb.root) and console.db_field.value == str(store.path)
    outside = _html(console.widget).replace(_html(console.settings), "")
    assert str(kb.root) not in outside and "FAQ_ASSISTANT" not in outside
    console.search(CLI)
    assert "https://docs.example.com" not in console.cards[0].header.value
    console.site_field.value = "https://docs.example.com/"
    card = console.cards[0]
    assert 'href="https://docs.example.com/single-sign-on/enforcement-faqs/#does-iechor' in card.header.value
    # A link inside the answer goes to the published page, not to a .md file.
    assert 'href="https://docs.example.com/security/for-developers/access-tokens/"' in card.header.value
    assert ".md\"" not in card.header.value


def test_hostile_kb_and_ticket_render_as_text(store):
    kb = KnowledgeBase.load(HOSTILE_KB)
    console = SupportConsole(kb, store=store)
    console.search_box.value = "<script>window.__faqPwned=1</script> reset hostile password"
    _enter(console.search_box)
    shown = _html(console.widget)
    assert "&lt;script&gt;window.__faqPwned=1&lt;/script&gt;" in shown  # the query, escaped
    assert {c.match.entry.question for c in console.cards} == {e.question for e in kb}
    for card in console.cards:
        assert_inert(card.header.value)
    assert "&lt;script&gt;window.__faqPwned=&quot;question&quot;&lt;/script&gt;" in shown  # FAQ question escaped
    assert "&lt;img src=x onerror=" in shown  # FAQ answer's raw HTML shown as text
    assert 'href="https://docs.example.com/other/page/"' in shown  # a .md link goes to the published page
    console.ticket_box.value = ('<img src=x onerror="window.__faqPwned=2"> Can I paste a script into the hostile '
                                'form? <script>alert(1)</script>')
    console.analyze_button.click()
    results = _html(console.results)
    assert "&lt;img src=x onerror=&quot;window." in results and "&lt;script&gt;alert(1)&lt;/script&gt;" in results
    assert_inert(results)
    assert console.errors == []


def test_callback_errors_are_shown_and_recorded(kb, store):
    class Broken(TfidfRetriever):
        def search(self, query, top_k=3):
            raise RuntimeError("index file <corrupt>")

    console = SupportConsole(kb, Broken().fit(kb), store)
    assert console.error_area.layout.display == "none"
    console.search_box.value = "dns"
    _enter(console.search_box)
    console.search_button.click()  # ipywidgets would only log this; the console shows it
    assert console.errors == ["_on_search_msg: RuntimeError: index file <corrupt>",
                              "_on_search_click: RuntimeError: index file <corrupt>"]
    assert console.error_area.layout.display is None
    assert 'role="alert"' in console.error_area.value
    assert "RuntimeError: index file &lt;corrupt&gt;" in console.error_area.value


def test_every_control_is_labelled(console):
    console.search("sso")
    console.analyze("How do I enable SSO?")
    controls = list(_walk(console.widget))
    inputs = [w for w in controls if isinstance(w, (widgets.Text, widgets.Textarea, widgets.ToggleButtons))]
    buttons = [w for w in controls if isinstance(w, widgets.Button)]
    assert len(inputs) >= 6 and len(buttons) >= 10
    assert all(w.description for w in inputs), [w for w in inputs if not w.description]
    assert all(b.description and b.tooltip for b in buttons)
    statuses = [w.value for w in controls if isinstance(w, widgets.HTML) and 'role="status"' in w.value]
    assert any("Found 1 question" in s for s in statuses)


def test_build_console_reads_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FAQ_ASSISTANT_KB", str(HOSTILE_KB))
    monkeypatch.setenv("FAQ_ASSISTANT_FEEDBACK_DB", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("FAQ_ASSISTANT_SITE_URL", "https://docs.example.com/")
    console = build_console()
    assert len(console.kb) == 2 and console.store.path == tmp_path / "env.sqlite3"
    assert console.site_url == "https://docs.example.com/"
    assert console.db_field.value == str(tmp_path / "env.sqlite3")
    assert console.errors == []


def test_build_console_arguments_win_and_use_feedback_comes_from_the_environment(monkeypatch, tmp_path, kb):
    query = "zorblax frobnication"
    db = tmp_path / "env.sqlite3"
    with FeedbackStore(db) as s:
        s.record(query, kb.find_question(DNS).id, "accepted")
    monkeypatch.setenv("FAQ_ASSISTANT_KB", str(tmp_path / "missing"))
    monkeypatch.setenv("FAQ_ASSISTANT_FEEDBACK_DB", str(db))
    monkeypatch.setenv("FAQ_ASSISTANT_SITE_URL", "https://env.example.com/")
    monkeypatch.setenv("FAQ_ASSISTANT_USE_FEEDBACK", "1")
    console = build_console(kb.root, site_url="https://arg.example.com/")
    assert console.kb.root == kb.root and console.site_url == "https://arg.example.com/"
    assert console.store.path == db
    result = console.search(query)
    assert result.answered and result.best.entry.question == DNS
    assert build_console(kb.root, use_feedback=False).search(query).abstained
    monkeypatch.setenv("FAQ_ASSISTANT_USE_FEEDBACK", "0")
    assert build_console(kb.root).search(query).abstained


def test_search_cleans_a_pasted_mail_once(console, store):
    console.search("Hi team,\n\nIs DNS verification needed to enable SSO?\n\nThanks,\nKim\nkim@example.com")
    assert console.result.query == "Is DNS verification needed to enable SSO?"
    assert console.cards[0].match.entry.question == DNS
    console.cards[0].accept.click()
    assert store.to_frame()["query"].tolist() == [  # the query as typed, redacted
        "Hi team,\n\nIs DNS verification needed to enable SSO?\n\nThanks,\nKim\n[email]"]


def test_unopenable_feedback_db_keeps_the_console_working(monkeypatch, tmp_path, kb, retriever):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("FAQ_ASSISTANT_FEEDBACK_DB", str(blocker / "sub" / "fb.sqlite3"))
    console = SupportConsole(kb, retriever)
    assert console.store is None and len(console.errors) == 1
    assert "not saved" in console.settings_note.value
    console.search("dns verification")
    console.cards[0].accept.click()
    assert "not saved" in console.cards[0].state.value
    assert len(console.errors) == 1


def test_accepted_feedback_becomes_alternate_questions(kb, store):
    query = "zorblax frobnication"
    assert SupportConsole(kb, store=store).search(query).abstained
    store.record(query, kb.find_question(DNS).id, "accepted")
    console = SupportConsole(kb, store=store, use_feedback=True)
    result = console.search(query)
    assert result.answered and result.best.entry.question == DNS
    assert console.errors == []


# --- the saved index (issue 12): the console reads it, refits only when a page changed ----------------


def _refuse_fit(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("fitted although the saved index is fresh")

    monkeypatch.setattr(TfidfRetriever, "fit", refuse)
    monkeypatch.setattr(KnowledgeBase, "load", refuse)


def test_console_starts_from_a_fresh_saved_index_without_fitting(monkeypatch, tmp_path):
    from assistant.index import index_file, load_index

    monkeypatch.delenv("FAQ_ASSISTANT_USE_FEEDBACK", raising=False)
    root, idx = tmp_path / "kb", tmp_path / "idx"
    root.mkdir()
    (root / "faq.md").write_text(f"## {DNS}\n\nYes: verify a domain first.\n", encoding="utf-8")
    assert load_index(root, idx)[2].status == "built"  # what `faq-assistant index` or `ask` leaves behind
    with monkeypatch.context() as m:
        _refuse_fit(m)
        console = build_console(root, feedback_db=tmp_path / "fb.sqlite3", index_dir=idx)
        assert console.search("dns verification").best.entry.question == DNS and console.errors == []
    (root / "faq.md").write_text(f"## {DNS}\n\nYes.\n\n## How do I rotate a token?\n\nIn settings.\n", encoding="utf-8")
    fits = []
    real_fit = TfidfRetriever.fit
    monkeypatch.setattr(TfidfRetriever, "fit", lambda self, *a, **k: fits.append(1) or real_fit(self, *a, **k))
    console = build_console(root, feedback_db=tmp_path / "fb.sqlite3", index_dir=idx)
    assert fits == [1] and console.search("rotate a token").answered  # the changed page was refitted, once
    assert load_index(root, idx)[2].status == "loaded" and index_file(root, idx).is_file()


def test_default_console_reads_the_bundled_knowledge_base_from_the_saved_index(monkeypatch, store):
    from assistant.config import Settings
    from assistant.index import load_index

    load_index(None, Settings.from_env().index_dir)  # fresh now
    with monkeypatch.context() as m:
        _refuse_fit(m)
        console = SupportConsole(store=store)
        assert console.search(DNS).best.entry.question == DNS and console.errors == []
    given = SupportConsole(console.kb, store=store)  # a knowledge base given in memory is fitted on, as before
    assert given.retriever is not console.retriever and given.search(DNS).best.entry.question == DNS
