"""Catalogue search: French-aware tokens, URL state, and the bound queries for results and disjunctive facets."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

import queries
from catalogue import vocab
from catalogue.folding import fold
from queries.cache import cached

PER_PAGE = 10
MAX_Q_CHARS = 200
MAX_TOKENS = 8  # one regular-expression slot per token in catalogue_matches.sql ($p1 … $p8)
MAX_VALUES_PER_FACET = 30
MAX_VALUE_CHARS = 200
MAX_PAGE = 100_000

# URL keys (French, part of the public link contract) → bound list parameter of catalogue_matches.sql.
FACETS: dict[str, str] = {
    "theme": "themes",
    "producteur": "publishers",
    "mot_cle": "keywords",
    "licence": "licenses",
    "granularite": "granularities",
    "contenu": "features",
    "annee": "years",
}
FACET_TITLES: dict[str, str] = {
    "theme": "Thème",
    "producteur": "Producteur",
    "mot_cle": "Mot-clé",
    "licence": "Licence",
    "granularite": "Granularité géographique",
    "contenu": "Contenu",
    "annee": "Dernière mise à jour",
}
FEATURE_LABELS: dict[str, str] = {"carte": "Avec une carte", "serie": "Série temporelle"}
SORTS: dict[str, str] = {
    "pertinence": "Pertinence",
    "modification": "Dernière modification",
    "titre": "Titre (A → Z)",
    "enregistrements": "Nombre d'enregistrements",
    "popularite": "Popularité",
}
OWN_KEYS = frozenset({"q", "tri", "page", *FACETS})

# Words that carry no meaning in a catalogue search; without this « les collèges de la Dordogne » would need
# every result to contain « l… », « d… ».
STOPWORDS = frozenset(
    "a au aux avec ce ces d dans de des du en et l la le les leur un une ou par pour qu que qui sur sa son ses "
    "the of and".split()
)
_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Same rules, same order as catalogue_matches.sql (RE2 there, `re` here; these patterns mean the same).
    (re.compile(r"([a-z0-9]{2,})eaux\b"), r"\1eau"),
    (re.compile(r"([a-z0-9]{2,})aux\b"), r"\1al"),
    (re.compile(r"([a-z0-9]{3,})[sx]\b"), r"\1"),
    (re.compile(r"([a-z0-9]{4,})e\b"), r"\1"),
)


def stem(word: str) -> str:
    """Light French stemming of one folded word: plural and feminine endings go (musées → muse, sociaux → social)."""
    for pattern, repl in _STEPS:
        word = pattern.sub(repl, word)
    return word


def tokens(q: str, limit: int | None = MAX_TOKENS) -> list[str]:
    """Distinct stemmed tokens of a query, in order; stop words dropped; at most `limit`."""
    out: list[str] = []
    for word in re.split(r"[^a-z0-9]+", fold(q)):
        if not word or word in STOPWORDS:
            continue
        token = stem(word)
        if token and token not in out:
            out.append(token)
    return out[:limit] if limit is not None else out


@dataclass(frozen=True)
class CatalogueQuery:
    """The state of a catalogue view, as carried by the URL."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str | None = None  # None = default (relevance with a query, last modified otherwise)
    page: int = 1

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and not (self.sort == "pertinence" and not self.tokens):
            return self.sort
        return "pertinence" if self.tokens else "modification"

    @property
    def tokens(self) -> list[str]:
        return tokens(self.q)

    def active_filters(self) -> list[tuple[str, str]]:
        return [(key, value) for key in FACETS for value in self.filters.get(key, ())]

    def with_changes(self, **changes: Any) -> CatalogueQuery:
        return replace(self, **changes)

    def to_params(self, page: bool = True) -> dict[str, str | list[str]]:
        """Query-string form: repeated keys for facet values; defaults left out so links stay short."""
        params: dict[str, str | list[str]] = {}
        if self.q:
            params["q"] = self.q
        for key in FACETS:
            values = list(self.filters.get(key, ()))
            if values:
                params[key] = values if len(values) > 1 else values[0]
        if self.sort and self.sort in SORTS:
            params["tri"] = self.sort
        if page and self.page > 1:
            params["page"] = str(self.page)
        return params


