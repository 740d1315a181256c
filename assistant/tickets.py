"""Support tickets: strip greetings, signatures and quoted mail, split into questions.

Personal data is removed by :func:`assistant.redaction.redact`, not here.
"""

from __future__ import annotations

import re

__all__ = ["clean_ticket", "split_questions", "MAX_TICKET_CHARS"]


# A greeting is the greeting word and at most three more words (a name, "team", "all") ending the
# line or ending in punctuation or a dash; "Hey team -- one of our devs ..." keeps its sentence.
_GREETING_RE = re.compile(
    r"^[ \t]*(?:hi|hello|hey|hiya|howdy|dear|good (?:morning|afternoon|evening|day)|greetings)\b"
    r"(?:[ \t]+[^\s,!.:;]+){0,3}?[ \t]*(?:[,!.:;]+|-{1,2}|\u2013|\u2014|$)[ \t]*",
    re.I | re.M,
)
_SIGNOFF_RE = re.compile(
    r"^[ \t]*(?:thanks?(?: you)?(?: in advance)?|many thanks|cheers|best(?: regards)?|kind regards|regards|"
    r"sincerely|br|thx|ty)\b[^\n]{0,30}$",
    re.I | re.M,
)
_QUOTE_HEADER_RE = re.compile(
    r"^[ \t]*(?:on .{0,200}wrote:|-{2,}[ \t]*original message[ \t]*-{2,}|from:[ \t].+|sent:[ \t].+|>+.*)$", re.I | re.M
)


#: A ticket is cut to this many characters before cleaning (a pasted log must not stall the console).
MAX_TICKET_CHARS = 100_000


def clean_ticket(text: str) -> str:
    """The part of a ticket that asks something.

    Drops, in order: quoted earlier mail (``> ...`` lines and everything after ``On ... wrote:`` /
    ``-----Original Message-----`` / ``From:``), the signature (everything from a sign-off line such
    as ``Thanks,`` or ``Best regards`` or a ``--`` line), and a leading greeting (``Hi team,``).
    Returns the text unchanged (stripped) when nothing is left after cleaning. Text past
    :data:`MAX_TICKET_CHARS` is dropped first.
    """
    original = text[:MAX_TICKET_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    body = original
    m = _QUOTE_HEADER_RE.search(body)
    if m:
        body = body[: m.start()]
    sig = re.search(r"^[ \t]*--[ \t]*$", body, re.M)
    if sig:
        body = body[: sig.start()]
    m = _SIGNOFF_RE.search(body)
    if m and body[: m.start()].strip():
        body = body[: m.start()]
    body = _GREETING_RE.sub("", body, count=1)
    body = body.strip()
    return body or original.strip()


# A sentence ends at . ? ! (or a line break) followed by white space or the end: "document.domain",
# "v4.28.0" and "e.g." inside a sentence do not split it.
_SENTENCE_RE = re.compile(r"\S.*?(?:[.?!\uff1f](?=\s|$)|(?=\n)|$)", re.S)  # one mark: no backtracking


def split_questions(text: str) -> list[str]:
    """Split a cleaned ticket into the questions it asks.

    Each sentence that ends with ``?`` is a question; the statement sentences just before it are
    kept with it as context. A ticket without any ``?`` is one question (the whole text).
    Returns a list of non-empty strings, in order.
    """
    sentences = [" ".join(s.split()) for s in _SENTENCE_RE.findall(text[:MAX_TICKET_CHARS]) if s.strip()]
    if not any(s.rstrip("!").endswith(("?", "\uff1f")) for s in sentences):
        return [text.strip()] if text.strip() else []
    out: list[str] = []
    context: list[str] = []
    for s in sentences:
        if s.rstrip("!").endswith(("?", "\uff1f")):
            out.append(" ".join([*context[-2:], s]))
            context = []
        else:
            context.append(s)
    if context and out:
        out[-1] = " ".join([out[-1], *context])
    return out
