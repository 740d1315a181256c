"""The support console's widgets, driven without a browser: set values, click, read state."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pytest
from html_checks import assert_inert

from assistant import KnowledgeBase, TfidfRetriever
from assistant.feedback import FeedbackStore
from assistant.rendering import escape
from assistant.widgets import SupportConsole, build_console


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


def test_enter_in_the_question_box_searches(console):
    # continuous_update=False: the value reaches the kernel when the user presses Enter.
    console.search_box.value = "is dns verification needed before I can enable sso"
    assert console.result is not None and console.result.answered
    first = console.search_cards[0]
    assert first.match.entry.question == DNS
    assert DNS in first.header.value and "Confidence" in first.header.value
    assert "clears the threshold" in first.header.value
    assert first.bar.value == pytest.approx(first.match.confidence) and first.bar.description == "Confidence"
    assert "You must verify a domain before using it with an SSO connection." in first.answer.value
    assert "security/single-sign-on/enforcement-faqs.md:19" in first.source.value
    assert "Why this matched" in first.source.value and first.match.terms
    assert all(f"<code>{escape(t)}</code>" in first.source.value for t in first.match.terms)
    assert "Answered" in console.search_status.value
    assert len(console.search_results.children) == 3


def test_search_button_searches_the_box(console):
    console.search_box.value = ""
    console.search_box.value = CLI
    console.search("placeholder that is replaced")
    console.search_button.click()
    assert console.result.query == CLI
    assert console.search_cards[0].match.entry.question == CLI


def test_no_answer_says_so_and_shows_candidates(console):
    console.search_box.value = "what colour is the office sofa"
    assert console.result.abstained
    assert "No FAQ entry answers" in console.search_status.value
    assert "closest candidates" in console.search_status.value
    assert len(console.search_cards) == 3
    assert all("a close candidate, not an answer" in c.header.value for c in console.search_cards)
    assert all(c.bar.bar_style == "warning" for c in console.search_cards)


def test_empty_query_asks_for_one(console):
    console.search_box.value = "   "
    assert "Type a question first" in console.search_status.value
    assert console.search_results.children == () and console.result is None


def test_search_feedback_is_stored(console, store):
    console.search_box.value = "dns verification for sso"
    card = console.search_cards[0]
    card.accept.click()
    assert card.verdict == "accepted" and card.accept.disabled and not card.dismiss.disabled
    assert "Accepted" in card.state.value
    console.search_cards[1].dismiss.click()
    df = store.to_frame()
    assert df[["query", "entry_id", "verdict", "rank", "origin"]].values.tolist() == [
        ["dns verification for sso", card.match.entry.id, "accepted", 1, "search"],
        ["dns verification for sso", console.search_cards[1].match.entry.id, "dismissed", 2, "search"],
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
    assert "Found 2 questions" in console.ticket_status.value
    by_q = {(c.question_no, c.match.entry.question): c for c in console.ticket_cards}
    assert len(console.ticket_cards) == 6
    results = _html(console.ticket_results)
    assert "Question 1" in results and "Question 2" in results
    assert console.draft.value == "" and "No entry accepted" in console.draft_status.value

    by_q[(2, CLI)].accept.click()
    by_q[(1, ENABLE)].accept.click()
    draft = console.draft.value
    assert draft.index(ENABLE) < draft.index(CLI)  # ticket order, not click order
    assert "Source:" in draft and "> SSO is available" in draft
    assert "Draft built from 2 accepted FAQ entries" in console.draft_status.value

    console.draft_format.value = "text"
    assert console.draft.value.startswith("Hi,") and f"1. {ENABLE}" in console.draft.value

    # The engineer edits the draft: accepting more does not overwrite it.
    console.draft.value = console.draft.value + "\nPS: call us any time."
    by_q[(1, ENABLE)].dismiss.click()
    assert "PS: call us any time." in console.draft.value
    assert "You edited the draft" in console.draft_status.value
    console.rebuild_button.click()
    assert ENABLE not in console.draft.value and CLI in console.draft.value

    df = store.to_frame()
    assert df["verdict"].tolist() == ["accepted", "accepted", "dismissed"]
    assert set(df["origin"]) == {"ticket"}
    assert df["ticket"].str.contains("[email]", regex=False).all()
    assert not df["ticket"].str.contains("lee@example.com").any()
    assert not df["query"].str.contains("lee@example.com").any()


def test_empty_ticket_asks_for_one(console):
    console.ticket_box.value = ""
    console.analyze_button.click()
    assert "Paste a ticket first" in console.ticket_status.value and console.analysis is None


def test_hostile_kb_and_ticket_render_as_text(store):
    kb = KnowledgeBase.load(HOSTILE_KB)
    console = SupportConsole(kb, store=store)
    console.search_box.value = "<script>window.__faqPwned=1</script> reset hostile password"
    shown = _html(console.widget)
    assert "&lt;script&gt;window.__faqPwned=1&lt;/script&gt;" in shown  # the query, escaped
    assert {c.match.entry.question for c in console.search_cards} == {e.question for e in kb}
    for card in console.search_cards:
        for part in (card.header, card.bar, card.answer, card.source):
            if isinstance(part, widgets.HTML):
                assert_inert(part.value)
    assert "&lt;script&gt;window.__faqPwned=&quot;question&quot;&lt;/script&gt;" in shown  # FAQ question escaped
    assert "&lt;img src=x onerror=" in shown  # FAQ answer's raw HTML shown as text
    assert 'href="https://docs.example.com/other/page.md"' in shown  # relative link resolved against the page
    console.ticket_box.value = ('<img src=x onerror="window.__faqPwned=2"> Can I paste a script into the hostile '
                                'form? <script>alert(1)</script>')
    console.analyze_button.click()
    results = _html(console.ticket_results)
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
    console.search_button.click()  # ipywidgets would only log this; the console shows it
    assert console.errors == ["_on_search_value: RuntimeError: index file <corrupt>",
                              "_on_search_click: RuntimeError: index file <corrupt>"]
    assert console.error_area.layout.display is None
    assert 'role="alert"' in console.error_area.value
    assert "RuntimeError: index file &lt;corrupt&gt;" in console.error_area.value


def test_every_control_is_labelled(console):
    console.search_box.value = "sso"
    console.ticket_box.value = "How do I enable SSO?"
    console.analyze_button.click()
    controls = list(_walk(console.widget))
    inputs = [w for w in controls if isinstance(w, (widgets.Text, widgets.Textarea, widgets.ToggleButtons,
                                                     widgets.FloatProgress))]
    buttons = [w for w in controls if isinstance(w, widgets.Button)]
    assert len(inputs) >= 4 and len(buttons) >= 8
    assert all(w.description for w in inputs), [w for w in inputs if not w.description]
    assert all(b.description or b.tooltip for b in buttons)
    assert all(b.tooltip for b in buttons)
    statuses = [w.value for w in controls if isinstance(w, widgets.HTML) and 'role="status"' in w.value]
    assert any("Answered" in s or "No FAQ entry" in s for s in statuses)


def test_build_console_reads_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FAQ_ASSISTANT_KB", str(HOSTILE_KB))
    monkeypatch.setenv("FAQ_ASSISTANT_FEEDBACK_DB", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("FAQ_ASSISTANT_SITE_URL", "https://docs.example.com/")
    console = build_console()
    assert len(console.kb) == 2 and console.store.path == tmp_path / "env.sqlite3"
    assert console.site_url == "https://docs.example.com/"
    assert str(tmp_path / "env.sqlite3") in console.header.value
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
    console.search_box.value = "Hi team,\n\nIs DNS verification needed to enable SSO?\n\nThanks,\nKim\nkim@example.com"
    assert console.result.query == "Is DNS verification needed to enable SSO?"
    assert console.search_cards[0].match.entry.question == DNS
    console.search_cards[0].accept.click()
    assert store.to_frame()["query"].tolist() == [  # the query as typed, redacted
        "Hi team,\n\nIs DNS verification needed to enable SSO?\n\nThanks,\nKim\n[email]"]


def test_unopenable_feedback_db_keeps_the_console_working(monkeypatch, tmp_path, kb, retriever):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("FAQ_ASSISTANT_FEEDBACK_DB", str(blocker / "sub" / "fb.sqlite3"))
    console = SupportConsole(kb, retriever)
    assert console.store is None and len(console.errors) == 1
    assert "not saved" in console.header.value
    console.search_box.value = "dns verification"
    console.search_cards[0].accept.click()
    assert "not saved" in console.search_cards[0].state.value
    assert len(console.errors) == 1


def test_accepted_feedback_becomes_alternate_questions(kb, store):
    query = "zorblax frobnication"
    assert SupportConsole(kb, store=store).search(query).abstained
    store.record(query, kb.find_question(DNS).id, "accepted")
    console = SupportConsole(kb, store=store, use_feedback=True)
    result = console.search(query)
    assert result.answered and result.best.entry.question == DNS
    assert console.errors == []
