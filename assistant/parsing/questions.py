"""Which text reads as a question, and which headings of a page are questions.

Rules 1-3 as the :mod:`assistant.parsing` docstring and ``docs/parsing.md`` state them:
question-shaped text (:func:`is_question`), feedback and navigation headings
(:func:`is_boilerplate`), and the FAQ-page convention, applied with a page's overrides by
:func:`mark_question_headings`. Also :func:`slugify` (a heading's anchor) and the ``Q:``/``A:``
label and ``{ #id }`` attribute-list patterns every question finder shares. No markdown parsing here.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ..entries import as_list


class Heading(Protocol):
    """What the page rules read of a heading (a :class:`~.candidates.Item` is one)."""

    level: int
    text: str
    own_content: bool
    question: bool
    rule: str

__all__ = [
    "WH_WORDS", "AUXILIARIES", "QUESTION_LABEL_RE", "ANSWER_LABEL_RE", "ATTR_LIST_RE", "TRAILING_ATTR_LIST_RE",
    "slugify", "is_question", "is_boilerplate", "mark_question_headings",
]

#: Question words: a heading starting with one is a question unless the next word is ``to`` or a
#: subject/determiner (``How to ...``, ``Where the ... lives`` are titles, not questions).
WH_WORDS = frozenset("how what why when where which who whom whose".split())
#: Auxiliary verbs: a heading starting with one (``Can I ...``, ``Is ...``) is a question.
AUXILIARIES = frozenset(
    "can could should would will is are am was were do does did has have had may might must shall isn aren".split()
)
_STATEMENT_AFTER_WH = frozenset(
    "to i you we they he she it the a an this that these those my your our their its his her".split()
)

#: Words after a question word that make a question without an auxiliary ("What's", "What happens").
_ASKING_AFTER_WH = frozenset("s re ll happens happened happen if else about not exactly".split())

_QUESTION_MARKS = "?\uff1f\u061f\u2e2e\ufe56\u055e\u2047\u2048\u2049"
#: A ``Q:``/``Question:``/``问：`` label opening a question, and an ``A:``/``Answer:``/``回答：`` label
#: opening its answer.
QUESTION_LABEL_RE = re.compile(r"^(?:Q|Question|问|問|问题|問題|質問)\s*[:：]\s*", re.I)
ANSWER_LABEL_RE = re.compile(r"^(?:A|Ans|Answer|回答|答|答案|解答)\s*[:：]\s*", re.I)
_TAG_PREFIX_RE = re.compile(r"^(?:\[[^\]\n]{1,40}\]\s*)+")
_WORD_RE = re.compile(r"[^\W_]+")
_NOT_WORD_RE = re.compile(r"[^\w' ]+")
_CJK_QUESTION_ENDINGS = "吗嗎呢か"

#: Feedback and navigation headings (rule 3), matched against the whole heading.
_BOILERPLATE_RE = re.compile(
    r"(?:(?:was|is|did) (?:this|the) (?:page|article|doc|document|documentation|section|guide|answer|"
    r"information|content|faq|tutorial)(?: \w+)? (?:helpful|useful|clear)"
    r"|did (?:this|you find (?:this|it|what you were looking for))(?: \w+)*"
    r"|(?:still )?(?:have|got) (?:more |any |other |further )?questions(?: \w+)*"
    r"|(?:need|want) (?:more |further |additional |some )?(?:help|support)"
    r"|(?:any|more|other) questions|(?:are you |anything )?missing (?:something|anything)(?: \w+)*"
    r"|related(?: \w+)?|see also|next steps?|what'?s next|further reading|learn more|"
    # guide boilerplate: what a tutorial says about itself, not a question a reader asks
    r"what (?:will|do|can|should) (?:you|i|we) (?:learn|need|build|cover)(?: \w+)*|"
    r"what (?:you'?ll|you will|we'?ll|we will) (?:learn|need|build|cover)(?: \w+)*|"
    r"who(?:'?s| is) (?:this|it|the guide|this guide|this page|this tutorial) for|"
    r"prerequisites?|before you (?:begin|start)|requirements|summary|overview|introduction|conclusion|"
    r"recap|wrap up|wrapping up|"
    r"additional resources|resources|feedback|contents|table of contents|on this page|"
    r"in this (?:article|page|section))",
    re.I,
)
#: Words that make a page an FAQ page (rule 2) in its front matter, first heading or file name.
_FAQ_WORD_RE = re.compile(
    r"\bfaqs?\b|\bq\s*&\s*a\b|frequently[\s-]+asked|troubleshoot|known[\s-]+issues|常见问题|常見問題|よくある質問|자주 묻는 질문", re.I
)

#: A ``{ #id .class key=value }`` attribute list (Python-Markdown attr_list, MkDocs, Hugo).
_ATTR_ITEM = r"""(?:[#.][\w-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}]+))"""
ATTR_LIST_RE = re.compile(r"\{:?\s*(" + _ATTR_ITEM + r"(?:\s+" + _ATTR_ITEM + r")*)\s*\}")
TRAILING_ATTR_LIST_RE = re.compile(r"\s*" + ATTR_LIST_RE.pattern + r"\s*$")


class _SlugTable(dict):
    """``str.translate`` table of :func:`slugify`, filled as characters are met: a letter, digit,
    nonspacing mark, ``-`` or ``_`` stays, a space becomes ``-``, anything else goes."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        cat = unicodedata.category(ch)
        self[code] = value = ch if ch in "-_" or cat[0] in "LN" or cat == "Mn" else "-" if ch == " " else None
        return value


_SLUG_TABLE = _SlugTable()


def slugify(text: str) -> str:
    """Anchor slug as GitHub and Hugo (goldmark ``github`` style) make it.

    Lower-cases, drops punctuation other than ``-`` and ``_``, turns each space into ``-``.
    Letters and digits of any script are kept. ``"How do I... (v2)?"`` -> ``"how-do-i-v2"``.
    """
    return unicodedata.normalize("NFC", text).strip().lower().translate(_SLUG_TABLE)


def _trim_question(text: str) -> str:
    """Drop a trailing attribute list and trailing spaces, quotes, periods, emoji, bidi marks."""
    t = (TRAILING_ATTR_LIST_RE.sub("", text) if "{" in text else text).strip()  # "in": no scan of every character
    end = len(t)
    while end and t[end - 1] not in _QUESTION_MARKS and not t[end - 1].isalnum() and (
        unicodedata.category(t[end - 1]) in ("Zs", "Cf", "So", "Sk", "Pe", "Pf", "Po", "Pd", "Cc")
    ):
        end -= 1
    return t[:end]


@lru_cache(maxsize=4096)  # a page asks about each heading several times (rules 1-3, setext traps)
def is_question(text: str) -> bool:
    """True when a heading's (or bold paragraph's) text reads as a question.

    Rule (see the module docstring): ends with a question mark (``?``, ``？``, ``؟``...), starts
    with a ``Q:`` label, starts with an auxiliary verb (not followed by ``not`` or a number), or
    starts with a question word not followed by ``to``/a subject/a determiner. A leading ``[TAG]``
    is ignored; Chinese/Japanese text ending in 吗/呢/か counts.
    """
    t = _trim_question(unicodedata.normalize("NFC", text))
    if not t:
        return False
    if QUESTION_LABEL_RE.match(t) or t[-1] in _QUESTION_MARKS:
        return True
    t = _TAG_PREFIX_RE.sub("", t)
    if t and t[-1] in _CJK_QUESTION_ENDINGS:
        return True
    words = _WORD_RE.findall(t.casefold())
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    if first in AUXILIARIES:
        return second != "not" and not second.isdigit()
    if first not in WH_WORDS or second in _STATEMENT_AFTER_WH:
        return False
    # Without a question mark a question word needs a verb that asks: "How do I reset it",
    # "Which plan should I pick", "What's new", "What happens if ...". "How group mapping works"
    # and "How Docker Hardened Images support provenance" are statement titles.
    # "Who" is followed by its verb ("Who wrote Prometheus").
    return first == "who" or second in _ASKING_AFTER_WH or any(w in AUXILIARIES for w in words[1:5])


@lru_cache(maxsize=4096)
def is_boilerplate(text: str) -> bool:
    """True for feedback/navigation headings that are never FAQ entries ("Was this page helpful?")."""
    t = " ".join(_NOT_WORD_RE.sub(" ", _trim_question(text).replace("\u2019", "'")).split())
    return bool(t) and _BOILERPLATE_RE.fullmatch(t.rstrip("?")) is not None


def _is_faq_page(front_matter: dict[str, Any], source: str, heads: list[Heading]) -> bool:
    """True when the page is an FAQ page (rule 2): front matter, first ``#`` heading or file name say so.

    ``source`` is the page's path (its folder's name counts for ``index``/``_index``/``README``);
    ``heads`` are the page's headings (``.level``, ``.text``).
    """
    for key in ("tags", "categories", "type", "layout", "kind"):
        if any(_FAQ_WORD_RE.search(v) for v in as_list(front_matter.get(key))):
            return True
    for key in ("title", "linkTitle", "sidebar_label", "nav_title"):
        if _FAQ_WORD_RE.search(str(front_matter.get(key) or "")):
            return True
    h1 = next((h.text for h in heads if h.level == 1), "")
    if _FAQ_WORD_RE.search(h1):
        return True
    path = Path(source)
    name = path.name.split(".")[0]
    if name.lower() in ("index", "_index", "readme") and path.parent.name:
        name = path.parent.name
    return bool(re.search(r"faq|troubleshoot|q-?and-?a", name, re.I))


def _question_level(heads: list[Heading]) -> int | None:
    """The heading level holding most question-shaped headings (the shallower on a tie); ``None`` without any."""
    counts = Counter(h.level for h in heads if is_question(h.text) and not is_boilerplate(h.text))
    if not counts:
        return None
    return min(counts, key=lambda level: (-counts[level], level))


def _common_level(heads: list[Heading]) -> int | None:
    """The most common heading level (the deeper on a tie; a single ``#`` title does not count), else ``None``.

    The question level of a ``question_headings: all`` page without a question-shaped heading.
    """
    levels = Counter(h.level for h in heads if not is_boilerplate(h.text))
    if levels.get(1) == 1 and len(levels) > 1:
        del levels[1]  # a single H1 is the page title
    if not levels:
        return None
    return min(levels, key=lambda level: (-levels[level], -level))


def _is_troubleshooting_page(front_matter: dict[str, Any], source: str, heads: list[Heading]) -> bool:
    """True when the file name (the folder's for ``index``/``_index``), the ``title`` or the first
    ``#`` heading says *troubleshoot(ing)* or *known issues*: each problem heading is an entry."""
    path = Path(source)
    name = path.name.split(".")[0]
    if name.lower() in ("index", "_index", "readme") and path.parent.name:
        name = path.parent.name
    texts = [name, str(front_matter.get("title") or ""), next((h.text for h in heads if h.level == 1), "")]
    return any(re.search(r"troubleshoot|known[\s_-]+issues", t, re.I) for t in texts)


def _problem_level(heads: list[Heading]) -> int | None:
    """The level of a troubleshooting page's problem headings: the most common level whose
    headings are mostly distinct (a level of repeated "Cause" / "Solution" subheadings is not it;
    a single ``#`` title does not count), else :func:`_common_level`."""
    by_level: dict[int, list[str]] = {}
    for h in heads:
        if not is_boilerplate(h.text):
            by_level.setdefault(h.level, []).append(h.text.casefold())
    if len(by_level.get(1, [])) == 1 and len(by_level) > 1:
        del by_level[1]
    distinct = [lv for lv, texts in by_level.items() if len(set(texts)) >= 0.8 * len(texts)]
    if not distinct:
        return _common_level(heads)
    return min(distinct, key=lambda lv: (-len(by_level[lv]), -lv))


def mark_question_headings(heads: list[Heading], opts: dict[str, Any], front_matter: dict[str, Any],
                           source: str) -> tuple[bool, int | None]:
    """Set ``.question`` and ``.rule`` on each heading by rules 1-3 and the overrides ``opts``.

    ``opts`` holds ``question_headings`` (default ``auto``) and ``question_level`` (see
    :mod:`.settings`); each heading's ``own_content`` must be set (it has an answer of its own).
    ``.rule`` says in words why a heading is or is not a question (``kb --explain``).
    Returns ``(faq_page, question_level)``: whether the FAQ-page convention applied, and at which
    heading level (``None`` when it did not). On a troubleshooting page (:func:`_is_troubleshooting_page`)
    without question-shaped headings the question level is the most common heading level, so each
    problem heading ("Docker daemon fails to start") is an entry.
    """
    mode = opts.get("question_headings", "auto")
    level = opts.get("question_level") or _question_level(heads)
    why = "question_level override" if opts.get("question_level") else "most question-shaped headings"
    faq_page = mode == "all" or (
        mode == "auto" and ("question_level" in opts or _is_faq_page(front_matter, source, heads)))
    kind = "FAQ page"
    if faq_page and mode == "auto" and "question_level" not in opts \
            and _is_troubleshooting_page(front_matter, source, heads):
        kind = "troubleshooting page"
        if level is None:
            level, why = _problem_level(heads), "most common level of distinct headings"
    if faq_page and level is None and mode == "all":
        level, why = _common_level(heads), "most common heading level"
    if not faq_page:
        level = None
    for h in heads:
        if mode == "none":
            h.question, h.rule = False, "not a question: question_headings is none"
            continue
        if is_boilerplate(h.text):
            h.question, h.rule = False, "not a question: feedback, navigation or guide boilerplate heading"
            continue
        if is_question(h.text):
            h.question, h.rule = True, "question: question-shaped (ends with '?', Q:, auxiliary verb or question word + verb)"
        elif level is not None and h.level == level and (
                h.own_content or (kind == "troubleshooting page" and getattr(h, "deep_content", False))):
            h.question, h.rule = True, f"question: {kind}, a heading with an answer at the question level {level} ({why})"
        else:
            h.question = False
            if level is not None and h.level == level:
                h.rule = f"not a question: {kind}, at the question level {level} but without an answer of its own"
            elif level is not None:
                where = "a section" if h.level < level else "part of the answer above"
                h.rule = f"not a question: {kind}, but level {h.level} is not the question level {level} ({where})"
            elif faq_page:
                h.rule = f"not a question: {kind} without question-shaped headings, so headings are sections"
            else:
                h.rule = "not a question: a statement heading on a page that is not an FAQ page"
    return faq_page, level
