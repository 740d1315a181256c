"""The FAQ parser: every question format, which headings are questions, overrides, traps (issue 7)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from assistant import KnowledgeBase
from assistant.parsing import FolderSettings, is_boilerplate, is_question, parse_file, parse_markdown, slugify

FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"


def page(name: str):
    return parse_file(FORMATS / name, FORMATS)


def questions(parsed) -> list[str]:
    return [e.question for e in parsed.entries]


def codes(parsed) -> list[str]:
    return [p.code for p in parsed.problems]


# --- one fixture per format ----------------------------------------------------------------------


def test_headings_at_two_levels_with_sections_above():
    p = page("headings-two-levels.md")
    assert questions(p) == [
        "Can I pay by invoice?",
        "Is there a minimum amount?",  # #### nested under a ### question
        "Refunds for unused seats",  # no "?", but at the question level of a page tagged faq
    ]
    assert p.faq_page and p.question_level == 3
    by_q = {e.question: e for e in p.entries}
    invoice = by_q["Can I pay by invoice?"]
    assert (invoice.line, invoice.section, invoice.anchor) == (13, "Billing > Payments", "can-i-pay-by-invoice")
    assert invoice.answer_text == "Yes, for annual plans."  # ends at the nested question
    assert by_q["Is there a minimum amount?"].section == "Billing > Payments"
    refunds = by_q["Refunds for unused seats"]
    # A deeper non-question heading stays inside the answer; "Still have questions?" ends it.
    assert refunds.answer_text == "Unused seats are refunded pro rata.\n\nExample\n\nA seat unused for half a year refunds half its price."
    assert "#### Example" in refunds.answer_markdown and "billing@example.com" not in refunds.answer_markdown
    assert p.front_matter["tags"] == ["faq", "NO", "billing"] and p.front_matter["region"] == "NO"
    assert p.problems == []


def test_bold_paragraph_questions_and_answer_labels():
    p = page("bold-questions.md")
    assert questions(p) == [
        "Where are the release binaries?",
        'Trying to install, I get the error "socat not found"',  # **Q: ...** needs no "?"
        "Under which license is the tool released?",
        "Can I sponsor without a GitHub account?",
    ]
    binaries, socat, license_, sponsor = p.entries
    assert binaries.answer_text == "Binaries are stored at get.example.com."  # "A:" label dropped
    assert binaries.answer_markdown.startswith("A: Binaries")  # the markdown stays as written
    assert binaries.links == [{"text": "get.example.com", "target": "https://get.example.com"}]
    assert binaries.section == "Install: Frequently Asked Questions > Downloading"
    assert binaries.anchor == "where-are-the-release-binaries" and binaries.line == 7
    assert socat.answer_text == "Error: socat not found\n\nInstall socat with your package manager."
    assert license_.section.endswith("Licensing") and license_.answer_text == "The MIT license."
    assert sponsor.anchor == "sponsor-account"  # from `{ #sponsor-account }`
    assert sponsor.links == [{"text": "the sponsor page", "target": "https://example.com/sponsor"}]


def test_q_and_a_pairs():
    p = page("qa-pairs.md")
    assert questions(p) == ["How do I reset my password?", "Can I change my username?"]
    reset, rename = p.entries
    assert reset.answer_text == "Click Forgot password on the sign-in page."
    assert reset.answer_markdown == "A: Click **Forgot password** on the sign-in page."
    assert rename.answer_text.startswith("Only once per year.") and "Answer:" not in rename.answer_text


def test_details_summary_blocks():
    p = page("details.md")
    assert questions(p) == ["How do I export my data?", "Why is the export slow?"]
    export, slow = p.entries
    assert export.answer_text == "Open Settings and select Export."
    assert export.answer_markdown == "Open **Settings** and select **Export**."
    assert (export.line, export.section) == (3, "Help")
    assert slow.answer_text == "Large projects take a few minutes."  # one-line <details>...</details>


def test_mkdocs_question_admonitions_and_notes():
    p = page("mkdocs-admonitions.md")
    # `!!! tip`, `???+ note` are answer content, not questions; "Was this page helpful?" is feedback.
    assert questions(p) == ["How to measure site search usage?"]
    e = p.entries[0]
    assert (e.line, e.section) == (9, "Setting up analytics > Configuration")
    assert e.answer_text == (
        "Enable site search tracking:\n\n1. Open the admin settings\n2. Turn on enhanced measurement\n\n"
        "Delay in data availability\n\nReports may take 24 hours to fill."
    )
    assert e.answer_markdown.startswith("Enable site search tracking:\n\n1. Open")  # dedented body
    assert '!!! warning "Delay in data availability"\n\n    Reports' in e.answer_markdown


def test_hugo_shortcodes_and_github_alerts():
    p = page("hugo-shortcodes.md")
    assert questions(p) == [
        "How do I run the app without administrator privileges?",
        "File sharing with WSL 2",  # statement heading on a page tagged FAQ
        "How do I share a folder with WSL 2?",  # {{< accordion title="...?" >}}
    ]
    admin, sharing, folder = p.entries
    assert "{{" not in admin.answer_text and "[!NOTE]" not in admin.answer_text
    assert admin.answer_text == (
        "It depends on the platform.\n\nMac\n\nPass the --user flag to the installer.\n\n"
        "Delete the old settings file first.\n\nWindows\n\nPass the --always-run-service flag."
    )
    assert "{{< tab name=\"Mac\" >}}" in admin.answer_markdown and "> [!NOTE]" in admin.answer_markdown
    assert sharing.answer_text.startswith("Shared files keep their Linux permissions.")  # between paired shortcodes
    assert folder.answer_text == "Add it under Settings > Resources."


def test_mdx_imports_and_components():
    p = page("mdx-components.mdx")
    assert questions(p) == ["How do I use the server behind a proxy?", "Where are models stored?"]
    proxy, models = p.entries
    assert proxy.answer_text.startswith("Set HTTPS_PROXY.\n\nAvoid setting HTTP_PROXY: model pulls use HTTPS only.")
    assert "How to add the key\n\nRun tool signin." in proxy.answer_text  # "How to ..." is a subsection
    for text in (proxy.answer_text, models.answer_text):
        assert "<Note>" not in text and "import" not in text and "DocCardList" not in text
    assert models.answer_text == "In ~/.models by default."


def test_raw_html_headings():
    p = page("html-headings.md")
    assert [(e.question, e.anchor, e.line) for e in p.entries] == [
        ("Does it support configuration files?", "config", 5),
        ("How is it licensed?", "licensing", 11),
    ]
    assert p.entries[0].links == [{"text": "guide", "target": "GUIDE.md#config"}]


def test_toml_front_matter_tags_and_cjk_labels():
    p = page("toml-front-matter.md")
    assert p.front_matter == {"pre": "<b>8. </b>", "title": "FAQ", "weight": 8}
    assert questions(p) == [
        "[JDBC] Oracle table names come back in the wrong case",  # title FAQ: headings at the question level
        "[JDBC] 如何避免自动加载 JtaTransactionManager？",
    ]
    assert [e.answer_text for e in p.entries] == ["Oracle stores unquoted names in upper case.", "在引导类中添加 exclude。"]
    assert p.entries[1].anchor == "jdbc-如何避免自动加载-jtatransactionmanager"


def test_rich_answers_keep_markdown_and_read_as_text():
    (e,) = page("rich-answers.md").entries  # "# not a heading" inside the fence is code
    assert e.answer_text == (
        "Plan | Seats\nTeam | 10\n\n# not a heading\nservices: {}\n\n- Level one\n"
        "  - Level two with a reference link\n\nArchitecture diagram"
    )
    assert "| Team | 10 |" in e.answer_markdown and "```yaml" in e.answer_markdown
    assert "![Architecture diagram](diagram.png)" in e.answer_markdown
    assert e.links == [{"text": "reference link", "target": "https://example.com/ref"}]


def test_reference_definitions_elsewhere_on_the_page_are_appended_to_the_answer():
    text = "[docs]: https://example.com/docs\n\n## How do I start?\n\nRead the [docs] first.\n"
    (e,) = parse_markdown(text).entries
    assert e.answer_markdown == "Read the [docs] first.\n\n[docs]: https://example.com/docs"
    assert e.links == [{"text": "docs", "target": "https://example.com/docs"}]


def test_unclosed_collapsible_block_keeps_its_question_and_warns():
    p = parse_markdown("<details>\n<summary>Why is it slow?</summary>\n\nBig files.\n\n## Next section\n\nText.\n", "kb/d.md")
    assert [(e.question, e.answer_text) for e in p.entries] == [("Why is it slow?", "Big files.")]
    assert [str(x) for x in p.problems] == [
        "kb/d.md:1: warning: the collapsible block of question 'Why is it slow?' never closes; its answer runs to "
        "the next heading or question (add the closing tag) [block-unclosed]"]


def test_only_collapsible_components_make_entries():
    text = ('{{< figure src="a.png" title="What does it look like?" >}}\n\n<Tab title="Why tabs?">\nx\n</Tab>\n\n'
            '<Expandable title="Why expand?">\ny\n</Expandable>\n')
    p = parse_markdown(text)
    assert [(e.question, e.answer_text) for e in p.entries] == [("Why expand?", "y")] and p.problems == []


# --- which headings are questions ----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "How do I reset my password?", "Can I use it offline", "Is this cloud native?", "What's a team?",
    "What is the difference between `docker compose` and `docker-compose`",
    "How can I stop Ollama from starting when I login to my computer",
    "With ECI, can the user still override the `--runtime` flag from the CLI ?",
    "Why?  ", "Does it work? 🚀", "Why does it fail?”", "Q: Tiller crashes with a panic",
    "[Proxy] How to add a new logic database dynamically?", "インストールはなぜですか？",
    "كيف أعيد تعيين كلمة المرور؟", "它支持离线使用吗", "Who wrote Prometheus",
])
def test_question_shaped(text):
    assert is_question(text)


@pytest.mark.parametrize("text", [
    "File sharing with Kubernetes and WSL 2", "How to Add the Key", "Where the Ollama Public Key lives",
    "How it works", "When I add a Helm repo, I get the error", "Installation", "Do not use root",
    "May 2024 release notes", "", "   ", "FAQ", "I was told Prometheus “doesn't scale”.",
])
def test_not_question_shaped(text):
    assert not is_question(text)


@pytest.mark.parametrize("text", ["Was this page helpful?", "Related pages", "Still have questions?",
                                  "Need more help?", "What's next", "See also", "Did this page help you?"])
def test_feedback_and_navigation_headings_are_never_entries(text):
    assert is_boilerplate(text)
    assert parse_markdown(f"---\ntags: [faq]\n---\n\n## How do I pay?\n\nCard.\n\n## {text}\n\nMore.\n").entries[-1].question == "How do I pay?"


def test_fenced_lines_and_xml_details_are_never_questions():
    text = "## Why?\n\n```xml\n<Details>\n<summary>Is this a question?</summary>\n</Details>\n# Page title?\n```\n"
    p = parse_markdown(text)
    assert questions(p) == ["Why?"] and "# Page title?" in p.entries[0].answer_text


def test_non_faq_page_counts_only_question_shaped_headings():
    text = "# Tool\n\n### Installation\n\nRun it.\n\n### Why should I use it?\n\nSpeed.\n\n### Building\n\nMake.\n"
    p = parse_markdown(text, "README.md")
    assert not p.faq_page and questions(p) == ["Why should I use it?"]
    assert p.entries[0].answer_text == "Speed."  # ends at the next ### heading


def test_faq_page_convention_needs_a_question_level_and_an_answer():
    # Category headings without questions under them stay sections, even on an FAQ page.
    text = "# Sponsoring FAQs\n\n## General\n\n**Why sponsor?**\n\nTo fund work.\n\n## Billing\n\n__Can I get an invoice?__\n\nYes.\n"
    p = parse_markdown(text)
    assert p.faq_page and p.question_level is None
    assert [(e.question, e.section) for e in p.entries] == [
        ("Why sponsor?", "Sponsoring FAQs > General"), ("Can I get an invoice?", "Sponsoring FAQs > Billing")]
    text = "---\ntitle: Troubleshooting\n---\n## Errors\n\n### Where are the logs?\n\nIn /var/log.\n\n### Upgrade fails with a timeout\n\nRetry.\n\n### Other symptoms\n\n#### Is it the proxy?\n\nMaybe.\n"
    p = parse_markdown(text, "docs/troubleshooting.md")
    assert questions(p) == ["Where are the logs?", "Upgrade fails with a timeout", "Is it the proxy?"]
    assert p.entries[-1].section == "Errors > Other symptoms"  # no own answer: a section


@pytest.mark.parametrize("source, front_matter, faq", [
    ("docs/general.md", "tags: [FAQ, admin]", True),
    ("docs/general.md", "title: Frequently asked questions", True),
    ("docs/linuxfaqs.md", "title: Linux", True),
    ("docs/faq/_index.en.md", "weight: 8", True),
    ("docs/faq/changes.md", "title: Changes since v2", False),
    ("README.md", "title: Tool", False),
])
def test_faq_page_detection(source, front_matter, faq):
    text = f"---\n{front_matter}\n---\n\n## Why?\n\nBecause.\n\n## Statement heading\n\nText.\n"
    p = parse_markdown(text, source)
    assert p.faq_page is faq
    assert len(p.entries) == (2 if faq else 1)


# --- overrides -----------------------------------------------------------------------------------

OVERRIDE_PAGE = "## Setup\n\nRun the installer.\n\n### Broken pipe error\n\nFix it.\n\n### Why is it slow?\n\nDisk.\n"


@pytest.mark.parametrize("front_matter, expected, faq_page, level", [
    ("", ["Why is it slow?"], False, None),
    ("faq: {question_headings: all}", ["Broken pipe error", "Why is it slow?"], True, 3),
    ("faq: true", ["Broken pipe error", "Why is it slow?"], True, 3),
    ("faq: {question_level: 3}", ["Broken pipe error", "Why is it slow?"], True, 3),
    ("faq: {question_headings: marked}\ntags: [faq]", ["Why is it slow?"], False, None),
    ("faq: false\ntags: [faq]", ["Why is it slow?"], False, None),
    ("faq: {question_headings: none}", [], False, None),
    ("faq: {question_headings: all, question_level: 2}", ["Setup", "Why is it slow?"], True, 2),
])
def test_front_matter_overrides(front_matter, expected, faq_page, level):
    p = parse_markdown(f"---\n{front_matter}\n---\n{OVERRIDE_PAGE}")
    assert questions(p) == expected
    assert (p.faq_page, p.question_level) == (faq_page, level)
    assert p.problems == []  # every override here is valid, "none" included


def test_none_keeps_bold_questions():
    p = parse_markdown("---\nfaq:\n  question_headings: none\n---\n## Why?\n\n**How do I pay?**\n\nCard.\n")
    assert questions(p) == ["How do I pay?"]


def test_bad_override_values_are_problems_naming_the_field_and_line():
    text = "---\ntitle: T\nfaq:\n  question_headings: sometimes\n  question_level: 9\n  colour: red\n---\n## Why?\n\nX.\n"
    p = parse_markdown(text, "kb/page.md")
    assert [str(x) for x in p.problems] == [
        "kb/page.md:3: error: front matter 'faq'.question_headings must be one of auto, all, marked, none "
        "(got 'sometimes') [settings-invalid]",
        "kb/page.md:3: error: front matter 'faq'.question_level must be a heading level from 1 to 6 (got 9) "
        "[settings-invalid]",
        "kb/page.md:3: warning: front matter 'faq': unknown key 'colour' (known: question_headings, question_level) "
        "[settings-unknown-key]",
    ]
    assert questions(p) == ["Why?"]  # the valid defaults still apply
    p = parse_markdown("---\nfaq: [{q: a}]\n---\n## Why?\n\nX.\n")
    assert [str(x) for x in p.problems] == [
        "<string>:2: warning: front matter 'faq' must be a mapping with keys question_headings "
        "(auto|all|marked|none) and question_level (1-6), not a list [settings-invalid]"]
    assert questions(p) == ["Why?"]


def test_folder_settings_apply_below_their_folder(tmp_path):
    (tmp_path / "helm" / "legacy").mkdir(parents=True)
    (tmp_path / "helm" / ".faq.yaml").write_text(
        "question_headings: all\nfiles:\n  'legacy/*.md': {question_headings: none}\n  changes.md:\n    question_headings: marked\n")
    (tmp_path / "helm" / "troubleshooting.md").write_text(OVERRIDE_PAGE)
    (tmp_path / "helm" / "changes.md").write_text(OVERRIDE_PAGE)
    (tmp_path / "helm" / "legacy" / "old.md").write_text(OVERRIDE_PAGE)
    (tmp_path / "other.md").write_text(OVERRIDE_PAGE + "\n---\n")
    (tmp_path / "helm" / "page.md").write_text("---\nfaq: {question_headings: marked}\n---\n" + OVERRIDE_PAGE)
    kb = KnowledgeBase.load(tmp_path)
    by_source: dict[str, list[str]] = {}
    for e in kb:
        by_source.setdefault(e.source, []).append(e.question)
    assert by_source == {
        "helm/troubleshooting.md": ["Broken pipe error", "Why is it slow?"],
        "helm/changes.md": ["Why is it slow?"],
        "helm/page.md": ["Why is it slow?"],  # the page's own front matter wins
        "other.md": ["Why is it slow?"],
    }
    assert kb.problems == []


def test_broken_folder_settings_are_reported_once_with_file_and_line(tmp_path):
    (tmp_path / ".faq.yaml").write_text("question_headings: all\nquestion_level: deep\nfiles: [a.md]\n")
    (tmp_path / "a.md").write_text(OVERRIDE_PAGE)
    (tmp_path / "b.md").write_text(OVERRIDE_PAGE)
    kb = KnowledgeBase.load(tmp_path)
    assert [str(p) for p in kb.problems] == [
        ".faq.yaml:2: error: folder settings.question_level must be a heading level from 1 to 6 (got 'deep') [settings-invalid]",
        ".faq.yaml:3: error: folder settings: files must map a file pattern to settings [settings-invalid]",
    ]
    assert len(kb) == 4  # question_headings: all still applies to both pages
    (tmp_path / ".faq.yaml").write_text("question_headings: [unclosed\n")
    settings = FolderSettings(tmp_path)
    assert settings.for_file(tmp_path / "a.md") == {}
    assert [str(p) for p in settings.problems] == [
        ".faq.yaml:2: error: folder settings file does not parse: expected ',' or ']', but got '<stream end>' "
        "[settings-invalid]"]


def test_folder_settings_whose_file_pattern_is_not_a_mapping_name_its_line(tmp_path):
    (tmp_path / ".faq.yaml").write_text("files:\n  a.md: all\n  'b*.md': [all]\n  c.md:\n")
    (tmp_path / "a.md").write_text(OVERRIDE_PAGE)
    settings = FolderSettings(tmp_path)
    assert settings.for_file(tmp_path / "a.md") == {}
    assert [(p.line, p.code, p.message.split(" must ")[0]) for p in settings.problems] == [
        (2, "settings-invalid", "files['a.md']"), (3, "settings-invalid", "files['b*.md']"),
        (4, "settings-invalid", "files['c.md']")]


def test_folder_settings_with_bytes_that_are_not_utf8_still_apply(tmp_path):
    (tmp_path / ".faq.yaml").write_bytes(b"# caf\xe9 pages\nquestion_headings: all\n")
    (tmp_path / "a.md").write_text(OVERRIDE_PAGE)
    kb = KnowledgeBase.load(tmp_path)
    assert [str(p) for p in kb.problems] == [
        ".faq.yaml:1: warning: byte 0xe9 is not UTF-8; replaced with U+FFFD (save the file as UTF-8) [not-utf8]"]
    assert [e.question for e in kb] == ["Broken pipe error", "Why is it slow?"]


# --- traps ---------------------------------------------------------------------------------------


def test_dashes_used_as_horizontal_rules_keep_every_question():
    text = "---\n\n## How do I reset?\n\nClick reset.\n\n---\n\n## Can I undo?\n\nYes.\n"
    p = parse_markdown(text, "kb/hr.md")
    assert questions(p) == ["How do I reset?", "Can I undo?"] and p.front_matter == {}
    assert p.entries[0].answer_text == "Click reset." and p.entries[0].line == 3
    assert [str(x) for x in p.problems] == [
        "kb/hr.md:1: warning: '---' on line 1 and line 7 enclose markdown (a question on line 3), "
        "so they are read as horizontal rules, not front matter [front-matter-is-markdown]"]
    # A rule followed by prose, then another rule: not a mapping, so it is prose too.
    p = parse_markdown("---\n\nIntro text.\n\n---\n\n## Why?\n\nBecause.\n")
    assert questions(p) == ["Why?"] and codes(p) == ["front-matter-not-mapping"]


def test_unclosed_front_matter_warns_and_keeps_questions():
    p = parse_markdown("---\ntitle: Billing\ntags: [faq]\n\n## How do I pay?\n\nBy card.\n", "kb/open.md")
    assert questions(p) == ["How do I pay?"] and p.entries[0].line == 5
    assert [str(x) for x in p.problems] == [
        "kb/open.md:1: warning: file starts with '---' but no closing '---' line follows; read as markdown, "
        "not front matter (add a closing '---' line) [front-matter-unclosed]"]
    assert all("title" not in q for q in questions(p))
    p = parse_markdown('+++\ntitle = "x"\n\n## Why?\n\nBecause.\n')
    assert questions(p) == ["Why?"] and codes(p) == ["front-matter-unclosed"]


@pytest.mark.parametrize("prefix", ["\ufeff", "\n", "\ufeff\n\n", " \n\t\n"])
def test_bom_or_blank_lines_before_front_matter(prefix):
    text = prefix + "---\ntitle: Billing\ntags: [faq, NO, billing]\n---\n\n## How do I pay?\n\nBy card.\n"
    p = parse_markdown(text)
    assert p.front_matter == {"title": "Billing", "tags": ["faq", "NO", "billing"]}
    assert questions(p) == ["How do I pay?"]
    assert p.entries[0].line == text.lstrip("\ufeff").split("\n").index("## How do I pay?") + 1
    assert codes(p) == ([] if prefix == "\ufeff" else ["front-matter-not-first"])


def test_yaml_values_stay_the_strings_written():
    text = "---\ntags: [faq, NO, billing]\nregion: NO\nenabled: true\nanswer: yes\nswitch: on\ndate: 2024-01-01\n---\n## Why?\n\nX.\n"
    fm = parse_markdown(text).front_matter
    assert fm == {"tags": ["faq", "NO", "billing"], "region": "NO", "enabled": True, "answer": "yes",
                  "switch": "on", "date": "2024-01-01"}
    assert parse_markdown(text).entries[0].tags == ["faq", "NO", "billing"]


def test_invalid_front_matter_is_an_error_with_its_line_and_the_page_still_parses():
    p = parse_markdown("---\ntitle: [unclosed\nx: 1\n---\n## Why?\n\nBecause.\n", "kb/bad.md")
    assert [str(x) for x in p.problems] == [
        "kb/bad.md:3: error: YAML front matter does not parse: expected ',' or ']', but got ':' [front-matter-invalid]"]
    assert questions(p) == ["Why?"] and p.front_matter == {}
    p = parse_markdown('\n+++\ntitle = "x"\nweight = = 8\n+++\n## Why?\n\nBecause.\n', "kb/bad.md")
    assert [str(x) for x in p.problems] == [  # the line inside the front matter, as for YAML
        "kb/bad.md:4: error: TOML front matter does not parse: Invalid value [front-matter-invalid]",
        "kb/bad.md:2: warning: blank lines before the front matter (it still parsed; remove them) [front-matter-not-first]"]
    assert questions(p) == ["Why?"] and p.front_matter == {}


def test_line_endings_tabs_and_unicode_in_questions():
    lf = "---\ntitle: T\n---\n\n## Caf\u00e9 au\u00a0lait?\n\nYes\u00a0indeed 🎉\n\n##\tWhy\ttabs?\n\nBecause.\n"
    expected = [(e.question, e.line, e.answer_text) for e in parse_markdown(lf).entries]
    assert expected == [("Café au lait?", 5, "Yes indeed 🎉"), ("Why tabs?", 9, "Because.")]
    for variant in (lf.replace("\n", "\r\n"), lf.replace("\n", "\r"), unicodedata.normalize("NFD", lf)):
        assert [(e.question, e.line, e.answer_text) for e in parse_markdown(variant).entries] == expected
    assert unicodedata.is_normalized("NFC", parse_markdown(unicodedata.normalize("NFD", lf)).entries[0].question)


def test_right_to_left_emoji_and_other_scripts_in_questions():
    text = ("## كيف أعيد تعيين كلمة المرور؟\n\nاضغط هنا.\n\n## 🚀 How do I deploy? 🚀\n\nPush.\n\n"
            "## Как включить SSO?\n\nВ настройках.\n\n## \u200fמה זה?\u200f\n\nתשובה.\n")
    p = parse_markdown(text)
    assert [e.anchor for e in p.entries] == ["كيف-أعيد-تعيين-كلمة-المرور", "-how-do-i-deploy-", "как-включить-sso", "מה-זה"]
    assert p.entries[0].answer_text == "اضغط هنا."


def test_question_text_made_of_stop_words_or_single_letters_still_parses():
    p = parse_markdown("## Is it?\n\nYes.\n\n## A B C?\n\nLetters.\n\n## ?\n\nOnly a mark.\n")
    assert questions(p) == ["Is it?", "A B C?", "?"]
    assert slugify("?") == "" and p.entries[2].anchor == ""


def test_slugify_keeps_letters_digits_and_marks_of_any_script():
    assert slugify("Ça marche? (v2) — ok_1 e\u0301 ١٢ Ⅻ ½ 🙂 naïve-test") == "ça-marche-v2--ok_1-é-١٢-ⅻ-½--naïve-test"


def test_labels_and_spaces_read_through_entities_tabs_and_no_break_spaces():
    p = parse_markdown("Q&#58; Can I pay by card?\nA: Yes, any card.\n\n## Can I  use\ttabs?\n\n"
                       "Use  the\u00a0\u00a0tool,\tthen \u202fgo. \n\nNext  line.\n")
    assert [(e.question, e.answer_text) for e in p.entries] == [
        ("Can I pay by card?", "Yes, any card."), ("Can I use tabs?", "Use the tool, then go.\n\nNext line.")]


def test_a_one_megabyte_page_parses_every_question():
    block = "## How do I configure widget {n}?\n\n" + "Some answer text with `code` and a [link](https://example.com). " * 20 + "\n\n"
    text = "".join(block.replace("{n}", str(n)) for n in range(800))
    assert len(text) > 1_000_000
    p = parse_markdown(text)
    assert len(p.entries) == 800 and p.entries[-1].question == "How do I configure widget 799?"


def test_duplicate_questions_get_distinct_anchors_and_empty_answers_warn():
    p = parse_markdown("## Why?\n\n## Why?\n\nBecause.\n", "kb/dup.md")
    assert [e.anchor for e in p.entries] == ["why", "why-1"]
    assert [str(x) for x in p.problems] == ["kb/dup.md:1: warning: question 'Why?' has no answer [empty-answer]"]


@pytest.mark.parametrize("text", [
    "", "\n\n", "---", "---\n---", "+++\n+++\n", "```\n## Why?\n", "<details>\n<summary>Why?</summary>\n",
    "??? question \"Why?\"", "!!! note", "{{< tabs >}}", "<Accordion title=\"Why?\">", "**", "**Q:**", "Q:",
    "# \n## \n### ?", "<h3 name=x>\n</h3>", "[__?__](#){ # }", "\x00\x0b\x0c\u2028\u2029\x85",
    "import x from 'y'", "- **Why?**\n  answer", "> ## Why?\n> Because.",
])
def test_degenerate_pages_never_raise(text):
    parse_markdown(text)


def test_docs_examples():
    """Each example in docs/parsing.md parses to the questions its ``expect`` comment names."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "parsing.md").read_text(encoding="utf-8")
    examples = re.findall(r"<!-- expect: (.*?) -->\n(`{3,})markdown\n(.*?)\n\2\n", docs, re.S)
    assert len(examples) == 11
    for expect, _, source in examples:
        assert questions(parse_markdown(source, "example.md")) == expect.split(" | "), source


