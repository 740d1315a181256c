"""Text -> terms: how the retriever reads a query or a knowledge-base text.

Text is normalised (:func:`normalize_text`: NFKC, case-folded, accents folded, so ``café`` in NFC
or NFD is ``cafe``) and split into words of any script (:func:`tokens`). An :class:`Analyzer`
then corrects the spelling of query words against the knowledge base's own words (one edit,
words of 5+ letters), stems them lightly (:func:`stem`) and reads them through the knowledge
base's synonym groups: every phrase of a group becomes the group's one concept term, so
``single sign-on``, ``SAML`` and ``SSO`` match. Stop words (:data:`STOP_WORDS`) and one-letter
words are dropped. The features it gives (terms, word pairs, character n-grams) are what
:class:`assistant.retrieval.TfidfRetriever` weighs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import filterfalse

__all__ = ["STOP_WORDS", "normalize_text", "stem", "tokens", "identifiers", "is_identifier", "is_content", "Analyzer"]

#: English function words, and the filler of support tickets (greetings, "wondering", "please").
#: Unlike scikit-learn's list it keeps words that carry meaning in FAQs (system, same, not, no, move).
STOP_WORDS = frozenset("""
a an the and or but if then else so than that this these those there here
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his she her
hers it its itself they them their theirs themselves one ones someone anyone everyone something
anything everything
am is are was were be been being do does did doing done have has had having get gets got getting
can could should would will shall may might must ll ve re d s t m don doesn didn isn aren wasn
weren won wouldn shouldn couldn cannot cant
of in on at to from by with for about into onto over under up down out off again further once
as also just too very really quite only even still already yet while though although however
what which who whom whose when where why how whether
all any both each every few more most some such other another
please thanks thank thx hi hello hey dear regards cheers ok okay yes yeah hmm
wondering wonder question questions help know let lets need needs want wants like would
currently possible way there
""".split())

_WORD_RE = re.compile(r"[^\W_]+")
#: Scripts written without spaces (Han, kana, Hangul): a run of them is read as overlapping pairs.
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
#: Every ASCII character but a letter or digit -> a space (for str, and for UTF-8 bytes): ``split``
#: then cuts a text at its ASCII gaps between words, several times faster than ``_WORD_RE``.
_ASCII_GAPS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_ASCII_GAP_BYTES = bytes(ord(" ") if c < 128 and not chr(c).isalnum() else c for c in range(256))


def normalize_text(text: str) -> str:
    """Case-fold and fold accents so ``Café`` (NFC or NFD) and ``cafe`` compare equal.

    NFKC also folds full-width forms (``？`` -> ``?``) and ligatures.
    """
    if text.isascii():  # the same result, fast: ASCII has no decompositions and no combining marks
        return text.casefold()
    text = _NON_ASCII_RE.sub(_drop_combining, unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFKC", text).casefold()


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _drop_combining(m: re.Match) -> str:
    """A run of non-ASCII characters without its combining marks (accents after NFKD)."""
    return "".join(ch for ch in m.group() if not unicodedata.combining(ch))


def _has_vowel(s: str) -> bool:
    return any(c in "aeiouy" for c in s)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light English stemmer: conflate plural, -ing, -ed, -ment and -ation forms of a word.

    ``enforce``, ``enforces``, ``enforced``, ``enforcing`` and ``enforcement`` all give
    ``enforc``; ``migration``/``migrated`` give ``migrat``; ``policy``/``policies`` give
    ``polici``. A reduced Porter stemmer (steps 1a-1c plus a few suffixes): words of three
    letters or fewer, and words with digits or non-Latin letters, are returned unchanged.
    """
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    w = word
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix, repl in (("ification", "ify"), ("ization", "ize"), ("isation", "ize"), ("ation", "ate")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("ment") and len(w) >= 8:
        w = w[:-4]
    elif w.endswith("ing") and len(w) >= 6 and _has_vowel(w[:-3]):
        w = _undouble(w[:-3])
    elif w.endswith("ed") and len(w) >= 5 and _has_vowel(w[:-2]):
        w = _undouble(w[:-2])
    if len(w) > 3 and w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def _undouble(w: str) -> str:
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouylsz":
        return w[:-1]
    return w


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or adjacent swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]


def tokens(text: str) -> list[str]:
    """The words of ``text``, normalised (:func:`normalize_text`): runs of letters and digits of any script.

    Chinese, Japanese and Korean text has no spaces between words, so a run of those characters
    becomes its overlapping character pairs (``分布式主键`` -> ``分布 布式 式主 主键``; one
    character alone stays itself), and letters or digits of another script around it are their
    own words (``ollama的api`` -> ``ollama 的 api``).
    """
    return _tokens(normalize_text(text))


