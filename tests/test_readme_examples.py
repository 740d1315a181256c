"""README examples are real: each `$ faq-assistant ...` console block matches a run of the CLI.

A README block may be an excerpt: a `...` line stands for left-out lines, and the lines shown must
appear in the output in the same order, the first line first. stderr
lines (warnings) come first, as a terminal shows them for these commands. The exit code must be 0
unless the example is followed by `$ echo $?` and the code it prints.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from assistant import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _examples():
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for m in re.finditer(r"^\$ (faq-assistant [^\n]*)\n(.*?)(?=^\$ |\Z)", block, re.S | re.M):
            command, output = m.group(1), m.group(2).rstrip("\n")
            if "|" in command or not output:
                continue
            code = re.match(r"\$ echo \$\?\n(\d+)\n", block[m.end():])
            yield pytest.param(command, output, int(code.group(1)) if code else 0, id=command[:70])


def test_readme_examples_are_found():
    examples = list(_examples())
    assert len(examples) >= 8
    assert any(p.values[2] != 0 for p in examples), "no README example documents a non-zero exit code"


@pytest.mark.parametrize("command, expected, exit_code", list(_examples()))
def test_readme_example_matches_the_cli(command, expected, exit_code, capsys, monkeypatch, request):
    argv = shlex.split(command)[1:]
    if any(a.startswith("../shared") for a in argv):
        request.getfixturevalue("shared_dir")
    monkeypatch.chdir(ROOT)
    assert cli.main(argv) == exit_code
    out, err = capsys.readouterr()
    actual = [line.rstrip() for line in (err + out).rstrip("\n").split("\n")]
    want = [line.rstrip() for line in expected.split("\n")]
    if "..." not in [w.strip() for w in want]:
        assert actual == want
        return
    # An excerpt: every shown line is real output, in order, starting with the first line.
    if want[0].strip() != "...":
        assert actual[0] == want[0]
    it = iter(actual)
    missing = [w for w in want if w.strip() != "..." and not any(a == w for a in it)]
    assert not missing, f"README lines not in the output (in this order): {missing}"
