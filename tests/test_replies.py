"""Ticket -> questions -> suggestions -> reply draft citing each FAQ entry."""

from __future__ import annotations

import pytest
from pandas.api.types import is_bool_dtype, is_float_dtype, is_integer_dtype, is_string_dtype

from assistant import FaqEntry
from assistant import replies
from assistant.entries import entry_link
from assistant.replies import analyze_ticket, build_reply, cite, summarize
from assistant.tickets import clean_ticket, split_questions

ENABLE = "We currently have a iEchor Team subscription. How do we enable SSO?"
CLI = "Does iEchor SSO support authenticating through the command line?"

TICKET = """Hello team,

We currently have the Team subscription. How do we enable SSO? Our build server logs in with a
password. Does SSO support authenticating through the command line?

Thanks in advance,
Dana Example
dana@example.com | +1 415 555 0100

On Mon, Jan 8, 2024 at 9:00 AM Support <support@example.com> wrote:
> Is DNS verification required to enable SSO?
> Yes.
"""


def _entry(**kw) -> FaqEntry:
    base = dict(id="faq#q", question="Can I do it?", answer_markdown="Yes.", answer_text="Yes.",
                source="faq.md", line=7, anchor="q")
    base.update(kw)
    return FaqEntry(**base)


def test_ticket_is_split_and_each_question_gets_its_entry(retriever):
    analysis = analyze_ticket(TICKET, retriever, top_k=3)
    assert "Hello team" not in analysis.cleaned and "wrote:" not in analysis.cleaned
    assert "Dana" not in analysis.cleaned
    assert len(analysis.questions) == 2
    first, second = analysis.questions
    assert first.question == "We currently have the Team subscription. How do we enable SSO?"
    assert second.question.endswith("Does SSO support authenticating through the command line?")
    assert first.result.best.entry.question == ENABLE and first.answered
    assert second.result.best.entry.question == CLI and second.answered
    assert all(len(q.result.matches) == 3 for q in analysis.questions)
    df = analysis.to_frame()
    assert list(df.columns) == ["question_no", "question", "answered", "rank", "id", "faq_question", "score",
                                "confidence"]
    kinds = {"question_no": is_integer_dtype, "question": is_string_dtype, "answered": is_bool_dtype,
             "rank": is_integer_dtype, "id": is_string_dtype, "faq_question": is_string_dtype,
             "score": is_float_dtype, "confidence": is_float_dtype}
    assert [c for c, is_kind in kinds.items() if not is_kind(df[c])] == []
    assert df["question_no"].tolist() == [1, 1, 1, 2, 2, 2] and df["rank"].tolist() == [1, 2, 3, 1, 2, 3]
    assert df["question"].tolist() == [first.question] * 3 + [second.question] * 3
    assert df["answered"].tolist() == [True] * 6
    assert df["id"].tolist() == [m.entry.id for q in analysis.questions for m in q.result.matches]
    assert df.loc[0, "faq_question"] == ENABLE
    assert df["score"].tolist() == [m.score for q in analysis.questions for m in q.result.matches]
    assert df["confidence"].tolist() == [m.confidence for q in analysis.questions for m in q.result.matches]
    assert df["confidence"].between(0, 1).all()


def test_ticket_is_cleaned_once_and_questions_are_searched_as_split(retriever, monkeypatch):
    cleaned_texts, searched = [], []

    def counting_clean(text):
        cleaned_texts.append(text)
        return clean_ticket(text)

    class Spy:
        def search(self, query, top_k=3):
            searched.append(query)
            return retriever.search(query, top_k=top_k)

    monkeypatch.setattr(replies, "clean_ticket", counting_clean)
    analysis = analyze_ticket(TICKET, Spy(), top_k=2)
    assert cleaned_texts == [TICKET]
    assert searched == [q.question for q in analysis.questions] == split_questions(clean_ticket(TICKET))


def test_ticket_without_question_mark_is_one_question(retriever):
    analysis = analyze_ticket("Hi,\n\nplease explain DNS verification for SSO\n\nBest regards,\nKim", retriever)
    assert [q.question for q in analysis.questions] == ["please explain DNS verification for SSO"]
    assert analysis.questions[0].result.best.entry.question == "Is DNS verification required to enable SSO?"


