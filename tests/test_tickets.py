"""Ticket text: cleaning (greeting, signature, quoted mail) and splitting into questions."""

from __future__ import annotations

import pytest

from assistant.tickets import MAX_TICKET_CHARS, clean_ticket, split_questions

TICKET = """Hi team,

We enforced SSO yesterday. Now our Jenkins jobs fail to log in (see v4.28.0 logs). What should we do?
Also, can we exclude some users from the org?

Thanks,
Bob Smith
bob@acme.com | +1 (415) 555-0134

On Mon, Jan 3, 2025 at 10:00 AM Support <support@iechor.com> wrote:
> Hello Bob, how can we help?
"""


def test_clean_ticket_drops_greeting_signature_and_quoted_mail():
    cleaned = clean_ticket(TICKET)
    assert cleaned.startswith("We enforced SSO yesterday.")
    assert cleaned.endswith("can we exclude some users from the org?")
    assert "Bob Smith" not in cleaned and "wrote:" not in cleaned and "Hello Bob" not in cleaned


def test_clean_ticket_keeps_text_when_nothing_would_be_left():
    assert clean_ticket("Thanks!") == "Thanks!"


def test_split_questions_one_per_question_with_context():
    parts = split_questions(clean_ticket(TICKET))
    assert parts == [
        "We enforced SSO yesterday. Now our Jenkins jobs fail to log in (see v4.28.0 logs). What should we do?",
        "Also, can we exclude some users from the org?",
    ]


def test_split_questions_does_not_break_inside_dotted_words():
    assert split_questions("Is window.__flag set? Why does document.domain change?") == [
        "Is window.__flag set?", "Why does document.domain change?"]


def test_split_questions_without_question_mark_is_whole_text():
    assert split_questions("cli login fails after sso enforcement") == ["cli login fails after sso enforcement"]
    assert split_questions("   ") == []


@pytest.mark.parametrize("text", ["\n" * 200_000, " \n" * 100_000, "a" * 200_000, "a." * 100_000, "1 " * 100_000])
def test_ticket_functions_stay_linear_on_pathological_input(text):
    # A guard against catastrophic backtracking (quadratic regexes took minutes here), not a speed claim.
    import time

    start = time.perf_counter()
    split_questions(clean_ticket(text))
    assert time.perf_counter() - start < 5


def test_split_questions_is_linear_on_runs_of_punctuation():
    import time

    start = time.perf_counter()
    parts = split_questions("Can I enforce SSO? The log shows " + "." * 200_000 + "done")
    assert time.perf_counter() - start < 5 and parts[0].startswith("Can I enforce SSO? The log shows")
    assert split_questions("Why?! And how?") == ["Why?!", "And how?"]


def test_clean_ticket_cuts_text_past_the_limit():
    text = "How do I enable SSO?\n" + "log line\n" * 20_000
    cleaned = clean_ticket(text)
    assert cleaned.startswith("How do I enable SSO?\nlog line") and cleaned.endswith("\nlog lin")
    assert len(cleaned) == MAX_TICKET_CHARS  # the rest of the paste is dropped before cleaning