def parse_params(get_all: Callable[[str], list[str]], known: Mapping[str, Mapping[str, str]] | None = None
                 ) -> tuple[CatalogueQuery, list[str]]:
    """Read a catalogue view from URL parameters; anything malformed is dropped with a French notice.

    Args:
        get_all: returns every value of a key (`st.query_params.get_all`).
        known: the values each facet can take ({facet: {value: label}}); unknown values are dropped.
    Returns:
        The query and the notices to show (empty when the link was clean).
    """
    notices: list[str] = []

    def clean(text: Any) -> str:
        # Control characters have no place in a search and would garble logs and the share link.
        return "".join(ch for ch in str(text) if ch.isprintable()).strip()

    q_values = get_all("q")
    q = clean(q_values[-1]) if q_values else ""
    q = " ".join(q.split())
    if len(q) > MAX_Q_CHARS:
        q = q[:MAX_Q_CHARS]
        notices.append(f"La recherche a été raccourcie à {MAX_Q_CHARS} caractères.")
    if len(tokens(q, limit=None)) > MAX_TOKENS:
        notices.append(f"Seuls les {MAX_TOKENS} premiers mots de la recherche sont pris en compte.")

    filters: dict[str, tuple[str, ...]] = {}
    for key in FACETS:
        raw = [clean(v) for v in get_all(key)]
        raw = [v for v in raw if v]
        if len(raw) > MAX_VALUES_PER_FACET:
            notices.append(f"Trop de valeurs pour le filtre « {FACET_TITLES[key]} » : "
                           f"seules les {MAX_VALUES_PER_FACET} premières sont prises en compte.")
            raw = raw[:MAX_VALUES_PER_FACET]
        kept: list[str] = []
        for value in raw:
            if len(value) > MAX_VALUE_CHARS or (known is not None and value not in known.get(key, {})):
                shown = value if len(value) <= 60 else value[:57] + "…"
                notices.append(f"Filtre ignoré : « {shown} » n'est pas une valeur connue de « {FACET_TITLES[key]} ».")
                continue
            if value not in kept:
                kept.append(value)
        if kept:
            filters[key] = tuple(kept)

    sort_values = get_all("tri")
    sort: str | None = None
    if sort_values:
        candidate = clean(sort_values[-1])
        if candidate in SORTS:
            sort = candidate
        else:
            notices.append("Tri inconnu : les résultats sont triés par défaut.")

    page = 1
    page_values = get_all("page")
    if page_values:
        text = clean(page_values[-1])
        if re.fullmatch(r"[0-9]{1,6}", text) and 1 <= int(text) <= MAX_PAGE:
            page = int(text)
        else:
            notices.append("Numéro de page invalide : retour à la première page.")
    return CatalogueQuery(q=q, filters=filters, sort=sort, page=page), notices


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    """One page of results, the total, and the facet counts of the same search."""

    query: CatalogueQuery
    rows: pd.DataFrame
    total: int
    page: int
    pages: int
    facets: dict[str, list[FacetValue]]


def token_stems(token: str) -> list[str]:
    """What a word must start with to match a token: the stem, plus the « -aux » plural of an « -al » stem
    (« social » must find « sociaux »; the other endings stemming drops are found by the prefix itself)."""
    if len(token) > 3 and token.endswith("al"):
        return [token, token[:-2] + "aux"]
    return [token]


def token_pattern(token: str) -> str:
    """The regular expression of one token; tokens hold only [a-z0-9], so nothing in them is a metacharacter."""
    if not re.fullmatch(r"[a-z0-9]+", token):
        raise ValueError(f"unexpected token {token!r}")
    stems = token_stems(token)
    if len(stems) == 1:
        return r"\b" + token
    return r"\b" + token[:-2] + "(?:al|aux)"


def _sql() -> str:
    # Both parts are named files; nothing variable is pasted in: every value below is a bound parameter.
    # MATERIALIZED: the search reads `matches` nine times; its flags are computed once.
    return (f"WITH matches AS MATERIALIZED (\n{queries.load_sql('catalogue_matches')}\n)\n"
            f"{queries.load_sql('catalogue_facets')}")


def _params(query: CatalogueQuery, popularity: Mapping[str, int] | None, per_page: int) -> dict[str, Any]:
    pop = {str(k): int(v) for k, v in (popularity or {}).items()}
    toks = query.tokens
    params: dict[str, Any] = {
        "tokens": [token_stems(t) for t in toks],
        "pop_ids": list(pop),
        "pop_scores": list(pop.values()),
        "sort": query.effective_sort,
        "limit": per_page,
        "offset": (max(1, query.page) - 1) * per_page,
    }
    patterns = [token_pattern(t) for t in toks] + [""] * (MAX_TOKENS - len(toks))
    params.update({f"p{i + 1}": p for i, p in enumerate(patterns[:MAX_TOKENS])})
    for key, param in FACETS.items():
        params[param] = [str(v) for v in query.filters.get(key, ())]
    return params


