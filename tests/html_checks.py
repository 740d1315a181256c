"""Assertions on HTML that views produce from untrusted text (shared by the widget tests)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit


class _Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """No element that runs or embeds anything, no event handler, links only to http/https/mailto."""
    for tag, attrs in _Tags(html).tags:
        assert tag not in {"script", "img", "iframe", "svg", "style", "object", "embed", "form", "input"}, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            if name in ("href", "src"):
                assert urlsplit(value).scheme in ("http", "https", "mailto"), (tag, value)
