"""Untrusted FAQ markdown and plain text render as harmless HTML."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import KnowledgeBase
from assistant.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, escape, plural, render_markdown, safe_url

HOSTILE_KB = Path(__file__).parent / "fixtures" / "hostile-kb"


class _Audit(HTMLParser):
    """Collects tags, attributes and visible text of an HTML fragment."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    @property
    def visible(self) -> str:
        return "".join(self.text)


def assert_harmless(html: str) -> _Audit:
    """No tag outside the allow-list, no event handler, no link or image outside http/https/mailto."""
    audit = _Audit(html)
    for tag, attrs in audit.tags:
        assert tag in ALLOWED_TAGS, f"tag <{tag}> is not allowed: {html}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} on <{tag}>: {html}"
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) or (tag == "a" and name == "rel"), (tag, name, html)
            if name in ("href", "src"):
                assert urlsplit(value or "").scheme in ("http", "https", "mailto"), f"{name}={value!r}: {html}"
    return audit


def test_escape_plain_text():
    assert escape('<script>alert("x")</script> & \'q\'') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;")
    assert escape(None) == ""
    assert escape(3) == "3"


@pytest.mark.parametrize("n, args, expected", [
    (0, ("ticket",), "0 tickets"), (1, ("ticket",), "1 ticket"), (2, ("ticket",), "2 tickets"),
    (1, ("FAQ entry", "FAQ entries"), "1 FAQ entry"), (3, ("FAQ entry", "FAQ entries"), "3 FAQ entries"),
])
def test_plural(n, args, expected):
    assert plural(n, *args) == expected


@pytest.mark.parametrize("url, base, expected", [
    ("https://example.com/a?b#c", None, "https://example.com/a?b#c"),
    ("http://example.com", None, "http://example.com"),
    ("mailto:help@example.com", None, "mailto:help@example.com"),
    ("javascript:alert(1)", None, None),
    ("JaVaScRiPt:alert(1)", "https://docs.example.com/", None),
    ("java\tscript:alert(1)", "https://docs.example.com/", None),
    (" javascript:alert(1)", None, None),
    ("data:text/html,<script>alert(1)</script>", None, None),
    ("vbscript:msgbox(1)", None, None),
    ("file:///etc/passwd", None, None),
    ("../other/page.md", None, None),
    ("#anchor", None, None),
    ("../other/page.md", "https://docs.example.com/sso/faq/", "https://docs.example.com/sso/other/page.md"),
    ("#anchor", "https://docs.example.com/sso/faq/", "https://docs.example.com/sso/faq/#anchor"),
    ("/abs/path/", "https://docs.example.com/sso/faq/", "https://docs.example.com/abs/path/"),
    ("../x.md", "/site-relative/base/", None),
    ("../x.md", "javascript:alert(1)//", None),
    ("", "https://docs.example.com/", None),
    (None, None, None),
])
def test_safe_url(url, base, expected):
    assert safe_url(url, base) == expected


def test_markdown_renders_with_working_links():
    html = render_markdown("**Yes.** See [the docs](https://docs.example.com/sso) and `code`.\n\n- one\n- two")
    audit = assert_harmless(html)
    assert ("a", {"href": "https://docs.example.com/sso", "target": "_blank", "rel": "noopener noreferrer"}) in audit.tags
    assert {t for t, _ in audit.tags} >= {"p", "strong", "a", "code", "ul", "li"}


def test_relative_links_resolve_against_the_page_or_become_text():
    md = "See [upgrade](../upgrade.md) and [below](#other) and ![pic](img.png)."
    without = render_markdown(md)
    audit = assert_harmless(without)
    assert not any(t == "a" for t, _ in audit.tags) and not any(t == "img" for t, _ in audit.tags)
    assert ("span", {"class": "faq-link", "title": "../upgrade.md"}) in audit.tags
    assert audit.visible.strip() == "See upgrade and below and pic."
    resolved = assert_harmless(render_markdown(md, base_url="https://docs.example.com/sso/faq/#q"))
    hrefs = [a.get("href") or a.get("src") for t, a in resolved.tags if t in ("a", "img")]
    assert hrefs == ["https://docs.example.com/sso/upgrade.md", "https://docs.example.com/sso/faq/#other",
                     "https://docs.example.com/sso/faq/img.png"]


def test_hostile_markdown_is_shown_as_text():
    md = ('<script>window.x=1</script>\n\n<img src=x onerror="alert(1)"> [a](javascript:alert(1)) '
          '<a href="javascript:alert(1)" onclick="alert(1)">raw</a>\n\n<style>body{display:none}</style>')
    html = render_markdown(md)
    audit = assert_harmless(html)
    assert audit.tags == [("p", {}), ("p", {}), ("p", {})]
    assert "<script>window.x=1</script>" in audit.visible
    assert '<img src=x onerror="alert(1)">' in audit.visible
    assert "[a](javascript:alert(1))" in audit.visible


def test_hostile_faq_file_renders_harmless():
    kb = KnowledgeBase.load(HOSTILE_KB)
    assert len(kb) == 2
    for entry in kb:
        for base in (None, entry.url):
            assert_harmless(render_markdown(entry.answer_markdown, base_url=base))
    reset = kb.find_question("How do I reset my hostile password?")
    audit = assert_harmless(render_markdown(reset.answer_markdown, base_url=reset.url))
    hrefs = [a["href"] for t, a in audit.tags if t == "a"]
    assert hrefs == ["https://example.com/reset", "mailto:help@example.com", "https://docs.example.com/other/page.md"]
    assert "<script>" in audit.visible and "onerror" in audit.visible  # shown as text, not run
    # The question text itself carries markup: escaping keeps it as text.
    question = [e for e in kb if "paste" in e.question][0].question
    assert "<script>" in question
    assert _Audit(escape(question)).tags == []


_PIECES = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "](", "[", "<",
    "`", "<a href='javascript:alert(1)'>", "![i](data:image/svg+xml,<svg onload=alert(1)>)", "\n\n", "**b**",
    "<!-- c -->", "&#106;avascript:", "[r]: javascript:alert(1)\n", "<svg/onload=alert(1)>", "| a |\n|---|\n| <b> |",
    "[ok](https://e.com)", "[rel](../x.md)", " ", "text",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=5), max_size=12), st.sampled_from([None, "https://docs.example.com/a/"]))
def test_any_mix_of_hostile_pieces_renders_harmless(pieces, base):
    assert_harmless(render_markdown("".join(pieces), base_url=base))
