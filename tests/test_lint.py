"""faq-assistant lint: every check on a small crafted page, no false positives on a clean folder,
and the real-FAQ corpus (issue 6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant import cli
from assistant.knowledge_base import default_kb_path
from assistant.lint import LintReport, lint_paths
from assistant.problems import KnowledgeBaseError

CLEAN = Path(__file__).parent / "fixtures" / "lint" / "clean"
FM = "---\ntitle: T\ndescription: D\n---\n\n"


def lint_files(tmp_path: Path, files: dict[str, str | bytes], **kwargs) -> LintReport:
    root = tmp_path / "faq"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return lint_paths([root], **kwargs)


def found(report: LintReport, code: str) -> list[tuple[str, int | None, str]]:
    """(file name, line, severity) of each problem with ``code``."""
    return [(Path(p.file).name, p.line, p.severity) for p in report.problems if p.code == code]


def only(report: LintReport, code: str):
    hits = [p for p in report.problems if p.code == code]
    assert len(hits) == 1, report.to_text()
    return hits[0]


def test_clean_folder_has_no_findings():
    """Relative links with anchors ({#id}, <a id>, duplicate headings -1, pretty URLs), images,
    fenced code that looks like headings and links, a deliberate setext title, a date key, a quoted
    "NO" and a question grouping sub-questions: nothing to report."""
    report = lint_paths([CLEAN])
    assert report.problems == [], report.to_text()
    assert (report.files, report.entries, report.exit_code) == (2, 5, 0)


# --- front matter --------------------------------------------------------------------------------


def test_front_matter_missing_is_a_warning_without_a_title_and_info_with_one(tmp_path):
    report = lint_files(tmp_path, {"a.md": "### How do I start?\n\nRun it.\n",
                                   "b.md": "# Widgets FAQ\n\n### How do I stop?\n\nStop it.\n",
                                   "notes.md": "Just notes, no questions.\n"})
    assert sorted(found(report, "front-matter-missing")) == [("a.md", 1, "warning"), ("b.md", 1, "info")]


def test_front_matter_that_does_not_parse_is_an_error(tmp_path):
    report = lint_files(tmp_path, {"a.md": "---\ntitle: [unclosed\n---\n\n### How?\n\nLike this.\n"})
    p = only(report, "front-matter-invalid")
    assert p.severity == "error" and p.file.endswith("a.md") and report.exit_code == 1


def test_front_matter_that_is_not_a_mapping_is_an_error(tmp_path):
    report = lint_files(tmp_path, {"a.md": "---\n- title\n- description\n---\n\n### How?\n\nLike this.\n"})
    assert found(report, "front-matter-not-mapping") == [("a.md", 1, "error")]


def test_front_matter_never_closed_is_an_error(tmp_path):
    report = lint_files(tmp_path, {"a.md": "---\ntitle: T\ndescription: D\n\n### How do I start?\n\nRun it.\n"})
    assert found(report, "front-matter-unclosed") == [("a.md", 1, "error")]


def test_missing_title_and_description(tmp_path):
    report = lint_files(tmp_path, {"a.md": "---\ndescription: D\n---\n\n### How?\n\nLike this.\n",
                                   "b.md": "---\ntitle: T\n---\n\n### Why?\n\nBecause.\n",
                                   "c.md": "---\ntitle: ''\ndescription: D\n---\n\n# C page\n\n### When?\n\nNow.\n"})
    assert sorted(found(report, "missing-title")) == [("a.md", 1, "warning"), ("c.md", 1, "info")]
    assert found(report, "missing-description") == [("b.md", 1, "warning")]


def test_yaml_values_that_change_type_are_named(tmp_path):
    text = ("---\ntitle: T\ndescription: D\nregion: NO\nlaunched: 2024-01-31\ndate: 2024-01-31\n"
            "quoted: \"NO\"\nparams:\n  beta: yes\n---\n\n### How?\n\nLike this.\n")
    report = lint_files(tmp_path, {"a.md": text})
    changed = {p.line: p.message for p in report.problems if p.code == "yaml-type-changed"}
    assert set(changed) == {4, 5, 9}, report.to_text()  # region, launched, params.beta; not date, not "NO"
    assert changed[4].startswith("'region: NO' is the boolean false") and '"NO"' in changed[4]
    assert changed[5].startswith("'launched: 2024-01-31' becomes a date")
    assert changed[9].startswith("'params.beta: yes' is the boolean true")
    assert all(p.severity == "warning" for p in report.problems if p.code == "yaml-type-changed")


def test_yaml_type_changes_are_named_at_the_line_of_their_own_key(tmp_path):
    """Lines come from the YAML node tree: a flow mapping, a key name used twice, list items."""
    text = ("---\ntitle: T\ndescription: D\nparams: {beta: yes}\na:\n  x: 1\nb:\n  x: NO\n"
            "tags:\n  - NO\n  - ok\n  - yes\n---\n\n### How?\n\nLike this.\n")
    report = lint_files(tmp_path, {"a.md": text})
    changed = sorted((p.line, p.message.split("'")[1]) for p in report.problems if p.code == "yaml-type-changed")
    assert changed == [(4, "params.beta: yes"), (8, "b.x: NO"), (10, "tags[0]: NO"), (12, "tags[2]: yes")]


def test_a_date_yaml_1_1_readers_cannot_read_is_no_crash(tmp_path):
    report = lint_files(tmp_path, {"a.md": "---\ntitle: T\ndescription: D\nlaunched: 2024-13-45\n---\n\n### How?\n\nOk.\n"})
    assert report.problems == [] and report.entries == 1


# --- questions -------------------------------------------------------------------------------------


def test_question_with_empty_answer_is_an_error_but_a_group_of_sub_questions_is_not(tmp_path):
    text = FM + ("### How do I start?\n\n### How do I stop?\n\nStop it.\n\n"
                 "### How do I uninstall?\n\n#### On Linux?\n\nUse apt.\n\n#### On Mac?\n\nUse brew.\n\n"
                 "### Why is it slow?\n")
    report = lint_files(tmp_path, {"a.md": text})
    assert found(report, "empty-answer") == [("a.md", 6, "error"), ("a.md", 22, "error")]


def test_duplicate_questions_across_files(tmp_path):
    report = lint_files(tmp_path, {"a.md": FM + "### How do I reset my password?\n\nClick reset.\n",
                                   "b.md": FM + "Intro.\n\n### how do I reset my  password\n\nAsk IT.\n"})
    p = only(report, "duplicate-question")
    assert (Path(p.file).name, p.line, p.severity) == ("b.md", 8, "warning")
    assert "same question as" in p.message and "a.md:6" in p.message


def test_near_duplicate_questions_but_not_narrower_or_negated_or_translated_ones(tmp_path):
    a = FM + ("### Can I verify the same domain for multiple organizations?\n\nYes.\n\n"
              "### How do I use the CLI behind a proxy?\n\nSet HTTPS_PROXY.\n\n"
              "### What constitutes commercial use of the app?\n\nSelling it.\n\n"
              "### Does SSO support multi-factor authentication?\n\nYes.\n")
    b = FM + ("### Can I verify the same domain on multiple organizations?\n\nYes.\n\n"
              "### How do I use the CLI behind a proxy in Docker?\n\nPass -e.\n\n"
              "### What constitutes non-commercial use of the app?\n\nEverything else.\n\n"
              "### SSO は multi-factor authentication をサポートしていますか？\n\nはい。\n")
    report = lint_files(tmp_path, {"a.md": a, "b.md": b})
    p = only(report, "near-duplicate-question")
    assert (Path(p.file).name, p.line) == ("b.md", 6)
    assert "a.md:6" in p.message and "similarity" in p.message


def test_long_answer(tmp_path):
    words = " ".join(["word"] * 120)
    report = lint_files(tmp_path, {"a.md": FM + f"### How?\n\n{words}\n\n### Why?\n\nShort.\n"}, long_answer_words=100)
    p = only(report, "long-answer")
    assert (p.line, p.severity) == (6, "warning") and "120 words" in p.message


# --- headings and fences ----------------------------------------------------------------------------


def test_setext_trap_but_not_a_deliberate_setext_title(tmp_path):
    text = FM + ("Widgets\n-------\n\n### How do I start?\n\nRun the installer and wait.\n---\n\n"
                 "### How do I stop?\n\nStop it.\n")
    report = lint_files(tmp_path, {"a.md": text})
    p = only(report, "setext-heading")
    assert (p.line, p.severity) == (11, "warning") and "Run the installer" in p.message


def test_headings_that_look_like_answers(tmp_path):
    long = " ".join(["This heading goes on"] * 7) + " until it is a paragraph."
    text = FM + f"### Can I pause it?\n\n### Yes, from the settings page.\n\nMore.\n\n## {long}\n\nText.\n"
    report = lint_files(tmp_path, {"a.md": text})
    assert [(line, sev) for _, line, sev in found(report, "heading-looks-like-answer")] == [(8, "warning"), (12, "warning")]


def test_unclosed_fence(tmp_path):
    text = FM + "### How do I run it?\n\n```sh\nrun --now\n\n### Is this a question?\n\nNo, it is code.\n"
    report = lint_files(tmp_path, {"a.md": text})
    p = only(report, "unclosed-fence")
    assert (p.line, p.severity) == (8, "error") and "never closed" in p.message


def test_unclosed_fence_inside_a_list_item(tmp_path):
    text = FM + "### How?\n\n- step one\n\n  ```\n  code\n- step two\n"
    assert found(lint_files(tmp_path, {"a.md": text}), "unclosed-fence") == [("a.md", 10, "error")]


# --- links ---------------------------------------------------------------------------------------------


def test_relative_links_to_missing_files_and_anchors(tmp_path):
    page = FM + ("### How?\n\nSee [missing](missing.md), [image](img/none.png), [pretty](nowhere/),\n"
                 "[bad anchor](other.md#instal), [good](other.md#install), [local](#nope),\n"
                 "[here](#how) and `[code](missing-too.md)`.\n\n[ref]: gone.md\n\nUses [a ref][ref].\n")
    other = FM + "## Install\n\nText.\n"
    report = lint_files(tmp_path, {"a.md": page, "other.md": other})
    broken = {(p.line, p.severity, p.message) for p in report.problems if p.code == "broken-link"}
    assert {(line, sev) for line, sev, _ in broken} == {(8, "error"), (8, "warning"), (12, "error")}
    assert any("missing.md does not exist" in m for *_, m in broken)
    assert any("img/none.png does not exist" in m for *_, m in broken)
    assert any("nowhere/ matches no page" in m for *_, m in broken)
    assert any("gone.md does not exist" in m for *_, m in broken)
    anchors = sorted((p.line, p.message) for p in report.problems if p.code == "broken-anchor")
    assert [line for line, _ in anchors] == [9, 9]
    assert any("#instal in other.md (did you mean #install?)" in m for _, m in anchors)
    assert any("#nope in this page" in m for _, m in anchors)
    assert all(p.severity == "error" for p in report.problems if p.code == "broken-anchor")


def test_site_absolute_and_outside_links_are_info(tmp_path):
    page = FM + "### How?\n\nSee [docs](/manuals/x.md#y), [up](../../elsewhere.md), [web](https://example.com/a.md).\n"
    report = lint_files(tmp_path, {"a.md": page})
    assert found(report, "link-site-absolute") == [("a.md", 8, "info")]
    assert found(report, "link-outside-folder") == [("a.md", 8, "info")]
    assert report.exit_code == 0


def test_parser_problems_are_kept(tmp_path):
    report = lint_files(tmp_path, {"a.md": FM.encode() + b"### Caf\xe9?\n\nYes.\n"})
    assert found(report, "not-utf8") == [("a.md", 6, "warning")]


# --- report and CLI ---------------------------------------------------------------------------------------


def test_no_markdown_files_and_missing_paths(tmp_path):
    (tmp_path / "empty").mkdir()
    report = lint_paths([tmp_path / "empty"])
    assert [p.code for p in report.problems] == ["no-faq-files"] and report.files == 0
    with pytest.raises(KnowledgeBaseError, match="no such file or folder"):
        lint_paths([tmp_path / "nope"])


def test_report_formats_and_severity_filter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files inside the working folder are named relative to it
    report = lint_files(tmp_path, {"a.md": FM + "### How?\n\n```\nx\n\nSee [docs](/x/).\n",
                                   "b.md": "---\ntitle: T\n---\n\n### Why?\n\nBecause [x](/y/).\n"})
    shown = "faq"
    expected = [
        {"file": f"{shown}/a.md", "line": 8, "severity": "error", "code": "unclosed-fence",
         "message": "code fence opened with ``` is never closed: everything after it (to line 11) renders as code; "
                    "add a closing ``` line"},
        {"file": f"{shown}/b.md", "line": 1, "severity": "warning", "code": "missing-description",
         "message": "front matter has no description: add 'description: ...' (search engines and link previews show it)"},
        {"file": f"{shown}/b.md", "line": 7, "severity": "info", "code": "link-site-absolute",
         "message": "site-absolute link /y/ is not checked (no site generator detected: pass --site hugo|mkdocs|docusaurus)"},
    ]
    data = report.to_dict()
    assert data == {"files": 2, "entries": 2, "problems": expected}
    assert type(data["files"]) is int and type(data["entries"]) is int
    assert all(type(p["line"]) is int and all(type(p[k]) is str for k in ("file", "severity", "code", "message"))
               for p in data["problems"])
    # The filter keeps the counts of everything checked and drops lesser findings only.
    assert report.to_dict("warning") == {"files": 2, "entries": 2, "problems": expected[:2]}
    assert report.to_dict("error") == {"files": 2, "entries": 2, "problems": expected[:1]}
    assert json.loads(json.dumps(data)) == data  # plain JSON types only
    text = report.to_text()
    assert text.splitlines() == [
        f"{shown}/a.md:8: error: {expected[0]['message']} [unclosed-fence]",
        f"{shown}/b.md:1: warning: {expected[1]['message']} [missing-description]",
        f"{shown}/b.md:7: info: {expected[2]['message']} [link-site-absolute]",
        "2 files, 2 FAQ entries: 1 error, 1 warning, 1 info"]
    assert report.to_text("error").splitlines()[1:] == ["2 files, 2 FAQ entries: 1 error, 1 warning, 1 info"]
    one = lint_files(tmp_path / "one", {"a.md": FM + "### How?\n\nLike this.\n"})
    assert one.to_text() == "1 file, 1 FAQ entry: 0 errors, 0 warnings, 0 info"
    assert one.to_dict() == {"files": 1, "entries": 1, "problems": []}
    with pytest.raises(ValueError, match="min_severity must be one of error, warning, info, got 'fatal'"):
        report.filtered("fatal")


def test_cli_lint_exit_codes_and_json(tmp_path, capsys):
    assert cli.main(["lint", str(CLEAN)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "2 files, 5 FAQ entries: 0 errors, 0 warnings, 0 info"

    bad = tmp_path / "bad"
    shutil.copytree(CLEAN, bad)
    (bad / "setup.md").write_text((bad / "setup.md").read_text().replace("## Before you start", "## Before you begin"))
    assert cli.main(["lint", str(bad), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == {"files": 2, "entries": 5, "problems": [
        {"file": (bad / "faq.md").as_posix(), "line": 18, "severity": "error", "code": "broken-anchor",
         "message": "link setup.md#before-you-start: no heading or id #before-you-start in setup.md "
                    "(did you mean #before-you-begin?)"}]}
    assert cli.main(["lint", str(bad), "--format", "json", "--min-severity", "error"]) == 1
    assert len(json.loads(capsys.readouterr().out)["problems"]) == 1

    assert cli.main(["lint", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_cli_lint_defaults_to_the_bundled_kb_as_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # wherever it runs, no DIR means the package's own KB
    assert cli.main(["lint", "--min-severity", "warning"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("1 file, 12 FAQ entries: 0 errors, 0 warnings")
    assert cli.main(["lint", "--format", "json", "--min-severity", "info"]) == 0
    files = {p["file"] for p in json.loads(capsys.readouterr().out)["problems"]}
    assert files and all(Path(f).is_relative_to(default_kb_path()) for f in files), files


def test_every_finding_is_named_the_way_the_folder_was_given(tmp_path, monkeypatch, capsys):
    """Pages and the files beside them (alternates, folder settings, synonyms) alike: ../kb2/..."""
    kb2 = tmp_path / "kb2"
    shutil.copytree(CLEAN, kb2)
    (kb2 / "faq.alternates.yaml").write_text("How do I start?:\n  - [broken\n")
    (kb2 / "setup.alternates.yaml").write_text("No such question?: [Another way to ask]\n")
    (kb2 / ".faq.yaml").write_text("files: 3\n")
    (kb2 / "synonyms.yaml").write_text("sso: [single sign-on\n")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert cli.main(["lint", "../kb2"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    findings, total = lines[:-1], lines[-1]
    assert total == "2 files, 5 FAQ entries: 3 errors, 1 warning, 0 info"
    assert [ln.split(": ", 1)[0] for ln in findings] == [
        "../kb2/.faq.yaml:1", "../kb2/faq.alternates.yaml:3", "../kb2/setup.alternates.yaml:1", "../kb2/synonyms.yaml:2"]
    assert [ln.rsplit(" ", 1)[1] for ln in findings] == [
        "[settings-invalid]", "[alternates-invalid]", "[alternates-unknown-question]", "[synonyms-invalid]"]
    # An absolute path inside the working folder is shown relative to it, every finding alike.
    monkeypatch.chdir(tmp_path)
    assert {p.file.split("/")[0] for p in lint_paths([kb2]).problems} == {"kb2"}


def test_synonym_file_that_the_retriever_cannot_use(tmp_path):
    report = lint_files(tmp_path, {"a.md": FM + "### How?\n\nLike this.\n", "synonyms.yaml": "sso: [a, b]\nmfa: 2fa\n"})
    assert found(report, "synonyms-invalid") == []
    report = lint_files(tmp_path, {"synonyms.yaml": "- sso\n- saml\n"})
    p = only(report, "synonyms-invalid")
    assert (Path(p.file).name, p.line, p.severity) == ("synonyms.yaml", None, "error")
    assert p.message == ("synonym file must map a concept to a list of synonyms, got a list; "
                         "the retriever searches without synonyms")


def test_synonym_file_problems_name_the_line(tmp_path):
    """The line comes from the error itself (YAML mark, first non-UTF-8 byte), not from its message."""
    page = FM + "### How?\n\nLike this.\n"
    report = lint_files(tmp_path, {"a.md": page, "synonyms.yaml": "sso: [a, b]\nmfa: [2fa\n"})
    p = only(report, "synonyms-invalid")
    assert (Path(p.file).name, p.line, p.severity) == ("synonyms.yaml", 3, "error")
    assert p.message.startswith("synonym file does not parse as YAML: ")
    assert p.message.endswith("; the retriever searches without synonyms")
    report = lint_files(tmp_path / "b", {"a.md": page, "synonyms.yaml": b"sso: [a]\nmfa: [caf\xe9]\n"})
    p = only(report, "synonyms-invalid")
    assert (Path(p.file).name, p.line) == ("synonyms.yaml", 2)
    assert p.message == ("byte 0xe9 is not UTF-8; replaced with U+FFFD (save the file as UTF-8); "
                         "the retriever searches without synonyms")


def test_lint_reads_synonyms_without_the_retriever():
    """Data flows one way: nothing in assistant/lint imports retrieval (or widgets, or the simulator)."""
    import ast

    import assistant.lint

    imported = set()
    for path in Path(assistant.lint.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                imported.add(("." * node.level) + (node.module or ""))
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
    assert "..synonyms" in imported
    assert not {m for m in imported if m.lstrip(".").split(".")[-1] in ("retrieval", "simulator", "widgets", "replies")
                or m.startswith(("assistant", "ipywidgets", "matplotlib"))}, imported


# --- the real corpus ------------------------------------------------------------------------------


@pytest.mark.shared
def test_lint_runs_over_the_whole_corpus_with_findings_checked_by_hand(shared_dir):
    report = lint_paths([shared_dir / "corpus"])
    assert report.files >= 53 and report.entries > 300
    by = {(p.file.split("corpus/", 1)[1], p.line, p.code): p for p in report.problems}
    codes = {p.code for p in report.problems}
    docker = "docker-docs/content/manuals/"
    # Checked by hand: the link target (with its odd ".md#anchor.md") is not in the folder.
    assert (docker + "admin/faqs/company-faqs.md", 67, "broken-link") in by
    # Same question, word for word, on the subscription and the billing FAQ.
    assert (docker + "subscription/faq.md", 20, "duplicate-question") in by
    assert "billing/faqs.md:54" in by[(docker + "subscription/faq.md", 20, "duplicate-question")].message
    # Seed-era page vs its rewrite: "on" vs "for multiple organizations".
    assert (docker + "security/faqs/single-sign-on/domain-faqs.md", 27, "near-duplicate-question") in by
    # ripgrep's PCRE2 answer runs to nearly 2000 words.
    assert ("BurntSushi-ripgrep/FAQ.md", 461, "long-answer") in by
    # A reference definition whose target resolves to docs/insiders/insiders/... (does not exist).
    assert ("squidfunk-mkdocs-material/docs/insiders/faq/sponsoring.md", 259, "broken-link") in by
    # No false positives: in-page anchors resolve (ollama, ripgrep <h3 name=...>, mkdocs { #id }),
    # ripgrep's "ripgrep (rg)\n----" title is deliberate, no answer is empty, translations are not duplicates.
    assert not codes & {"broken-anchor", "setext-heading", "empty-answer", "unclosed-fence"}, report.to_text()
    assert not [p for p in report.problems if p.code == "near-duplicate-question" and "shardingsphere" in p.file]
    assert all(p.severity == "info" for p in report.problems if p.code in ("link-site-absolute", "link-outside-folder"))


def test_lint_takes_the_parsers_tokens_only_for_the_text_it_would_parse(tmp_path):
    from assistant.lint.pages import read_page
    from assistant.parsing import parse_file

    root = tmp_path / "faq"
    root.mkdir()
    pages = {
        "plain.md": FM + "## Why?\n\nBecause [this](#why) and <a id='x'></a>.\n\n```\n## not a heading\n```\n",
        "setext.md": "## Why?\nBecause.\n---\n\n## How?\n\nSo.\n",  # the parser's second pass reads other text
        "tabs.md": '!!! question "Why?"\n    Because.\n\n=== "One"\n    x\n',  # rewritten before the parser parses it
    }
    for name, text in pages.items():
        (root / name).write_text(text)
    for name, reused in (("plain.md", True), ("setext.md", True), ("tabs.md", False)):
        parsed = parse_file(root / name, root)
        own = read_page(root / name, name)
        page = read_page(root / name, name, parsed.front_matter or None, (parsed.markdown_text, parsed.tokens))
        assert (page.tokens is parsed.tokens) is reused, name
        assert [t.as_dict() for t in page.tokens] == [t.as_dict() for t in own.tokens], name
        assert (page.lines, page.headings, page.anchors()) == (own.lines, own.headings, own.anchors()), name
    assert lint_paths([root], jobs=1).to_dict() == lint_paths([root], jobs=2).to_dict()
