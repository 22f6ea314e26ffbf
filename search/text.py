"""Indonesian text analysis for search: normalization, stemming, and the synonym list.

Meilisearch does not stem Indonesian. Each document therefore also carries a stemmed copy of its
text (``stem_text``), and queries go through the same analysis (``stem_query``). That way
"pengelolaan sampah" and "mengelola sampah" both come out as "kelola sampah".

Choice of stemmer: Sastrawi, from PyPI ``pysastrawi`` 1.2.1 (MIT, pure Python). Sastrawi strips
affixes one rule at a time (Nazief-Adriani and its later improvements) and checks each candidate
against a dictionary of about 30,000 Indonesian root words. A word is only reduced to a root that
is in the dictionary. Words it does not know (posyandu, stunting, place names, English) come back
unchanged. The alternatives, measured on the words our tests cover and on the demo content:

- snowball's Indonesian stemmer is faster: about 12 times in pure Python (``snowballstemmer``),
  and 100 to 250 times in C (``PyStemmer``). But it has no dictionary, so it cuts too much:
  "kelola" becomes "lola", "keluarga" "luarga", and "perencanaan" "encana". Worse, it splits one
  word family into two: "dikelola" gives "kelola" but "mengelola" gives "elola", which is exactly
  the match this field exists to make. It got 46 of our 57 test words right; Sastrawi got 56 (it misses only
  "digitalisasi").
- ``sastrawi`` 1.0.1 (2016) is the same algorithm, and it stems our corpus identically. But its
  dictionary is a Python list, so every lookup scans 30,000 words: about 20 words/s, against
  12,000 to 14,000 words/s for ``pysastrawi`` 1.2.1, which keeps the dictionary in a dict. Both
  packages install the same top-level module ``Sastrawi``, so never install both.

Sastrawi's speed of about 13,000 new words a second is ample with the per-word LRU cache below.
Document text repeats itself a lot. On the demo content (22,500 words, 3,300 of them distinct),
``stem_text`` runs at about 55,000 words a second with a cold cache and 400,000 with a warm one.
We call ``Stemmer.stem_word`` directly and skip ``StemmerFactory.create_stemmer``. The factory's
``CachedStemmer`` adds a plain dict cache that never evicts, so it would grow with every distinct
word a user ever typed.

Thread and async safety: once built, the stemmer is read-only. It holds the dictionary and
stateless rule objects, and each call builds its own working context. So one instance is shared
by all threads. ``functools.lru_cache`` is thread-safe; two threads may compute the same word at
once, which is harmless. Everything here is CPU work with no I/O. A query takes about 0.25 ms cold
and 6 us warm. A batch of documents takes longer: all the demo content takes 0.4 s cold. So an
indexer on the event loop should stem a large batch in ``asyncio.to_thread``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources
from typing import Protocol

from pydantic import BaseModel, ConfigDict

MAX_QUERY_CHARS = 1000
"""A query is analysed up to this many characters. Meilisearch reads only its first 10 words."""

_STEM_CACHE_SIZE = 1 << 16
"""Distinct words kept; about 10 MB when full, enough for the vocabulary of all content."""

_MAX_SYNONYM_KEY_WORDS = 3
"""Meilisearch looks synonyms up for 1- to 3-word parts of a query only."""

# Apostrophes join a word ("Jum'at" is "jumat"); anything else that is not a letter or a digit
# of some script (punctuation, symbols, emoji, underscores, controls) separates words.
_JOINERS = str.maketrans("", "", "'\u2019\u02bc`")
_SEPARATORS = re.compile(r"[\W_]+")
# Sastrawi knows lowercase a-z words only; it leaves words of three letters or less alone, and
# no Indonesian word is anywhere near 40 letters (longer "words" are junk, not worth caching).
_STEMMABLE = re.compile(r"[a-z]{4,40}")
_ACRONYM_MAX_ALL_CAPS = 5
_TRAILING_WORD = re.compile(r"\w+\Z")


class _WordStemmer(Protocol):
    def stem_word(self, word: str) -> str: ...


class _SynonymFile(BaseModel):
    """The shape of ``synonyms.json``: readable groups, converted by ``load_synonyms``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    about: list[str] = []
    unstemmed: list[str] = []
    equivalent: list[list[str]]
    one_way: dict[str, list[str]] = {}


