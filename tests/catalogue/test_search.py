"""Catalogue search: French folding and stemming, relevance, disjunctive facets checked against the manifest, sorts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import queries
from catalogue.folding import fold
from catalogue.manifest import DatasetSpec, load_manifest
from queries import catalogue_search as cs


# -- folding and stemming (pure) ------------------------------------------------------------------------------
@pytest.mark.parametrize("word, expected", [
    ("Collèges", "colleg"), ("college", "colleg"), ("collège", "colleg"),
    ("musées", "muse"), ("musees", "muse"), ("Musée", "muse"),
    ("régionaux", "regional"), ("régional", "regional"), ("régionales", "regional"),
    ("bureaux", "bureau"), ("bureau", "bureau"), ("chevaux", "cheval"),
    ("légaux", "legal"), ("légales", "legal"), ("Œuvres", "oeuvr"),
    ("ips", "ips"), ("rsa", "rsa"), ("bus", "bus"), ("2023", "2023"),
])
def test_tokens_fold_accents_case_and_plurals(word: str, expected: str) -> None:
    assert cs.tokens(word) == [expected]


def test_tokens_drop_stop_words_duplicates_and_punctuation() -> None:
    assert cs.tokens("Les collèges de la Dordogne, les COLLEGES !") == ["colleg", "dordogn"]
    assert cs.tokens("l'école d'Eymet") == ["ecol", "eymet"]
    assert cs.tokens("   ") == [] and cs.tokens("de la") == []
    assert len(cs.tokens(" ".join(f"mot{i}" for i in range(50)))) == cs.MAX_TOKENS


def test_hostile_text_never_leaves_letters_and_digits() -> None:
    toks = cs.tokens("'; DROP TABLE catalogue; -- \" OR 1=1 /* $tokens */ \x00")
    assert all(re.fullmatch(r"[a-z0-9]+", t) for t in toks)


def test_token_patterns_are_word_prefixes_with_the_aux_plural() -> None:
    """The text side of stemming: a word matches when it starts with the stem (musées ⊃ muse), or with the
    « -aux » plural of an « -al » stem (sociaux for social)."""
    assert cs.token_pattern("muse") == r"\bmuse"
    assert cs.token_pattern("social") == r"\bsoci(?:al|aux)"
    assert cs.token_stems("social") == ["social", "sociaux"] and cs.token_stems("bal") == ["bal"]
    for word in ["musées", "sociaux", "sociales", "régionaux", "bureaux", "collèges"]:
        (tok,) = cs.tokens(word)
        assert re.search(cs.token_pattern(tok), fold(word)), word
    with pytest.raises(ValueError):
        cs.token_pattern("a|b")


@given(st.text(alphabet="abcdeéèêfghilmnoôpqrstuvxyzœ", min_size=1, max_size=14))
@settings(max_examples=60, deadline=None)
def test_stem_is_idempotent_enough_to_match_itself(word: str) -> None:
    # A token must match the text it was typed from: stem(fold(w)) is a prefix of the stemmed word itself.
    toks = cs.tokens(word)
    folded = re.sub(r"[^a-z0-9]+", " ", fold(word)).split()
    for tok, w in zip(toks, [w for w in folded if w not in cs.STOPWORDS], strict=False):
        assert cs.stem(w).startswith(tok)


# -- URL state (pure) ------------------------------------------------------------------------------------------
def _getter(params: dict[str, list[str]]):
    return lambda key: list(params.get(key, []))


def test_parse_params_roundtrip() -> None:
    q = cs.CatalogueQuery(q="musées", filters={"theme": ("culture_and_recreation", "health"), "annee": ("2021",)},
                          sort="titre", page=3)
    params = {k: v if isinstance(v, list) else [v] for k, v in q.to_params().items()}
    back, notices = cs.parse_params(_getter(params))
    assert back == q and notices == []


@pytest.mark.parametrize("params, notice", [
    ({"page": ["99999999999999"]}, "page"),
    ({"page": ["-1"]}, "page"),
    ({"page": ["2; DROP TABLE catalogue"]}, "page"),
    ({"tri": ["title DESC; --"]}, "Tri inconnu"),
    ({"theme": ["x' OR '1'='1"]}, "Filtre ignoré"),
    ({"q": ["a" * 5000]}, "raccourcie"),
    ({"producteur": [f"p{i}" for i in range(100)]}, "Trop de valeurs"),
])
def test_parse_params_rejects_hostile_values_with_a_french_notice(params: dict[str, list[str]], notice: str) -> None:
    known = {"theme": {"health": "Santé"}, "producteur": {f"p{i}": f"p{i}" for i in range(100)}}
    query, notices = cs.parse_params(_getter(params), known)
    assert any(notice in n for n in notices), notices
    assert 1 <= query.page <= cs.MAX_PAGE and len(query.q) <= cs.MAX_Q_CHARS
    assert query.sort in (None, *cs.SORTS)
    assert all(len(v) <= cs.MAX_VALUES_PER_FACET for v in query.filters.values())
    assert "x' OR '1'='1" not in query.filters.get("theme", ())


@given(st.dictionaries(st.sampled_from(["q", "tri", "page", *cs.FACETS, "autre"]),
                       st.lists(st.text(max_size=300), max_size=40), max_size=6))
@settings(max_examples=150, deadline=None)
def test_parse_params_never_raises_and_always_returns_a_sane_view(params: dict[str, list[str]]) -> None:
    known = {"theme": {"health": "Santé"}, "annee": {"2024": "2024"}}
    query, notices = cs.parse_params(_getter(params), known)
    assert isinstance(notices, list) and 1 <= query.page <= cs.MAX_PAGE and len(query.q) <= cs.MAX_Q_CHARS
    assert set(query.filters) <= set(known) and all(v in known[k] for k, vals in query.filters.items() for v in vals)
    assert all(re.fullmatch(r"[a-z0-9]+", t) for t in query.tokens) and len(query.tokens) <= cs.MAX_TOKENS
    assert query.sort in (None, *cs.SORTS)


# -- search over the real catalogue ----------------------------------------------------------------------------
@pytest.fixture
def specs(portal: Path) -> list[DatasetSpec]:
    """The manifest entries that are published: the independent reference for counts."""
    published = set(queries.published_ids())
    return [s for s in load_manifest() if s.id in published]


def _ids(query: cs.CatalogueQuery, per_page: int = 100) -> list[str]:
    return list(cs.search(query, per_page=per_page).rows["id"])


def test_college_finds_the_college_datasets_first(specs: list[DatasetSpec]) -> None:
    ids = _ids(cs.CatalogueQuery(q="college"))
    colleges = [s.id for s in specs if "collège" in s.title.lower()]
    assert colleges, "the embedded catalogue has collège datasets"
    assert set(ids[: len(colleges)]) == set(colleges)


@pytest.mark.parametrize("q", ["musée", "musees", "MUSÉES", "Musee"])
def test_museum_datasets_found_with_or_without_accents_and_plural(specs: list[DatasetSpec], q: str) -> None:
    museums = {s.id for s in specs if "musée" in s.title.lower()}
    assert museums
    ids = _ids(cs.CatalogueQuery(q=q))
    assert set(ids[: len(museums)]) == museums


def test_plural_in_aux_matches_singular_text(specs: list[DatasetSpec]) -> None:
    # « légaux » is never written in these titles (« Populations légales ») yet must find them.
    legal = {s.id for s in specs if "légales" in s.title.lower()}
    assert legal and legal <= set(_ids(cs.CatalogueQuery(q="légaux")))


def test_every_token_must_match(specs: list[DatasetSpec]) -> None:
    both = set(_ids(cs.CatalogueQuery(q="musées fréquentation")))
    assert both and both <= set(_ids(cs.CatalogueQuery(q="musées")))
    assert both <= set(_ids(cs.CatalogueQuery(q="fréquentation")))
    assert _ids(cs.CatalogueQuery(q="musées xyzzyabsent")) == []


def test_title_hits_rank_above_description_hits(specs: list[DatasetSpec]) -> None:
    result = cs.search(cs.CatalogueQuery(q="population"), per_page=100)
    rows = result.rows
    in_title = [fold(t).find("population") >= 0 for t in rows["title"]]
    assert in_title[0] and in_title == sorted(in_title, reverse=True)
    assert list(rows["score"]) == sorted(rows["score"], reverse=True)


def test_search_looks_at_publisher_keywords_and_column_labels(specs: list[DatasetSpec]) -> None:
    # Only the documented columns really present in the published file are searched (their labels).
    spec, name = next((s, c["name"]) for s in specs for c in queries.dataset_meta(s.id)["columns"]
                      if c["name"] in s.columns)
    label = spec.columns[name].label
    assert spec.id in _ids(cs.CatalogueQuery(q=label))
    assert spec.id in _ids(cs.CatalogueQuery(q=spec.publisher))
    if spec.keywords:
        assert spec.id in _ids(cs.CatalogueQuery(q=spec.keywords[0]))


def _reference_counts(specs: list[DatasetSpec], key: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for s in specs:
        values = {"theme": list(s.themes), "producteur": [s.publisher], "mot_cle": sorted(set(s.keywords)),
                  "licence": [s.license.id], "granularite": [s.spatial_granularity],
                  "annee": [s.modified[:4]]}[key]
        counts.update(values)
    return counts


@pytest.mark.parametrize("key", ["theme", "producteur", "mot_cle", "licence", "granularite", "annee"])
def test_facet_counts_match_the_manifest(specs: list[DatasetSpec], key: str) -> None:
    total, facets = cs.facet_counts(cs.CatalogueQuery())
    assert total == len(specs)
    assert {f.value: f.count for f in facets[key]} == dict(_reference_counts(specs, key))


def test_facets_or_within_and_across_and_disjunctive_counts(specs: list[DatasetSpec]) -> None:
    themes = Counter(t for s in specs for t in s.themes).most_common(2)
    (t1, _), (t2, _) = themes
    either = [s for s in specs if t1 in s.themes or t2 in s.themes]
    query = cs.CatalogueQuery(filters={"theme": (t1, t2)})
    total, facets = cs.facet_counts(query)
    assert total == len(either)  # OR within one facet
    assert set(_ids(query)) == {s.id for s in either}
    # The theme facet ignores its own selection (disjunctive), other facets count within the selection.
    assert {f.value: f.count for f in facets["theme"]} == dict(_reference_counts(specs, "theme"))
    assert {f.value: f.count for f in facets["producteur"]} == dict(_reference_counts(either, "producteur"))
    assert all(f.selected for f in facets["theme"] if f.value in (t1, t2))

    publisher = Counter(s.publisher for s in either).most_common(1)[0][0]
    query = cs.CatalogueQuery(filters={"theme": (t1, t2), "producteur": (publisher,)})
    expected = {s.id for s in either if s.publisher == publisher}  # AND across facets
    assert set(_ids(query)) == expected
    total, facets = cs.facet_counts(query)
    assert total == len(expected)
    only_pub = [s for s in specs if s.publisher == publisher]
    assert {f.value: f.count for f in facets["theme"]} == dict(_reference_counts(only_pub, "theme"))


def test_facets_follow_the_text_search(specs: list[DatasetSpec]) -> None:
    query = cs.CatalogueQuery(q="musées")
    total, facets = cs.facet_counts(query)
    matched = [s for s in specs if s.id in set(_ids(query))]
    assert total == len(matched)
    assert {f.value: f.count for f in facets["producteur"]} == dict(_reference_counts(matched, "producteur"))


def test_selected_value_excluded_by_other_filters_is_still_listed_with_zero(specs: list[DatasetSpec]) -> None:
    theme = specs[0].themes[0]
    other_pub = next(s.publisher for s in specs if theme not in s.themes)
    total, facets = cs.facet_counts(cs.CatalogueQuery(q="xyzzyabsent", filters={"theme": (theme,),
                                                                                  "producteur": (other_pub,)}))
    assert total == 0
    assert [(f.value, f.count, f.selected) for f in facets["theme"]] == [(theme, 0, True)]


def test_sorts(specs: list[DatasetSpec]) -> None:
    by = {s: cs.search(cs.CatalogueQuery(sort=s), per_page=100).rows for s in cs.SORTS}
    titles = [fold(t) for t in by["titre"]["title"]]
    assert titles == sorted(titles)
    assert list(by["enregistrements"]["records"]) == sorted(by["enregistrements"]["records"], reverse=True)
    assert list(by["modification"]["modified"]) == sorted(by["modification"]["modified"], reverse=True)
    # Without a query, « pertinence » falls back to the default (last modified).
    assert list(by["pertinence"]["id"]) == list(by["modification"]["id"])
    assert cs.CatalogueQuery(q="musées").effective_sort == "pertinence"
    assert cs.CatalogueQuery().effective_sort == "modification"


def test_popularity_sort_uses_the_counts_passed_as_bound_lists(specs: list[DatasetSpec]) -> None:
    last = sorted(s.id for s in specs)[-1]
    second = sorted(s.id for s in specs)[0]
    rows = cs.search(cs.CatalogueQuery(sort="popularite"), {last: 50, second: 7}, per_page=100).rows
    assert list(rows["id"][:2]) == [last, second]
    assert list(rows["popularity"][:2]) == [50, 7]


def test_pages_partition_the_results_and_a_page_too_far_is_clamped(specs: list[DatasetSpec]) -> None:
    seen: list[str] = []
    first = cs.search(cs.CatalogueQuery(), per_page=4)
    for page in range(1, first.pages + 1):
        seen += list(cs.search(cs.CatalogueQuery(page=page), per_page=4).rows["id"])
    assert sorted(seen) == sorted(s.id for s in specs)
    far = cs.search(cs.CatalogueQuery(page=10_000), per_page=4)
    assert far.page == first.pages and len(far.rows) >= 1


@given(st.text(max_size=60))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_is_a_safe_search(specs: list[DatasetSpec], text: str) -> None:
    result = cs.search(cs.CatalogueQuery(q=text))
    assert 0 <= result.total <= len(specs)


def test_sql_fragments_are_searched_as_words_and_the_catalogue_survives(specs: list[DatasetSpec]) -> None:
    result = cs.search(cs.CatalogueQuery(q="'; DROP TABLE catalogue; --",
                                         filters={"theme": ("' OR 1=1 --",)}))
    assert result.total == 0
    assert cs.facet_counts(cs.CatalogueQuery())[0] == len(specs)


def test_known_values_list_every_facet_value(specs: list[DatasetSpec]) -> None:
    known = cs.known_values()
    assert set(known["theme"]) == {t for s in specs for t in s.themes}
    assert known["licence"][specs[0].license.id]
