"""Issue 14 point 1 and issue 17: which headings of a real docs page are entries (statement and
guide-boilerplate headings are not; troubleshooting pages give one entry per problem), why
(``kb --explain``), the ``---`` under an answer, and parsing time linear in the questions."""

from __future__ import annotations

import json

import pytest

from assistant import cli
from assistant.parsing import is_boilerplate, is_question, parse_markdown
from assistant.parsing.explain import explain_file

GUIDE = """---
title: Docker Offload
---

# Docker Offload

## What will you learn?

Things.

## Who's this for?

Developers.

## How Docker Offload works

It runs builds in the cloud.

## How group mapping works

Groups sync.

## How do I start Offload?

Run `docker offload start`.

## What happens when the session ends?

It stops.

## Prerequisites

A Docker account.

## Next steps

Read more.
"""


@pytest.mark.parametrize("text", [
    "How Docker Offload works", "How group mapping works", "How Docker Hardened Images support provenance",
    "Why immutability matters", "What users see with enforced ECI", "Where the key lives",
])
def test_statement_headings_are_not_questions(text):
    assert not is_question(text)


@pytest.mark.parametrize("text", [
    "How do I reset it", "Which plan should I pick", "What happens if I lose my key", "What's new in 4.2",
    "Who wrote Prometheus", "Why use Docker Offload?",
])
def test_question_shaped_without_a_question_mark_still_count(text):
    assert is_question(text)


@pytest.mark.parametrize("text", ["What will you learn?", "Who's this for?", "Who\u2019s this for?", "Who is it for?",
                                  "Prerequisites", "Next steps", "What's next", "What you'll learn"])
def test_guide_boilerplate_is_never_an_entry(text):
    assert is_boilerplate(text)


def test_guide_page_keeps_only_the_questions_a_reader_asks():
    page = parse_markdown(GUIDE, "manuals/offload/about.md")
    assert [e.question for e in page.entries] == ["How do I start Offload?", "What happens when the session ends?"]


TROUBLESHOOT = """---
title: Troubleshoot the daemon
---

## Daemon

### Unable to connect to the Docker daemon

Check the socket.

### Docker daemon fails to start

#### Error message

`failed to start`

#### Solution

Remove the stale pid file.

## Networking

### IP forwarding problems

Enable forwarding.
"""


def test_troubleshooting_page_gives_one_entry_per_problem_heading():
    page = parse_markdown(TROUBLESHOOT, "manuals/engine/daemon/troubleshoot.md")
    assert [e.question for e in page.entries] == [
        "Unable to connect to the Docker daemon", "Docker daemon fails to start", "IP forwarding problems"]
    fails = page.entries[1]
    assert "Remove the stale pid file." in fails.answer_text and fails.section == "Daemon"
    # The same page under a name that says nothing: no question-shaped heading, no entries.
    assert parse_markdown(TROUBLESHOOT.replace("Troubleshoot the daemon", "The daemon"), "daemon.md").entries == []


def test_known_issues_title_is_a_troubleshooting_page():
    text = TROUBLESHOOT.replace("Troubleshoot the daemon", "Known issues")
    assert len(parse_markdown(text, "manuals/desktop/issues.md").entries) == 3


