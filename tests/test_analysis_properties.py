"""The fast text reading of :mod:`assistant.analysis` gives exactly what the plain one gave (issues 11.5, 12.3).

``_Frozen*`` below are the implementations before the speed-ups (the ASCII ``translate`` path and the
one-pass CJK regex of ``tokens``, the hinted name search of ``identifiers``, ``read_units``' map and
filter passes), kept here only as the reference: every public reading function must give the same
output for arbitrary text (any script, combining marks, dashes, dots, underscores) and for the real
texts of ``../shared``.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import analysis, default_kb_path
from assistant.analysis import STOP_WORDS, Analyzer, stem
from assistant.synonyms import load_synonyms

PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- the reference: the implementations before the speed-ups --------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_NAME_RE = re.compile(r"(?<![\w-])--?[^\W_]+(?:-[^\W_]+)*|(?<![^\W_])[^\W_]+(?:[-_.][^\W_]+)+")
_PARTS_RE = re.compile(r"[-_.]")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _frozen_normalize_text(text: str) -> str:
    if text.isascii():
        return text.casefold()
    text = _NON_ASCII_RE.sub(lambda m: "".join(ch for ch in m.group() if not unicodedata.combining(ch)),
                             unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFKC", text).casefold()


def _frozen_tokens(text: str) -> list[str]:
    text = _frozen_normalize_text(text)
    words = _WORD_RE.findall(text)
    if not _CJK_RE.search(text):
        return words
    out: list[str] = []
    for word in words:
        if not _CJK_RE.search(word):
            out.append(word)
            continue
        pos = 0
        for m in _CJK_RE.finditer(word):
            if m.start() > pos:
                out.append(word[pos:m.start()])
            run = m.group()
            out += [run] if len(run) == 1 else [run[k:k + 2] for k in range(len(run) - 1)]
            pos = m.end()
        if pos < len(word):
            out.append(word[pos:])
    return out


def _frozen_identifiers(text: str) -> list[str]:
    out = []
    for name in _NAME_RE.findall(_frozen_normalize_text(text)):
        if name[0] == "-":
            out.append(f"<{name}>")
        elif "_" in name or "." in name:
            out += [f"<{seg}>" for seg in name.split("-") if ("_" in seg or "." in seg)
                    and not all(len(part) == 1 and part.isalpha() for part in _PARTS_RE.split(seg))]
        elif any(c.isdigit() for c in name):
            out.append(f"<{name}>")
    return out


def _frozen_is_content(token: str) -> bool:
    return token not in STOP_WORDS and (len(token) > 1 or not token.isascii())


class _FrozenAnalyzer(Analyzer):
    """:class:`Analyzer` with the reference ``read``, ``read_units`` and ``units``."""

    def read(self, text, correct=False):
        toks = _frozen_tokens(text)
        if not correct:
            return toks, toks
        fixed = [self.correct(t) for t in toks]
        return fixed, [t if t == f else f"{t} ({f})" for t, f in zip(toks, fixed)]

    def read_units(self, text, correct=False):
        toks = _frozen_tokens(text)
        if correct:
            fixed = self._corrected
            toks = [fixed.get(t) or self.correct(t) for t in toks]
        content = [t for t in toks if t not in STOP_WORDS and (len(t) > 1 or not t.isascii())]
        names = _frozen_identifiers(text)
        if self._phrase_stems:
            stems = [stem(t) for t in toks]
            if not self._phrase_stems.isdisjoint(stems):
                return [t for t, _ in self.units(toks, toks)] + names, content
        return [stem(t) for t in content] + names, content

    def units(self, toks, labels):
        stems = [stem(t) for t in toks]
        content = [_frozen_is_content(t) for t in toks]
        out = []
        n, i = len(toks), 0
        while i < n:
            found = self._match(stems, content, i) if stems[i] in self._phrase_stems else None
            if found is None:
                if content[i]:
                    out.append((stems[i], labels[i]))
                i += 1
                continue
            term, pos = found
            out.append((term, self._label(term, [toks[p] for p in pos], [labels[p] for p in pos])))
            i = pos[-1] + 1
        return out


# -- text that reaches every branch ------------------------------------------------------------------

_SPECIAL = list("-_.-- .._ __ ‐‑–—―・゠ー々〆〇ゞ゚゛゜") + [
    "\u0301", "\u0308", "\u0327", "\u20dd", "\u3099", "\u309a",  # combining marks (two inside the kana range)
    "\u9fff", "\ud7a4", "\ufa6e", "\u3040", "\u3097",  # unassigned or reserved code points in the CJK ranges
    "\udc80", "\x1c", "\x85", "\u3000", "\u2028",  # a lone surrogate; whitespace that str.split cuts at
    "ß", "İ", "ﬁ", "Ⅻ", "²", "½", "٣", "ς", "Σ", "ǅ", "ﾊﾟ", "ｶ", "Ａ", "？", "\u00a0", "\u200b", "\ufeff",
    "分布式", "主键", "的", "한국어", "ひらがな", "カタカナ", "ollama", "API", "v1.2", "utf-8", "e.g.", "x86-64",
    "--no-heading", "-f", "OLLAMA_MODELS", "storage.tsdb.path", "docker-compose.yml", "sign-on", "Café",
    "cafe\u0301", "naïve", "a", "I", "the", "1", "x",
]
_CHAR = st.one_of(st.characters(), st.characters(max_codepoint=0x7f), st.sampled_from(_SPECIAL),
                  st.characters(min_codepoint=0x3040, max_codepoint=0x30ff))
TEXT = st.lists(st.one_of(_CHAR, st.sampled_from([" ", "\n", "  "])), max_size=40).map("".join)


@pytest.fixture(scope="module")
def analyzers() -> list[tuple[Analyzer, Analyzer]]:
    """(new, reference) analyzers without synonyms and with the bundled knowledge base's, knowing
    the same words (so spelling correction has work)."""
    words = [["enforcement", "migration", "password", "certificate", "policies", "configure"]]
    pairs = []
    for groups in ({}, load_synonyms(default_kb_path() / "synonyms.yaml")):
        new, old = Analyzer(groups), _FrozenAnalyzer(groups)
        new.learn(words)
        old.learn(words)
        pairs.append((new, old))
    return pairs


def _check_same(text: str, analyzers) -> None:
    assert analysis.normalize_text(text) == _frozen_normalize_text(text)
    toks = analysis.tokens(text)
    assert toks == _frozen_tokens(text)
    assert analysis.identifiers(text) == _frozen_identifiers(text)
    assert [analysis.is_content(t) for t in toks] == [_frozen_is_content(t) for t in toks]
    for new, old in analyzers:
        for correct in (False, True):
            assert new.read_units(text, correct) == old.read_units(text, correct)
            assert new.read(text, correct) == old.read(text, correct)
        assert new.units(toks, toks) == old.units(toks, toks)


@PROPERTY_SETTINGS
@given(TEXT)
def test_same_as_reference_on_any_text(analyzers, text):
    _check_same(text, analyzers)


@pytest.mark.parametrize("text", [
    "", " ", "-", "--", "_", ".", "a-", "-a", "--a-b", "a_b", "a.b.", ".a", "x-y_z.w", "foo--bar", "a--b-c",
    "分布式主键 怎么 配置", "ollama的api", "的", "的的", "a的b的c", "ア\u3099イ", "カ゚キ", "・ア・", "ア゠イ",
    "Café résumé naïve", "cafe\u0301", "İstanbul", "STRASSE ß", "ﬁle ｆｕｌｌ－ｗｉｄｔｈ", "x86-64 v1.2 utf-8 e.g. sign-on",
    "OLLAMA_MODELS=~/models --no-heading -f docker-compose.yml", "Как настроить прокси?", "한국어 텍스트", "a\u0301b_c",
    "enforcment of the pasword policy", "single sign-on with SAML (SSO)", "2fa two-factor",
])
def test_same_as_reference_on_edge_cases(analyzers, text):
    _check_same(text, analyzers)


def test_same_as_reference_on_shared_texts(analyzers, shared_dir):
    """Every line of a sample of the real corpus and docs-tree pages, and the pages whole."""
    files = sorted((shared_dir / "corpus").rglob("*.md"))[::4] + sorted((shared_dir / "docs-trees").rglob("*.md"))[::97]
    assert files
    for path in files:
        page = path.read_text(encoding="utf-8", errors="replace")
        for text in [page, *page.splitlines()]:
            _check_same(text, analyzers)
