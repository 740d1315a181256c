"""Reading input files the same way for every caller: UTF-8 text, YAML and TOML.

One policy for bytes that are not UTF-8 (:func:`decode`): a byte-order mark is dropped, invalid
bytes become U+FFFD and a ``not-utf8`` warning names the line, so nothing else in the file is lost.
Callers that cannot work with replaced text (an org or roster file) turn that warning into an
error themselves.

One YAML loader (:func:`load_yaml`, :func:`compose_yaml`): safe, only ``true``/``false`` are
booleans and dates stay strings, and values that expand past :data:`MAX_YAML_NODES` nodes or nest
past :data:`MAX_YAML_DEPTH` levels are refused. One way to turn a YAML or TOML error into a
:class:`~assistant.problems.Problem` at the right line (:func:`parse_error_problem`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from .problems import Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "decode", "read_text", "load_yaml", "compose_yaml", "load_toml", "parse_error_problem", "error_line",
    "YamlTooLargeError", "TOMLDecodeError", "MAX_YAML_NODES", "MAX_YAML_DEPTH", "shown_path",
]

TOMLDecodeError = tomllib.TOMLDecodeError

#: A YAML value that would expand to more nodes than this is refused: nested aliases (``*name``)
#: expand exponentially ("billion laughs") and hang whoever walks the value.
MAX_YAML_NODES = 100_000

#: A YAML or TOML value nested deeper than this is refused (``[[[[...]]]]``): no FAQ file needs it,
#: and the parsers recurse once per level.
MAX_YAML_DEPTH = 100


def shown_path(path: str | Path) -> str:
    """``path`` as text that is always printable: bytes of a non-UTF-8 file name become ``\\xNN``.

    File names come from the file system as str with lone surrogates (PEP 383); printing or
    encoding those raises ``UnicodeEncodeError``.
    """
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def decode(data: bytes, file: str) -> tuple[str, list[Problem]]:
    """Decode ``data`` as UTF-8 (a leading BOM dropped).

    Returns ``(text, problems)``: bytes that are not UTF-8 are replaced with U+FFFD and one
    ``not-utf8`` warning names the line of the first such byte; ``problems`` is empty otherwise.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem = Problem(file, line, "warning", "not-utf8",
                          f"byte {data[exc.start]:#04x} is not UTF-8; replaced with U+FFFD (save the file as UTF-8)")
        return data.decode("utf-8", errors="replace"), [problem]


def read_text(path: str | Path, file: str | None = None) -> tuple[str, list[Problem]]:
    """Read a text file with :func:`decode`'s policy.

    ``file`` is how the path is shown in problems (default: the path). Raises ``OSError`` when
    the file cannot be read.
    """
    return decode(Path(path).read_bytes(), file if file is not None else shown_path(path))


# --- YAML that keeps what the author wrote --------------------------------------------------


class _FaqYamlLoader(yaml.SafeLoader):
    """Safe YAML loader where only ``true``/``false`` are booleans and dates stay strings.

    YAML 1.1 turns ``NO``, ``yes``, ``on`` into booleans and ``2024-01-01`` into a date;
    FAQ authors mean the strings they wrote (``region: NO`` is Norway).
    """


_FaqYamlLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
for _ch in "tTfF":
    _FaqYamlLoader.yaml_implicit_resolvers.setdefault(_ch, []).append(("tag:yaml.org,2002:bool", _BOOL_RE))


