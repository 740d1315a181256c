"""Parser overrides: a page's front matter ``faq:`` and per-folder ``.faq.yaml`` files.

Both hold ``question_headings`` (one of :data:`QUESTION_HEADING_MODES`) and ``question_level``
(1-6); a ``.faq.yaml`` may also target pages by pattern under ``files:`` (:class:`FolderSettings`).
A bad value is a ``settings-invalid``/``settings-unknown-key`` problem naming the file, line and
field, and the valid part still applies.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import yaml

from ..files import compose_yaml, load_yaml, parse_error_problem, read_text
from ..problems import Problem

__all__ = ["QUESTION_HEADING_MODES", "FolderSettings", "page_settings"]

#: Values of the ``question_headings`` override.
QUESTION_HEADING_MODES = ("auto", "all", "marked", "none")


def _check_settings(raw: Any, where: str, lines: int | dict[str, int] | None, what: str, problems: list[Problem],
                    extra_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Validate an override mapping (``question_headings``, ``question_level``); keep the valid part.

    ``raw`` is the override value (a mapping; ``true``/``false`` in front matter); ``where`` the
    file named in problems; ``lines`` the 1-based line of the mapping, or of each key (a dict;
    key ``""``: the line of the mapping itself); ``what`` names the mapping in messages. Problems
    are appended to ``problems``; returns the valid settings.
    """
    key_lines = lines if isinstance(lines, dict) else {}
    line = lines.get("") if isinstance(lines, dict) else lines
    if isinstance(raw, bool):  # front matter `faq: true|false`
        return {"question_headings": "all" if raw else "marked"}
    if not isinstance(raw, dict):
        problems.append(Problem(where, line, "warning", "settings-invalid",
                                f"{what} must be a mapping with keys question_headings "
                                f"({'|'.join(QUESTION_HEADING_MODES)}) and question_level (1-6), "
                                f"not a {type(raw).__name__}"))
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        line = key_lines.get(str(key), line)
        if key == "question_headings":
            if isinstance(value, str) and value.strip().lower() in QUESTION_HEADING_MODES:
                out[key] = value.strip().lower()
            else:
                problems.append(Problem(where, line, "error", "settings-invalid",
                                        f"{what}.question_headings must be one of "
                                        f"{', '.join(QUESTION_HEADING_MODES)} (got {value!r})"))
        elif key == "question_level":
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 6:
                out[key] = value
            else:
                problems.append(Problem(where, line, "error", "settings-invalid",
                                        f"{what}.question_level must be a heading level from 1 to 6 (got {value!r})"))
        elif key not in extra_keys:
            problems.append(Problem(where, line, "warning", "settings-unknown-key",
                                    f"{what}: unknown key {key!r} (known: question_headings, question_level"
                                    f"{''.join(', ' + k for k in extra_keys)})"))
    return out


class FolderSettings:
    """Per-folder parser overrides from ``.faq.yaml`` files under a knowledge-base root.

    A ``.faq.yaml`` applies to every page in its folder and below; a deeper file overrides a
    shallower one, and a page's own front matter ``faq:`` overrides both::

        question_headings: marked        # auto | all | marked | none
        question_level: 3                # 1-6
        files:                           # fnmatch patterns, relative to this folder
          troubleshooting.md: {question_headings: all}
          "legacy/*.md": {question_headings: none}

    Parameters
    ----------
    root : str or Path
        The knowledge-base folder; ``.faq.yaml`` files above it are not read.

    Problems in the ``.faq.yaml`` files (unreadable, bad YAML, unknown keys, bad values) are
    collected once in :attr:`problems`; the valid part of the file still applies, and bytes that
    are not UTF-8 are replaced with a ``not-utf8`` warning (:func:`assistant.files.decode`).
    """

    FILENAME = ".faq.yaml"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.problems: list[Problem] = []
        self._cache: dict[Path, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]] | None] = {}

    def _load(self, folder: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]] | None:
        """``folder``'s ``.faq.yaml`` as (its settings, [(file pattern, settings)]), read once; None without one."""
        if folder in self._cache:
            return self._cache[folder]
        path = folder / self.FILENAME
        result = None
        if path.is_file():
            rel = path.relative_to(self.root).as_posix()
            text, data = "", {}
            try:
                text, decode_problems = read_text(path, rel)
                self.problems.extend(decode_problems)
                data = load_yaml(text) or {}
            except (OSError, yaml.YAMLError) as exc:
                self.problems.append(parse_error_problem(exc, rel, "settings-invalid", "folder settings file"))
            lines = _yaml_key_lines(text)
            settings = _check_settings(data, rel, lines.get("", {}), "folder settings", self.problems,
                                       extra_keys=("files",))
            files: list[tuple[str, dict[str, Any]]] = []
            raw_files = data.get("files") if isinstance(data, dict) else None
            if raw_files is not None and not isinstance(raw_files, dict):
                self.problems.append(Problem(rel, lines.get("", {}).get("files"), "error", "settings-invalid",
                                             "folder settings: files must map a file pattern to settings"))
            elif raw_files:
                for pattern, value in raw_files.items():
                    files.append((str(pattern), _check_settings(value, rel, lines.get(str(pattern), {}),
                                                                f"files[{pattern!r}]", self.problems)))
            result = (settings, files)
        self._cache[folder] = result
        return result

    def for_file(self, path: str | Path) -> dict[str, Any]:
        """The merged settings for one page under the root (``{}`` when no ``.faq.yaml`` applies)."""
        path = Path(path)
        try:
            parts = path.parent.relative_to(self.root).parts
        except ValueError:
            return {}
        merged: dict[str, Any] = {}
        folder = self.root
        for i in range(len(parts) + 1):
            if i:
                folder = folder / parts[i - 1]
            cfg = self._load(folder)
            if cfg is None:
                continue
            merged.update(cfg[0])
            rel = path.relative_to(folder).as_posix()
            for pattern, settings in cfg[1]:
                if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(path.name, pattern):
                    merged.update(settings)
        return merged


def _yaml_key_lines(text: str) -> dict[str, dict[str, int]]:
    """1-based lines of a settings file's keys: ``{"": top-level keys, pattern: keys under files[pattern]}``.

    A pattern whose settings are not a mapping gets ``{"": its line}``.
    """
    try:
        node = compose_yaml(text)
    except yaml.YAMLError:
        return {}
    out: dict[str, dict[str, int]] = {"": {}}
    if not isinstance(node, yaml.MappingNode):
        return out
    for key, value in node.value:
        out[""][str(key.value)] = key.start_mark.line + 1
        if key.value == "files" and isinstance(value, yaml.MappingNode):
            for pattern, settings in value.value:
                keys = ({str(k.value): k.start_mark.line + 1 for k, _ in settings.value}
                        if isinstance(settings, yaml.MappingNode) else {})
                out[str(pattern.value)] = keys or {"": pattern.start_mark.line + 1}
    return out


def page_settings(settings: dict[str, Any] | None, front_matter: dict[str, Any], source: str,
                  raw_lines: list[str], problems: list[Problem]) -> dict[str, Any]:
    """One page's overrides: the folder ``settings`` (from :meth:`FolderSettings.for_file`), then its
    front matter ``faq:`` (found on the first ``faq:`` line of ``raw_lines``) over them."""
    opts = _check_settings(settings, source, None, "settings", problems) if settings else {}
    if "faq" in front_matter:
        line = next((i + 1 for i, text in enumerate(raw_lines[:500]) if re.match(r"faq\s*[:=]", text)), 1)
        opts.update(_check_settings(front_matter["faq"], source, line, "front matter 'faq'", problems))
    return opts