def normalize(text: str) -> str:
    """Casefolded text without accents, with punctuation turned into spaces and no repeated spaces."""
    return " ".join(folded for word in _words(text) if (folded := _fold(word)))


def stem_text(text: str) -> str:
    """The stems of the words of a text, space-joined, in order (for the stemmed search field).

    Acronyms (PTSP, BUMDes, SDGs) and words with digits (TPS3R, 2024) are kept, only casefolded.
    """
    return " ".join(stem for word in _words(text) if (stem := _analyse(word)))


def stem_query(query: str) -> str:
    """A user query, analysed like the documents; only its first ``MAX_QUERY_CHARS`` characters count."""
    if len(query) > MAX_QUERY_CHARS:
        head = query[:MAX_QUERY_CHARS]
        # Leave out a word cut in two: a stem of half a word would match nothing it meant.
        query = _TRAILING_WORD.sub("", head) if query[MAX_QUERY_CHARS].isalnum() else head
    return stem_text(query)


def load_synonyms() -> dict[str, list[str]]:
    """The ``synonyms`` setting for Meilisearch, from ``synonyms.json``.

    Each term also appears in its stemmed form ("pelayanan terpadu satu pintu" also gives
    "layan padu satu pintu"), since queries are stemmed. An equivalent group maps every term to all
    the others; a one-way entry maps its term (and that term's stemmed form) to the given terms.
    Keys longer than three words are left out, because Meilisearch would never look them up. They
    still work as expansions.
    """
    data = _synonym_file()
    expansions: dict[str, dict[str, None]] = {}

    def add(keys: list[str], values: list[str]) -> None:
        for key in keys:
            if len(key.split()) > _MAX_SYNONYM_KEY_WORDS:
                continue
            known = expansions.setdefault(key, {})
            known.update(dict.fromkeys(value for value in values if value != key))

    for group in data.equivalent:
        terms = _with_stems(group)
        add(terms, terms)
    for term, targets in data.one_way.items():
        add(_with_stems([term]), _with_stems(targets))
    return {key: list(values) for key, values in sorted(expansions.items()) if values}


def _words(text: str) -> list[str]:
    """The words of a text with their case kept: accents removed, separators dropped."""
    return _SEPARATORS.sub(" ", _strip_accents(text).translate(_JOINERS)).split()


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _fold(word: str) -> str:
    # Casefolding may bring back a combining mark ("İ" folds to "i" and a dot above).
    return _strip_accents(word.casefold())


def _analyse(word: str) -> str:
    folded = _fold(word)
    if _is_acronym(word) or not _STEMMABLE.fullmatch(folded):
        return folded
    return _stem_word(folded)


def _is_acronym(word: str) -> bool:
    """Two capitals or more: short and all capitals (PTSP, APBD), or mixed (BUMDes, SDGs, KemenPAN).

    A long word in all capitals is a heading shouting ("PENGELOLAAN SAMPAH") and gets stemmed.
    """
    if word.islower() or sum(char.isupper() for char in word) < 2:
        return False
    return len(word) <= _ACRONYM_MAX_ALL_CAPS or not word.isupper()


@functools.lru_cache(maxsize=_STEM_CACHE_SIZE)
def _stem_word(word: str) -> str:
    if word in _unstemmed():
        return word
    return _stemmer().stem_word(word)


@functools.cache
def _stemmer() -> _WordStemmer:
    # Imported here: loading the 30,000-word dictionary takes about 30 ms, paid on first use.
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary  # type: ignore[import-untyped]
    from Sastrawi.Stemmer.Stemmer import Stemmer  # type: ignore[import-untyped]
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory  # type: ignore[import-untyped]

    stemmer: _WordStemmer = Stemmer(ArrayDictionary(StemmerFactory().get_words()))
    return stemmer


@functools.cache
def _synonym_file() -> _SynonymFile:
    raw = resources.files("search").joinpath("synonyms.json").read_text(encoding="utf-8")
    return _SynonymFile.model_validate_json(raw)


@functools.cache
def _unstemmed() -> frozenset[str]:
    return frozenset(normalize(word) for word in _synonym_file().unstemmed)


def _with_stems(terms: list[str]) -> list[str]:
    """Each term normalized, followed by its stemmed form where that differs; no repeats."""
    variants = (variant for term in terms for variant in (normalize(term), stem_text(term)))
    return list(dict.fromkeys(variant for variant in variants if variant))
