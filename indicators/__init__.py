"""Indicator registry: one TOML file per indicator in `indicators/definitions/`, validated into typed definitions.

Optional table `[sources_by_level]` (e.g. `commune = ["age_census"]`): the sources of the figures at that level, when
an indicator is computed from different datasets at different levels; each role must be one of `sources`, and a
level left out cites every source. A card, its PDF line and the CSV cite the sources of the level they show.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import DEFAULT_DATASETS, get_settings

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
SQL_DIR = Path(__file__).resolve().parent.parent / "queries" / "sql"

# Territory levels of the data, largest first; `france` only ever appears as a comparison row. The board offers the
# configured territory's own level and the levels below it (see board_levels()).
LEVELS: tuple[str, ...] = ("departement", "epci", "commune")
LEVEL_LABELS: dict[str, str] = {"departement": "Département", "epci": "Intercommunalité (EPCI)", "commune": "Commune"}
KINDS: tuple[str, ...] = ("count", "rate", "mean", "distance", "amount")
# Whether a rise is good news: it sets the colour and the wording of a card's change (see indicators.trend).
HIGHER_IS: tuple[str, ...] = ("better", "worse", "neutral")

# Every indicator query returns exactly these columns (checked by tests/indicators/test_sql_contract.py).
RESULT_COLUMNS: tuple[str, ...] = (
    "level", "code", "name", "year", "period", "value", "numerator", "denominator", "series",
)

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_SQL = re.compile(r"^indicator_[a-z0-9_]+$")


class DefinitionError(ValueError):
    """An indicator definition is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class SeriesBreak:
    """A known break in a series: values on both sides are not chained (no change computed across it)."""

    year: int
    text: str


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it measures, where it comes from, how it is computed and where it applies."""

    id: str
    label: str
    theme: str
    unit: str
    sql: str
    sources: tuple[str, ...]  # dataset roles (config.DEFAULT_DATASETS), shown as links to the configured datasets
    levels: tuple[str, ...]
    method: str
    year_label: str
    kind: str = "rate"
    short_unit: str = ""
    decimals: int = 1
    order: int = 100
    compare_departement: bool = True
    compare_france: bool = False
    france_label: str = ""
    mappable: bool = False
    higher_is: str = "neutral"
    breaks: tuple[SeriesBreak, ...] = ()
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    sources_by_level: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def supports(self, level: str) -> bool:
        return level in self.levels

    def level_sources(self, level: str) -> tuple[str, ...]:
        """The source roles of the figures at `level` (all the sources unless the definition narrows them)."""
        return self.sources_by_level.get(level, self.sources)

    @property
    def departement_only(self) -> bool:
        return self.levels == ("departement",)

    def query_params(self, level: str, dep_code: str, dep_name: str) -> dict[str, Any]:
        """Bound parameters of the indicator's SQL: the territory level, the département and the TOML `[params]`."""
        return {"level": level, "dep_code": dep_code, "dep_name": dep_name, **self.params}


