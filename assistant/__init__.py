"""faq-assistant: parse FAQ markdown into a knowledge base and answer questions from it.

The names in ``__all__`` are the public API; each is imported from its module on first use
(PEP 562), so ``import assistant`` costs almost nothing and a script pays only for what it uses.
Subpackages with their own API are imported by name: ``assistant.coverage`` (ticket coverage,
plots), ``assistant.lint``, ``assistant.simulator`` (the SSO organization simulator),
``assistant.widgets`` (ipywidgets views). ``docs/architecture.md`` maps the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_HOMES = {
    "FaqEntry": "entries",
    "KnowledgeBase": "knowledge_base",
    "default_kb_path": "knowledge_base",
    "parse_file": "parsing",
    "parse_markdown": "parsing",
    "TfidfRetriever": "retrieval",
    "Match": "results",
    "SearchResult": "results",
    "evaluate": "evaluation",
    "read_eval_csv": "evaluation",
    "analyze_ticket": "replies",
    "build_reply": "replies",
    "clean_ticket": "tickets",
    "redact": "redaction",
    "FeedbackStore": "feedback",
    "lint_paths": "lint",
    "Settings": "config",
    "Problem": "problems",
    "FaqAssistantError": "problems",
    "KnowledgeBaseError": "problems",
    "TicketsError": "problems",
    "InputFileError": "problems",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .config import Settings
    from .entries import FaqEntry
    from .evaluation import evaluate, read_eval_csv
    from .feedback import FeedbackStore
    from .knowledge_base import KnowledgeBase, default_kb_path
    from .lint import lint_paths
    from .parsing import parse_file, parse_markdown
    from .problems import FaqAssistantError, InputFileError, KnowledgeBaseError, Problem, TicketsError
    from .redaction import redact
    from .replies import analyze_ticket, build_reply
    from .results import Match, SearchResult
    from .retrieval import TfidfRetriever
    from .tickets import clean_ticket
