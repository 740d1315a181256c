"""Reading input files one way (assistant.files): UTF-8 policy, YAML/TOML limits, errors at file:line."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from assistant import KnowledgeBase, files
from assistant.files import (
    MAX_YAML_DEPTH, TOMLDecodeError, YamlTooLargeError, compose_yaml, decode, error_line, load_toml, load_yaml,
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


FRONT_MATTER = ("title: Docker Compose release notes\nlinkTitle: Release notes\nweight: 10\ntags: [Release notes, FAQ]\n"
                "aliases:\n- /compose/release-notes/\n-   /release-notes/docker-compose/\nparams:\n  time: 20 minutes\n"
                "  sidebar: {badge: {color: blue, text: New}}\ndate: 2024-01-01\nregion: NO\non: yes\nflag: True\n"
                "n: 0x1F\nf: .5\nnothing: ~\nq: 'it''s'\nqq: \"a\\tb\\u00e9\"\nbase: &b {x: 1}\nmore: {<<: *b, y: 2}\n"
                "text: |\n  two\n  lines\nfolded: >-\n  one\n  line\n")
#: Texts libyaml reads otherwise than the pure-Python loader (tabs in plain scalars, NEL and Unicode
#: line breaks, inner byte-order marks, ``|#``, a lone ``!`` tag, ``?`` inside ``[...]``) or that
#: nest deep enough to crash libyaml's composer: read with the pure-Python loader only.
READ_OTHERWISE = ["title: a\tb", "a:\n\t- b", "a: 1\u2028b: 2", "t: x\x85y: 3", "a: 1\n\ufeffb: 2", "a: |#\n  x\n",
                  "a: >#", "a: !", "- !\n- ! x", "tags: [a?b]", "- " * 70 + "x", "--- " + "- " * 70 + "x", "? " * 70 + "x"]
#: Errors, which libyaml words (and at the end of a text places) otherwise: read again without it.
ERRORS = ["a: [unclosed", "title: [unclosed\nx: 1", "a: b: c", "x: 'open", "a:\n  - b\n c: d\n", "a: \x01"]


def _read_both_ways(text: str):
    """What load_yaml and compose_yaml make of ``text``: values, node lines and tags, or the error."""
    def shape(node):
        if isinstance(node, yaml.ScalarNode):
            return node.tag, node.value, node.start_mark.line
        if isinstance(node, yaml.SequenceNode):
            return node.tag, node.start_mark.line, [shape(c) for c in node.value]
        if isinstance(node, yaml.MappingNode):
            return node.tag, node.start_mark.line, [(shape(k), shape(v)) for k, v in node.value]
        return node

    out = []
    for read in (load_yaml, compose_yaml):
        try:
            value = read(text)
            out.append(shape(value) if read is compose_yaml else value)
        except yaml.YAMLError as exc:
            out.append((type(exc).__name__, error_line(exc), str(exc)))
    return out


@pytest.mark.parametrize("text", [FRONT_MATTER, *READ_OTHERWISE, *ERRORS])
def test_yaml_reads_the_same_with_or_without_libyaml(text, monkeypatch):
    with_libyaml = _read_both_ways(text)
    monkeypatch.setattr(files, "_FaqCYamlLoader", None)  # PyYAML built without libyaml
    assert _read_both_ways(text) == with_libyaml


def test_ordinary_front_matter_is_read_with_libyaml_and_the_rest_without():
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML has no libyaml here")
    assert files._uses_libyaml(FRONT_MATTER) and all(files._uses_libyaml(text) for text in ERRORS)
    assert not any(files._uses_libyaml(text) for text in READ_OTHERWISE)
    with pytest.raises(yaml.YAMLError) as info:
        load_yaml("a: b: c")
    assert info.value.problem == "mapping values are not allowed here"  # libyaml says "in this context"


@pytest.mark.parametrize("text", ["- " * 100_000 + "x", "? " * 100_000 + "x", "--- " + "- " * 100_000 + "x",
                                  "".join(" " * i + "-\n" for i in range(2_000))])
def test_block_nesting_that_would_crash_libyaml_is_an_error(text, tmp_path):
    script = ("import sys, yaml\nfrom assistant.files import compose_yaml, load_yaml\ntext = sys.stdin.read()\n"
              "for read in (load_yaml, compose_yaml):\n"
              "    try:\n        read(text)\n"
              "    except yaml.YAMLError:\n        print('refused')\n")
    done = subprocess.run([sys.executable, "-c", script], input=text, cwd=tmp_path,  # a crash is a signal, no output
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "refused\nrefused\n"), done.stderr[-2000:]
