"""Lint findings in the formats docs CI reads: SARIF 2.1.0, GitHub workflow commands, JUnit XML.

Each function takes the problems to show (already filtered by severity and changed lines) and
returns the whole output as one string; none raises. Finding texts come from untrusted pages:
SARIF and JUnit escape them as JSON and XML do (control characters dropped from XML), GitHub
annotations escape ``%``, CR and LF in the message and also ``:`` and ``,`` in properties, as
GitHub documents for workflow commands.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from xml.etree import ElementTree as ET

from ..problems import Problem

__all__ = ["to_sarif", "to_github", "to_junit", "GITHUB_ANNOTATION_CAP", "SARIF_SCHEMA"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: GitHub shows at most this many error and this many warning annotations per step.
GITHUB_ANNOTATION_CAP = 10
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_ORDER = {"error": 0, "warning": 1, "info": 2}
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _version() -> str:
    from .. import __version__

    return __version__


def to_sarif(problems: Sequence[Problem]) -> str:
    """A SARIF 2.1.0 log (one run of tool ``faq-assistant``; one rule per finding code; levels
    ``error``, ``warning``, ``note`` for info) for GitHub code scanning and other SARIF readers.
    File names are written as given (relative paths, ``/`` separators)."""
    codes = sorted({p.code for p in problems})
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for p in problems:
        location = {"physicalLocation": {"artifactLocation": {"uri": p.file.replace("\\", "/")}}}
        if p.line:
            location["physicalLocation"]["region"] = {"startLine": int(p.line)}
        results.append({"ruleId": p.code, "ruleIndex": index[p.code], "level": _SARIF_LEVEL.get(p.severity, "warning"),
                        "message": {"text": p.message}, "locations": [location]})
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "faq-assistant", "version": _version(),
                                "informationUri": "https://pypi.org/project/faq-assistant/",
                                "rules": [{"id": c, "name": c, "shortDescription": {"text": f"faq-assistant lint: {c}"}}
                                          for c in codes]}},
            "results": results,
        }],
    }
    return json.dumps(log, ensure_ascii=False, indent=2)


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(problems: Sequence[Problem], cap: int = GITHUB_ANNOTATION_CAP) -> str:
    """GitHub Actions workflow commands: ``::error file=F,line=L,title=CODE::message`` (``::notice``
    for info), errors first. GitHub shows ``cap`` annotations of each kind per step; the findings
    past the cap are printed as plain ``file:line: severity: message [code]`` lines, and a last
    line says how many were not annotated."""
    ordered = sorted(problems, key=lambda p: _ORDER.get(p.severity, 3))
    shown: Counter[str] = Counter()
    lines, rest = [], []
    for p in ordered:
        kind = {"error": "error", "warning": "warning"}.get(p.severity, "notice")
        if shown[kind] >= cap:
            rest.append(p)
            continue
        shown[kind] += 1
        props = f"file={_gh_property(p.file)}"
        if p.line:
            props += f",line={int(p.line)}"
        props += f",title={_gh_property(p.code)}"
        lines.append(f"::{kind} {props}::{_gh_data(p.message)}")
    for p in rest:
        lines.append(_gh_data(str(p)))
    if rest:
        by = Counter(p.severity for p in rest)
        parts = ", ".join(f"{by[s]} {s}{'s' if by[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info") if by[s])
        lines.append(f"faq-assistant lint: {len(rest)} findings not annotated ({parts}): GitHub shows at most "
                     f"{cap} error and {cap} warning annotations per step; they are listed above as plain lines")
    return "\n".join(lines)


def to_junit(problems: Sequence[Problem], files: Sequence[str] = ()) -> str:
    """JUnit XML: one ``<testcase>`` per file (``classname`` = the file); a file with errors fails
    (``<failure>`` listing them), its warnings and info are in ``<system-out>``. ``files`` are
    extra file names (checked, no findings) to list as passing test cases."""
    by_file: dict[str, list[Problem]] = {f: [] for f in files}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    failures = sum(any(p.severity == "error" for p in ps) for ps in by_file.values())
    suites = ET.Element("testsuites", name="faq-assistant lint", tests=str(len(by_file)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name="faq-assistant lint", tests=str(len(by_file)),
                          failures=str(failures), errors="0", skipped="0")
    for f, ps in sorted(by_file.items()):
        case = ET.SubElement(suite, "testcase", classname=_xml(f), name=_xml(f"lint {f}"))
        errors = [p for p in ps if p.severity == "error"]
        others = [p for p in ps if p.severity != "error"]
        if errors:
            fail = ET.SubElement(case, "failure", type="lint", message=_xml(f"{len(errors)} lint error(s)"))
            fail.text = _xml("\n".join(str(p) for p in errors))
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = _xml("\n".join(str(p) for p in others))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _xml(text: str) -> str:
    return _XML_BAD.sub("\ufffd", text)