def _str(data: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise DefinitionError(f"{where} : le champ « {key} » (texte) est obligatoire.")
    return value.strip()


def parse_definition(indicator_id: str, data: dict[str, Any], where: str) -> Indicator:
    """Validate one TOML definition and return it typed."""
    if not _ID.match(indicator_id):
        raise DefinitionError(f"{where} : identifiant « {indicator_id} » invalide (minuscules, chiffres, tirets).")
    sql = _str(data, "sql", where)
    if not _SQL.match(sql) or not (SQL_DIR / f"{sql}.sql").is_file():
        raise DefinitionError(f"{where} : la requête « {sql} » n'existe pas dans queries/sql (nom indicator_*).")
    levels = tuple(data.get("levels") or ())
    if not levels or any(level not in LEVELS for level in levels):
        raise DefinitionError(f"{where} : « levels » doit être une liste parmi {', '.join(LEVELS)}.")
    sources = tuple(str(s) for s in data.get("sources") or ())
    if not sources or any(role not in DEFAULT_DATASETS for role in sources):
        raise DefinitionError(f"{where} : « sources » doit nommer au moins un rôle de jeu de données parmi "
                              f"{', '.join(sorted(DEFAULT_DATASETS))}.")
    by_level = {str(level): tuple(str(s) for s in roles or ())
                for level, roles in dict(data.get("sources_by_level") or {}).items()}
    for level, roles in by_level.items():
        if level not in levels or not roles or any(role not in sources for role in roles):
            raise DefinitionError(f"{where} : « sources_by_level.{level} » doit être un niveau de « levels » et nommer "
                                  "au moins une des « sources ».")
    kind = _str(data, "kind", where, "rate")
    if kind not in KINDS:
        raise DefinitionError(f"{where} : « kind » doit être parmi {', '.join(KINDS)}.")
    # Optional, neutral by default: a wrong "good/bad" colour misleads more than none.
    higher_is = _str(data, "higher_is", where, "neutral")
    if higher_is not in HIGHER_IS:
        raise DefinitionError(f"{where} : « higher_is » doit être parmi {', '.join(HIGHER_IS)}.")
    params = dict(data.get("params") or {})
    reserved = {"level", "dep_code", "dep_name"} & set(params)
    if reserved or any(not isinstance(v, str | int | float | bool) for v in params.values()):
        raise DefinitionError(f"{where} : « params » ne contient que des valeurs simples (et pas {sorted(reserved)}).")
    breaks = tuple(SeriesBreak(year=int(b["year"]), text=str(b["text"])) for b in data.get("breaks") or ())
    compare_france = bool(data.get("compare_france", False))
    france_label = str(data.get("france_label", ""))
    if compare_france and not france_label:
        raise DefinitionError(f"{where} : « france_label » est obligatoire quand compare_france = true.")
    return Indicator(
        id=indicator_id, label=_str(data, "label", where), theme=_str(data, "theme", where),
        unit=_str(data, "unit", where), short_unit=str(data.get("short_unit", "")), sql=sql, sources=sources,
        levels=tuple(level for level in LEVELS if level in levels), method=_str(data, "method", where),
        year_label=_str(data, "year_label", where), kind=kind, decimals=int(data.get("decimals", 1)),
        order=int(data.get("order", 100)), compare_departement=bool(data.get("compare_departement", True)),
        compare_france=compare_france, france_label=france_label, mappable=bool(data.get("mappable", False)),
        higher_is=higher_is, breaks=breaks, notes=tuple(str(n) for n in data.get("notes") or ()), params=params,
        sources_by_level=by_level,
    )


def load_definitions(directory: Path | None = None) -> tuple[Indicator, ...]:
    """Every definition of the directory, sorted by (order, id); raises DefinitionError on the first bad file."""
    directory = directory or DEFINITIONS_DIR
    found: list[Indicator] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DefinitionError(f"{path.name} : TOML illisible ({exc}).") from exc
        found.append(parse_definition(path.stem, data, path.name))
    return tuple(sorted(found, key=lambda ind: (ind.order, ind.id)))


@functools.cache
def registry() -> tuple[Indicator, ...]:
    """The shipped definitions, read once per process (they change only with a deployment)."""
    return load_definitions()


def get(indicator_id: str) -> Indicator | None:
    return next((ind for ind in registry() if ind.id == indicator_id), None)


def top_level() -> str:
    """The level of the configured territory itself: `departement`, or `epci` for a group of communes."""
    return get_settings().territory_kind


def board_levels() -> tuple[str, ...]:
    """The levels the board and the map offer: the territory's own level, then the levels below it."""
    return LEVELS[LEVELS.index(top_level()):]


def source_ids(indicator: Indicator, level: str | None = None) -> tuple[str, ...]:
    """The dataset ids behind an indicator's source roles (those of `level` when given), as this deployment
    configures them."""
    settings = get_settings()
    roles = indicator.sources if level is None else indicator.level_sources(level)
    return tuple(settings.dataset(role) for role in roles)


def for_level(level: str) -> tuple[Indicator, ...]:
    return tuple(ind for ind in registry() if ind.supports(level))


def mappable(level: str) -> tuple[Indicator, ...]:
    """Indicators that can colour a map of communes or EPCIs."""
    return tuple(ind for ind in registry() if ind.mappable and ind.supports(level))