def _label(key: str, value: str, sql_label: str) -> str:
    if key == "theme":
        return vocab.TOPICS.get(value, value)
    if key == "granularite":
        return vocab.GRANULARITY_LABELS.get(value, value)
    if key == "contenu":
        return FEATURE_LABELS.get(value, value)
    if key == "licence":
        return sql_label or vocab.license_title(value)
    return value


def _run(query: CatalogueQuery, popularity: Mapping[str, int] | None, per_page: int
         ) -> tuple[int, dict[str, list[FacetValue]], list[tuple[str, int]]]:
    """Total, facets, and the (id, score) of the requested page in order — one query, one pass over the text."""
    sql = _sql()
    frame = queries.run_sql_text(sql, queries._bound(sql, _params(query, popularity, per_page)), max_rows=100_000)
    total = 0
    page: list[tuple[int, str, int]] = []
    facets: dict[str, list[FacetValue]] = {key: [] for key in FACETS}
    seen: dict[str, set[str]] = {key: set() for key in FACETS}
    for row in frame.itertuples(index=False):
        if row.facet == "total":
            total = int(row.n)
            continue
        if row.facet == "page":
            page.append((int(row.n), str(row.value), int(row.score or 0)))
            continue
        if row.value is None or pd.isna(row.value) or row.value == "":
            continue
        value = str(row.value)
        selected = value in query.filters.get(row.facet, ())
        facets[row.facet].append(FacetValue(value, _label(row.facet, value, str(row.label or "")), int(row.n),
                                            selected))
        seen[row.facet].add(value)
    for key in FACETS:
        for value in query.filters.get(key, ()):
            if value not in seen[key]:
                facets[key].append(FacetValue(value, _label(key, value, ""), 0, True))
        if key == "annee":
            facets[key].sort(key=lambda f: f.value, reverse=True)
        else:
            facets[key].sort(key=lambda f: (-f.count, fold(f.label)))
    return total, facets, [(ds, score) for _, ds, score in sorted(page)]


def facet_counts(query: CatalogueQuery, popularity: Mapping[str, int] | None = None
                 ) -> tuple[int, dict[str, list[FacetValue]]]:
    """Total and facet counts; selected values are always listed (count 0 when other filters exclude them)."""
    total, facets, _ = _run(query, popularity, 1)
    return total, facets


def search(query: CatalogueQuery, popularity: Mapping[str, int] | None = None, per_page: int = PER_PAGE
           ) -> SearchResult:
    """Run a catalogue search: total, facets and the ranked ids of the page in one query, then their cards."""
    total, facets, ranked = _run(query, popularity, per_page)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, query.page), pages)
    ids = [ds for ds, _ in ranked]
    cards = queries.run("catalogue_cards", ids=ids, max_rows=per_page) if ids else pd.DataFrame(columns=["id"])
    order = {ds: i for i, ds in enumerate(ids)}
    rows = cards.assign(_order=cards["id"].map(order)).sort_values("_order").drop(columns="_order")
    rows = rows.reset_index(drop=True)
    scores = dict(ranked)
    pop = popularity or {}
    rows["score"] = [scores.get(ds, 0) for ds in rows["id"]]
    rows["popularity"] = [int(pop.get(ds, 0)) for ds in rows["id"]]
    return SearchResult(query=query, rows=rows, total=total, page=page, pages=pages, facets=facets)


@cached()
def known_values() -> dict[str, dict[str, str]]:
    """Every value each facet can take in the current catalogue ({facet: {value: label}}), cached per data version."""
    _, facets = facet_counts(CatalogueQuery())
    return {key: {f.value: f.label for f in values} for key, values in facets.items()}


def all_entries() -> pd.DataFrame:
    """The whole catalogue (every column but search_text), sorted by title: exports and DCAT."""
    return queries.run("catalogue_export", max_rows=1_000_000)


def popularity_scores(stats: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Views + downloads per dataset, as catalogue.stats.popularity() reports them."""
    return {ds: int(v.get("views", 0)) + int(v.get("downloads", 0)) for ds, v in stats.items()}


def filters_for_log(query: CatalogueQuery) -> dict[str, list[str]]:
    return {key: list(values) for key, values in query.filters.items() if values}


def iter_labels(facets: Iterable[FacetValue]) -> dict[str, str]:
    return {f.value: f.label for f in facets}
