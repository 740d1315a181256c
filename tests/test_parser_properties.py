"""Property-based tests of the parser: it never raises, and every question heading is one entry (issue 7)."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.parsing import parse_markdown

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words of any script (letters and digits only, so a word never starts markdown syntax).
WORD = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd")), min_size=1, max_size=8)
WORDS = st.lists(WORD, min_size=1, max_size=6).map(" ".join)

FRONT_MATTER = st.sampled_from([
    "",
    "---\ntitle: {w}\ntags: [faq, NO, billing]\nregion: NO\n---\n",
    "---\ntitle: {w}\nfaq: {{question_headings: marked}}\n---\n",
    "---\nfaq:\n  question_headings: all\n---\n",
    "\ufeff\n---\ntitle: {w}\n---\n",
    "+++\ntitle = \"{w}\"\nweight = 8\n+++\n",
    "---\ntitle: {w}\n",  # never closed (unless a later rule closes it)
    "---\n",  # a horizontal rule
    "---\n---\n",
])


@st.composite
def filler(draw) -> str:
    """A block that is not a question heading (it may hold question-shaped text in code or HTML)."""
    w = draw(WORDS)
    return draw(st.sampled_from([
        f"{w}",
        f"{w}\n{w}",
        f"## Section {w}",
        f"#### Section {w}",
        f"```\n# How fake {w}?\n## Fake heading?\n```",
        f"~~~yaml\n# Fake {w}?\nkey: value\n~~~",
        f"<div>\n<p>Is this {w}?</p>\n</div>",
        f"<!-- ## Hidden {w}? -->",
        f"<details>\n<summary>Section {w}</summary>\n\n{w}\n\n</details>",
        f'{{{{< tabs >}}}}\n{{{{< tab name="{w}" >}}}}\n\n{w}\n\n{{{{< /tab >}}}}\n{{{{< /tabs >}}}}',
        f"{{{{% note %}}}}{w}{{{{% /note %}}}}",
        f'!!! note "{w}"\n\n    {w}\n\n    - {w}',
        f'??? question "How does {w} work?"\n\n    {w}',
        f"> [!NOTE]\n> {w}",
        f"- {w}\n  - {w}\n\n1. {w}",
        f"| a | b |\n| --- | --- |\n| {w} | {w} |",
        "import Thing from '@theme/Thing';",
        f"<Note>\n  {w}\n</Note>",
        f"**Section {w}** and more",
        "---",
        "***",
        f"    indented code # Fake {w}?",
    ]))


@st.composite
def faq_page(draw):
    """A random FAQ page and the (question, 1-based line) of every question it was built with."""
    prefix = draw(FRONT_MATTER).format(w=draw(WORDS))
    lines = prefix.split("\n")[:-1] if prefix else []
    lines += [""] if prefix else []
    expected: list[tuple[str, int]] = []
    for n in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["heading", "bold", "filler", "filler"]))
        if kind == "filler":
            block = draw(filler())
        else:
            question = f"How does {draw(WORDS)} item {n} work?"
            if kind == "heading":
                block = "#" * draw(st.integers(1, 6)) + " " + question
            else:
                block = draw(st.sampled_from(["**{q}**", "__{q}__", "**Q: {q}**", "[__{q}__](#a{n}){{ #a{n} }}"])).format(q=question, n=n)
            expected.append((unicodedata.normalize("NFC", question), len(lines) + 1))
        lines += block.split("\n") + [""]
        if draw(st.booleans()):
            lines += [draw(WORDS), ""]  # an answer paragraph
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(lines), expected


@PROPERTY_SETTINGS
@given(faq_page())
def test_every_generated_question_is_exactly_one_entry(page):
    text, expected = page
    parsed = parse_markdown(text, "generated.md")
    got = [(e.question, e.line) for e in parsed.entries]
    for question, line in expected:
        assert got.count((question, line)) == 1, (question, line, got)
        assert [q for q, _ in got].count(question) == 1
    assert not any("ake" in q and q.startswith(("How fake", "Fake")) for q, _ in got)  # code is never a question
    assert all(isinstance(e.answer_text, str) and e.id.startswith("generated#") for e in parsed.entries)


HOSTILE = [
    "---", "+++", "```", "~~~", "<details>", "<summary>Why?</summary>", "</details>", "<!--", "-->",
    "{{< tabs >}}", "{{% /note %}}", "{{<", '??? question "Why?"', "!!! note", "    indented", "\t",
    "**Q: Why?**", "Q: Why?", "A:", "Answer：", "# Why?", "###### ?", "<h3 name=x>", "</h3>", "[__Why?__](#x){ #x }",
    "> [!NOTE]", "<Note>", "</Note>", "<Accordion title=\"Why?\">", "</Accordion>", "import x from 'y'",
    "| a |", "| --- |", "- ", "1. ", "title: x", "faq: {question_headings: all}", "faq: 3", "[x]: http://e",
    "\ufeff", "\u00a0", "\u200f", "e\u0301", "🙂", "؟", "？", "\x00", "\r", "\r\n", "{", "}", "[", "]", "*", "_",
]


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)), max_size=40),
       st.lists(st.sampled_from(["", " ", "\n", "\n\n", "    "]), min_size=1))
def test_hostile_fragments_never_raise(fragments, separators):
    text = "".join(f + separators[i % len(separators)] for i, f in enumerate(fragments))
    parsed = parse_markdown(text, "hostile.md")
    for e in parsed.entries:
        assert e.line >= 1 and e.source == "hostile.md"


@PROPERTY_SETTINGS
@given(st.text())
def test_arbitrary_text_never_raises(text):
    parse_markdown(text)
