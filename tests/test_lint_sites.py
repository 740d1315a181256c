"""Issue 14 points 2-3: lint resolves links as the site generator does, reports duplicates only
where they confuse readers, puts every finding on the link's own line, and speaks CI formats."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from defusedxml import ElementTree as SafeET

from assistant import cli
from assistant.lint import lint_paths
from assistant.lint.changes import ALL_LINES, changed_lines, keep_changed
from assistant.lint.formats import to_github, to_junit, to_sarif
from assistant.lint.sites import detect_site
from assistant.problems import Problem

FM = "---\ntitle: T\ndescription: D\n---\n\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def codes(report, *wanted):
    return sorted((Path(p.file).relative_to(p.file.split("/content/")[0] + "/content").as_posix()
                   if "/content/" in p.file else Path(p.file).name, p.line, p.code)
                  for p in report.problems if p.code in wanted)


HUGO = {
    "hugo.yaml": "module:\n  imports:\n    - path: github.com/docker/cli\n      mounts:\n"
                 "        - source: docs/reference\n          target: content/reference/cli\n",
    "content/_index.md": FM + "# Home\n",
    "content/includes/install.md": "## Install using the script\n\nRun it. See [repo](#install-using-the-repository).\n",
    "content/manuals/_index.md": FM + "# Manuals\n",
    "content/manuals/engine/_index.md": FM + "# Engine\n",
    "content/manuals/engine/install/_index.md": FM + "## Install using the repository\n\nApt.\n\n"
                                                 '{{< include "install.md" >}}\n',
    "content/manuals/engine/security/rootless/_index.md": FM + "## Rootless mode\n\nText.\n",
    "content/manuals/engine/logging/log_tags.md": FM + "## Tags\n\nText.\n",
    "content/manuals/engine/logging/drivers/splunk.md": FM + (
        "## Splunk\n\n"
        "See [tags](log_tags.md), [install](../../install/_index.md#install-using-the-script),\n"
        "[rootless](../../security/rootless.md), [site](/manuals/engine/install/),\n"
        "[url form](/engine/install/#install-using-the-repository), [alias](/old/engine-page/),\n"
        "[cli](/reference/cli/docker/run/), [typo](/manuals/engine/instal/),\n"
        "[missing](../nothere.md), [bad anchor](../log_tags.md#nope).\n"),
    "content/manuals/engine/old.md": "---\ntitle: Old\naliases: [/old/engine-page/]\n---\n\nText.\n",
}


def test_detect_site_kinds(tmp_path):
    write(tmp_path / "h", {"hugo.toml": "", "content/_index.md": "# x\n"})
    write(tmp_path / "m", {"mkdocs.yml": "site_name: x\ndocs_dir: pages\n", "pages/index.md": "# x\n"})
    write(tmp_path / "d", {"docusaurus.config.js": "", "docs/intro.md": "# x\n"})
    write(tmp_path / "c", {"content/_index.md": "# x\n"})
    write(tmp_path / "p", {"faq.md": "# x\n"})
    assert detect_site(tmp_path / "h" / "content").kind == "hugo"
    assert detect_site(tmp_path / "h").root == (tmp_path / "h").absolute()
    site = detect_site(tmp_path / "m" / "pages")
    assert (site.kind, site.root.name) == ("mkdocs", "pages")
    assert detect_site(tmp_path / "d" / "docs").kind == "docusaurus"
    assert detect_site(tmp_path / "c" / "content").kind == "hugo"  # a Hugo content folder without its config
    assert detect_site(tmp_path / "p").kind == "plain"
    assert detect_site(tmp_path / "p", "hugo").kind == "hugo"
    with pytest.raises(ValueError, match="unknown site kind 'jekyll'"):
        detect_site(tmp_path / "p", "jekyll")


def test_hugo_links_resolve_as_hugo_does(tmp_path):
    root = write(tmp_path / "site", HUGO)
    report = lint_paths([root / "content"])
    found = codes(report, "broken-link", "broken-anchor", "link-mounted", "link-site-absolute")
    page = "manuals/engine/logging/drivers/splunk.md"
    # Resolved: log_tags.md by its unique base name, x/_index.md#anchor from an include,
    # rootless.md as rootless/_index.md, /manuals/... from content/, /engine/... under a top-level
    # section, an alias URL. Left: the mounted CLI reference, a typo, a missing page, a bad anchor.
    assert found == sorted([
        (page, 11, "link-mounted"),      # /reference/cli/... is mounted from docker/cli
        (page, 11, "broken-link"),       # /manuals/engine/instal/: a typo (a warning: pretty URL)
        (page, 12, "broken-link"),       # ../nothere.md
        (page, 12, "broken-anchor"),     # ../log_tags.md#nope
    ]), report.to_text()
    sev = {(p.line, p.code): p.severity for p in report.problems if p.file.endswith("splunk.md")}
    assert sev[(11, "link-mounted")] == "warning" and sev[(11, "broken-link")] == "warning"
    assert sev[(12, "broken-link")] == "error" and sev[(12, "broken-anchor")] == "error"
    mounted = next(p for p in report.problems if p.code == "link-mounted")
    assert "reference/cli/" in mounted.message and "mounts from another repository" in mounted.message


def test_the_same_tree_as_a_plain_folder_flags_what_hugo_resolves(tmp_path):
    root = write(tmp_path / "site", {k: v for k, v in HUGO.items() if k != "hugo.yaml"})
    (root / "content" / "_index.md").unlink()  # no Hugo signs left
    plain = lint_paths([root / "content"], site="plain")
    broken = {p.message.split(" does not")[0] for p in plain.problems if p.code == "broken-link"}
    assert "link target log_tags.md" in broken  # a base-name reference: Hugo only
    assert "link-site-absolute" in {p.code for p in plain.problems}
    hugo = lint_paths([root / "content"], site="hugo")
    assert "link target log_tags.md" not in {p.message.split(" does not")[0] for p in hugo.problems}


def test_an_include_files_own_anchor_is_checked_on_the_pages_that_include_it(tmp_path):
    root = write(tmp_path / "site", HUGO)
    report = lint_paths([root / "content"])
    assert not [p for p in report.problems if "includes/" in p.file and p.code == "broken-anchor"]
    # Break the anchor the include points at: now it is reported, on the include's line.
    page = root / "content/manuals/engine/install/_index.md"
    page.write_text(page.read_text().replace("## Install using the repository", "## Install from packages"))
    report = lint_paths([root / "content"])
    hits = [p for p in report.problems if p.code == "broken-anchor" and "includes/install.md" in p.file]
    assert [(p.line, p.severity) for p in hits] == [(3, "error")]


def test_a_missing_page_many_pages_link_the_same_way_is_probably_mounted(tmp_path):
    files = {"hugo.toml": "", "content/_index.md": FM}
    for i in range(3):
        files[f"content/guides/g{i}.md"] = FM + f"## Guide {i}\n\nSee the [reference](/reference/dockerfile/).\n"
    files["content/guides/one.md"] = FM + "## One\n\nSee [this](/reference/typo/).\n"
    report = lint_paths([write(tmp_path / "s", files) / "content"])
    got = sorted((Path(p.file).name, p.code, p.severity) for p in report.problems if p.line)
    assert got == [("g0.md", "link-mounted", "warning"), ("g1.md", "link-mounted", "warning"),
                   ("g2.md", "link-mounted", "warning"), ("one.md", "broken-link", "warning")]
    assert "3 pages link /reference/dockerfile" in report.problems[0].message


def test_mkdocs_relative_md_links_index_and_attribute_list_ids(tmp_path):
    root = write(tmp_path / "m", {
        "mkdocs.yml": "site_name: x\n",
        "docs/index.md": FM + "# Home\n\nSee [setup](setup/index.md#install-it), [faq](faq.md#why-x),\n"
                             "[snippet heading](faq.md#from-a-snippet), [gone](setup/gone.md).\n",
        "docs/setup/index.md": FM + "## Install { #install-it }\n\nText.\n",
        "docs/faq.md": FM + "## Why X? { #why-x }\n\nBecause.\n\n--8<-- \"includes/extra.md\"\n",
        "includes/extra.md": "## From a snippet\n\nText.\n",
    })
    report = lint_paths([root / "docs"])
    assert [(Path(p.file).name, p.line, p.code) for p in report.problems if p.code.startswith(("broken", "link"))] == [
        ("index.md", 9, "broken-link")], report.to_text()


LINES = FM + """## How do I link?

