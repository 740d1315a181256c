"""faq-assistant: parse FAQ markdown into a knowledge base and answer questions from it."""

from .knowledge_base import KnowledgeBase, KnowledgeBaseError, default_kb_path
from .parsing import FaqEntry, Problem, parse_file, parse_markdown
from .retrieval import Match, SearchResult, TfidfRetriever

__all__ = [
    "FaqEntry",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Match",
    "Problem",
    "SearchResult",
    "TfidfRetriever",
    "default_kb_path",
    "parse_file",
    "parse_markdown",
]
__version__ = "0.1.0"
