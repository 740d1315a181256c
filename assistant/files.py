"""Reading input files the same way for every caller: UTF-8 text, YAML and TOML.

One policy for bytes that are not UTF-8 (:func:`decode`): a byte-order mark is dropped, invalid
bytes become U+FFFD and a ``not-utf8`` warning names the line, so nothing else in the file is lost.
Callers that cannot work with replaced text (an org or roster file) turn that warning into an
error themselves.

One YAML loader (:func:`load_yaml`, :func:`compose_yaml`): safe, only ``true``/``false`` are
booleans and dates stay strings, and values that expand past :data:`MAX_YAML_NODES` nodes or nest
past :data:`MAX_YAML_DEPTH` levels are refused. It reads with libyaml (PyYAML's ``CSafeLoader``,
about 5x faster on front matter) when PyYAML has it, and with the pure-Python ``SafeLoader``
otherwise, for text that the two read differently or that nests deep enough to crash libyaml, and
for text with an error (so errors keep the pure-Python loader's wording and lines): the same
values either way. One way to turn a YAML or TOML error into a :class:`~assistant.problems.Problem`
at the right line (:func:`parse_error_problem`).
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


#: The same loader on libyaml (``None`` when PyYAML was built without it).
_FaqCYamlLoader: type | None = (
    type("_FaqCYamlLoader", (yaml.CSafeLoader,), {"__doc__": _FaqYamlLoader.__doc__})
    if getattr(yaml, "__with_libyaml__", False) else None)

_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
for _loader in (_FaqYamlLoader, _FaqCYamlLoader):
    if _loader is None:
        continue
    _loader.yaml_implicit_resolvers = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    for _ch in "tTfF":
        _loader.yaml_implicit_resolvers.setdefault(_ch, []).append(("tag:yaml.org,2002:bool", _BOOL_RE))

#: A line whose indentation and block indicators (``- ``, ``? ``, ``: ``, after an optional ``---``)
#: run past 64 columns. Without one, block nesting stays under 2 * 64 + 2 levels (each level needs
#: a deeper column or an indicator), which with :data:`MAX_YAML_DEPTH` levels of flow nesting is
#: far inside what libyaml's recursive composer survives (``"- " * 100_000`` crashes the process).
_DEEP_BLOCK_RE = re.compile(r"^(?:---(?=[ \t]|$))?(?:[ \t]|[-?:](?=[ \t]|$)){65}", re.M)
#: What libyaml reads otherwise than the pure-Python loader: tabs (allowed in plain scalars by
#: libyaml only), NEL and Unicode line breaks (line breaks to one, not the other), byte-order
#: marks inside the text, block scalar headers followed by ``#`` without a space, and the
#: non-specific tag ``!`` on its own (``a: !`` is null to one, ``''`` to the other).
_LIBYAML_DIFFERS_RE = re.compile(r"[\t\x85\u2028\u2029\ufeff]|[|>][-+0-9]*#|(?<![^\s\[{,])!(?![^\s\]},])")


def _uses_libyaml(text: str) -> bool:
    """Whether ``text`` is read with libyaml: there is one, and the text has nothing that libyaml
    reads otherwise than the pure-Python loader (above; also ``?`` with a flow collection, which
    ends a plain scalar inside ``[...]`` for the pure-Python loader only) or that nests deep
    enough to crash it."""
    return (_FaqCYamlLoader is not None and not _LIBYAML_DIFFERS_RE.search(text)
            and not ("?" in text and ("[" in text or "{" in text)) and not _DEEP_BLOCK_RE.search(text))


def _read(text: str, construct: bool) -> Any:
    """The node tree (``construct`` false) or the value of ``text``: with libyaml when
    :func:`_uses_libyaml`, except that a text libyaml finds an error in is read again with the
    pure-Python loader, so that errors are worded and placed as they always were."""
    if _uses_libyaml(text):
        try:
            return _read_with(_FaqCYamlLoader, text, construct)
        except yaml.YAMLError:
            pass  # rare: the pure-Python loader below raises its own error
    return _read_with(_FaqYamlLoader, text, construct)


def _read_with(loader_class: Any, text: str, construct: bool) -> Any:
    """:func:`_read` with one loader class; raises ``yaml.YAMLError`` (:class:`YamlTooLargeError`)."""
    loader = loader_class(text)
    try:
        node = _compose(loader, text)
        if not construct or node is None:
            return node
        try:
            return loader.construct_document(node)
        except RecursionError:
            raise YamlTooLargeError("the value nests too deeply: refused") from None
    finally:
        loader.dispose()


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
    if "[" not in text and "{" not in text:  # most front matter: no character to walk
        return 0, 1
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


def _compose(loader: yaml.SafeLoader, text: str) -> yaml.Node | None:
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
    return _read(text, construct=False)


def load_yaml(text: str) -> Any:
    """Load YAML safely; only ``true``/``false`` are booleans and dates stay strings.

    Raises ``yaml.YAMLError``; :class:`YamlTooLargeError` when aliases would expand the value past
    :data:`MAX_YAML_NODES` nodes or it nests past :data:`MAX_YAML_DEPTH` levels.
    """
    return _read(text, construct=True)


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
