"""Indonesian text analysis for search: normalization, stemming and synonyms, without any service."""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest

from search.text import MAX_QUERY_CHARS, load_synonyms, normalize, stem_query, stem_text

# Meilisearch's own limits: synonyms are looked up for 1 to 3 query words, and one word expands to
# at most 50 phrases of at most 100 words in all.
MAX_KEY_WORDS = 3
MAX_PHRASES_PER_KEY = 50
MAX_WORDS_PER_KEY = 100


def _synonym_file() -> dict[str, object]:
    raw = resources.files("search").joinpath("synonyms.json").read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(raw)
    return data


def _equivalent_groups() -> list[list[str]]:
    groups = _synonym_file()["equivalent"]
    assert isinstance(groups, list)
    return [[str(term) for term in group] for group in groups]


def _variants(term: str) -> set[str]:
    return {normalize(term), stem_text(term)}


# --- normalize ---


def test_normalize_casefolds_strips_accents_and_punctuation_and_collapses_spaces() -> None:
    assert normalize("  Café—Pelayanan,  PTSP!!\n\tKota\u00a0Bandung  ") == "cafe pelayanan ptsp kota bandung"


def test_normalize_joins_words_at_apostrophes() -> None:
    assert normalize("Jum'at dan Jum\u2019at") == "jumat dan jumat"


def test_normalize_splits_hyphenated_words() -> None:
    assert normalize("e-KTP dan kota-kota") == "e ktp dan kota kota"


def test_normalize_of_nothing_but_separators_is_empty() -> None:
    assert normalize(" ,.;-_ 🚮 ") == ""


# --- stemming ---


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("mengelola", "kelola"),
        ("pengelolaan", "kelola"),
        ("dikelola", "kelola"),
        ("pelayanan", "layan"),
        ("melayani", "layan"),
        ("layanan", "layan"),
        ("pemberdayaan", "daya"),
        ("perencanaan", "rencana"),
        ("pembangunan", "bangun"),
        ("kesehatan", "sehat"),
        ("kemitraan", "mitra"),
        ("kecamatan", "camat"),
        # The stemmer reduces the unit to the title of its head; the original text field keeps
        # "kelurahan" for exact matches, and the synonyms map "kel" to both.
        ("kelurahan", "lurah"),
    ],
)
def test_affixed_words_are_reduced_to_their_root(word: str, stem: str) -> None:
    assert stem_text(word) == stem


@pytest.mark.parametrize(
    "word", ["sampah", "posyandu", "stunting", "puskesmas", "musrenbang", "desa", "inovasi"]
)
def test_roots_and_words_unknown_to_the_dictionary_stay_unchanged(word: str) -> None:
    assert stem_text(word) == word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PTSP", "ptsp"),
        ("BUMDes", "bumdes"),
        ("SDGs", "sdgs"),
        ("KemenPAN-RB", "kemenpan rb"),
        ("APBD", "apbd"),
    ],
)
def test_acronyms_are_kept_and_casefolded(text: str, expected: str) -> None:
    assert stem_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("TPS3R", "tps3r"), ("2024", "2024"), ("COVID-19", "covid 19")]
)
def test_words_with_digits_are_kept(text: str, expected: str) -> None:
    assert stem_text(text) == expected


def test_a_heading_in_capitals_is_stemmed_like_lowercase_text() -> None:
    assert (
        stem_text("PENGELOLAAN SAMPAH TERPADU")
        == stem_text("pengelolaan sampah terpadu")
        == "kelola sampah padu"
    )


def test_words_the_stemmer_gets_wrong_are_kept_as_typed() -> None:
    assert stem_text("Perwali dan pemangku kepentingan") == "perwali dan pemangku penting"


def test_stem_text_keeps_every_word_in_order() -> None:
    # given
    text = "Warga mengelola bank sampah; pengelolaan sampah dilakukan oleh RW 05."
    # when
    stemmed = stem_text(text)
    # then
    assert stemmed == "warga kelola bank sampah kelola sampah laku oleh rw 05"


# --- queries and documents agree ---


@pytest.mark.parametrize(
    ("query", "same_as"),
    [
        ("pengelolaan sampah", "mengelola sampah"),
        ("pelayanan terpadu", "melayani secara terpadu"),
        ("Perencanaan Pembangunan", "merencanakan pembangunan"),
    ],
)
def test_inflected_forms_of_a_query_share_stems(query: str, same_as: str) -> None:
    assert set(stem_query(query).split()) <= set(stem_query(same_as).split())