def test_unrelated_ticket_abstains_but_keeps_candidates(retriever):
    analysis = analyze_ticket("What colour should the office sofa be?", retriever, top_k=2)
    (q,) = analysis.questions
    assert not q.answered and len(q.result.matches) == 2


@pytest.mark.parametrize("ticket", ["", "   \n\t"])
def test_empty_ticket_is_an_error(retriever, ticket):
    with pytest.raises(ValueError, match="ticket is empty"):
        analyze_ticket(ticket, retriever)


def test_reply_quotes_each_chosen_answer_and_cites_its_link(kb):
    enable, cli = kb.find_question(ENABLE), kb.find_question(CLI)
    md = build_reply([enable, cli, enable], site_url="https://docs.example.com/")
    assert md.startswith("Hi,\n\n") and md.rstrip().endswith("Best regards,")
    assert md.count(f"**{ENABLE}**") == 1 and f"**{CLI}**" in md
    assert "> SSO is available with a iEchor Business subscription." in md
    assert ("Source: [Enforcement](https://docs.example.com/single-sign-on/enforcement-faqs/"
            "#we-currently-have-a-iechor-team-subscription-how-do-we-enable-sso)") in md
    assert md.index(ENABLE) < md.index(CLI)
    # The answer's own link, resolved against the page URL, is listed so the reader can open it.
    assert "- [Upgrade your subscription](https://docs.example.com/subscription/core-subscription/upgrade.md)" in md

    text = build_reply([cli], fmt="text")
    assert f"1. {CLI}\n   Yes. When SSO is enforced" in text
    assert f"   Source: {cli.url}\n" in text and cli.url.startswith("/single-sign-on/enforcement-faqs/#")
    assert "**" not in text and ">" not in text


def test_reply_cites_file_and_line_without_url():
    e = _entry(answer_text="Yes, see the [docs].", url=None)
    assert cite(e) == "faq.md:7" and entry_link(e) is None
    md = build_reply([e], greeting="Hello Dana,", closing="Cheers,\nSupport")
    assert "Source: `faq.md:7`" in md
    assert md.startswith("Hello Dana,\n\nThanks for getting in touch. Here is what our FAQ says:")
    assert md.endswith("Cheers,\nSupport\n")
    assert "Source: faq.md:7" in build_reply([e], fmt="text")


def test_entry_link_only_for_absolute_http_urls():
    assert entry_link(_entry(url="https://d.example.com/p/#q")) == "https://d.example.com/p/#q"
    assert entry_link(_entry(url="/p/#q")) is None
    assert entry_link(_entry(url="/p/#q"), "https://d.example.com/docs/") == "https://d.example.com/p/#q"
    assert entry_link(_entry(url="javascript:alert(1)//#q")) is None
    assert cite(_entry(url="/p/#q")) == "/p/#q"


@pytest.mark.parametrize("entries, fmt, message", [
    ([], "markdown", "no FAQ entry chosen"),
    ([_entry()], "html", "reply format must be one of markdown, text; got 'html'"),
])
def test_reply_errors(entries, fmt, message):
    with pytest.raises(ValueError, match=message):
        build_reply(entries, fmt=fmt)


def test_summarize_keeps_whole_sentences():
    text = "First sentence is here. Second one follows. " + "Third is very long " * 30
    assert summarize("Short answer.", 50) == "Short answer."
    assert summarize(text, 60) == "First sentence is here. Second one follows. …"
    long_word_run = "word " * 40
    out = summarize(long_word_run, 30)
    assert out.endswith(" …") and len(out) <= 32 and not out[:-2].endswith(" ")


def test_long_answer_is_summarized_in_the_reply():
    e = _entry(answer_text="One. " * 300)
    reply = build_reply([e], max_answer_chars=100)
    quoted = [line for line in reply.splitlines() if line.startswith("> ")]
    assert len(quoted) == 1 and len(quoted[0]) <= 104 and quoted[0].endswith("…")
