"""Reading input files one way (assistant.files): UTF-8 policy, YAML/TOML limits, errors at file:line."""

from __future__ import annotations

import pytest
import yaml

from assistant import KnowledgeBase
from assistant.files import (
    MAX_YAML_DEPTH, TOMLDecodeError, YamlTooLargeError, compose_yaml, decode, load_toml, load_yaml,
    parse_error_problem, shown_path,
)
from assistant.lint import lint_paths
from assistant.problems import InputFileError, Problem
from assistant.synonyms import load_synonyms

DEEP = "[" * 500 + "]" * 500


def test_decode_keeps_every_line_and_names_the_first_bad_byte():
    text, problems = decode(b"\xef\xbb\xbfok\nna\xefve\nend\n", "faq.md")
    assert text == "ok\nna\ufffdve\nend\n"
    assert problems == [Problem("faq.md", 2, "warning", "not-utf8",
                                "byte 0xef is not UTF-8; replaced with U+FFFD (save the file as UTF-8)")]
    assert decode(b"plain", "x") == ("plain", [])


def test_yaml_keeps_what_the_author_wrote():
    assert load_yaml("region: NO\ndate: 2024-01-01\non: yes\nflag: true") == {
        "region": "NO", "date": "2024-01-01", "on": "yes", "flag": True}


@pytest.mark.parametrize("text", [f"title: {DEEP}", "title: " + "{a: " * 400 + "1" + "}" * 400, "- " * 600 + "x"])
def test_deeply_nested_yaml_is_refused_not_a_recursion_error(text):
    with pytest.raises(YamlTooLargeError):
        load_yaml(text)
    with pytest.raises(YamlTooLargeError):
        compose_yaml(text)


def test_nesting_up_to_the_limit_still_loads():
    depth = MAX_YAML_DEPTH - 1
    value = load_yaml("x: " + "[" * depth + "1" + "]" * depth)["x"]
    for _ in range(depth):
        value = value[0]
    assert value == 1


def test_brackets_inside_quotes_and_comments_do_not_count():
    assert load_yaml(f"a: '{DEEP}'\n# {DEEP}\nb: \"{DEEP}\"") == {"a": DEEP, "b": DEEP}


def test_deep_toml_is_a_decode_error():
    with pytest.raises(TOMLDecodeError):
        load_toml(f"title = {DEEP}")


def test_parse_error_problem_points_at_the_line_in_the_file():
    with pytest.raises(yaml.YAMLError) as info:
        load_yaml("a: 1\nb: [unclosed\nc: 3\n")
    p = parse_error_problem(info.value, "faq.md", "front-matter-invalid", "YAML front matter", line_offset=1)
    assert (p.file, p.line, p.severity, p.code) == ("faq.md", 4, "error", "front-matter-invalid")
    assert p.message.startswith("YAML front matter does not parse: ")
    with pytest.raises(TOMLDecodeError) as info:
        load_toml('a = 1\nb = "x\n')
    p = parse_error_problem(info.value, "faq.md", "front-matter-invalid", "TOML front matter", line_offset=1)
    assert p.line == 3 and "(at line" not in p.message


def test_shown_path_escapes_non_utf8_file_names():
    name = b"faq-\xff.md".decode("utf-8", "surrogateescape")
    assert shown_path(name) == "faq-\\xff.md"
    shown_path(name).encode("utf-8")  # printable


def _kb_with_deep_yaml(tmp_path, where: str):
    (tmp_path / "good.md").write_text("## How do I reset my password?\n\nUse the reset link.\n")
    if where == "front matter":
        (tmp_path / "bad.md").write_text(f"---\ntitle: {DEEP}\n---\n\n## Can I cancel?\n\nYes.\n")
    elif where == "alternates":
        (tmp_path / "good.alternates.yaml").write_text(f"How do I reset my password?: {DEEP}\n")
    elif where == "folder settings":
        (tmp_path / ".faq.yaml").write_text(f"faq: {DEEP}\n")
    return tmp_path


@pytest.mark.parametrize("where", ["front matter", "alternates", "folder settings"])
def test_a_deeply_nested_yaml_file_is_one_problem_not_a_crash(tmp_path, where):
    kb = KnowledgeBase.load(_kb_with_deep_yaml(tmp_path, where))
    assert "How do I reset my password?" in [e.question for e in kb]
    deep = [p for p in kb.problems if "nests more than" in p.message]
    assert len(deep) == 1 and deep[0].severity == "error" and deep[0].line is not None
    report = lint_paths([tmp_path])  # the lint reads the same files and survives too
    assert report.files >= 1


def test_deep_synonyms_file_is_an_input_error_naming_the_file(tmp_path):
    path = tmp_path / "synonyms.yaml"
    path.write_text(f"sso: {DEEP}\n")
    with pytest.raises(InputFileError, match=r"synonyms\.yaml:1: synonym file does not parse as YAML: "
                                             r"the value nests more than 100 levels deep"):
        load_synonyms(path)