def test_explain_says_heading_by_heading_which_rule(tmp_path, capsys):
    (tmp_path / "about.md").write_text(GUIDE)
    ex = explain_file(tmp_path / "about.md")
    rows = {r["text"]: r for r in ex.rows}
    assert rows["How do I start Offload?"]["entry"] and "question-shaped" in rows["How do I start Offload?"]["rule"]
    assert not rows["How Docker Offload works"]["entry"]
    assert "statement heading" in rows["How Docker Offload works"]["rule"]
    assert "boilerplate" in rows["What will you learn?"]["rule"]
    assert cli.main(["kb", "--explain", str(tmp_path / "about.md")]) == 0
    out = capsys.readouterr().out
    assert "not an FAQ page; 2 of 9 headings and blocks are entries" in out
    assert "   19  H2  -      How group mapping works" in out
    assert cli.main(["kb", "--explain", str(tmp_path / "about.md"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["faq_page"] is False and len(data["headings"]) == 9
    assert cli.main(["kb", "--explain", str(tmp_path / "nope.md")]) == 2


def test_explain_names_the_troubleshooting_rule(tmp_path):
    (tmp_path / "troubleshoot.md").write_text(TROUBLESHOOT)
    rows = {r["text"]: r for r in explain_file(tmp_path / "troubleshoot.md").rows}
    assert rows["Docker daemon fails to start"]["entry"]
    assert "troubleshooting page" in rows["Docker daemon fails to start"]["rule"]
    assert "part of the answer above" in rows["Solution"]["rule"]
    assert "a section" in rows["Daemon"]["rule"]


def test_a_rule_right_under_an_answer_keeps_the_answer():
    """CommonMark makes 'answer' + '---' a setext heading: the question got an empty answer."""
    text = ("---\ntitle: Billing FAQ\n---\n\n## How do I cancel my plan?\nGo to Billing and select Cancel plan\n---\n\n"
            "## Can I get a refund?\n\nYes, within 14 days.\n")
    page = parse_markdown(text, "faq.md")
    assert [(e.question, e.answer_text) for e in page.entries] == [
        ("How do I cancel my plan?", "Go to Billing and select Cancel plan"), ("Can I get a refund?", "Yes, within 14 days.")]
    assert "---" not in page.entries[0].answer_markdown
    [p] = [p for p in page.problems if p.code == "setext-heading"]
    assert p.line == 6 and p.severity == "warning" and "line 7" in p.message
    # A deliberate setext heading that is a question stays one.
    deliberate = parse_markdown("## Billing\n\nCan I pay by card?\n---\n\nYes.\n", "faq.md")
    assert [e.question for e in deliberate.entries] == ["Can I pay by card?"]


def test_the_rule_trap_reaches_ask_with_its_answer(tmp_path, capsys):
    (tmp_path / "faq.md").write_text("---\ntitle: FAQ\n---\n\n## How do I cancel my plan?\nGo to Billing and "
                                     "select Cancel plan\n---\n\n## Can I get a refund?\n\nYes, within 14 days.\n")
    assert cli.main(["ask", "How do I cancel my plan?", "--kb", str(tmp_path), "--json"]) == 0
    best = json.loads(capsys.readouterr().out)["matches"][0]
    assert best["question"] == "How do I cancel my plan?"
    from assistant import KnowledgeBase

    assert KnowledgeBase.load(tmp_path)[best["id"]].answer_text == "Go to Billing and select Cancel plan"


def test_parsing_does_not_copy_the_rest_of_the_page_per_question(monkeypatch):
    """The answer-end search walked ``items[n + 1:]`` (a list copy per question: quadratic). Count
    the items the page walk touches: linear in the questions."""
    from assistant.parsing import page as page_mod

    def page(n):
        return "---\ntitle: FAQ\n---\n\n" + "".join(f"## How do I set option {i}?\n\nSet it to {i}.\n\n" for i in range(n))

    copies = []
    real_list = list

    class CountingList(real_list):
        def __getitem__(self, key):
            if isinstance(key, slice):
                copies.append(len(range(*key.indices(len(self)))))
            return real_list.__getitem__(self, key)

    orig_sorted = sorted
    monkeypatch.setattr(page_mod, "sorted", lambda *a, **k: CountingList(orig_sorted(*a, **k)), raising=False)
    parse_markdown(page(400), "faq.md")
    assert sum(copies) < 4 * 400, sum(copies)


def test_lint_flags_the_rule_under_an_answer_even_with_a_long_underline(tmp_path):
    """Lint's own setext check lets a 'Title' + long underline pass; right under a question it is a trap."""
    from assistant.lint import lint_paths

    (tmp_path / "faq.md").write_text("---\ntitle: FAQ\ndescription: D\n---\n\n## How do I cancel my plan?\n"
                                     "Go to Billing and select Cancel plan\n------------------------------------\n\n"
                                     "## Can I get a refund?\n\nYes, within 14 days.\n")
    report = lint_paths([tmp_path])
    assert [(p.line, p.severity, p.code) for p in report.problems] == [(7, "warning", "setext-heading")]
