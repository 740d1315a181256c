"""The doc maintainers' feedback loop: accepted queries -> suggested alternate questions; feedback -> an eval file.

From the :class:`~assistant.feedback.FeedbackStore`:

* :func:`suggest_alternates`: a query that staff accepted for an entry at least ``min_accepts``
  times (default :data:`MIN_ACCEPTS` = 2), more often than they dismissed it for that entry, and
  that is not already one of the entry's phrasings, is a suggested alternate question of that
  entry. Queries are compared ignoring case and spacing.
* :func:`alternates_changes`: those suggestions as edits of each page's ``*.alternates.yaml``
  (the new text and a unified diff), for a maintainer to review; :func:`write_alternates` writes
  them only when asked. Nothing is applied silently.
* :func:`export_eval`: the team's own verdicts as an eval CSV (``query``, ``expected``, ``kind``)
  that ``faq-assistant eval`` reads: a query with accepted entries expects their questions
  (``kind`` ``feedback``); a query whose every suggestion was dismissed expects no answer
  (``kind`` ``out_of_scope``). Every query is redacted again on the way out.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .knowledge_base import ALTERNATES_SUFFIXES, KnowledgeBase
from .redaction import redact

__all__ = ["suggest_alternates", "alternates_changes", "write_alternates", "export_eval", "AlternatesChange",
           "MIN_ACCEPTS", "SUGGESTION_COLUMNS"]

#: Accepts a (query, entry) pair needs before it is suggested as an alternate question.
MIN_ACCEPTS = 2
#: Columns of :func:`suggest_alternates`.
SUGGESTION_COLUMNS = ["entry_id", "question", "source", "query", "accepted", "dismissed"]

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", str(text)).strip().casefold()


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", redact(str(text))).strip()


def _frame(feedback: Any) -> pd.DataFrame:
    """The store's rows (a FeedbackStore or its ``to_frame()``)."""
    return feedback if isinstance(feedback, pd.DataFrame) else feedback.to_frame()


def suggest_alternates(feedback: Any, kb: KnowledgeBase, min_accepts: int = MIN_ACCEPTS) -> pd.DataFrame:
    """Suggested alternate questions: DataFrame with :data:`SUGGESTION_COLUMNS`, most accepted first.

    ``feedback`` is a :class:`~assistant.feedback.FeedbackStore` or its ``to_frame()``; entries no
    longer in ``kb`` are left out. ``query`` is the redacted query as most often written.
    Raises ``ValueError`` when ``min_accepts`` is below 1.
    """
    if min_accepts < 1:
        raise ValueError(f"min_accepts must be at least 1, got {min_accepts}")
    rows = _frame(feedback)
    if not len(rows):
        return pd.DataFrame(columns=SUGGESTION_COLUMNS)
    rows = rows.assign(key=rows["query"].map(_norm))
    out = []
    for (entry_id, key), group in rows.groupby(["entry_id", "key"], sort=False):
        entry = kb.get(entry_id)
        if entry is None or not key:
            continue
        accepted = int((group["verdict"] == "accepted").sum())
        dismissed = int((group["verdict"] == "dismissed").sum())
        if accepted < min_accepts or accepted <= dismissed:
            continue
        known = {_norm(entry.question), *(_norm(a) for a in entry.alternate_questions)}
        if key in known:
            continue
        written = group.loc[group["verdict"] == "accepted", "query"].map(_one_line).value_counts().index[0]
        out.append((entry.id, entry.question, entry.source, written, accepted, dismissed))
    frame = pd.DataFrame(out, columns=SUGGESTION_COLUMNS)
    return frame.sort_values(["accepted", "entry_id", "query"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


@dataclass
class AlternatesChange:
    """One page's alternates file before and after the suggestions: ``path``, ``old`` ("" when new), ``new``, ``diff``."""

    path: Path
    old: str
    new: str
    diff: str


def _alternates_path(kb: KnowledgeBase, source: str) -> Path:
    page = Path(kb.root) / source if kb.root is not None else Path(source)
    for suffix in ALTERNATES_SUFFIXES:
        existing = page.with_name(page.name[: -len(page.suffix)] + suffix)
        if existing.is_file():
            return existing
    return page.with_name(page.name[: -len(page.suffix)] + ALTERNATES_SUFFIXES[0])


def alternates_changes(suggestions: pd.DataFrame, kb: KnowledgeBase) -> list[AlternatesChange]:
    """The edits that would add ``suggestions`` to each page's ``*.alternates.yaml`` (nothing written).

    New questions are appended as ``"question": ["phrasing", ...]`` blocks (JSON-quoted, valid
    YAML), keeping the file's text and comments; a question already in the file gets its list
    rewritten with the phrasings added (that one mapping is re-dumped).
    """
    import yaml

    changes = []
    for source, group in suggestions.groupby("source", sort=True):
        path = _alternates_path(kb, source)
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        data = yaml.safe_load(old) if old.strip() else {}
        data = data if isinstance(data, dict) else {}
        new = old if not old or old.endswith("\n") else old + "\n"
        rewrite = False
        for question, rows in group.groupby("question", sort=False):
            phrasings = list(dict.fromkeys(rows["query"]))
            if question in data:
                current = data[question] if isinstance(data[question], list) else [data[question]]
                data[question] = current + [p for p in phrasings if p not in current]
                rewrite = True
            else:
                data[question] = phrasings
                new += f"{json.dumps(question, ensure_ascii=False)}:\n"
                new += "".join(f"  - {json.dumps(p, ensure_ascii=False)}\n" for p in phrasings)
        if rewrite:
            new = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        if new == old:
            continue
        shown = path.relative_to(kb.root).as_posix() if kb.root is not None else str(path)
        diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                            fromfile=f"a/{shown}" if old else "/dev/null", tofile=f"b/{shown}"))
        changes.append(AlternatesChange(path, old, new, diff))
    return changes


def write_alternates(changes: list[AlternatesChange]) -> list[Path]:
    """Write each change's new text; returns the paths written."""
    for change in changes:
        change.path.write_text(change.new, encoding="utf-8")
    return [c.path for c in changes]


def export_eval(feedback: Any, kb: KnowledgeBase, path: str | Path | None = None) -> str:
    """The feedback as eval CSV text (``query,expected,kind``; see the module docstring); also written to ``path``.

    Entries no longer in ``kb`` are left out; a query with both accepted and dismissed verdicts
    expects its accepted entries. Returns the CSV text.
    """
    rows = _frame(feedback)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["query", "expected", "kind"])
    if len(rows):
        rows = rows.assign(key=rows["query"].map(_norm))
        for key, group in rows.groupby("key", sort=True):
            if not key:
                continue
            query = group["query"].map(_one_line).value_counts().index[0]
            accepted = [kb.get(i) for i in dict.fromkeys(group.loc[group["verdict"] == "accepted", "entry_id"])]
            accepted = [e for e in accepted if e is not None]
            if accepted:
                writer.writerow([query, " || ".join(e.question for e in accepted), "feedback"])
            elif (group["verdict"] == "dismissed").all() and any(kb.get(i) for i in group["entry_id"]):
                writer.writerow([query, "", "out_of_scope"])
    text = buf.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
