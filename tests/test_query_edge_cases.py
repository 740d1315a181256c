"""Odd queries against the retriever: a clear result, no crash, bounded time (issue 7, retrieval side).

The time bound is a hang guard (a 1 MB query must not take minutes), not a speed claim.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest

from assistant import KnowledgeBase, SearchResult, TfidfRetriever

FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"
HANG_GUARD_SECONDS = 10.0

QUERIES = {
    "stop words only": "the of and to a is it what how",
    "one-letter tokens": "a b c d e f g h",
    "1 MB of words": ("how do I pay by invoice for my team " * 30_000)[:1_000_000],
    "1 MB one token": "x" * 1_000_000,
    "Chinese": "如何避免自动加载",
    "Cyrillic": "Как включить единый вход?",
    "Arabic": "كيف أعيد تعيين كلمة المرور؟",
    "emoji": "🙂🚀",
    "punctuation": "?!…—",
}


@pytest.fixture(scope="module")
def formats_retriever() -> TfidfRetriever:
    return TfidfRetriever().fit(KnowledgeBase.load(FORMATS))


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_odd_queries_give_a_result_quickly(formats_retriever, name):
    start = time.perf_counter()
    result = formats_retriever.search(QUERIES[name], top_k=3)
    assert time.perf_counter() - start < HANG_GUARD_SECONDS
    assert isinstance(result, SearchResult) and len(result.matches) <= 3
    if name in ("stop words only", "one-letter tokens", "1 MB one token", "emoji", "punctuation"):
        assert result.abstained


@pytest.mark.parametrize("query", ["", "   \n\t"])
def test_empty_queries_are_a_clear_error(formats_retriever, query):
    with pytest.raises(ValueError, match="empty"):
        formats_retriever.search(query)


def test_nfc_and_nfd_queries_score_the_same(formats_retriever):
    query = "Can I pay by invoice? café"
    nfc = formats_retriever.search(unicodedata.normalize("NFC", query), top_k=3)
    nfd = formats_retriever.search(unicodedata.normalize("NFD", query), top_k=3)
    assert [(m.entry.id, round(m.score, 6)) for m in nfc.matches] == [(m.entry.id, round(m.score, 6)) for m in nfd.matches]
    assert nfc.best.entry.question == "Can I pay by invoice?"


def test_a_knowledge_base_in_another_script_answers_in_that_script(formats_retriever):
    result = formats_retriever.search("如何避免自动加载 JtaTransactionManager", top_k=1)
    assert result.best.entry.question == "[JDBC] 如何避免自动加载 JtaTransactionManager？"


def test_text_without_spaces_is_read_as_character_pairs():
    from assistant.analysis import tokens

    assert tokens("分布式主键") == ["分布", "布式", "式主", "主键"]
    assert tokens("ollama的api 键") == ["ollama", "的", "api", "键"]
    assert tokens("日本語テキスト") == ["日本", "本語", "語テ", "テキ", "キス", "スト"]
    assert tokens("Café déjà-vu") == ["cafe", "deja", "vu"]  # spaced scripts are unchanged


def test_a_chinese_question_worded_differently_finds_the_chinese_entry(tmp_path):
    """Shares words, not whole runs: a run of Han characters used to be one token, so it matched nothing."""
    (tmp_path / "faq.md").write_text(
        "# FAQ\n\n## 为什么自定义的分布式主键不生效？\n\n检查 type 的配置。\n\n"
        "## 如何连接数据库？\n\n使用 JDBC 驱动。\n", encoding="utf-8")
    retriever = TfidfRetriever().fit(KnowledgeBase.load(tmp_path))
    result = retriever.search("我配置了分布式主键，但是主键不生效", top_k=2)
    assert result.best.entry.question == "为什么自定义的分布式主键不生效？"
    assert result.best.score > 2 * result.matches[1].score
