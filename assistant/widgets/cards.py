"""The support console's suggestion card and its style: one FAQ entry, compact, with Accept / Dismiss.

Only our own markup is built here; every untrusted text (FAQ questions, terms) is escaped and FAQ
answers go through :func:`assistant.rendering.render_markdown`. Confidence words and levels come
from :func:`assistant.results.confidence_words` only.
"""

from __future__ import annotations

import functools

import ipywidgets as widgets

from ..entries import entry_link
from ..rendering import escape, render_markdown
from ..replies import answer_links
from ..results import Match, confidence_words

__all__ = ["Card", "CSS", "status_html"]

# Our own markup only; untrusted text never goes in here.
CSS = """<style>
.faq-console { max-width: 1500px; }
.faq-console .faq-cols { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.faq-console .faq-left { flex: 1 1 330px; min-width: 0; }
.faq-console .faq-right { flex: 1.7 1 430px; min-width: 0; }
.faq-console .faq-results > *, .faq-console .faq-question > *, .faq-console .faq-card > * { flex-shrink: 0; }
.faq-console .faq-card { border: 1px solid #ccc; border-left: 4px solid #999; padding: 2px 8px; margin: 3px 0; }
.faq-console .faq-card-answer { border-left-color: #2e7d32; background: #f3faf3; }
.faq-console .faq-card-also { border-left-color: #5c6bc0; }
.faq-console .faq-card-candidate { border-left-color: #b26a00; border-style: dashed; }
.faq-console .faq-kind { font-size: 85%; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
.faq-console .faq-card-answer .faq-kind { color: #1b5e20; }
.faq-console .faq-card-also .faq-kind { color: #303f9f; }
.faq-console .faq-card-candidate .faq-kind { color: #8a4b00; }
.faq-console .faq-q { font-weight: 600; margin: 1px 0; }
.faq-console .faq-meta { color: #333; font-size: 90%; margin: 1px 0; overflow-wrap: anywhere; }
.faq-console .faq-bar { display: inline-block; vertical-align: middle; width: 90px; height: 8px;
  background: #e0e0e0; border-radius: 4px; overflow: hidden; margin: 0 6px; }
.faq-console .faq-bar > span { display: block; height: 100%; }
.faq-console .faq-level-high > span { background: #2e7d32; }
.faq-console .faq-level-medium > span { background: #5c6bc0; }
.faq-console .faq-level-low > span, .faq-console .faq-level-very-low > span { background: #b26a00; }
.faq-console .faq-card-also .faq-bar > span { background: #7986cb; }
.faq-console .faq-answer { border-left: 3px solid #bbb; padding-left: 8px; margin: 2px 0; }
.faq-console .faq-answer p { margin: 3px 0; }
.faq-console .faq-link { text-decoration: underline dotted; cursor: help; }
.faq-console .faq-quote { white-space: pre-wrap; font-style: italic; margin: 2px 0; overflow-wrap: anywhere; }
.faq-console .faq-verdict-none { color: #8a4b00; font-weight: 600; }
.faq-console .faq-verdict-yes { color: #1b5e20; font-weight: 600; }
.faq-console h2 { font-size: 110%; margin: 4px 0; }
.faq-console h3 { font-size: 100%; margin: 4px 0 2px 0; }
.faq-console details summary { cursor: pointer; }
.faq-console .jupyter-widget-Collapse-header, .faq-console .jupyter-widget-Collapse-header > span { color: #1a1a1a; }
.faq-console .faq-draft textarea { font-family: monospace; font-size: 90%; }
</style>"""


def status_html(text_html: str, role: str = "status") -> str:
    return f'<div role="{role}" aria-live="polite">{text_html}</div>'


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


@functools.cache
def _shared() -> dict:
    """Layout and style models every card uses (never changed per card): a ticket's 60 cards
    open about 360 widget models instead of about 960, so they reach the browser sooner."""
    return {"layout": widgets.Layout(), "auto": widgets.Layout(width="auto"), "html": widgets.widget_string.HTMLStyle(),
            "button": widgets.ButtonStyle()}


class Card:
    """One suggested FAQ entry, compact: kind, question, confidence (words + bar), source link, the
    answer folded open on demand, *Accept* / *Dismiss*.

    ``kind`` is ``"answer"`` (the one entry presented as the answer), ``"also"`` (also consider) or
    ``"candidate"`` (the retriever abstained: a close candidate, not an answer).
    """

    def __init__(self, match: Match, kind: str, *, query: str, ticket: str | None, question_no: int | None,
                 site_url: str | None, pages: dict[str, str], open_answer: bool = False):
        self.match, self.kind, self.query, self.ticket, self.question_no = match, kind, query, ticket, question_no
        self.verdict: str | None = None
        e = match.entry
        words = confidence_words(match.confidence)
        label = {"answer": "Answer", "also": "Also consider", "candidate": "Closest candidate"}[kind]
        link = entry_link(e, site_url)
        where = f"{escape(e.source)}:{e.line}"
        source = (f'<a href="{escape(link)}" target="_blank" rel="noopener noreferrer" title="{escape(link)}">'
                  f"{where}</a>" if link else f"<code>{where}</code>")
        answer = render_markdown(e.answer_markdown, base_url=link, links=answer_links(e, site_url, pages))
        why = ", ".join(escape(t) for t in match.terms) or "no shared terms"
        level = words.level.replace(" ", "-")
        shared = _shared()
        self.header = widgets.HTML(
            f'<div class="faq-kind">{label}</div><div class="faq-q">{escape(e.question)}</div>'
            f'<div class="faq-meta">{escape(words.text)} ({_pct(match.confidence)})'
            f'<span class="faq-bar faq-level-{level}" role="img" aria-label="confidence {_pct(match.confidence)}">'
            f'<span style="width:{_pct(max(0.0, min(1.0, match.confidence)))}"></span></span> · {source}</div>'
            f'<details{" open" if open_answer else ""}><summary>Show the answer</summary>'
            f'<div class="faq-answer">{answer}</div><p class="faq-meta">Why this matched: {why} '
            f"(score {match.score:.2f})</p></details>", layout=shared["layout"], style=shared["html"])
        about = f"question {question_no}" if question_no else "this question"
        self.accept = widgets.Button(description="Accept", icon="check", layout=shared["auto"],
                                     style=shared["button"], tooltip=f"Accept: use this FAQ entry to answer {about}")
        self.dismiss = widgets.Button(description="Dismiss", icon="times", layout=shared["auto"],
                                      style=shared["button"], tooltip=f"Dismiss: this FAQ entry does not answer {about}")
        self.state = widgets.HTML(status_html("Not reviewed yet."), layout=shared["layout"], style=shared["html"])
        self.box = widgets.VBox([self.header, widgets.HBox([self.accept, self.dismiss, self.state],
                                                           layout=shared["layout"])], layout=shared["layout"])
        self.box.add_class("faq-card")
        self.box.add_class(f"faq-card-{kind}")

    def set_verdict(self, verdict: str, note: str = "") -> None:
        self.verdict = verdict
        self.accept.disabled = verdict == "accepted"
        self.dismiss.disabled = verdict == "dismissed"
        self.accept.button_style = "success" if verdict == "accepted" else ""
        self.state.value = status_html(("Accepted." if verdict == "accepted" else "Dismissed.") + note)
