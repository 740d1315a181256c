"""faq-assistant: parse FAQ markdown into a knowledge base and answer questions from it.

The names below are the public API. Coverage (``assistant.coverage``, which imports matplotlib)
and the widgets (``assistant.widgets``, which import ipywidgets) are imported from their modules.
"""

from .evaluation import evaluate, read_eval_csv
from .feedback import FeedbackStore
from .knowledge_base import KnowledgeBase, KnowledgeBaseError, default_kb_path
from .lint import lint_paths
from .parsing import FaqEntry, Problem, parse_file, parse_markdown
from .retrieval import Match, SearchResult, TfidfRetriever
from .simulator import Simulator

__all__ = [
    "FaqEntry",
    "FeedbackStore",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Match",
    "Problem",
    "SearchResult",
    "Simulator",
    "TfidfRetriever",
    "default_kb_path",
    "evaluate",
    "lint_paths",
    "parse_file",
    "parse_markdown",
    "read_eval_csv",
]
__version__ = "0.1.0"
