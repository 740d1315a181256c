"""Front matter: the YAML (``---``) or TOML (``+++``) block at the top of a page.

:func:`split_front_matter` reads it with the package's one YAML/TOML policy (:mod:`assistant.files`)
and blanks its lines so every later line keeps its number. A block that never closes, that
encloses markdown questions (``---`` used as horizontal rules) or that is not a mapping is read as
markdown with a warning; YAML or TOML that does not parse is an error at its line. No question
ever vanishes into metadata.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..files import TOMLDecodeError, load_toml, load_yaml, parse_error_problem
from ..problems import Problem
from .questions import QUESTION_LABEL_RE, is_question

__all__ = ["split_front_matter"]


def _markdown_question_line(lines: list[str], start: int, end: int) -> int | None:
    """First line in ``lines[start:end]`` that is plainly a markdown question (not YAML/TOML)."""
    for i in range(start, end):
        s = lines[i].strip()
        m = re.match(r"^#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?$", s)
        if m and is_question(m.group(1)):
            return i
        if re.match(r"^(?:\*\*|__|\[__|\[\*\*)", s) and is_question(re.sub(r"[*_\[\]]|\(#[^)]*\)|\{[^}]*\}", "", s)):
            return i
        if QUESTION_LABEL_RE.match(s) or re.match(r"^(?:<details\b|<h[1-6]\b|\?\?\?\+? )", s, re.I):
            return i
    return None


def split_front_matter(lines: list[str], source: str, problems: list[Problem]) -> dict[str, Any]:
    """Read YAML (``---``) or TOML (``+++``) front matter at the top of ``lines``.

    The front matter lines are blanked in place, so line numbers stay right. A block that never
    closes, that holds markdown questions, or that is not a mapping is read as markdown with a
    warning: no question vanishes into metadata. Problems are appended to ``problems``; returns
    the front matter mapping (``{}`` when there is none or it does not parse).
    """
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].rstrip() not in ("---", "+++"):
        return {}
    opener = lines[i].rstrip()
    kind = "YAML" if opener == "---" else "TOML"
    close = re.compile(r"^(?:---|\.\.\.)[ \t]*$" if kind == "YAML" else r"^\+\+\+[ \t]*$")
    end = next((k for k in range(i + 1, len(lines)) if close.match(lines[k])), None)
    if end is None:
        problems.append(Problem(source, i + 1, "warning", "front-matter-unclosed",
                                f"file starts with {opener!r} but no closing {opener!r} line follows; read as "
                                f"markdown, not front matter (add a closing {opener!r} line)"))
        return {}
    q = _markdown_question_line(lines, i + 1, end)
    if q is not None:
        problems.append(Problem(source, i + 1, "warning", "front-matter-is-markdown",
                                f"{opener!r} on line {i + 1} and line {end + 1} enclose markdown (a question on "
                                f"line {q + 1}), so they are read as horizontal rules, not front matter"))
        return {}
    raw = "\n".join(lines[i + 1:end])
    data: Any
    try:
        data = load_yaml(raw) if kind == "YAML" else load_toml(raw)
    except (yaml.YAMLError, TOMLDecodeError) as exc:
        problems.append(parse_error_problem(exc, source, "front-matter-invalid", f"{kind} front matter",
                                            line_offset=i + 1, default_line=i + 1))
        data = {}
    if data is not None and not isinstance(data, dict):
        problems.append(Problem(source, i + 1, "warning", "front-matter-not-mapping",
                                f"the block between {opener!r} lines {i + 1} and {end + 1} is a "
                                f"{type(data).__name__}, not key: value front matter; read as markdown"))
        return {}
    if i:
        problems.append(Problem(source, i + 1, "warning", "front-matter-not-first",
                                "blank lines before the front matter (it still parsed; remove them)"))
    for k in range(i, end + 1):
        lines[k] = ""
    return data or {}