class YamlTooLargeError(yaml.YAMLError):
    """A YAML text whose value expands past :data:`MAX_YAML_NODES` nodes or nests past :data:`MAX_YAML_DEPTH`."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.problem = message
        self.problem_mark = yaml.Mark("", 0, line - 1, 0, None, None) if line else None


_OPENERS = {"[": "]", "{": "}"}


def _flow_depth(text: str) -> tuple[int, int]:
    """Deepest nesting of ``[``/``{`` outside quotes and comments, and the 1-based line where it is reached.

    A cheap guard run before the parser, whose composer recurses once per level.
    """
    depth = best = 0
    best_line = line = 1
    quote = ""
    prev = "\n"
    for ch in text:
        if ch == "\n":
            line += 1
            if quote == "#":
                quote = ""
        elif quote:
            if ch == quote and quote != "#":
                quote = ""
        elif ch in "\"'" and (prev in " \t\n[{,:" ):
            quote = ch
        elif ch == "#" and prev in " \t\n":
            quote = "#"
        elif ch in "[{":
            depth += 1
            if depth > best:
                best, best_line = depth, line
        elif ch in "]}" and depth:
            depth -= 1
        prev = ch
    return best, best_line


def _check_depth(text: str) -> None:
    depth, line = _flow_depth(text)
    if depth > MAX_YAML_DEPTH:
        raise YamlTooLargeError(f"the value nests more than {MAX_YAML_DEPTH} levels deep: refused", line)


def _expanded_size(node: yaml.Node, memo: dict[int, int], level: int = 0) -> int:
    key = id(node)
    if level > MAX_YAML_DEPTH:
        raise YamlTooLargeError(f"the value nests more than {MAX_YAML_DEPTH} levels deep: refused",
                                node.start_mark.line + 1)
    if key not in memo:
        memo[key] = 1  # a cycle counts once
        if isinstance(node, yaml.SequenceNode):
            memo[key] += sum(_expanded_size(c, memo, level + 1) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            memo[key] += sum(_expanded_size(k, memo, level + 1) + _expanded_size(v, memo, level + 1)
                             for k, v in node.value)
        if memo[key] > MAX_YAML_NODES:
            line = node.start_mark.line + 1
            raise YamlTooLargeError(f"the value at line {line} expands to more than {MAX_YAML_NODES:,} items "
                                    "(aliases nested in aliases?): refused; write the values out", line)
    return memo[key]


def _compose(loader: _FaqYamlLoader, text: str) -> yaml.Node | None:
    """The single document's node tree, within :data:`MAX_YAML_DEPTH` and :data:`MAX_YAML_NODES`."""
    _check_depth(text)
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise YamlTooLargeError("the value nests too deeply: refused") from None
    if node is not None:
        _expanded_size(node, {})
    return node


def compose_yaml(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text`` (for the line of each key), with :func:`load_yaml`'s limits.

    Raises ``yaml.YAMLError`` (:class:`YamlTooLargeError` past the limits).
    """
    loader = _FaqYamlLoader(text)
    try:
        return _compose(loader, text)
    finally:
        loader.dispose()


def load_yaml(text: str) -> Any:
    """Load YAML safely; only ``true``/``false`` are booleans and dates stay strings.

    Raises ``yaml.YAMLError``; :class:`YamlTooLargeError` when aliases would expand the value past
    :data:`MAX_YAML_NODES` nodes or it nests past :data:`MAX_YAML_DEPTH` levels.
    """
    loader = _FaqYamlLoader(text)
    try:
        node = _compose(loader, text)
        if node is None:
            return None
        try:
            return loader.construct_document(node)
        except RecursionError:
            raise YamlTooLargeError("the value nests too deeply: refused") from None
    finally:
        loader.dispose()


def load_toml(text: str) -> dict[str, Any]:
    """Load TOML (``tomllib``); raises :data:`TOMLDecodeError`, also for values nested past :data:`MAX_YAML_DEPTH`."""
    depth, _ = _flow_depth(text)
    if depth > MAX_YAML_DEPTH:
        raise TOMLDecodeError(f"the value nests more than {MAX_YAML_DEPTH} levels deep: refused")
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise TOMLDecodeError("the value nests too deeply: refused") from None


_TOML_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")


def error_line(exc: Exception) -> int | None:
    """1-based line a YAML or TOML parse error points at, ``None`` when it names none."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return mark.line + 1
    lineno = getattr(exc, "lineno", None)  # tomllib >= 3.14
    if isinstance(lineno, int):
        return lineno
    m = _TOML_LINE_RE.search(str(exc))  # tomllib before 3.14 only says it in the message
    return int(m.group(1)) if m else None


def _error_detail(exc: Exception) -> str:
    detail = getattr(exc, "problem", None)
    if detail:
        return str(detail)
    return _TOML_LINE_RE.sub("", str(exc).splitlines()[0] if str(exc) else type(exc).__name__).strip()


def parse_error_problem(exc: Exception, file: str, code: str, what: str, *, line_offset: int = 0,
                        default_line: int | None = None, severity: str = "error") -> Problem:
    """A YAML/TOML parse error (or ``OSError``) as a :class:`Problem`.

    ``what`` names the text ("YAML front matter", "alternate questions file"); ``line_offset`` is
    added to the error's 1-based line when the text starts inside a larger file (front matter
    after the opening ``---`` line); ``default_line`` is used when the error names no line.
    """
    if isinstance(exc, OSError):
        return Problem(file, None, severity, code, f"cannot read {what}: {exc.strerror or exc}")
    line = error_line(exc)
    line = line + line_offset if line is not None else default_line
    return Problem(file, line, severity, code, f"{what} does not parse: {_error_detail(exc)}")
