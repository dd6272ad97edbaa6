"""The dataset page's filter panel (sidebar): search, communes and EPCI, ranges, values; each filter is in the URL."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import streamlit as st

from catalogue.schema import Schema
from queries import QueryError
from queries.dataset.sql import facet_query, range_query
from queries.dataset.state import MAX_VALUE_LEN, OPS, DatasetView, Filter
from ui import format as fmt
from ui.dataset import data
from ui.dataset.common import col_label, py_value, raw_of, seed


def facet_values(schema: Schema, v: DatasetView, name: str, limit: int = 100) -> list[tuple[Any, int]]:
    try:
        frame = data.frame(facet_query(v, schema, name, limit))
    except QueryError:
        return []
    return [(py_value(r.value), int(r.n)) for r in frame.itertuples() if py_value(r.value) is not None]


def value_filter(schema: Schema, v: DatasetView, name: str, container: Any) -> list[Filter]:
    """Multiselect of the column's most frequent values with their counts (under the other filters)."""
    col = schema.get(name)
    assert col is not None
    current = [f.value for f in v.filters_for(name) if f.op == "eq"]
    counts = dict(facet_values(schema, v, name))
    options = list(counts) + [c for c in current if c not in counts]
    key = f"dataset_fv_{name}"
    seed(key, current)
    if any(x not in options for x in st.session_state.get(key, [])):
        st.session_state[key] = [x for x in st.session_state[key] if x in options]
    chosen = container.multiselect(
        "Valeurs", options, key=key, placeholder="Toutes les valeurs", select_all=False,
        format_func=lambda x: f"{x} ({fmt.number(counts[x])})" if x in counts else str(x),
    )
    out = [Filter(name, "eq", x, raw_of(x)) for x in chosen]
    distinct = schema.distinct(name)
    if col.textual and (distinct is None or distinct > 100):
        contains = [f for f in v.filters_for(name) if f.op == "contains"]
        key_c = f"dataset_fc_{name}"
        seed(key_c, contains[0].value if contains else "")
        text = container.text_input("Contient", key=key_c, max_chars=MAX_VALUE_LEN, live=True)
        if text.strip():
            out.append(Filter(name, "contains", text.strip(), text.strip()))
    return out


def commune_filter(schema: Schema, v: DatasetView, name: str, container: Any) -> list[Filter]:
    """Communes picked by name (codes of the column, named from the `communes` dataset) and an EPCI picker."""
    names = data.commune_names()
    current = [str(f.value) for f in v.filters_for(name) if f.op == "eq"]
    counts = {str(k): n for k, n in facet_values(schema, v, name, limit=2_000)}
    options = sorted(set(counts) | set(current), key=lambda c: (names.get(c, "~" + c), c))
    key = f"dataset_fcom_{name}"
    seed(key, current)
    chosen = container.multiselect(
        "Communes", options, key=key, placeholder="Toutes les communes", select_all=False,
        format_func=lambda c: f"{names.get(c, c)} ({c})" + (f" — {fmt.number(counts[c])}" if c in counts else ""),
    )
    col = schema.get(name)
    typed = (lambda c: int(c)) if col is not None and col.type == "integer" else (lambda c: c)
    out = [Filter(name, "eq", typed(c), c) for c in chosen]
    epcis = data.epci_names()
    if epcis:
        current_e = next((str(f.value) for f in v.filters_for(name) if f.op == "epci"), None)
        options_e = [None, *sorted(epcis, key=lambda s: epcis[s])]
        if current_e is not None and current_e not in options_e:
            options_e.append(current_e)
        key_e = f"dataset_fepci_{name}"
        seed(key_e, current_e)
        siren = container.selectbox("Intercommunalité (EPCI)", options_e, key=key_e, placeholder="Toutes",
                                    format_func=lambda s: "Toutes" if s is None else epcis.get(s, s))
        if siren:
            out.append(Filter(name, "epci", siren, siren))
    else:  # no EPCI referential to pick from: a link's EPCI filter still applies (or fails in French), never vanishes
        out += [f for f in v.filters_for(name) if f.op == "epci"]
    return out


