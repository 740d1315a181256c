"""Lint FAQ markdown files: what a doc maintainer should fix before readers (or the retriever) trip on it.

:func:`lint_paths` reads folders the way :meth:`KnowledgeBase.load` does, keeps the parser's own
problems, and adds the checks below. Every finding is a :class:`~assistant.problems.Problem`
(file, line, severity, code, message; severities :data:`~assistant.problems.SEVERITIES`);
``faq-assistant lint`` exits 1 when any is an error.

==========================  ========  ======================================================
code                        severity  what
==========================  ========  ======================================================
front-matter-invalid        error     front matter does not parse (from the parser)
front-matter-not-mapping    error     front matter is a list or a scalar, not ``key: value``
front-matter-unclosed       error     the page starts with ``---`` that is never closed
front-matter-missing        warning   an FAQ page without front matter (info when its first
                                      heading is not a question and so titles the page)
missing-title               warning   front matter without a ``title`` (info when the first
                                      heading titles the page)
missing-description         warning   front matter without a ``description``
yaml-type-changed           warning   a value that YAML 1.1 readers turn into a boolean or a
                                      date (``region: NO`` -> false) while it stays text here
empty-answer                error     a question with no answer (a question whose answer is
                                      only deeper sub-questions is a group, not empty)
duplicate-question          warning   the same question twice (any files)
near-duplicate-question     warning   questions whose content words have TF-IDF cosine >=
                                      ``near_duplicate``, unless one only adds words to the
                                      other (a narrower question) or they are in different
                                      scripts (translations)
setext-heading              warning   text followed by ``---`` became a heading: several lines,
                                      ending in punctuation, or an underline much shorter
                                      than the text (a deliberate "Title" over "-----" is fine)
heading-looks-like-answer   warning   a heading that starts like an answer ("Yes, ...",
                                      "A: ...") or is a whole paragraph
broken-link                 error     a relative link to a file that does not exist in the
                                      folder (warning for extensionless "pretty URL" links
                                      that match no page)
broken-anchor               error     ``#anchor`` / ``page.md#anchor`` with no such heading or
                                      id in the target page (GitHub/Hugo slugs,
                                      :func:`~assistant.parsing.slugify`)
link-site-absolute          info      ``/abs/path/`` links: not checked (they depend on the
                                      site's content root)
link-outside-folder         info      relative links leaving the linted folder: not checked
long-answer                 warning   an answer over ``long_answer_words`` words
unclosed-fence              error     a code fence that is never closed (the rest renders as code)
synonyms-invalid            error     the folder's ``synonyms.yaml`` does not parse or is not a
                                      mapping of concept -> list of phrases (the retriever then
                                      searches without synonyms)
no-faq-files                warning   a folder with no markdown files
==========================  ========  ======================================================

Every finding's file is named the way the folder was given (``../kb2/faq.md``, or relative to the
working folder for an absolute path inside it), including the parser's findings about files beside
the pages (``<page>.alternates.yaml``, ``.faq.yaml``).

Modules: :mod:`~assistant.lint.run` (:func:`lint_paths`: the whole run), :mod:`~assistant.lint.pages`
(reading a page: tokens, headings, front matter, anchors), :mod:`~assistant.lint.checks` (per-page
checks), :mod:`~assistant.lint.links` (links and anchors), :mod:`~assistant.lint.duplicates`
(questions across files), :mod:`~assistant.lint.report` (:class:`LintReport`, text and JSON).
"""

from __future__ import annotations

from .checks import LONG_ANSWER_WORDS
from .duplicates import NEAR_DUPLICATE
from .report import LintReport
from .run import lint_paths

__all__ = ["lint_paths", "LintReport", "LONG_ANSWER_WORDS", "NEAR_DUPLICATE"]