def test_a_query_stem_is_found_in_the_stemmed_document() -> None:
    # given
    document = "Kelurahan Sukamaju mengelola sampah rumah tangga melalui bank sampah yang dikelola warga."
    # when
    query_stems = stem_query("Pengelolaan Sampah").split()
    document_stems = stem_text(document).split()
    # then
    assert query_stems == ["kelola", "sampah"]
    assert all(stem in document_stems for stem in query_stems)


def test_a_query_is_analysed_exactly_like_a_document() -> None:
    text = "Inovasi PATEN di Kecamatan: pelayanan e-KTP 24 jam, Jum'at—Sabtu 🚀"
    assert stem_query(text) == stem_text(text)


# --- robustness ---


def test_a_huge_query_is_cut_to_its_first_characters_quickly() -> None:
    # given
    query = "pengelolaan sampah " * 600  # 11,400 characters
    # when
    started = time.perf_counter()
    stemmed = stem_query(query)
    elapsed = time.perf_counter() - started
    # then
    assert elapsed < 0.5
    assert set(stemmed.split()) == {"kelola", "sampah"}
    assert len(stemmed) <= MAX_QUERY_CHARS


def test_a_word_cut_by_the_query_limit_is_left_out() -> None:
    # given: the limit falls inside "pengelolaan"
    query = "a " * ((MAX_QUERY_CHARS - 4) // 2) + "pengelolaan"
    # when
    stemmed = stem_query(query)
    # then
    assert stemmed.split()[-1] == "a"


def test_a_huge_document_of_distinct_junk_words_is_stemmed() -> None:
    # given
    rng = random.Random(7)
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz   ") for _ in range(10_000))
    # when
    started = time.perf_counter()
    stemmed = stem_text(text)
    elapsed = time.perf_counter() - started
    # then
    assert elapsed < 2.0
    assert len(stemmed.split()) == len(text.split())


def test_one_enormous_word_is_kept_as_it_is() -> None:
    assert stem_text("a" * 10_000) == "a" * 10_000


def test_emoji_and_symbols_are_separators() -> None:
    assert stem_query("🚮🌱 pengelolaan✨sampah ♻️ 👨‍👩‍👧") == "kelola sampah"


def test_a_query_of_only_emoji_is_empty() -> None:
    assert stem_query("🚮" * 5_000) == ""


def test_words_of_other_scripts_are_kept() -> None:
    assert stem_query("Pelayanan 東京 مرحبا Ελληνικά") == "layan 東京 مرحبا ελληνικα"


@pytest.mark.parametrize(
    "odd",
    [
        "\ud800 lone surrogate",
        "nul\x00byte",
        "\u200bzero\u200dwidth\u200e\u202e",
        "\u0301\u0308\u0323",  # combining marks only
        "İSTANBUL ǰ ŉ ß ﬁ ½ ①",
        "\ufdfa" * 100,  # one character whose compatibility form is 18
    ],
)
def test_odd_unicode_never_breaks_the_analysis(odd: str) -> None:
    # when
    stemmed = stem_query(odd)
    # then
    assert stemmed == stemmed.strip()
    assert "  " not in stemmed
    assert stemmed == stemmed.casefold()


def test_random_unicode_gives_normalized_output() -> None:
    # given
    rng = random.Random(2024)
    texts = ["".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(200)) for _ in range(200)]
    # when
    results = [stem_query(text) for text in texts]
    # then
    assert all(result == " ".join(result.split()) for result in results)
    assert all(normalize(result) == result for result in results)


def test_stemming_from_many_threads_agrees_with_one_thread() -> None:
    # given
    texts = [
        f"pengelolaan sampah ke-{n} oleh pelayanan terpadu dan pemberdayaan warga {n}" for n in range(200)
    ]
    expected = [stem_text(text) for text in texts]
    # when
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(stem_text, texts))
    # then
    assert results == expected


# --- synonyms ---


def test_synonyms_have_no_empty_entries() -> None:
    # when
    synonyms = load_synonyms()
    # then
    assert synonyms
    for key, values in synonyms.items():
        assert key
        assert key.strip() == key
        assert values, key
        assert all(value.strip() == value and value for value in values), key
        assert len(values) == len(set(values)), key
        assert key not in values