def range_bounds(schema: Schema, name: str) -> tuple[Any, Any] | None:
    col = schema.get(name)
    if col is None:
        return None
    prof = schema.profile.get(name) or {}
    lo, hi = prof.get("min"), prof.get("max")
    try:
        if lo is None or hi is None:
            frame = data.frame(range_query(schema, name))
            lo, hi = py_value(frame.iloc[0]["lo"]), py_value(frame.iloc[0]["hi"])
        lo, hi = col.parse(raw_of(lo)), col.parse(raw_of(hi))
    except (QueryError, ValueError, TypeError, IndexError):
        return None
    if col.type == "datetime":
        lo, hi = lo.date(), hi.date()
    return (lo, hi) if lo is not None and hi is not None and lo < hi else None


def slider_grid(lo: float, hi: float) -> tuple[float, float, float, int]:
    """(low bound, high bound, step, decimals) of a decimal slider: a power-of-ten step near 1/100 of the span, and
    bounds floored and ceiled to that step, so that the data's minimum and maximum lie inside and every step lands
    on the grid (the slider cannot reach a maximum that is not min + k × step: 122.2 shown as 122.00 and dropped)."""
    span = hi - lo
    exponent = math.floor(math.log10(span / 100)) if span > 0 else 0
    step = Decimal(1).scaleb(exponent)
    low = Decimal(repr(lo)).quantize(step, rounding=ROUND_FLOOR) if exponent < 0 else \
        (Decimal(repr(lo)) / step).to_integral_value(ROUND_FLOOR) * step
    high = Decimal(repr(hi)).quantize(step, rounding=ROUND_CEILING) if exponent < 0 else \
        (Decimal(repr(hi)) / step).to_integral_value(ROUND_CEILING) * step
    return float(low), float(high), float(step), max(0, -exponent)


def _on_grid(value: Any, decimals: int) -> Any:
    """The browser's slider computes min + k × step in binary floating point (122.19999999999999): the value on
    the grid it stands for, so that the bound written in the filter and the link is the one shown. A value from a
    link that lies between two steps is kept as it is."""
    if isinstance(value, float) and abs(value - round(value, decimals)) < 1e-9 * max(1.0, abs(value)):
        return round(value, decimals)
    return value


def range_filter(schema: Schema, v: DatasetView, name: str, container: Any) -> list[Filter]:
    col = schema.get(name)
    bounds = range_bounds(schema, name)
    assert col is not None
    if bounds is None:
        container.markdown(":small[Une seule valeur : pas de plage à choisir.]")
        return [f for f in v.filters_for(name) if f.op in ("gte", "lte")]
    lo, hi = bounds
    gte = next((f.value for f in v.filters_for(name) if f.op == "gte"), None)
    lte = next((f.value for f in v.filters_for(name) if f.op == "lte"), None)
    if col.type == "datetime":
        gte = gte.date() if gte is not None else None
        lte = lte.date() if lte is not None else None
    step, fmt_spec, decimals = None, None, 0
    if col.type == "number":
        lo, hi, step, decimals = slider_grid(float(lo), float(hi))
        fmt_spec = f"%.{decimals}f"
    # Values from a link may lie outside the data's range: widen the slider rather than drop them.
    lo_b, hi_b = min(lo, gte) if gte is not None else lo, max(hi, lte) if lte is not None else hi
    key = f"dataset_fr_{name}"
    seed(key, (gte if gte is not None else lo_b, lte if lte is not None else hi_b))
    a, b = container.slider("Plage", min_value=lo_b, max_value=hi_b, key=key, step=step, format=fmt_spec)
    a, b = _on_grid(a, decimals), _on_grid(b, decimals)
    out = []
    if a != lo_b or gte is not None and a != lo:
        out.append(Filter(name, "gte", a, raw_of(a)))
    if b != hi_b or lte is not None and b != hi:
        out.append(Filter(name, "lte", b, raw_of(b)))
    return out


