"""The territory is configuration: a deployment whose territory is one EPCI of the embedded data (CA Le Grand
Périgueux, 43 communes) shows only its communes and its name, with environment settings only (no code change).

Expected values are recomputed here from the embedded CSV files (csv/pandas), never through the portal's SQL.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import config
from config import PlaceName
from tests.conftest import open_page

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "dordogne"
NNBSP = "\u202f"
SIREN = "200040392"  # CA Le Grand Périgueux
EPCI_ENV = {
    "TERRITOIRE_KIND": "epci",
    "TERRITOIRE_CODE": SIREN,
    "TERRITOIRE_NAME": "Grand Périgueux",
    "TERRITOIRE_ARTICLE": "le",
    # The comparison département: its code is derived from the communes; its name is what DREES/INSEE zones use.
    "TERRITOIRE_DEPARTEMENT_NAME": "Dordogne",
    "TERRITOIRE_DEPARTEMENT_ARTICLE": "la",
}


def members() -> set[str]:
    """The EPCI's communes, read from the embedded membership file."""
    with (DATA / "referentiel" / "epci_communes_24_2026.csv").open(encoding="utf-8", newline="") as fh:
        return {row["code_insee"] for row in csv.DictReader(fh) if row["epci_siren"] == SIREN}


def dataset_titles() -> list[str]:
    """Dataset titles may name the Dordogne (they describe the data): they are left out of the text checks."""
    titles = [tomllib.loads(p.read_text(encoding="utf-8"))["title"]
              for p in (ROOT / "catalogue" / "datasets").glob("*.toml")]
    return sorted(titles, key=len, reverse=True)


def page_text(at: AppTest) -> str:
    """Every text a visitor reads on the page (titles, headings, paragraphs, notices, metric labels, options)."""
    parts = [el.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning")
             for el in getattr(at, kind)]
    parts += [m.label for m in at.metric]
    parts += [str(option) for radio in at.radio for option in radio.options]
    parts += [el.proto.label for el in at.get("page_link")]
    text = "\n".join(str(p) for p in parts).replace(NNBSP, " ").replace("\\", "")  # Markdown escapes
    for title in dataset_titles():
        text = text.replace(title, "")
    return text


def territory_as_dordogne(text: str) -> list[str]:
    """Places where « Dordogne » is written other than as the comparison level « Dordogne (département) »."""
    return re.findall(r"[^\n]{0,50}Dordogne(?! \(département\))[^\n]{0,30}", text)


def picker_codes(at: AppTest, key: str) -> set[str]:
    return {re.search(r"INSEE (\w+)$", str(label)).group(1) for label in at.selectbox(key=key).options}  # type: ignore[union-attr]


@pytest.fixture
def epci_portal(read_only_portal: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, value in EPCI_ENV.items():
        monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()
    yield read_only_portal
    config.get_settings.cache_clear()


# -- Article helpers ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "article", "kind", "with_article", "of", "in_"), [
    ("Dordogne", "la", "departement", "la Dordogne", "de la Dordogne", "en Dordogne"),
    ("Nord", "le", "departement", "le Nord", "du Nord", "dans le Nord"),
    ("Ain", "l'", "departement", "l'Ain", "de l'Ain", "dans l'Ain"),
    ("Landes", "les", "departement", "les Landes", "des Landes", "dans les Landes"),
    ("Grand Périgueux", "le", "epci", "le Grand Périgueux", "du Grand Périgueux", "dans le Grand Périgueux"),
    ("Communauté de communes Isle et Crempse", "la", "epci", "la Communauté de communes Isle et Crempse",
     "de la Communauté de communes Isle et Crempse", "dans la Communauté de communes Isle et Crempse"),
])
def test_french_articles(name: str, article: str, kind: str, with_article: str, of: str, in_: str) -> None:
    place = PlaceName(name, article, kind)
    assert (place.with_article, place.of, place.in_) == (with_article, of, in_)


def test_article_and_roles_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in EPCI_ENV.items():
        monkeypatch.setenv(name, value)
    roles = tmp_path / "roles.toml"
    roles.write_text('[datasets]\npopulation = "ma-population"\n', encoding="utf-8")
    monkeypatch.setenv("TERRITOIRE_DATASETS_FILE", str(roles))
    config.get_settings.cache_clear()
    settings = config.get_settings()
    assert settings.territory.of == "du Grand Périgueux" and settings.departement.of == "de la Dordogne"
    assert settings.dataset("population") == "ma-population" and settings.dataset("communes") == "communes"
    roles.write_text('[datasets]\npopulaton = "x"\n', encoding="utf-8")
    monkeypatch.setenv("TERRITOIRE_ARTICLE", "las")
    config.get_settings.cache_clear()
    with pytest.raises(ValueError, match="TERRITOIRE_ARTICLE"):
        config.get_settings()
    monkeypatch.setenv("TERRITOIRE_KIND", "departement")
    monkeypatch.setenv("TERRITOIRE_CODE", "01")
    monkeypatch.setenv("TERRITOIRE_NAME", "Ain")
    monkeypatch.setenv("TERRITOIRE_ARTICLE", "l\u2019")  # a typographic apostrophe is accepted
    config.get_settings.cache_clear()
    with pytest.raises(ValueError, match="populaton"):
        config.get_settings()
    monkeypatch.delenv("TERRITOIRE_DATASETS_FILE")
    config.get_settings.cache_clear()
    settings = config.get_settings()
    assert settings.territory.of == "de l'Ain" and settings.territory_params == {"territory_level": "departement",
                                                                                 "territory_code": "01"}
    config.get_settings.cache_clear()