def _tokens(text: str) -> list[str]:
    """:func:`tokens` of an already normalised ``text``.

    ASCII punctuation and whitespace are never part of a word, so cutting the text there gives
    pieces of whole words: an ASCII piece is one word, another piece is read by :func:`_regex_tokens`.
    """
    if text.isascii():
        return text.translate(_ASCII_GAPS).split()
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > 1.25 * len(text):  # mostly non-ASCII (Cyrillic, CJK): one regex pass is faster
        return _regex_tokens(text)
    out: list[str] = []
    for piece in data.translate(_ASCII_GAP_BYTES).decode("utf-8", "surrogatepass").split():
        if piece.isascii():
            out.append(piece)
        else:
            out += _regex_tokens(piece)
    return out


def _regex_tokens(text: str) -> list[str]:
    """:func:`tokens` of an already normalised ``text``, by regex (any text; slower on ASCII)."""
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


#: Candidate names (see :func:`identifiers`): a ``-``/``--`` flag, or letters and digits joined by
#: ``-``, ``_`` or ``.``; each match starts at the start of a word (no quadratic backtracking).
_NAME_RE = re.compile(r"(?<![\w-])--?[^\W_]+(?:-[^\W_]+)*|(?<![^\W_])[^\W_]+(?:[-_.][^\W_]+)+")
_PARTS_RE = re.compile(r"[-_.]")
#: Every name has a ``-``, ``_`` or ``.`` before a letter or digit: ``_NAME_RE`` runs only on the
#: runs of name characters (``[\w.-]``) around one, not at every position of the text.
_NAME_HINT_RE = re.compile(r"[-_.][^\W_]")
_NAME_RUN_END_RE = re.compile(r"[\w.-]*")


def _names(text: str) -> list[str]:
    """``_NAME_RE.findall(text)``: no match crosses a character outside ``[\\w.-]``."""
    out: list[str] = []
    hint = _NAME_HINT_RE.search(text)
    while hint is not None:
        start = hint.start()
        while start and (text[start - 1].isalnum() or text[start - 1] in "_.-"):  # back to the run's start
            start -= 1
        end = _NAME_RUN_END_RE.match(text, hint.end()).end()
        out += _NAME_RE.findall(text, start, end)  # the lookbehinds still see the text before ``start``
        hint = _NAME_HINT_RE.search(text, end)
    return out


def identifiers(text: str) -> list[str]:
    """The verbatim identifiers ``text`` quotes, as terms ``"<name>"`` (normalised), in order.

    Tickets quote the names an answer gives: environment variables and settings
    (``OLLAMA_MODELS``, ``storage.tsdb.path``), file names (``compose.yml``; in
    ``docker-compose.yml`` too), command-line flags (``--no-heading``, ``-f``), versions and
    hyphenated names with a digit (``v1.2``, ``utf-8``, ``x86-64``). Such a name is read as its
    words *and* as one term of its own, which matches only the same name. A plain hyphenated
    word (``sign-on``, ``docker-compose``) and an abbreviation of one-letter parts (``e.g.``) are
    not identifiers. The angle brackets keep the terms apart from word terms (:func:`is_identifier`).
    """
    return _identifiers(normalize_text(text))


def _identifiers(text: str) -> list[str]:
    """:func:`identifiers` of an already normalised ``text``."""
    out = []
    for name in _names(text):
        if name[0] == "-":
            out.append(f"<{name}>")
        elif "_" in name or "." in name:  # a joined name; a hyphen separates names (docker-compose.yml)
            out += [f"<{seg}>" for seg in name.split("-") if ("_" in seg or "." in seg)
                    and not all(len(part) == 1 and part.isalpha() for part in _PARTS_RE.split(seg))]
        elif any(c.isdigit() for c in name):
            out.append(f"<{name}>")
    return out


def is_identifier(term: str) -> bool:
    """True for a term :func:`identifiers` gives (``"<name>"``)."""
    return term[:1] == "<"


#: What :func:`is_content` rejects: the stop words and every string of at most one ASCII character.
_NOT_CONTENT = STOP_WORDS | {chr(c) for c in range(128)} | {""}


def is_content(token: str) -> bool:
    """True for a word that carries meaning: not a stop word, and not one ASCII letter or digit."""
    return token not in _NOT_CONTENT


