"""FAQ entries: the one record every part of the package passes around, and its link.

An entry is made by :mod:`assistant.parsing` from a question in a markdown page; the knowledge
base holds them by id; the retriever ranks them; replies, coverage and the simulator cite them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = ["FaqEntry", "entry_link", "as_list"]


def as_list(value: Any) -> list[str]:
    """A front-matter value as a list of strings: ``"a, b"`` -> ``["a", "b"]``, a list as is, ``None`` -> ``[]``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


@dataclass
class FaqEntry:
    """One question and its answer.

    Attributes
    ----------
    id : str
        Stable id: document path relative to the knowledge-base root without the
        ``.md`` suffix, ``#``, and the question's anchor,
        e.g. ``security/single-sign-on/enforcement-faqs#is-dns-verification-required-to-enable-sso``.
    question : str
        The question text: inline markup, a ``Q:`` label and a trailing ``{ #id }`` removed.
    answer_markdown : str
        The answer's markdown source, as written (a collapsible block's body is dedented;
        reference-style link definitions it uses from elsewhere on the page are appended).
    answer_text : str
        The answer as readable plain text: no shortcodes, alert markers or ``A:`` labels.
    links : list of dict
        ``{"text": str, "target": str}`` for each link in the answer (reference links resolved).
    source : str
        The page's path relative to the knowledge-base root (POSIX separators).
    line : int
        1-based line of the question in ``source``.
    anchor : str
        The explicit anchor (``{#id}``, ``<h3 name=...>``) or the GitHub/Hugo slug of the question.
    section : str
        Non-question headings above the question, joined with `` > `` ("" if none).
    url : str or None
        Page URL (front matter ``url``, else the first ``aliases`` item) plus ``#anchor``.
    alternate_questions : list of str
        Other phrasings of the question given by the FAQ author.
    front_matter : dict
        The page's front matter (``title``, ``description``, ``keywords``, ``tags`` ...).
    """

    id: str
    question: str
    answer_markdown: str
    answer_text: str
    source: str
    line: int
    anchor: str
    section: str = ""
    links: list[dict[str, str]] = field(default_factory=list)
    url: str | None = None
    alternate_questions: list[str] = field(default_factory=list)
    front_matter: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.front_matter.get("title") or "")

    @property
    def keywords(self) -> list[str]:
        return as_list(self.front_matter.get("keywords"))

    @property
    def tags(self) -> list[str]:
        return as_list(self.front_matter.get("tags"))

    @property
    def citation(self) -> str:
        """Where a reader can find the entry: its URL, else ``source:line``."""
        return self.url or f"{self.source}:{self.line}"


def entry_link(entry: FaqEntry, site_url: str | None = None) -> str | None:
    """The entry's absolute http(s) page URL (with ``#anchor``), or ``None`` when it has none.

    ``entry.url`` comes from the page's front matter (``url``, else the first ``aliases``). A
    site-relative URL such as ``/single-sign-on/enforcement-faqs/#anchor`` is resolved against
    ``site_url`` (e.g. ``https://docs.example.com/``); without ``site_url`` it is not a link.
    """
    if not entry.url:
        return None
    url = urljoin(site_url, entry.url) if site_url else entry.url
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None