A paragraph whose link is on its third line:
some words here and there
and [the target](missing.md) at last.

| a | b |
| - | - |
| x | [in a table](gone.md) |

A [reference link][ref] in text.

[ref]: nowhere.md
"""


def test_every_finding_is_on_the_line_of_the_link_itself(tmp_path):
    report = lint_paths([write(tmp_path / "f", {"faq.md": LINES})])
    assert [(p.line, p.message.split(" does not")[0]) for p in report.problems if p.code == "broken-link"] == [
        (10, "link target missing.md"), (14, "link target gone.md"), (18, "link target nowhere.md")]


def test_duplicates_only_within_a_page_or_section_unless_long_or_same_answer(tmp_path):
    files = {
        "offload/about.md": FM + "## How does it work?\n\nBuilds run on a remote cloud engine.\n",
        "scout/about.md": FM + "## How does it work?\n\nScout indexes image layers for CVEs.\n",  # other section
        "billing/faq.md": FM + "## Does Docker offer academic pricing?\n\nContact the Sales Team for pricing.\n",
        "subscription/faq.md": FM + "## Does Docker offer academic pricing?\n\nContact the Sales Team for pricing.\n",
        "offload/faq.md": FM + "## How does it work?\n\nSomething else entirely here.\n",  # same section
        "a/x.md": FM + "## How Docker Offload works?\n\nIt runs builds in the cloud on a remote engine.\n",
        "a/y.md": FM + "## Why use Docker Offload works?\n\nYou save money on laptops and fans stay quiet.\n",
    }
    report = lint_paths([write(tmp_path / "d", files)])
    dups = sorted((Path(p.file).parent.name, p.code) for p in report.problems if "duplicate" in p.code)
    assert dups == [("offload", "duplicate-question"), ("subscription", "duplicate-question")], report.to_text()


PROBLEMS = [
    Problem("docs/a.md", 3, "error", "broken-link", "link target x.md does not exist, 100% sure:\nreally"),
    Problem("docs/b,c.md", 5, "warning", "duplicate-question", "same question"),
    Problem("docs/a.md", None, "info", "link-outside-folder", "not checked"),
]


def test_sarif_is_valid_sarif_2_1_0():
    log = json.loads(to_sarif(PROBLEMS))
    schema = json.loads((Path(__file__).parent / "fixtures" / "lint" / "sarif-2.1.0-subset.json").read_text())
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rules[r["ruleIndex"]]["id"] for r in results] == [r["ruleId"] for r in results]


def test_github_annotations_escape_and_cap():
    out = to_github(PROBLEMS).splitlines()
    assert out[0] == "::error file=docs/a.md,line=3,title=broken-link::link target x.md does not exist, 100%25 sure:%0Areally"
    assert out[1] == "::warning file=docs/b%2Cc.md,line=5,title=duplicate-question::same question"
    assert out[2] == "::notice file=docs/a.md,title=link-outside-folder::not checked"
    many = [Problem("a.md", i, "warning", "x", "w") for i in range(1, 13)] + [Problem("a.md", 99, "error", "y", "e")]
    lines = to_github(many, cap=10).splitlines()
    assert lines[0].startswith("::error ")  # errors first
    assert sum(ln.startswith("::warning ") for ln in lines) == 10
    assert lines[-1].startswith("faq-assistant lint: 2 findings not annotated (2 warnings)")


def test_junit_one_case_per_file_failing_on_errors():
    root = SafeET.fromstring(to_junit(PROBLEMS + [Problem("docs/x.md", 1, "error", "c", "bad \x01 char <b>")],
                                      files=["docs/clean.md"]))
    suite = root.find("testsuite")
    cases = {c.get("classname"): c for c in suite.findall("testcase")}
    assert set(cases) == {"docs/a.md", "docs/b,c.md", "docs/x.md", "docs/clean.md"}
    assert suite.get("failures") == "2" and cases["docs/a.md"].find("failure") is not None
    assert cases["docs/b,c.md"].find("failure") is None and "same question" in cases["docs/b,c.md"].find("system-out").text
    assert "<b>" in cases["docs/x.md"].find("failure").text


def test_changed_lines_from_git(tmp_path):
    repo = tmp_path / "repo"
    write(repo, {"faq.md": FM + "## How?\n\n[a](gone.md)\n", "old.md": FM + "## Why?\n\n[b](gone.md)\n"})
    run = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    run("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "one")
    (repo / "faq.md").write_text(FM + "## How?\n\n[a](gone.md)\n\n## When?\n\n[c](also-gone.md)\n")
    (repo / "new.md").write_text(FM + "## New?\n\n[d](nope.md)\n")
    changed = changed_lines("HEAD", repo)
    assert changed[(repo / "faq.md").absolute()] == frozenset({9, 10, 11, 12})
    assert changed[(repo / "new.md").absolute()] == ALL_LINES and (repo / "old.md").absolute() not in changed
    report = lint_paths([repo])
    kept = keep_changed(report.problems, changed)
    assert sorted((Path(p.file).name, p.line) for p in kept if p.code == "broken-link") == [("faq.md", 12), ("new.md", 8)]


def test_cli_lint_since_changed_formats_and_hidden_info(tmp_path, monkeypatch, capsys):
    root = write(tmp_path / "f", {"a.md": FM + "## How?\n\n[x](gone.md) [y](/abs/)\n", "b.md": FM + "## Why?\n\nOk.\n"})
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "f"]) == 1
    out = capsys.readouterr().out
    assert "info" not in out.splitlines()[0] and out.strip().endswith("1 error, 0 warnings, 1 info")
    assert cli.main(["lint", "f", "--min-severity", "info"]) == 1
    assert "link-site-absolute" in capsys.readouterr().out
    assert cli.main(["lint", "f", "--changed", "f/b.md"]) == 0
    assert capsys.readouterr().out.strip() == "2 files, 2 FAQ entries: 0 errors, 0 warnings, 0 info"
    assert cli.main(["lint", "f", "--format", "sarif"]) == 1
    assert json.loads(capsys.readouterr().out)["runs"][0]["results"][0]["ruleId"] == "broken-link"
    assert cli.main(["lint", "f", "--format", "github"]) == 1
    assert capsys.readouterr().out.startswith("::error file=f/a.md,line=8,title=broken-link::")
    assert cli.main(["lint", "f", "--format", "junit"]) == 1
    assert SafeET.fromstring(capsys.readouterr().out).find("testsuite").get("failures") == "1"
    assert cli.main(["lint", "f", "--since", "HEAD"]) == 2  # not a git repository
    assert "git" in capsys.readouterr().err
    assert root.is_dir()
