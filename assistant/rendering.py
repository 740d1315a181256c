"""Safe HTML from untrusted text: FAQ markdown (answers) and plain text (queries, tickets).

Text from FAQ files and tickets is untrusted. FAQ markdown is rendered by markdown-it-py with raw
HTML disabled (``<script>`` in an answer becomes visible text), links are limited to
http/https/mailto, and the HTML is then sanitized by nh3 with an allow-list of tags and
attributes. Plain text goes through :func:`escape`.

Relative links (``../upgrade.md``, ``#anchor``) are resolved against ``base_url`` when it is an
absolute http(s) URL (the FAQ site's page URL). Without one they cannot work inside JupyterLab or
Voilà (they would open the notebook server's 404 page), so they render as text with the original
target in a tooltip (``<span class="faq-link" title="../upgrade.md">``).

:func:`plural` ("1 ticket", "2 tickets") is the one helper every text and HTML view uses for
counts. markdown-it-py and nh3 are imported on the first :func:`render_markdown` call, so a text
view that only needs :func:`plural` or :func:`escape` does not import them.
"""

from __future__ import annotations

import functools
import html
from urllib.parse import urljoin, urlsplit

__all__ = ["render_markdown", "escape", "plural", "safe_url", "ALLOWED_TAGS", "ALLOWED_ATTRIBUTES", "URL_SCHEMES"]

#: URL schemes a rendered link or image may use.
URL_SCHEMES = frozenset({"http", "https", "mailto"})

#: Tags kept by the sanitizer: what CommonMark + tables produce, nothing that runs or embeds.
ALLOWED_TAGS = frozenset({
    "a", "p", "br", "hr", "em", "strong", "s", "del", "code", "pre", "blockquote", "span",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "img",
    "table", "thead", "tbody", "tr", "th", "td",
})

#: Attributes kept per tag (``rel="noopener noreferrer"`` is added to links by nh3).
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title"},
    "span": {"title", "class"},
    "code": {"class"},
    "ol": {"start"},
}



@functools.cache
def _markdown():
    """The markdown-it parser, built on first use (``plural`` and ``escape`` need no markdown)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def escape(text: object) -> str:
    """HTML-escape plain text (``&``, ``<``, ``>``, ``"`` and ``'``) for element content or attributes.

    ``None`` becomes ``""``; other objects are converted with ``str``.
    """
    return "" if text is None else html.escape(str(text), quote=True)


def safe_url(url: str | None, base_url: str | None = None) -> str | None:
    """A URL that is safe and useful to link to, or ``None``.

    Parameters
    ----------
    url : str or None
        The link target as written (absolute, site-relative ``/a/b/``, relative ``../x.md`` or ``#frag``).
    base_url : str, optional
        Absolute http(s) URL that relative targets are resolved against (RFC 3986 rules, ``urljoin``).

    Returns
    -------
    str or None
        ``url`` (or its resolution) when its scheme is http, https or mailto; ``None`` for other
        schemes (``javascript:``, ``data:``, ``file:``, ...) and for relative targets without an
        absolute http(s) ``base_url``.
    """
    if not url:
        return None
    url = url.strip()
    # Browsers ignore ASCII tab/newline inside a scheme ("java\nscript:"); urlsplit strips them too.
    scheme = urlsplit(url).scheme.lower()
    if scheme:
        return url if scheme in URL_SCHEMES else None
    base = (base_url or "").strip()
    if urlsplit(base).scheme.lower() in ("http", "https") and urlsplit(base).netloc:
        resolved = urljoin(base, url)
        return resolved if urlsplit(resolved).scheme.lower() in ("http", "https") else None
    return None


def _rewrite_links(tokens, base_url: str | None) -> None:
    """Resolve or neutralise link and image targets in a markdown-it token stream, in place."""
    for tok in tokens:
        if tok.children:
            _rewrite_links(tok.children, base_url)
        if tok.type == "link_open":
            target = str(tok.attrs.get("href", ""))
            href = safe_url(target, base_url)
            if href is None:
                tok.tag = "span"
                tok.attrs = {"class": "faq-link", "title": target}
            else:
                tok.attrs["href"] = href
                tok.attrs["target"] = "_blank"
        elif tok.type == "image":
            src = safe_url(str(tok.attrs.get("src", "")), base_url)
            if src is None or not src.startswith(("http://", "https://")):
                tok.type = "text"
                tok.content = "".join(c.content for c in tok.children or []) or str(tok.attrs.get("alt", ""))
                tok.children = None
            else:
                tok.attrs["src"] = src
    # Close tags must match the rewritten open tags.
    stack = []
    for tok in tokens:
        if tok.type == "link_open":
            stack.append(tok.tag)
        elif tok.type == "link_close" and stack:
            tok.tag = stack.pop()


def render_markdown(md: str, *, base_url: str | None = None) -> str:
    """Render untrusted FAQ markdown to sanitized HTML.

    Parameters
    ----------
    md : str
        Markdown source (CommonMark + tables + strikethrough). Raw HTML in it is shown as text.
    base_url : str, optional
        Absolute http(s) URL of the page the markdown comes from; relative links and images are
        resolved against it. Without it, relative links render as text with a tooltip.

    Returns
    -------
    str
        An HTML fragment with only :data:`ALLOWED_TAGS` and :data:`ALLOWED_ATTRIBUTES`, links
        only to :data:`URL_SCHEMES` (opening in a new tab with ``rel="noopener noreferrer"``),
        no comments, no event handlers, no ``<script>``/``<style>`` content.
    """
    import nh3

    parser = _markdown()
    tokens = parser.parse(md or "")
    _rewrite_links(tokens, base_url)
    raw = parser.renderer.render(tokens, parser.options, {})
    return nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def plural(n: int, one: str, many: str | None = None) -> str:
    """``"1 ticket"``, ``"2 tickets"``; ``many`` for irregular plurals (``entry``/``entries``)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