def test_every_synonym_is_lowercase_and_normalized() -> None:
    # when
    synonyms = load_synonyms()
    # then
    for key, values in synonyms.items():
        assert key == normalize(key) == key.lower()
        assert all(value == normalize(value) == value.lower() for value in values), key


def test_synonym_keys_fit_the_limits_of_meilisearch() -> None:
    for key, values in load_synonyms().items():
        assert len(key.split()) <= MAX_KEY_WORDS
        assert len(values) <= MAX_PHRASES_PER_KEY, key
        assert sum(len(value.split()) for value in values) <= MAX_WORDS_PER_KEY, key


def test_equivalent_terms_find_each_other_both_ways() -> None:
    # given
    synonyms = load_synonyms()
    # then
    for group in _equivalent_groups():
        variants = set().union(*(_variants(term) for term in group))
        for key in variants:
            if len(key.split()) > MAX_KEY_WORDS:
                continue
            assert variants - {key} <= set(synonyms[key]), key


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ptsp", {"pelayanan terpadu satu pintu", "layan padu satu pintu", "satu pintu"}),
        ("satu pintu", {"ptsp", "pelayanan terpadu satu pintu", "layan padu satu pintu"}),
        ("posyandu", {"pos pelayanan terpadu", "pos layan padu"}),
        ("pos layan padu", {"posyandu", "pos pelayanan terpadu"}),
        ("pos pelayanan terpadu", {"posyandu", "pos layan padu"}),
        ("umkm", {"usaha mikro kecil dan menengah", "usaha mikro kecil dan tengah", "ukm"}),
        ("ukm", {"umkm"}),
        ("bumdes", {"badan usaha milik desa"}),
        ("musrenbang", {"musyawarah perencanaan pembangunan", "musyawarah rencana bangun"}),
        ("musyawarah rencana bangun", {"musrenbang"}),
        ("bank sampah", {"waste bank"}),
        ("waste bank", {"bank sampah"}),
        ("kel", {"kelurahan", "lurah"}),
        ("kec", {"kecamatan", "camat"}),
        ("kab", {"kabupaten"}),
        ("apbd", {"anggaran daerah", "anggar daerah", "anggaran pendapatan dan belanja daerah"}),
        ("stunting", {"tengkes"}),
        ("tengkes", {"stunting"}),
    ],
)
def test_local_terms_expand_to_their_full_and_stemmed_forms(term: str, expected: set[str]) -> None:
    assert expected <= set(load_synonyms()[term])


def test_stemmed_variants_of_every_term_are_present() -> None:
    # given
    synonyms = load_synonyms()
    # then
    for group in _equivalent_groups():
        for term in group:
            stemmed = stem_text(term)
            if len(stemmed.split()) <= MAX_KEY_WORDS:
                assert stemmed in synonyms, f"{stemmed!r}, the stemmed form of {term!r}, is not a key"
            for other in group:
                if other != term and len(other.split()) <= MAX_KEY_WORDS and stemmed != other:
                    assert stemmed in synonyms[other], f"{other!r} does not expand to {stemmed!r}"


def test_broader_terms_expand_one_way_only() -> None:
    # given
    synonyms = load_synonyms()
    # then
    assert {"stunting", "tengkes"} <= set(synonyms["gizi buruk"])
    assert "gizi buruk" not in synonyms["stunting"]
    assert "dana desa" in synonyms["dd"]
    assert "dd" not in synonyms.get("dana desa", [])
    assert "dinas" in synonyms["opd"]
    assert "dinas" not in synonyms


def test_each_term_is_declared_in_one_equivalent_group_only() -> None:
    # given
    seen: dict[str, int] = {}
    # then
    for index, group in enumerate(_equivalent_groups()):
        for term in group:
            assert term == normalize(term), f"write {term!r} as {normalize(term)!r}"
            assert seen.setdefault(term, index) == index, f"{term!r} is in two groups"


def test_load_synonyms_returns_a_fresh_map_each_time() -> None:
    # given
    first = load_synonyms()
    first["ptsp"].append("changed")
    # then
    assert "changed" not in load_synonyms()["ptsp"]