class Analyzer:
    """Text -> terms: tokens, spelling, stems, synonym concepts; word, bigram and character features.

    ``read`` gives a text's tokens and their labels (the words as written, for explanations);
    ``units`` turns tokens into terms (a stem, or a synonym group's concept term);
    ``word_features`` adds bigrams; ``char_features`` gives character n-grams of the tokens.

    ``groups`` are the synonym groups, ``{concept: [phrases]}`` (see
    :func:`assistant.synonyms.load_synonyms`). Spelling correction knows the synonyms' words and,
    after :meth:`learn`, the knowledge base's.
    """

    def __init__(self, groups: Mapping[str, Sequence[str]]):
        # Phrases match on the full token stream (so "turn on" keeps its "on") and, when they
        # have no stop word, also in any order with up to three stop words between their words
        # ("verify my domain", "the domain needs to be verified").
        self.full: dict[tuple[str, ...], str] = {}
        self.content: dict[tuple[str, ...], str] = {}
        self.names: dict[str, str] = {}  # concept term -> the concept as written
        self.words: Counter[str] = Counter()  # known words (KB + synonyms) -> count, for spelling
        self.stems: set[str] = set()
        for concept, phrases in groups.items():
            ctoks = tokens(concept)
            if not ctoks:
                continue
            term = "_".join(stem(t) for t in ctoks)
            self.names.setdefault(term, " ".join(ctoks))
            for phrase in [concept, *phrases]:
                toks = tokens(phrase)
                if not toks:
                    continue
                self.words.update(toks)
                key = tuple(stem(t) for t in toks)
                self.full.setdefault(key, term)
                if len(toks) > 1 and all(is_content(t) for t in toks):
                    self.content.setdefault(tuple(sorted(key)), term)
        self.max_len = max((len(k) for k in self.full), default=1)
        # Stems that can start a phrase / occur in an any-order phrase: other tokens skip the look-ups.
        self._firsts = {k[0] for k in self.full}
        self._content_stems = {st for k in self.content for st in k}
        self._deletes: dict[str, list[str]] | None = {}
        self._corrected: dict[str, str] = {}  # correct() of tokens seen in queries (bounded, see correct)
        self._phrase_stems = self._firsts | self._content_stems

    def learn(self, words: Iterable[Sequence[str]]) -> None:
        """Add words (the knowledge base's content words, a list per text, as :meth:`read_units` gives
        them) to the words spelling correction knows."""
        for ws in words:
            self.words.update(ws)
        self.stems = {stem(w) for w in self.words}
        self._deletes = None  # built on the first correction that needs it
        self._corrected = {}

    def _one_deletes(self) -> dict[str, list[str]]:
        """Every known word with one letter deleted -> the words, for one-edit look-ups."""
        if self._deletes is None:
            self._deletes = {}
            for w in self.words:
                if len(w) >= 3 and w.isalpha():
                    for d in {w[:k] + w[k + 1:] for k in range(len(w))}:
                        self._deletes.setdefault(d, []).append(w)
        return self._deletes

    def correct(self, token: str) -> str:
        """The known word one edit (insert, delete, substitute, swap) away from an unknown ``token``.

        Only for letter-only words of 5+ letters that the knowledge base never uses (shorter
        words are too often other real words); among several candidates the most frequent
        wins. Returns ``token`` when none is found.
        """
        fixed = self._corrected.get(token)
        if fixed is None:
            if len(self._corrected) >= 200_000:  # a long stream of tickets: keep memory bounded
                self._corrected.clear()
            fixed = self._corrected[token] = self._correct(token)
        return fixed

    def _correct(self, token: str) -> str:
        if (token in self.words or len(token) < 5 or not token.isalpha() or not is_content(token)
                or stem(token) in self.stems):
            return token
        deletes = self._one_deletes()
        cands: set[str] = set(deletes.get(token, ()))  # a letter missing
        for d in {token[:k] + token[k + 1:] for k in range(len(token))}:
            if d in self.words:  # a letter too many
                cands.add(d)
            cands.update(deletes.get(d, ()))  # a letter wrong, or two swapped
        cands = {c for c in cands if len(c) >= 5 and _one_edit(token, c)}
        if not cands:
            return token
        return max(sorted(cands), key=lambda c: self.words[c])

    def read(self, text: str, correct: bool = False) -> tuple[list[str], list[str]]:
        """Normalised tokens of ``text`` (spelling-corrected if ``correct``) and their labels."""
        toks = tokens(text)
        if not correct:
            return toks, toks
        fixed = [self.correct(t) for t in toks]
        return fixed, [t if t == f else f"{t} ({f})" for t, f in zip(toks, fixed)]

    def read_units(self, text: str, correct: bool = False) -> tuple[list[str], list[str]]:
        """``(terms, content tokens)`` of ``text``: what :meth:`units` and :meth:`char_features` give, without labels.

        ``terms`` are the unit terms in order (stems and synonym concepts), then the text's
        :func:`identifiers` (:meth:`identifier_units`); ``content tokens`` the
        (spelling-corrected if ``correct``) tokens whose character n-grams are features. The fast
        path of the retriever: same results as the labelled methods.
        """
        norm = normalize_text(text)
        toks = _tokens(norm)
        if correct:
            fixed = list(map(self._corrected.get, toks))  # tokens corrected before (never to "")
            if None in fixed:
                fixed = [f or self.correct(t) for t, f in zip(toks, fixed)]
            toks = fixed
        content = list(filterfalse(_NOT_CONTENT.__contains__, toks))
        names = _identifiers(norm)
        if self._phrase_stems and not self._phrase_stems.isdisjoint(map(stem, toks)):
            return [t for t, _ in self.units(toks, toks)] + names, content
        return [*map(stem, content), *names], content

    @staticmethod
    def identifier_units(text: str) -> list[tuple[str, str]]:
        """``(term, label)`` of each of the text's :func:`identifiers`: what :meth:`read_units` appends
        to the terms; the label is the name as written (normalised)."""
        return [(t, t[1:-1]) for t in identifiers(text)]

    def units(self, toks: list[str], labels: list[str]) -> list[tuple[str, str]]:
        """``(term, label)`` for each content word or synonym phrase of the tokens, in order.

        A synonym phrase gives only its concept term (replacing its words: keeping them as well
        measured worse, as the words then count twice).
        """
        stems = [stem(t) for t in toks]
        content = [is_content(t) for t in toks]
        out: list[tuple[str, str]] = []
        n, i = len(toks), 0
        phrase_stems = self._phrase_stems
        while i < n:
            found = self._match(stems, content, i) if stems[i] in phrase_stems else None  # no phrase starts here
            if found is None:
                if content[i]:
                    out.append((stems[i], labels[i]))
                i += 1
                continue
            term, pos = found
            out.append((term, self._label(term, [toks[p] for p in pos], [labels[p] for p in pos])))
            i = pos[-1] + 1
        return out

    def _match(self, stems: list[str], content: list[bool], i: int) -> tuple[str, list[int]] | None:
        """The longest synonym phrase starting at token ``i``: (concept term, its token positions)."""
        n = len(stems)
        for size in range(min(self.max_len, n - i) if stems[i] in self._firsts else 0, 0, -1):
            term = self.full.get(tuple(stems[i:i + size]))
            if term is not None:
                return term, list(range(i, i + size))
        if not content[i] or stems[i] not in self._content_stems:
            return None
        pos, j, gap = [i], i + 1, 0
        while len(pos) < self.max_len and j < n and gap <= 3:
            if content[j]:
                pos.append(j)
                gap = 0
            else:
                gap += 1
            j += 1
        for size in range(len(pos), 1, -1):
            term = self.content.get(tuple(sorted(stems[p] for p in pos[:size])))
            if term is not None:
                return term, pos[:size]
        return None

    def _label(self, term: str, toks: list[str], labels: list[str]) -> str:
        surface, name = " ".join(labels), self.names[term]
        return surface if " ".join(toks) == name else f"{surface} -> {name}"

    @staticmethod
    def word_features(units: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Each unit's term, then each pair of neighbouring terms (``"a b"``), with their labels.

        Identifier terms (:func:`is_identifier`, at the end of the units) form no pairs."""
        feats = list(units)
        k = len(units)
        while k and is_identifier(units[k - 1][0]):
            k -= 1
        words = units[:k]
        plain = [lab.split(" -> ")[0] for _, lab in words]  # a pair's label: the words as written
        feats += [(f"{a[0]} {b[0]}", f"{pa} {pb}") for a, b, pa, pb in zip(words, words[1:], plain, plain[1:])]
        return feats

    @staticmethod
    def char_features(toks: list[str], labels: list[str]) -> list[tuple[str, str]]:
        """Character 3-5-grams of each content token padded with spaces (scikit-learn's ``char_wb``)."""
        feats = []
        for tok, label in zip(toks, labels):
            if not is_content(tok):
                continue
            padded = f" {tok} "
            for size in (3, 4, 5):
                if len(padded) < size:
                    break
                feats += [(padded[k:k + size], label) for k in range(len(padded) - size + 1)]
        return feats
