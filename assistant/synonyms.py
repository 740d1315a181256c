"""Synonym groups: the knowledge base's own ``synonyms.yaml`` (concept -> words and phrases).

Read by the retriever (one concept term per group) and checked by the lint.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .files import error_line, load_yaml, read_text, shown_path
from .problems import InputFileError

__all__ = ["SYNONYMS_FILE", "load_synonyms"]

#: The synonym file's name at a knowledge base's root.
SYNONYMS_FILE = "synonyms.yaml"


def load_synonyms(path: str | Path) -> dict[str, list[str]]:
    """Read a synonym file: a YAML mapping of concept -> list of words and phrases.

    ``sso: [single sign-on, saml]`` makes ``sso``, ``single sign-on`` and ``saml`` one concept.
    Returns ``{concept: [phrases]}``.

    Raises
    ------
    InputFileError
        A ``ValueError`` naming the file (and line) when the YAML does not parse, is not a mapping, or a
        group is not a list of strings.
    OSError
        When the file cannot be read.
    """
    path = Path(path)
    shown = shown_path(path)
    text, problems = read_text(path, shown)
    if problems:
        raise InputFileError(problems[0].message, file=shown, line=problems[0].line)
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise InputFileError(f"synonym file does not parse as YAML: {getattr(exc, 'problem', None) or exc}",
                             file=shown, line=error_line(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputFileError(f"synonym file must map a concept to a list of synonyms, "
                         f"got a {type(data).__name__}", file=shown)
    groups: dict[str, list[str]] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            raise InputFileError(f"synonym group {key!r} must be a list of words or phrases "
                             f"(e.g. {key}: [first synonym, second synonym])", file=shown)
        groups[str(key)] = [str(v) for v in value]
    return groups
