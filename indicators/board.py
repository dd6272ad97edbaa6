"""What the board shows for a territory: one card per indicator, its series, rankings and the exported table."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import pandas as pd

from indicators import LEVEL_LABELS, RESULT_COLUMNS, Indicator, get, registry, source_ids
from indicators.data import cache_key, dataset_info, departement, departement_label, indicator_frame
from indicators.territory import Territory
from queries.cache import cached


@dataclass(frozen=True)
class Point:
    """One value of a series: the period it covers and the method series it belongs to."""

    value: float
    year: int
    period: str
    series: str


@dataclass(frozen=True)
class Card:
    """Everything one indicator card displays for a territory."""

    indicator: Indicator
    territory: Territory
    available: bool  # the indicator exists at the territory's level
    latest: Point | None = None
    previous: Point | None = None
    change: float | None = None  # latest − previous, in the indicator's unit
    change_pct: float | None = None  # relative change, for counts and amounts
    break_warning: str = ""  # why the change is not computed, or why the series must not be chained
    departement: Point | None = None
    france: Point | None = None
    error: str = ""
    sources: tuple[dict[str, str], ...] = field(default_factory=tuple)
    epci: Point | None = None  # a commune's own EPCI, as a comparison
    missing: str = ""  # why the territory has no value, when its source says so (« secret statistique »)

    @property
    def departemental(self) -> bool:
        """The figure is the département's, not this territory's (no data at its level): the board shows such cards
        apart, labelled « Donnée départementale », never among the territory's own figures."""
        return not self.available and self.indicator.supports("departement")

    @property
    def finer_only(self) -> bool:
        """The indicator exists only below this territory's level (e.g. per commune): no card, no figure to show."""
        return not self.available and not self.indicator.supports("departement")


def _points(rows: pd.DataFrame) -> list[Point]:
    rows = rows[rows["value"].notna()].sort_values("year")
    return [Point(float(r.value), int(r.year), str(r.period), str(r.series)) for r in rows.itertuples()]


def _at_year(points: list[Point], year: int | None) -> Point | None:
    """The comparison point of the same year, else the latest one (its period is shown, so no silent mismatch)."""
    if not points:
        return None
    same = [p for p in points if p.year == year]
    return same[-1] if same else points[-1]


def _crossed_break(indicator: Indicator, before: int, after: int) -> str:
    texts = [b.text for b in indicator.breaks if before < b.year <= after]
    return " ".join(texts)


def query_level(indicator: Indicator, level: str) -> str:
    """The level an indicator is queried at for a territory of `level`: its own, else the département's (whose figure
    the card then shows); the sources cited are this level's, as every row of that query comes from them."""
    return level if indicator.supports(level) else "departement"


def build_card(indicator: Indicator, territory: Territory) -> Card:
    dep_code, _ = departement()
    sources = tuple(dataset_info(ds) for ds in source_ids(indicator, query_level(indicator, territory.level)))
    available = indicator.supports(territory.level)
    if not available and not indicator.supports("departement"):
        return Card(indicator, territory, available, sources=sources)  # finer levels only: nothing to show here
    frame, error = indicator_frame(indicator, territory.level)
    if error:
        return Card(indicator, territory, available, error=error, sources=sources)
    dep_points = _points(frame[(frame["level"] == "departement") & (frame["code"] == dep_code)])
    fr_points = _points(frame[frame["level"] == "france"]) if indicator.compare_france else []
    missing = ""
    if territory.level == "departement" or not available:
        own = dep_points
    else:
        mine = frame[(frame["level"] == territory.level) & (frame["code"] == territory.code)]
        own = _points(mine)
        if not own and mine["value"].isna().any():  # a row without value: the source withheld it and says why
            missing = str(mine["series"].iloc[-1])
    latest = own[-1] if own else None
    previous = own[-2] if len(own) > 1 else None
    change = change_pct = None
    warning = ""
    if latest and previous:
        if previous.series != latest.series:
            warning = (_crossed_break(indicator, previous.year, latest.year)
                       or f"Rupture de série entre {previous.period} et {latest.period} : évolution non calculée.")
            previous = None
        else:
            change = latest.value - previous.value
            if indicator.kind in ("count", "amount") and previous.value:
                change_pct = 100.0 * change / previous.value
    if latest and not warning:
        # A series that starts before a known break is flagged even when the last two values are comparable.
        first = own[0].year
        warning = _crossed_break(indicator, first, latest.year)
    year = latest.year if latest else None
    return Card(
        indicator, territory, available, latest=latest, previous=previous, change=change, change_pct=change_pct,
        break_warning=warning,
        departement=_at_year(dep_points, year) if indicator.compare_departement else None,
        france=_at_year(fr_points, year), sources=sources,
        epci=_at_year(_points(_epci_rows(indicator, territory)), year) if available else None, missing=missing,
    )


def _epci_rows(indicator: Indicator, territory: Territory) -> pd.DataFrame:
    """The rows of a commune's own EPCI (empty for other levels, or when the indicator has no EPCI values)."""
    if territory.level != "commune" or not territory.epci_code or not indicator.supports("epci"):
        return pd.DataFrame(columns=["level", "code", "value", "year", "period", "series"])
    frame, _ = indicator_frame(indicator, "epci")
    return frame[(frame["level"] == "epci") & (frame["code"] == territory.epci_code)]


@cached()
def _cards(version: str, territory: Territory) -> list[Card]:
    return [build_card(ind, territory) for ind in registry()]


def build_cards(territory: Territory) -> list[Card]:
    """All cards of a territory, cached per (data version, territory): a warm board is one cache hit."""
    return _cards(cache_key(), territory)


@cached()
def _series(version: str, indicator_id: str, territory: Territory) -> pd.DataFrame:
    indicator = get(indicator_id)
    assert indicator is not None
    return _series_frame(indicator, territory)


