"""Territories of the board: the configured territory (a département or an EPCI), its EPCIs and current communes;
old commune codes follow their mergers."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from catalogue.folding import fold
from catalogue.french import date_long
from config import get_settings
from indicators import board_levels
from indicators.data import frame

MAX_HOPS = 10  # a commune code is rarely replaced more than twice; the cap only guards against a cyclic log


@dataclass(frozen=True)
class Territory:
    """A territory the board can describe; `epci_*` is the EPCI a commune belongs to."""

    level: str
    code: str
    name: str
    postcodes: str = ""
    epci_code: str = ""
    epci_name: str = ""
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Resolution:
    """The territory a (level, code) request leads to, and a French notice when it is not the one asked for."""

    territory: Territory
    notice: str = ""
    redirected: bool = False


def communes() -> pd.DataFrame:
    return frame("territory_communes")


def epcis() -> pd.DataFrame:
    return frame("territory_epcis")


def code_changes() -> pd.DataFrame:
    return frame("territory_code_changes")


def top_territory() -> Territory:
    """The configured territory itself, named as configured (« Dordogne », « Grand Périgueux »)."""
    settings = get_settings()
    lon = lat = None
    if settings.territory_kind == "epci":
        table = epcis()
        hit = table[table["code"] == settings.territory_code]
        if not hit.empty and pd.notna(hit["lon"].iloc[0]):
            lon, lat = float(hit["lon"].iloc[0]), float(hit["lat"].iloc[0])
    return Territory(level=settings.territory_kind, code=settings.territory_code, name=settings.territory_name,
                     lon=lon, lat=lat)


def successor(code: str, changes: pd.DataFrame, current: set[str]) -> tuple[str, list[dict[str, str]]]:
    """Follow the INSEE moves from an old commune code to the current commune, oldest move first.

    Returns the current code (or the input when no move leads anywhere) and the moves followed.
    """
    path: list[dict[str, str]] = []
    since = ""
    here = code
    for _ in range(MAX_HOPS):
        if here in current and path:
            break
        moves = changes[(changes["old_code"] == here) & (changes["effective"] > since)].sort_values("effective")
        if moves.empty:
            break
        move = moves.iloc[0].to_dict()
        path.append({k: str(v) for k, v in move.items()})
        here, since = str(move["new_code"]), str(move["effective"])
    return here, path


def commune_territory(row: pd.Series) -> Territory:
    return Territory(level="commune", code=str(row["code"]), name=str(row["name"]), postcodes=str(row["postcodes"] or ""),
                     epci_code=str(row["epci_code"] or ""), epci_name=str(row["epci_name"] or ""),
                     lon=float(row["lon"]) if pd.notna(row["lon"]) else None,
                     lat=float(row["lat"]) if pd.notna(row["lat"]) else None)


def resolve(level: str, code: str) -> Resolution:
    """The territory for a link's (niveau, code); an old commune code leads to its current commune, with a notice."""
    top = top_territory()
    if level not in board_levels() or level == top.level:
        return Resolution(top)
    code = (code or "").strip()
    whole = f"affichage {get_settings().territory.of}"
    if not code:  # a link naming a level without a code (e.g. ?niveau=epci): say so rather than « » inconnue
        kind = "intercommunalité" if level == "epci" else "commune"
        return Resolution(top, notice=f"Aucune {kind} indiquée dans le lien : {whole}.")
    if level == "epci":
        table = epcis()
        hit = table[table["code"] == code]
        if hit.empty:
            return Resolution(top, notice=f"Intercommunalité « {code} » inconnue : {whole}.")
        row = hit.iloc[0]
        return Resolution(Territory(level="epci", code=code, name=str(row["name"]),
                                    lon=float(row["lon"]) if pd.notna(row["lon"]) else None,
                                    lat=float(row["lat"]) if pd.notna(row["lat"]) else None))
    table = communes()
    hit = table[table["code"] == code]
    if not hit.empty:
        return Resolution(commune_territory(hit.iloc[0]))
    new_code, path = successor(code, code_changes(), set(table["code"]))
    hit = table[table["code"] == new_code]
    if not path or hit.empty:
        return Resolution(top, notice=f"Commune « {code} » inconnue : {whole}.")
    target = commune_territory(hit.iloc[0])
    steps = " ; ".join(f"le {date_long(m['effective'])}, {m['old_name']} ({m['old_code']}) → {m['new_name']} "
                       f"({m['new_code']})" for m in path)
    notice = (f"Le code {code} ({path[0]['old_name']}) désigne une ancienne commune : {steps}. "
              f"Affichage de la commune actuelle, {target.name} ({target.code}), dont les données incluent "
              "l'ancienne commune (géographie COG 2026).")
    return Resolution(target, notice=notice, redirected=True)


def commune_epci(code: str) -> str:
    """The EPCI a commune belongs to (territory_communes, from the dataset role `epci_communes`), or "" when it has
    none the board offers: switching a commune's board to the EPCI level opens this one."""
    table = communes()
    hit = table[table["code"] == code]
    epci = str(hit["epci_code"].iloc[0] or "") if not hit.empty else ""
    return epci if epci and (epcis()["code"] == epci).any() else ""


def commune_label(row: pd.Series | dict[str, object]) -> str:
    """« Périgueux — 24000 · INSEE 24322 »: postcodes in the label so typing one in the select box finds the commune."""
    postcodes = str(row.get("postcodes") or "").replace("|", ", ")
    return f"{row['name']} — {postcodes} · INSEE {row['code']}"


def search_communes(text: str, limit: int = 20) -> pd.DataFrame:
    """Communes whose name (accents and case ignored) or postcode contains the text."""
    table = communes()
    needle = _fold(text)
    if not needle:
        return table.head(0)
    folded = table["name"].map(_fold)
    mask = folded.str.contains(needle, regex=False) | table["postcodes"].fillna("").str.contains(needle, regex=False)
    mask |= table["code"] == needle
    hits = table[mask].copy()
    hits["_starts"] = ~folded[mask].str.startswith(needle)
    return hits.sort_values(["_starts", "name"]).drop(columns="_starts").head(limit)


def _fold(text: str) -> str:
    """Folded name with hyphens and apostrophes as spaces: « Saint-Front-d'Alemps » matches « saint front d alemps »."""
    return " ".join(fold(str(text)).replace("-", " ").replace("'", " ").split())
