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
import re
from urllib.parse import urljoin, urlsplit

__all__ = ["render_markdown", "escape", "plural", "safe_url", "terminal_safe", "markdown_safe", "markdown_url",
           "strip_html", "TerminalSafeStream", "ALLOWED_TAGS", "ALLOWED_ATTRIBUTES", "URL_SCHEMES"]

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


def _rewrite_links(tokens, base_url: str | None, links: dict[str, str] | None = None) -> None:
    """Resolve or neutralise link and image targets in a markdown-it token stream, in place."""
    for tok in tokens:
        if tok.children:
            _rewrite_links(tok.children, base_url, links)
        if tok.type == "link_open":
            target = str(tok.attrs.get("href", ""))
            href = safe_url((links or {}).get(target, target), base_url)
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


def render_markdown(md: str, *, base_url: str | None = None, links: dict[str, str] | None = None) -> str:
    """Render untrusted FAQ markdown to sanitized HTML.

    Parameters
    ----------
    md : str
        Markdown source (CommonMark + tables + strikethrough). Raw HTML in it is shown as text.
    base_url : str, optional
        Absolute http(s) URL of the page the markdown comes from; relative links and images are
        resolved against it. Without it, relative links render as text with a tooltip.
    links : dict, optional
        ``{target as written: URL}`` replacing link targets before they are checked, e.g. a
        ``.md`` source path -> its published page (:func:`assistant.replies.answer_links`).

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
    _rewrite_links(tokens, base_url, links or {})
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


# Terminal control: ESC sequences (CSI "ESC [ ... final", OSC "ESC ] ... BEL/ST" such as window-title
# and clipboard writes, DCS/SOS/PM/APC strings up to ST, two-character escapes), their 8-bit C1
# forms (CSI U+009B, OSC U+009D, ...), every other C0/C1 control but tab and newline, DEL, and the
# bidirectional overrides that reorder what a terminal shows ("Trojan Source"). Strings run to
# their terminator or, unterminated, to the end of the text.
_TERMINAL_CONTROL_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def terminal_safe(text: object, *, keep_cr: bool = False) -> str:
    """Untrusted text made harmless to print on a terminal.

    Removes ESC and C1 control sequences (colours, cursor moves, OSC window-title and clipboard
    writes, DCS strings), every C0 and C1 control character except newline and tab (``\\r``
    too, unless ``keep_cr``: a progress bar redraws its line with it), DEL, and the Unicode
    bidirectional overrides (U+202A-U+202E, U+2066-U+2069). ``\\r\\n`` becomes ``\\n``. A lone
    surrogate (a file name that is not UTF-8, read with ``surrogateescape``) becomes U+FFFD, so
    printing never raises ``UnicodeEncodeError``. ``None`` becomes ``""``; other objects go
    through ``str``. Everything else, including non-ASCII text, is kept as it is.
    """
    s = "" if text is None else str(text)
    if s.isascii() and s.isprintable():  # the common case: nothing to do
        return s
    s = s.replace("\r\n", "\n")
    if keep_cr:
        s = _TERMINAL_CONTROL_RE.sub(lambda m: m.group(0) if m.group(0) == "\r" else "", s)
    else:
        s = _TERMINAL_CONTROL_RE.sub("", s)
    return _SURROGATE_RE.sub("\ufffd", s)


class TerminalSafeStream:
    """A text stream whose every write passes through :func:`terminal_safe` (the CLI wraps
    ``sys.stdout`` and ``sys.stderr`` in it while a command runs); other attributes are the stream's."""

    def __init__(self, stream, *, keep_cr: bool = False):
        self._stream, self._keep_cr = stream, keep_cr

    def write(self, text: str) -> int:
        return self._stream.write(terminal_safe(text, keep_cr=self._keep_cr))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


_MARKDOWN_SPECIAL_RE = re.compile(r"[\\\[\]<>&]")
_HTML_TAG_RE = re.compile(r"<(?:[A-Za-z][\w:-]*(?:\s[^<>]*)?/?|/[A-Za-z][\w:-]*\s*|!--.*?--|![^<>]*|\?[^<>]*)>", re.S)


def markdown_safe(text: object) -> str:
    """Untrusted plain text (an FAQ question or answer, a name from a ticket) as markdown that shows
    exactly that text and can do nothing else.

    Backslash-escapes ``\\``, ``[`` and ``]`` (no link or image can form) and writes ``<``, ``>``,
    ``&`` as entities, so raw HTML, entities and autolinks (``<javascript:...>``) render as text in
    any markdown renderer that allows HTML (a helpdesk reply box). Emphasis and code marks are
    left alone: they can only format. Terminal controls are removed (:func:`terminal_safe`).
    """
    def esc(m: re.Match[str]) -> str:
        c = m.group(0)
        return {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(c, "\\" + c)

    return _MARKDOWN_SPECIAL_RE.sub(esc, terminal_safe(text))


def markdown_url(url: str) -> str:
    """A URL (already checked by :func:`safe_url`) that cannot end a markdown link destination early:
    spaces, parentheses, angle brackets and backslashes are percent-encoded."""
    return "".join({" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\\": "%5C"}.get(c, c)
                   for c in terminal_safe(url) if c not in "\n\t")


def strip_html(text: object) -> str:
    """Plain text without HTML tags or comments (``<script>x</script>`` -> ``x``) and without terminal controls."""
    return _HTML_TAG_RE.sub("", terminal_safe(text))


def plural(n: int, one: str, many: str | None = None) -> str:
    """``"1 ticket"``, ``"2 tickets"``; ``many`` for irregular plurals (``entry``/``entries``)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