def series_frame(indicator: Indicator, territory: Territory) -> pd.DataFrame:
    """The rows of a chart: the territory, the département and France, with a readable `line` label per series."""
    return _series(cache_key(), indicator.id, territory)


# Lines of a chart, the territory first, then its EPCI, the département and France.
LINE_ORDER: dict[str, int] = {"commune": 0, "epci": 1, "departement": 2, "france": 3}


def _series_frame(indicator: Indicator, territory: Territory) -> pd.DataFrame:
    if not indicator.supports(territory.level) and not indicator.supports("departement"):
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "territoire", "line"])  # exists only at finer levels
    frame, _ = indicator_frame(indicator, territory.level)
    dep_code, _ = departement()
    keep = (frame["level"] == "departement") & (frame["code"] == dep_code)
    if indicator.compare_france:
        keep |= frame["level"] == "france"
    if territory.level != "departement" and indicator.supports(territory.level):
        keep |= (frame["level"] == territory.level) & (frame["code"] == territory.code)
    epci = _epci_rows(indicator, territory)
    rows = pd.concat([frame[keep], epci], ignore_index=True) if not epci.empty else frame[keep]
    rows = rows[rows["value"].notna()].copy()
    rows["territoire"] = rows["name"].where(rows["level"] != "departement", departement_label())
    several = rows.groupby("territoire")["series"].transform("nunique") > 1
    # One line per (territory, method series): lines are never drawn across a break.
    rows["line"] = rows["territoire"].where(~several, rows["territoire"] + " · " + rows["series"])
    rows["_order"] = rows["level"].map(LINE_ORDER)
    return rows.sort_values(["_order", "line", "year"]).drop(columns="_order").reset_index(drop=True)


@dataclass(frozen=True)
class Indexed:
    """A chart's rows in base 100: `index` = value / value of the line's base year × 100."""

    rows: pd.DataFrame  # series_frame's rows of the indexed lines, plus `base_year` and `index`
    base_year: int | None  # the year every line is based on, None when the lines have no year in common
    left_out: tuple[str, ...] = ()  # lines that cannot be indexed (a zero or missing base value)


def base100(rows: pd.DataFrame) -> Indexed:
    """Index every line on the first year all lines share, so a commune of 27 000 inhabitants and a département of
    417 000 are read on one scale; lines without a common year (a series break) are each based on their first year."""
    if rows.empty:
        return Indexed(rows.assign(base_year=pd.Series(dtype="int64"), index=pd.Series(dtype="float64")), None)
    years = [set(part["year"]) for _, part in rows.groupby("line", sort=False)]
    common = set.intersection(*years)
    base_year = min(common) if common else None
    parts, left_out = [], []
    for line, part in rows.groupby("line", sort=False):
        year = base_year if base_year is not None else int(part["year"].min())
        base = part.loc[part["year"] == year, "value"]
        if base.empty or not base.iloc[0]:
            left_out.append(str(line))
            continue
        parts.append(part.assign(base_year=year, index=100.0 * part["value"] / float(base.iloc[0])))
    if not parts:
        return Indexed(rows.head(0).assign(base_year=0, index=0.0), base_year, tuple(left_out))
    return Indexed(pd.concat(parts, ignore_index=True), base_year, tuple(left_out))


def ranking(indicator: Indicator, level: str) -> pd.DataFrame:
    """Territories of one level ranked on the latest period of the indicator (highest first)."""
    return _ranking(cache_key(), indicator.id, level)


@cached()
def _ranking(version: str, indicator_id: str, level: str) -> pd.DataFrame:
    indicator = get(indicator_id)
    assert indicator is not None
    frame, _ = indicator_frame(indicator, level)
    rows = frame[(frame["level"] == level) & frame["value"].notna()]
    if rows.empty:
        return rows.assign(rank=pd.Series(dtype="int64"))
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year].sort_values(["value", "name"], ascending=[False, True]).copy()
    latest["rank"] = latest["value"].rank(method="min", ascending=False).astype("int64")
    return latest.reset_index(drop=True)


def export_frame(territory: Territory) -> pd.DataFrame:
    """The board's data in long form (every indicator, every period; territory, département and France rows)."""
    parts = []
    for ind in registry():
        rows = series_frame(ind, territory)
        if rows.empty:
            continue
        infos = [dataset_info(ds) for ds in source_ids(ind, query_level(ind, territory.level))]
        parts.append(pd.DataFrame({
            "indicateur": ind.id, "libelle": ind.label, "unite": ind.unit,
            "niveau": rows["level"].map(lambda lv: LEVEL_LABELS.get(lv, "France")), "code": rows["code"],
            "territoire": rows["name"], "annee": rows["year"], "periode": rows["period"], "valeur": rows["value"],
            "serie": rows["series"], "numerateur": rows["numerator"], "denominateur": rows["denominator"],
            # In French words: a raw boolean column reads « True » in a spreadsheet.
            "indicateur_disponible_a_ce_niveau": "oui" if ind.supports(territory.level) else "non",
            "sources": " ; ".join(f"{i['title']} ({i['id']})" for i in infos),
            "licences": " ; ".join(sorted({i["licence"] for i in infos})),
            "methode": " ".join(ind.method.split()),
        }))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def export_xlsx(territory: Territory) -> bytes:
    buffer = io.BytesIO()
    data = export_frame(territory)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        data.to_excel(writer, sheet_name="indicateurs", index=False)
        about = pd.DataFrame({"champ": ["territoire", "niveau", "code"],
                              "valeur": [territory.name, LEVEL_LABELS[territory.level], territory.code]})
        about.to_excel(writer, sheet_name="territoire", index=False)
    return buffer.getvalue()


def is_number(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
