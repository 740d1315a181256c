"""Reading a knowledge base's texts into block features (assistant.features): in this process or in workers alike."""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import pytest

from assistant import KnowledgeBase, TfidfRetriever
from assistant.analysis import Analyzer
from assistant import features as F
from assistant.features import KINDS, fit_block, read_texts, text_features

fork_only = pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")

TEXTS = ["How do I turn on single sign-on?", "Set OLLAMA_MODELS to move the models; see compose.yml.",
         "SSO and SAML: single sign-on for the whole org, enforced or not.", "", "?",
         "The proxy needs a proxy password and a proxy port; proxy proxy proxy.",
         "分布式主键 怎么 配置 Café résumé"]
SYNONYMS = {"single sign-on": ["sso", "saml"]}


def _features(result, kind: str, text: int) -> list[tuple[str, int]]:
    names, start, ids, counts = result[kind]
    lo, hi = start[text], start[text + 1]
    return [(names[j], int(c)) for j, c in zip(ids[lo:hi].tolist(), counts[lo:hi].tolist())]


@pytest.mark.parametrize("page_terms", [500, 3])
def test_each_text_gets_the_features_text_features_gives_first_seen_first(page_terms):
    analyzer = Analyzer(SYNONYMS)
    every = sum(KINDS.values())
    result, words = read_texts(TEXTS, [every] * len(TEXTS), [1] * len(TEXTS), analyzer, page_terms, processes=1)
    for kind in KINDS:
        of_text = text_features(kind, analyzer, page_terms)
        for i, text in enumerate(TEXTS):
            assert _features(result, kind, i) == list(Counter(of_text(text)).items())
    expected = Counter()
    for text in TEXTS:
        expected.update(analyzer.read_units(text)[1])
    assert list(Counter(w for c in words for w in c.elements()).items()) == list(expected.items())


def test_a_text_is_read_only_for_its_kinds_and_its_words_count_as_often_as_asked():
    analyzer = Analyzer({})
    result, words = read_texts(TEXTS[:3], [KINDS["words"], KINDS["chars"], 0], [2, 0, 1], analyzer, 500, processes=1)
    assert _features(result, "words", 0) and not _features(result, "chars", 0)
    assert _features(result, "chars", 1) and not _features(result, "words", 1)
    assert not any(_features(result, kind, 2) for kind in KINDS)
    counts = Counter(w for c in words for w in c.elements())
    first, third = analyzer.read_units(TEXTS[0])[1], analyzer.read_units(TEXTS[2])[1]
    assert counts == Counter(first * 2 + third)


@fork_only
def test_worker_processes_read_like_this_process():
    texts = [f"{t} number {i}" for i in range(40) for t in TEXTS]
    kinds = [(i % 7) + 1 for i in range(len(texts))]
    counted = [i % 3 for i in range(len(texts))]
    one, words_one = read_texts(texts, kinds, counted, Analyzer(SYNONYMS), 5, processes=1)
    two, words_two = read_texts(texts, kinds, counted, Analyzer(SYNONYMS), 5, processes=2)
    for kind in KINDS:
        assert one[kind].names == two[kind].names  # merged in text order: the same ids
        for a, b in zip(one[kind][1:], two[kind][1:]):
            assert np.array_equal(a, b)
    elements = [list(w for c in words for w in c.elements()) for words in (words_one, words_two)]
    assert Counter(elements[0]) == Counter(elements[1])
    assert list(dict.fromkeys(elements[0])) == list(dict.fromkeys(elements[1]))


@fork_only
def test_a_fit_in_worker_processes_is_the_fit_in_this_process(kb, monkeypatch):
    alternates = {kb.entries[0].id: ["can sso be turned on for the cli"]}
    serial = TfidfRetriever().fit(kb, alternates=alternates)
    monkeypatch.setattr(F, "PARALLEL_TEXTS", 0)
    monkeypatch.setattr(F, "_fork_processes", lambda: 2)
    parallel = TfidfRetriever().fit(kb, alternates=alternates)
    (params_a, arrays_a), (params_b, arrays_b) = serial.to_state(), parallel.to_state()
    assert params_a == params_b
    assert sorted(arrays_a) == sorted(arrays_b)
    for name in arrays_a:
        assert np.array_equal(arrays_a[name], arrays_b[name]) and arrays_a[name].dtype == arrays_b[name].dtype, name


def test_no_worker_processes_for_a_small_knowledge_base_or_off_linux(monkeypatch):
    assert F.PARALLEL_TEXTS > 1000
    monkeypatch.setattr(sys, "platform", "darwin")
    assert F._fork_processes() == 1


def test_slices_are_contiguous_and_cover_every_text():
    sizes = [1, 100, 3, 3, 3, 50, 0, 7]
    for n in (1, 2, 3, 8, 20):
        bounds = F._slices(sizes, n)
        assert bounds[0][0] == 0 and bounds[-1][1] == len(sizes)
        assert all(hi == lo for (_, hi), (lo, _) in zip(bounds, bounds[1:])) and all(lo < hi for lo, hi in bounds)
    assert F._slices([], 4) == [(0, 0)]  # one empty slice: nothing to read