# -- The EPCI deployment ------------------------------------------------------------------------------------------
def test_the_embedded_epci_has_43_communes() -> None:
    assert len(members()) == 43


def test_home_and_catalogue_name_the_epci(epci_portal: Path) -> None:
    home = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    home.run()
    assert not home.exception, [e.value for e in home.exception]
    text = page_text(home)
    assert "les données ouvertes du Grand Périgueux" in home.title[0].value
    assert "Grand Périgueux (200040392)" in text
    assert territory_as_dordogne(text) == []
    catalogue = open_page("pages/catalogue.py", {})
    assert territory_as_dordogne(page_text(catalogue)) == []  # type: ignore[arg-type]


def test_indicator_board_of_the_epci(epci_portal: Path) -> None:
    communes = members()
    population = pd.read_csv(DATA / "population" / "population_communes_24_cog2026.csv", dtype={"code_insee_cog2026": str})
    ours = population[population["code_insee_cog2026"].isin(communes)]
    assert ours["code_insee_cog2026"].nunique() == 43
    expected = ours.groupby("millesime")["pmun"].sum()
    departement = population.groupby("millesime")["pmun"].sum()

    at = open_page("pages/indicators.py", {})
    assert dict(at.query_params) == {"niveau": "epci", "indicateur": "population"}  # type: ignore[attr-defined]
    assert "Grand Périgueux" in at.header[0].value  # type: ignore[attr-defined]
    cards = {m.label: m.value.replace(NNBSP, " ") for m in at.metric}  # type: ignore[attr-defined]
    assert cards["Population municipale"] == f"{int(expected[2023]):,} hab.".replace(",", " ")
    text = page_text(at)  # type: ignore[arg-type]
    # The comparison département, derived from the communes (no TERRITOIRE_DEPARTEMENT_CODE), and named as such.
    assert f"Dordogne (département) : {int(departement[2023]):,} hab. (2023)".replace(",", " ") in text
    assert "France (IPS national DEPP) :" in text  # France where the data allow
    assert "valeur de la Dordogne (département)" in text  # département-only indicators say whose value it is
    assert territory_as_dordogne(text) == []
    # Ranking: the territory's communes only.
    ranking = at.dataframe[0].value  # type: ignore[attr-defined]
    assert len(ranking) == 43 and set(ranking["Code"]) == communes

    # Every millésime of the territory is the sum of its 43 communes.
    from indicators import get
    from indicators.data import indicator_frame

    frame, error = indicator_frame(get("population"), "epci")  # type: ignore[arg-type]
    assert error is None
    mine = frame[(frame["level"] == "epci")].set_index("year")["value"]
    assert set(frame.loc[frame["level"] == "epci", "code"]) == {SIREN}
    assert mine.to_dict() == {int(y): float(v) for y, v in expected.items()}

    assert [str(o) for o in at.radio(key="indicators_level").options] == ["Le Grand Périgueux", "Commune"]  # type: ignore[attr-defined]
    at.radio(key="indicators_level").set_value("commune").run()  # type: ignore[attr-defined]
    assert picker_codes(at, "indicators_commune") == communes  # type: ignore[arg-type]
    # A commune outside the territory is not offered: the link falls back to the territory, with a notice.
    outside = open_page("pages/indicators.py", {"niveau": "commune", "code": "24520"})  # Sarlat-la-Canéda
    assert any("inconnue : affichage du Grand Périgueux" in w.value for w in outside.warning)  # type: ignore[attr-defined]


def test_map_of_the_epci(epci_portal: Path) -> None:
    communes = members()
    at = open_page("pages/map.py", {})
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)  # type: ignore[attr-defined]
    layer = next(layer for layer in spec["layers"] if layer["id"] == "choropleth-commune-0")
    features = layer["data"]["features"]
    from geo import deck as maps  # features carry no code: a click's index is read through maps.codes()

    assert len(features) == 43 and set(maps.codes("commune")) == communes
    assert picker_codes(at, "map_commune") == communes  # type: ignore[arg-type]
    view = spec["initialViewState"]
    assert abs(view["latitude"] - 45.1) < 0.2 and abs(view["longitude"] - 0.73) < 0.2 and view["zoom"] > 8.5
    text = page_text(at)  # type: ignore[arg-type]
    assert territory_as_dordogne(text) == []
    # Every commune drawn has its value (the indicator rows and the outlines cover the same 43 communes).
    assert all("pas de valeur" not in f["properties"]["tooltip"] for f in features)


def test_sql_files_name_roles_never_datasets() -> None:
    """Named queries and shared views reach datasets through `{role:...}` (config.DEFAULT_DATASETS), so that
    another territory's datasets plug in by configuration."""
    sql_dir = ROOT / "queries" / "sql"
    offenders = {}
    for path in sorted(sql_dir.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        named = re.findall(r"\bdsr?_[a-z0-9_]+", text)
        unknown_roles = [r for r in re.findall(r"\{role:([a-z_0-9]+)\}", text) if r not in config.DEFAULT_DATASETS]
        if named or unknown_roles:
            offenders[path.name] = named + unknown_roles
    assert offenders == {}
    uses = {r for p in sql_dir.rglob("*.sql") for r in re.findall(r"\{role:([a-z_0-9]+)\}", p.read_text("utf-8"))}
    assert {"population", "commune_contours", "epci_communes", "communes"} <= uses