def _panel(schema: Schema, v: DatasetView) -> DatasetView:
    sb = st.sidebar
    sb.markdown("### Filtres")
    seed("dataset_q", v.q)
    # live (applied after a pause in typing) here and in « Contient »: no English « Press Enter to apply » under the
    # box, and no « Select all » in the value pickers (select_all=False): Streamlit has no French for either.
    q = sb.text_input("Rechercher dans ce jeu de données", key="dataset_q", max_chars=MAX_VALUE_LEN, live=True,
                      help="Cherche dans toutes les colonnes de texte, sans tenir compte des accents ni des majuscules.")
    widget_cols: list[str] = []
    for name in [*schema.commune_columns[:2], schema.time_column, *schema.facet_columns(),
                 *[f.column for f in v.filters], *st.session_state.get("dataset_extra_cols", [])]:
        if name and name not in widget_cols and schema.get(name) and schema.get(name).type != "geometry":
            widget_cols.append(name)
    handled: set[tuple[str, str]] = set()
    new_filters: list[Filter] = []
    for name in widget_cols:
        col = schema.get(name)
        assert col is not None
        active = bool(v.filters_for(name))
        with sb.expander(col.label + (" ●" if active else ""), expanded=active):
            if schema.is_commune_code(name):
                new_filters += commune_filter(schema, v, name, st)
                handled |= {(name, "eq"), (name, "epci")}
            elif col.rangeable and not (col.type == "integer" and name == schema.time_column
                                        and (schema.distinct(name) or 99) <= 12):
                new_filters += range_filter(schema, v, name, st)
                handled |= {(name, "gte"), (name, "lte")}
            else:
                new_filters += value_filter(schema, v, name, st)
                handled |= {(name, "eq"), (name, "contains")}
    others = [f for f in v.filters if (f.column, f.op) not in handled]
    for i, f in enumerate(others):
        keep = sb.checkbox(f"{col_label(schema, f.column)} {OPS[f.op]} {f.raw}".strip(), value=True,
                           key=f"dataset_other_{i}_{f.to_param()}")
        if keep:
            new_filters.append(f)
    extra = [c.name for c in schema.plain_columns if c.name not in widget_cols]
    if extra:
        sb.selectbox("Filtrer une autre colonne", [None, *extra], key="dataset_addcol", placeholder="Choisir une colonne…",
                     format_func=lambda n: "Choisir une colonne…" if n is None else col_label(schema, n),
                     on_change=_add_column)
    if v.is_filtered:
        sb.button("Effacer tous les filtres", key="dataset_clear", on_click=_clear_filters,
                  args=(v.replace(filters=(), q="", page=1).to_params(),))
    seen: list[Filter] = []
    for f in new_filters:
        if f not in seen:
            seen.append(f)
    # Unchanged filters keep their place in the link, new ones go last: same view, same URL.
    rank = {f: i for i, f in enumerate(v.filters)}
    seen.sort(key=lambda f: rank.get(f, len(rank)))
    return v.replace(filters=tuple(seen), q=q.strip())


def _add_column() -> None:
    name = st.session_state.get("dataset_addcol")
    if name:
        st.session_state.setdefault("dataset_extra_cols", []).append(name)
    st.session_state["dataset_addcol"] = None


def _clear_filters(new_params: dict[str, Any]) -> None:
    st.query_params.from_dict(new_params)


def render(schema: Schema, view: DatasetView) -> DatasetView:
    """The sidebar filters of a data tab; a changed filter or search starts again at page 1."""
    before = (view.filters, view.q)
    view = _panel(schema, view)
    if (view.filters, view.q) != before:
        view = view.replace(page=1)
        st.session_state["dataset_page"] = 1
    return view
