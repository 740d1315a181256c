"""Support tickets: strip greetings, signatures and quoted mail, split into questions.

Personal data is removed by :func:`assistant.redaction.redact`, not here.
"""

from __future__ import annotations

import re

__all__ = ["clean_ticket", "split_questions", "signature_name", "MAX_TICKET_CHARS"]


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

# A list marker or numbering at the start of a line: "- ", "* ", "• ", "1. ", "2) ", "(3) ", "a) ",
# "#1 ", "Q1:", "Question 2:", "Q:".
_MARKER = (r"(?:[-*+\u2022\u2023\u25e6\u2043\u2219]|\(?\d{1,3}[.)]|\(?[a-z]\)|\#\d{1,3}[.:)]?"
           r"|(?:q|question)[ \t]*\d{0,3}[ \t]*[:.)])")
_LINE_MARKER_RE = re.compile(rf"^[ \t]*{_MARKER}[ \t]+([^\W\d_])?", re.I | re.M)
_LEAD_MARKER_RE = re.compile(rf"^{_MARKER}\s+", re.I)
# Numbering left at the end of the sentence before it: "Two questions: 1. Can we ...?" splits after "1.".
_TRAILING_NUMBER_RE = re.compile(r"\s*\(?\d{1,3}[.)]$")
# Words that only lead into a question: "Also, can we ...?" -> "Can we ...?"
_LEAD_IN_RE = re.compile(
    r"^(?:also|and|plus|additionally|besides|furthermore|moreover|first(?:ly)?|second(?:ly)?|third(?:ly)?|"
    r"next|then|finally|lastly|last(?: but not least)?|oh(?: and)?|ok(?:ay)?|so|ps|p\.s\.|btw|by the way|"
    r"(?:and )?one more(?: thing| question)?|(?:an)?other(?: question)?|(?:my )?(?:first|second|third|last|next|"
    r"final|other|follow-up) question(?: is)?|quick question|related(?: question)?)\b[ \t]*[,:;.\u2013\u2014-]*\s+",
    re.I)
# A sentence that only announces questions: "I have two questions:", "A few questions.", "Questions:".
_ANNOUNCE_RE = re.compile(
    r"^(?:(?:i|we)(?: also)? (?:have|had|got)|here are|(?:just )?(?:a|some|two|three|four|five|several|few|"
    r"couple(?: of)?|quick|more|follow-up|related)\b)?[\w\s-]{0,30}?\b(?:questions?|queries|things)\b"
    r"[\w\s-]{0,30}?[:.!]?$|^.{0,80}:$", re.I)


def _tidy(sentence: str) -> str:
    """A sentence without list markers, numbering or lead-in words, capitalized."""
    s = sentence
    for _ in range(3):  # "1. Also, ..." -> "Also, ..." -> "..."
        before = s
        s = _LEAD_MARKER_RE.sub("", s)
        s = _LEAD_IN_RE.sub("", s) if len(_LEAD_IN_RE.sub("", s)) >= 3 else s
        if s == before:
            break
    s = _TRAILING_NUMBER_RE.sub("", s) if not s.endswith(("?", "\uff1f")) else s
    if s != sentence and s[:1].islower():
        s = s[:1].upper() + s[1:]  # "also, can we ...?" -> "Can we ...?"; a sentence left whole keeps its case
    return s


def split_questions(text: str) -> list[str]:
    """Split a cleaned ticket into the questions it asks, as a person would read them.

    Each sentence that ends with ``?`` is a question; the statement sentences just before it (at
    most two) are kept with it as context. List markers and numbering (``- ``, ``1. ``, ``a) ``,
    ``Q2:``), lead-in words (``Also,``, ``And``, ``Finally,``, ``One more thing:``) and sentences that
    only announce questions (``I have two questions:``) are dropped, and the first letter is
    capitalized when something was dropped before it: ``"- also, can we exclude users?"`` -> ``"Can we exclude users?"``. A ticket
    without any ``?`` is one question (the whole text, tidied the same way). Returns a list of
    non-empty strings, in order.
    """
    text = _LINE_MARKER_RE.sub(lambda m: (m.group(1) or "").upper(), text[:MAX_TICKET_CHARS])
    sentences = [_tidy(" ".join(s.split())) for s in _SENTENCE_RE.findall(text) if s.strip()]
    sentences = [s for s in sentences if s]
    if not any(s.rstrip("!").endswith(("?", "\uff1f")) for s in sentences):
        return [" ".join(sentences)] if sentences else []
    out: list[str] = []
    context: list[str] = []
    for s in sentences:
        if s.rstrip("!").endswith(("?", "\uff1f")):
            out.append(" ".join([*context[-2:], s]))
            context = []
        elif not _ANNOUNCE_RE.match(s):
            context.append(s)
    if context and out:
        out[-1] = " ".join([out[-1], *context])
    return out


# A name on the line after a sign-off: one to three words, letters only (hyphen, apostrophe, dot).
_NAME_RE = re.compile(r"^[ \t]*((?:[^\W\d_][\w'\u2019.-]*)(?:[ \t]+[^\W\d_][\w'\u2019.-]*){0,2})[ \t]*$")
_NOT_NAMES = {"team", "support", "the", "sent", "from", "my", "iphone", "regards", "thanks", "cheers", "best",
              "admin", "it", "ops", "devops", "hr", "sales", "billing"}


def signature_name(ticket: str) -> str | None:
    """The first name the ticket is signed with, or ``None``.

    Looks, before any quoted earlier mail, for a sign-off line (``Thanks,``, ``Best regards,``,
    ``Cheers``, a ``--`` line; or ``Thanks, Sam`` on one line) followed by a name line of one to
    three words (``Sam Lee``, ``Anne-Marie``, ``José``); returns its first word (``"Sam"``). Team
    names such as ``The DevOps team`` are not names. Never raises.
    """
    text = ticket[:MAX_TICKET_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    m = _QUOTE_HEADER_RE.search(text)
    if m:
        text = text[: m.start()]
    lines = text.split("\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        candidates: list[str] = []
        if _SIGNOFF_RE.fullmatch(stripped) or stripped == "--":
            tail = re.sub(_SIGNOFF_RE.pattern.lstrip("^").replace("[^\\n]{0,30}$", ""), "", stripped, flags=re.I)
            tail = tail.strip(" \t,.!-\u2013\u2014")
            if tail:
                candidates.append(tail)
            candidates += [ln for ln in lines[i + 1:i + 3] if ln.strip()][:1]
        for cand in candidates:
            nm = _NAME_RE.match(cand)
            if nm:
                words = nm.group(1).split()
                if not any(w.lower().strip(".") in _NOT_NAMES for w in words):
                    return words[0].strip(".")
    return None