def test_yaml_alias_bomb_is_refused_and_the_questions_still_load():
    fm = "x0: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    prev = "a"
    for name in "bcdefghi":
        fm += f"x{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    page = parse_markdown(f"---\ntitle: FAQ\n{fm}---\n\n## How do I reset my password?\n\nClick reset.\n", "bomb.md")
    assert [e.question for e in page.entries] == ["How do I reset my password?"]
    problem = next(p for p in page.problems if p.code == "front-matter-invalid")
    assert "expands to more than" in problem.message


def test_yaml_anchors_within_reason_still_work():
    page = parse_markdown("---\nbase: &b [a, b]\ntags: *b\n---\n\n## Why?\n\nBecause.\n", "ok.md")
    assert page.front_matter["tags"] == ["a", "b"] and not page.problems


def test_parsing_is_a_package_of_one_job_modules_exporting_only_its_own_names():
    import assistant.parsing as parsing

    sizes = {f.name: len(f.read_text(encoding="utf-8").splitlines()) for f in Path(parsing.__file__).parent.glob("*.py")}
    assert set(sizes) == {"__init__.py", "answers.py", "candidates.py", "front_matter.py", "page.py", "preprocess.py",
                          "questions.py", "settings.py", "text.py", "explain.py"}
    assert max(sizes.values()) < 500, sizes
    assert sorted(parsing.__all__) == sorted([
        "ParsedPage", "FolderSettings", "parse_markdown", "parse_file", "slugify", "is_question", "is_boilerplate",
        "normalize_source", "QUESTION_HEADING_MODES"])
    for name in ("Problem", "FaqEntry", "load_yaml"):  # their homes: assistant.problems, .entries, .files
        assert not hasattr(parsing, name), name


def test_the_first_markdown_pass_is_kept_with_its_text_for_lint():
    from assistant.parsing.text import MD

    text = "---\ntitle: T\n---\n## Why?\nBecause.\n---\n\n??? question \"How?\"\n    So.\n"
    p = parse_markdown(text, "faq.md")
    assert [x.code for x in p.problems] == ["setext-heading"]  # the parser parsed the page twice
    lines = p.markdown_text.split("\n")
    assert len(lines) == len(text.split("\n")) and lines[:3] == ["", "", ""]  # front matter blanked
    assert lines[5] == "---" and "??? question" not in p.markdown_text  # before the setext fix; rewritten block
    assert [t.as_dict() for t in p.tokens] == [t.as_dict() for t in MD.parse(p.markdown_text)]