def test_fit_block_numbers_features_as_first_seen_in_the_fit_texts_and_drops_unknown_ones_from_rows():
    analyzer = Analyzer({})
    texts = ["zebra apple", "apple mango", "kiwi zebra zebra"]
    result, _ = read_texts(texts, [KINDS["words"]] * 3, [0] * 3, analyzer, 500, processes=1)
    block, pos, (start, col, val) = fit_block("answer", "words", result["words"], np.array([1, 0]), np.array([2, 2, 0]),
                                              analyzer=analyzer, bigram_weight=0.5, n_entries=2, offset=7, weight=1.0,
                                              page_terms=500)
    assert block.terms() == ["appl", "mango", "appl mango", "zebra", "zebra appl"]
    assert block.offset == 7 and list(pos) == [0, 0, 1]  # distinct row texts in order of first use
    assert col[start[0]:start[1]].tolist() == [3] and val[0] == pytest.approx((1 + np.log(2)) * block.idf[3])
    assert sorted(col[start[1]:start[2]].tolist()) == [0, 3, 4]
    assert np.allclose(block.idf_, np.log(3 / np.array([3, 2, 2, 2, 2])) + 1)
    assert block.idf[2] == pytest.approx(block.idf_[2] * 0.5)
    empty, _ = read_texts(["the", "a"], [KINDS["words"]] * 2, [0, 0], analyzer, 500, processes=1)
    assert fit_block("answer", "words", empty["words"], np.array([0, 1]), np.array([0]), analyzer=analyzer,
                     bigram_weight=0.5, n_entries=2, offset=0, weight=1.0, page_terms=500) is None


def test_the_page_block_keeps_the_most_frequent_terms_first_seen_winning_ties():
    assert F._top_terms(["b", "a", "c", "a", "b", "d"], 2) == ["b", "a", "a", "b"]
    assert F._top_terms(["x", "y"], 5) == ["x", "y"]


def test_a_big_generated_knowledge_base_fits_in_workers_like_in_this_process(tmp_path, monkeypatch):
    # Pages with many entries and shared words: the slices' vocabularies overlap and must merge in order.
    for p in range(6):
        body = "\n\n".join(f"## How do I set option {i % 7} of module {p}?\n\nUse the flag --opt-{i} and restart "
                           f"the service {p}; see config_{i % 3}.yml." for i in range(30))
        (tmp_path / f"page{p}.md").write_text(f"---\ntitle: Module {p}\n---\n\n{body}\n", encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    serial = TfidfRetriever().fit(kb)
    if sys.platform == "linux":
        monkeypatch.setattr(F, "PARALLEL_TEXTS", 0)
        monkeypatch.setattr(F, "_fork_processes", lambda: 3)
    parallel = TfidfRetriever().fit(kb)
    for query in ["set option 3 of module 2", "--opt-12", "config_1.yml restart"]:
        a, b = serial.search(query, top_k=5), parallel.search(query, top_k=5)
        assert [(m.entry.id, m.score, m.contributions) for m in a.matches] == \
               [(m.entry.id, m.score, m.contributions) for m in b.matches]


PARTS = ["How do I set OLLAMA_MODELS?", "Set it in the env: OLLAMA_MODELS=/data; see compose.yml and --no-heading.",
         "Café ﬁle e\u0301te\u0301 naïve", "\u0301combining first", "分布式主键 怎么 配置", "", "a",
         "-f flag then -f again",
         "x86-64 utf-8 v1.2 and again v1.2", "docker-compose.yml.", "word " * 30 + "other " * 5]


@pytest.mark.parametrize("page_terms", [500, 4, 1])
def test_a_pages_features_come_from_its_parts_as_if_the_joined_text_were_read(page_terms):
    analyzer = Analyzer({})
    rng = np.random.default_rng(7)
    pages = [[int(k) for k in rng.integers(0, len(PARTS), rng.integers(1, 6))] for _ in range(30)] + [[0, 1], [10, 10]]
    texts = list(dict.fromkeys(PARTS + ["\n".join(PARTS[k] for k in p) for p in pages]))
    number = {t: i for i, t in enumerate(texts)}
    joined = list(dict.fromkeys(number["\n".join(PARTS[k] for k in p)] for p in pages))
    parts = {number["\n".join(PARTS[k] for k in p)]: [number[PARTS[k]] for k in p] for p in pages}
    kinds = [KINDS["words"] | (KINDS["page"] if i in parts else 0) for i in range(len(texts))]
    read, _ = read_texts(texts, kinds, [0] * len(texts), analyzer, page_terms, processes=1)
    derived = F.joined_page_features(read["words"], joined[::-1], [parts[j] for j in joined[::-1]], page_terms)
    for j in joined:
        assert _features({"page": derived}, "page", j) == _features(read, "page", j), texts[j]
    assert all(derived.start[i] == derived.start[i + 1] for i in range(len(texts)) if i not in parts)
