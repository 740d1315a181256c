"""Parse one FAQ markdown page into FAQ entries and parse problems.

The parser reads the page with markdown-it-py (CommonMark + tables, raw HTML allowed), so lines
inside fenced code are never taken for headings, and turns every question into one
:class:`FaqEntry`. A question can be written as

* a heading (``##``/``###``/``####``..., setext, or a raw-HTML ``<h3 name="id">`` block);
* a bold paragraph: ``**Q: ...?**``, ``**...?**``, ``__...?__``, ``[__...?__](#id){ #id }``,
  with the answer below it (or on the next line of the same paragraph);
* a ``Q: ...`` paragraph, with the answer after it (an ``A:`` line may follow directly);
* a collapsible block whose title is the question: ``<details><summary>...?</summary>``,
  MkDocs ``??? question "..."`` (types ``question``, ``help``, ``faq``; 4-space indented body),
  Hugo ``{{< accordion title="...?" >}}`` ... ``{{< /accordion >}}``, MDX
  ``<Accordion title="...?">`` ... ``</Accordion>``.

Which headings are questions (``question_headings: auto``, the default):

1. A heading is *question-shaped* (:func:`is_question`) when it ends with a question mark
   (``?``, full-width ``？``, Arabic ``؟``; trailing spaces, quotes, emoji are ignored), starts
   with a ``Q:`` label, starts with an auxiliary verb (``Can I ...``, ``Is ...``, ``Does ...``) or
   with a question word followed by something other than ``to`` or a subject/determiner
   (``How do I ...`` counts; ``How to add the key`` and ``Where the key lives`` do not). A
   ``[TAG]`` prefix is ignored.
2. On an *FAQ page*, every heading at the page's *question level* that has an answer of its own
   also counts, question mark or not ("File sharing with Kubernetes and WSL 2", symptom headings
   on a troubleshooting page). A page is an FAQ page when its front matter ``tags``/``categories``/
   ``type`` say ``faq``, or its title, first ``#`` heading or file name (folder name for
   ``index``/``_index``/``README``) says FAQ, "frequently asked", Q&A or troubleshooting.
   The question level is the heading level holding most question-shaped headings (the
   shallower on a tie); with no question-shaped heading, the convention does not apply.
3. Feedback and navigation headings ("Was this page helpful?", "Related pages", "Next steps")
   are never questions.

Headings above a question that are not questions become its ``section``; deeper non-question
headings inside an answer stay part of it. Overrides, per page in front matter and per folder in
a ``.faq.yaml`` file (see :class:`FolderSettings`)::

    faq:
      question_headings: auto   # auto | all (always an FAQ page) | marked (rule 1 only) | none
      question_level: 3         # the level where questions live (turns rule 2 on)

Everything that goes wrong is collected as a :class:`~assistant.problems.Problem` (file, line,
severity, code, message) instead of raising, so one bad page never empties a knowledge base.

Modules, in the order a page passes through them:

* :mod:`.text` -- the markdown-it instance, source normalization, tokens -> plain text and links;
* :mod:`.front_matter` -- YAML/TOML front matter at the top of a page;
* :mod:`.settings` -- the ``faq:`` and ``.faq.yaml`` overrides (:class:`FolderSettings`);
* :mod:`.preprocess` -- line rewriting for admonitions, tabs, ``<details>``, Hugo and MDX blocks;
* :mod:`.candidates` -- headings and paragraph questions in the token stream;
* :mod:`.questions` -- which text is a question (rules 1-3 above), anchors (:func:`slugify`);
* :mod:`.answers` -- an answer's markdown, text and links;
* :mod:`.page` -- :func:`parse_markdown` / :func:`parse_file`: the walk that makes the entries.
"""

from __future__ import annotations

from .page import ParsedPage, parse_file, parse_markdown
from .questions import is_boilerplate, is_question, slugify
from .settings import QUESTION_HEADING_MODES, FolderSettings
from .text import normalize_source

__all__ = [
    "ParsedPage", "FolderSettings", "parse_markdown", "parse_file", "slugify", "is_question", "is_boilerplate",
    "normalize_source", "QUESTION_HEADING_MODES",
]
