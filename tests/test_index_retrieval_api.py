"""Issue 17 (retrieval API): bad arguments are clear errors naming the argument, never a raw TypeError or a wrong answer."""

from __future__ import annotations

import math

import pytest

from assistant import TfidfRetriever
from assistant.cli import MAX_TOP_K, main


@pytest.mark.parametrize("query", [b"enforce sso", ["enforce", "sso"], 3, None])
def test_a_query_that_is_not_text_is_a_type_error(retriever, query):
    with pytest.raises(TypeError, match=rf"query must be a str, got {type(query).__name__}"):
        retriever.search(query)


def test_an_empty_query_is_still_reported_as_empty(retriever):
    with pytest.raises(ValueError, match="query is empty"):
        retriever.search("  \n")


@pytest.mark.parametrize("top_k", [None, "3", 2.5, math.nan, True])
def test_top_k_that_is_not_a_whole_number_names_top_k(retriever, top_k):
    with pytest.raises(TypeError, match="top_k must be a whole number"):
        retriever.search("enforce sso", top_k=top_k)


def test_top_k_below_one_and_numpy_ints(retriever):
    import numpy as np

    with pytest.raises(ValueError, match="top_k must be at least 1, got 0"):
        retriever.search("enforce sso", top_k=0)
    assert len(retriever.search("enforce sso", top_k=np.int64(2)).matches) == 2
    assert len(retriever.search("enforce sso", top_k=10**9).matches) == len(retriever.entries_)


def test_fit_on_a_path_says_to_load_it(tmp_path):
    with pytest.raises(TypeError, match=r"kb must be a KnowledgeBase, got str: load it first, KnowledgeBase.load\('kb'\)"):
        TfidfRetriever().fit("kb")
    with pytest.raises(TypeError, match="kb must be a KnowledgeBase, got PosixPath"):
        TfidfRetriever().fit(tmp_path)


@pytest.mark.parametrize("alternates", [[None], [3], None, 3, ["ok", b"bytes"]])
def test_alternates_that_are_not_strings_are_refused(kb, alternates):
    entry_id = kb.entries[0].id
    with pytest.raises(TypeError, match=rf"alternates\[{entry_id!r}\] must be a list of str"):
        TfidfRetriever().fit(kb, alternates={entry_id: alternates})


@pytest.mark.parametrize("threshold", [math.nan, -0.1, 1.5, "0.2", None])
def test_threshold_must_be_a_score(kb, threshold):
    with pytest.raises(ValueError, match="threshold must be a score between 0 and 1"):
        TfidfRetriever(threshold=threshold).fit(kb)


def test_min_margin_nan_is_refused(kb):
    with pytest.raises(ValueError, match="min_margin must be a number between 0 and 1, got nan"):
        TfidfRetriever(min_margin=math.nan).fit(kb)


def test_confidence_of_nan_is_an_error_not_one(retriever):
    with pytest.raises(ValueError, match="score must be a number, got nan"):
        retriever.confidence(math.nan)
    assert retriever.confidence(0.0) == 0.0 and retriever.confidence(1.0) == 1.0
    assert retriever.confidence(retriever.threshold) == pytest.approx(0.5)


def test_cli_top_k_has_a_ceiling(capsys):
    assert main(["ask", "Can I enforce SSO?", "-k", "1000000000"]) == 2
    assert f"-k must be between 1 and {MAX_TOP_K:,}, got 1,000,000,000" in capsys.readouterr().err
    assert main(["ask", "Can I enforce SSO?", "-k", "0"]) == 2
    assert main(["ask", "Can I enforce SSO?", "-k", str(MAX_TOP_K), "--json"]) == 0
