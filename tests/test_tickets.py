"""Ticket text: redaction of personal data, cleaning, splitting into questions."""

from __future__ import annotations

import pytest

from assistant.tickets import clean_ticket, redact, split_questions

TICKET = """Hi team,

We enforced SSO yesterday. Now our Jenkins jobs fail to log in (see v4.28.0 logs). What should we do?
Also, can we exclude some users from the org?

Thanks,
Bob Smith
bob@acme.com | +1 (415) 555-0134

On Mon, Jan 3, 2025 at 10:00 AM Support <support@iechor.com> wrote:
> Hello Bob, how can we help?
"""


@pytest.mark.parametrize("text, expected", [
    ("mail bob.smith+sso@acme.co.uk now", "mail [email] now"),
    ("call +1 (415) 555-0134 or 030 1234567.", "call [phone] or [phone]."),
    ("token dckr_pat_2b3c4d5e6f7g8h9i and ghp_abcdefghijklmnop1234", "token [token] and [token]"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "Authorization: [token]"),
    ("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2Q", "jwt [token]"),
])
def test_redact_removes_emails_phones_and_tokens(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", ["v4.28.0", "on 2024-01-31.", "exit code 137", "port 8080", "ip 192.168.100.200"])
def test_redact_keeps_versions_dates_and_numbers(text):
    assert redact(text) == text


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
    split_questions(clean_ticket(redact(text)))
    assert time.perf_counter() - start < 5


def test_split_questions_is_linear_on_runs_of_punctuation():
    import time

    start = time.perf_counter()
    parts = split_questions("Can I enforce SSO? The log shows " + "." * 200_000 + "done")
    assert time.perf_counter() - start < 5 and parts[0].startswith("Can I enforce SSO? The log shows")
    assert split_questions("Why?! And how?") == ["Why?!", "And how?"]
