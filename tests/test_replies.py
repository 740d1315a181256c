"""Ticket -> questions -> suggestions -> reply draft citing each FAQ entry."""

from __future__ import annotations

import pytest
from pandas.api.types import is_bool_dtype, is_float_dtype, is_integer_dtype, is_string_dtype

from assistant import FaqEntry
from assistant import replies
from assistant.entries import entry_link
from assistant.replies import analyze_ticket, answer_links, build_reply, cite, greeting_for, page_urls, published_link, summarize
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
    # The answer's own link goes to the published page, never to a .md source path.
    assert "- [Upgrade your subscription](https://docs.example.com/subscription/core-subscription/upgrade/)" in md
    assert ".md)" not in md

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


def test_greeting_uses_the_name_the_ticket_is_signed_with(kb):
    dns = kb.find_question("Is DNS verification required to enable SSO?")
    assert build_reply([dns], ticket=TICKET).startswith("Hi Dana,\n\n")
    assert build_reply([dns], ticket="Is DNS needed?").startswith("Hi,\n\n")
    assert build_reply([dns], ticket=TICKET, greeting="Hello,").startswith("Hello,\n\n")  # an explicit greeting wins
    assert greeting_for("Can I?\nCheers,\nThe Platform team") == "Hi,"
    assert greeting_for(None) == "Hi,"


SITE = "https://docs.example.com/"


@pytest.mark.parametrize("target, expected", [
    ("../../../security/for-developers/access-tokens.md", SITE + "security/for-developers/access-tokens/"),
    ("../../../subscription/core-subscription/upgrade.md#plans", SITE + "subscription/core-subscription/upgrade/#plans"),
    ("../_index.md", SITE + "security/"),
    ("domain-faqs.md", SITE + "security/single-sign-on/domain-faqs/"),
    ("enforcement-faqs.md#how-do-service-accounts-work-with-sso",  # a KB page: its front matter's published URL
     SITE + "single-sign-on/enforcement-faqs/#how-do-service-accounts-work-with-sso"),
    ("#is-dns-verification-required-to-enable-sso", SITE + "single-sign-on/enforcement-faqs/#is-dns-verification-required-to-enable-sso"),
    ("/billing/", SITE + "billing/"),
    ("https://example.com/x.md", "https://example.com/x.md"),
    ("mailto:help@example.com", "mailto:help@example.com"),
    ("javascript:alert(1)", None),
    ("../img/diagram.png", SITE + "single-sign-on/img/diagram.png"),
])
def test_links_inside_answers_go_to_the_published_page(kb, target, expected):
    cli = kb.find_question(CLI)
    assert published_link(target, cli, SITE, page_urls(kb)) == expected


def test_links_inside_answers_without_a_site_url(kb):
    cli = kb.find_question(CLI)  # its page URL is site-relative: no site, no link
    assert published_link("../../../security/for-developers/access-tokens.md", cli) is None
    assert answer_links(cli) == {}
    e = _entry(source="guides/faq.md", url="https://help.example.org/guides/faq/#q",
               links=[{"text": "tokens", "target": "../security/tokens.md"}])
    assert answer_links(e) == {"../security/tokens.md": "https://help.example.org/security/tokens/"}


_HOSTILE_ANSWER = ('Click <script>alert(1)</script> then <img src=x onerror="alert(2)"> and '
                   '[here](javascript:alert(3)) or <javascript:alert(4)> &#106;avascript:alert(5) '
                   '<a href="javascript:alert(6)">raw</a> <!-- c --> see the docs and mail us.')


def _hostile_entry() -> FaqEntry:
    return _entry(question="<b onmouseover=alert(7)>Can I</b> [x](javascript:alert(8))?",
                  answer_text=_HOSTILE_ANSWER, answer_markdown=_HOSTILE_ANSWER, front_matter={"title": "<svg onload=alert(9)>"},
                  url="https://docs.example.com/faq/",
                  links=[{"text": "docs", "target": "javascript:alert(10)"},
                         {"text": "mail us", "target": "mailto:help@example.com"},
                         {"text": "the", "target": "https://docs.example.com/a b)(<x>"}])


def test_markdown_reply_draft_is_safe_to_paste_into_a_renderer_that_allows_html():
    from markdown_it import MarkdownIt

    from test_rendering import _Audit

    md = build_reply([_hostile_entry()], ticket="Hi,\n\nhelp\n\nThanks,\n<img src=x onerror=alert(11)>")
    html = MarkdownIt("commonmark", {"html": True, "linkify": False}).render(md)  # a permissive helpdesk
    audit = _Audit(html)
    assert {t for t, _ in audit.tags} <= {"p", "strong", "blockquote", "ul", "li", "a", "code", "br"}, html
    hrefs = [a["href"] for t, a in audit.tags if t == "a"]
    assert hrefs and all(h.startswith(("https://", "mailto:")) for h in hrefs), hrefs
    assert "mailto:help@example.com" in hrefs and "https://docs.example.com/faq/" in hrefs
    assert not any("javascript" in h for h in hrefs)
    assert "https://docs.example.com/a%20b%29%28%3Cx%3E" in hrefs
    assert "<script>alert(1)</script>" in audit.visible  # shown as text, not run
    assert "[here](javascript:alert(3))" in audit.visible


def test_text_reply_draft_drops_raw_html_and_unsafe_links():
    text = build_reply([_hostile_entry()], fmt="text", ticket="Hi,\n\nhelp\n\nThanks,\n<b>Ann</b>")
    for bad in ("<script", "<img", "<a ", "<b ", "<svg", "<!--", "javascript:alert(10)"):
        assert bad not in text, (bad, text)
    assert "mail us: mailto:help@example.com" in text


def test_reply_draft_strips_terminal_controls():
    e = _entry(question="Can I \x1b]0;title\x07do it?", answer_text="Yes \x1b[31mred\x1b[0m.\u202e")
    for fmt in ("markdown", "text"):
        draft = build_reply([e], fmt=fmt)
        assert "\x1b" not in draft and "\x07" not in draft and "\u202e" not in draft
        assert "Can I do it?" in draft
