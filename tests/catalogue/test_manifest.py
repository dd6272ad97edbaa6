"""The dataset manifest (catalogue/datasets/*.toml) is valid, complete and matches the embedded files."""

from __future__ import annotations

import csv
import json
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

from catalogue import vocab
from catalogue.manifest import GRANULARITIES, ID_RE, load_manifest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_DIR = ROOT / "catalogue" / "datasets"
MIN_DATASETS = 14
# Pure référentiels: their temporal coverage is the COG year (start == end).
REFERENTIELS = {"communes", "epci", "epci-communes", "contours-communes", "contours-epci", "cantons-2018"}
GEO_EXTRA = ("geometry",)
POLYGON_EXTRA = ("centroid_lon", "centroid_lat")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR = re.compile(r"^\d{4}$")


def normalise_column(name: str) -> str:
    """Loader rule: ASCII snake_case, accents stripped, non-alphanumeric runs -> `_`, leading digit -> `c_`."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if text and text[0].isdigit():
        text = "c_" + text
    return text


def normalise_header(header: list[str]) -> list[str]:
    """Normalise every name, skip empty (e.g. trailing) names, suffix duplicates with _2, _3..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for raw in header:
        name = normalise_column(raw)
        if not name:
            continue
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def file_columns(path: Path) -> list[str]:
    """Normalised column names the loader produces for an embedded CSV or GeoJSON file."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        return normalise_header(header)
    if path.suffix.lower() in (".geojson", ".json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data.get("features") if data.get("type") == "FeatureCollection" else [data]
        props: list[str] = []
        kinds: set[str] = set()
        for feature in features:
            kinds.add(feature["geometry"]["type"])
            for key in feature.get("properties") or {}:
                if key not in props:
                    props.append(key)
        cols = normalise_header(props) + list(GEO_EXTRA)
        if kinds & {"Polygon", "MultiPolygon"}:
            cols += list(POLYGON_EXTRA)
        return cols
    raise AssertionError(f"format non géré par ce test : {path.name}")


@pytest.fixture(scope="module")
def specs():
    return load_manifest(CATALOGUE_DIR)


def test_normalisation_rule():
    assert normalise_column("Nom de l'établissement") == "nom_de_l_etablissement"
    assert normalise_column("Taux de réussite - G") == "taux_de_reussite_g"
    assert normalise_column("Rentrée scolaire") == "rentree_scolaire"
    assert normalise_column("Taux d'accès 6ème-3ème") == "taux_d_acces_6eme_3eme"
    assert normalise_column("EPSG") == "epsg"
    assert normalise_column("2016 (2) | Total") == "c_2016_2_total"
    assert normalise_column("  __ ") == ""
    assert normalise_header(["A b", "a-b", "", "a_b"]) == ["a_b", "a_b_2", "a_b_3"]


def test_every_file_parses_and_ids_unique(specs):
    files = sorted(CATALOGUE_DIR.glob("*.toml"))
    ids = [tomllib.loads(p.read_text(encoding="utf-8"))["id"] for p in files]
    assert len(ids) == len(set(ids))
    assert len(load_manifest(CATALOGUE_DIR, include_generated=True)) == len(files)
    for spec in specs:
        assert ID_RE.match(spec.id)
        assert spec.path is not None and spec.path.stem == spec.id, f"{spec.path} : le nom du fichier doit être l'id"


def test_at_least_14_datasets(specs):
    assert len(specs) >= MIN_DATASETS


def test_source_files_exist_under_data(specs):
    data_dir = (ROOT / "data").resolve()
    for spec in specs:
        assert spec.source.path, f"{spec.id} : source.path manquant"
        assert not Path(spec.source.path).is_absolute(), f"{spec.id} : chemin relatif à la racine attendu"
        path = spec.source_file().resolve()
        assert path.is_file(), f"{spec.id} : fichier absent {spec.source.path}"
        assert path.is_relative_to(data_dir), f"{spec.id} : le fichier doit être sous data/"
        assert spec.source.page and spec.source.page.startswith("https://"), f"{spec.id} : source.page"


def test_columns_match_file_header(specs):
    for spec in specs:
        expected = file_columns(spec.source_file())
        documented = list(spec.columns)
        missing = [c for c in expected if c not in spec.columns]
        unknown = [c for c in documented if c not in expected]
        assert not missing, f"{spec.id} : colonnes sans entrée [columns] : {missing}"
        assert not unknown, f"{spec.id} : entrées [columns] sans colonne dans le fichier : {unknown}"
        for name, doc in spec.columns.items():
            assert doc.label.strip() and doc.label != name, f"{spec.id}.{name} : libellé français attendu"
            assert doc.description.strip(), f"{spec.id}.{name} : description vide"


def test_licences_are_known_vocab_ids(specs):
    for spec in specs:
        assert spec.license.id in vocab.LICENSES, f"{spec.id} : licence {spec.license.id} inconnue"
        assert spec.license.title.strip()
        if spec.license.id == "other-at":
            assert spec.license.url.startswith("https://"), f"{spec.id} : URL des conditions de réutilisation"


def test_vocabularies(specs):
    for spec in specs:
        assert spec.themes and all(t in vocab.TOPICS for t in spec.themes), spec.id
        assert spec.frequency in vocab.FREQUENCIES and spec.frequency != "unknown", spec.id
        assert spec.spatial_granularity in GRANULARITIES, spec.id
        assert spec.keywords, spec.id


def test_required_metadata(specs):
    for spec in specs:
        for field in ("title", "description", "publisher", "publisher_url", "attribution", "provenance"):
            assert str(getattr(spec, field)).strip(), f"{spec.id} : {field} vide"
        assert spec.publisher_url.startswith("https://"), spec.id
        assert ISO_DATE.match(spec.created) and ISO_DATE.match(spec.modified), spec.id
        assert spec.created <= spec.modified, spec.id
        cov = spec.temporal_coverage
        assert YEAR.match(str(cov.get("start", ""))) and YEAR.match(str(cov.get("end", ""))), spec.id
        assert cov["start"] <= cov["end"], spec.id
        if spec.id in REFERENTIELS:
            assert cov["start"] == cov["end"], f"{spec.id} : un référentiel couvre l'année de son COG"


def test_gisco_acknowledgement(specs):
    for spec in specs:
        if "GISCO" in spec.publisher:
            assert "© EuroGeographics / Eurostat" in spec.attribution
            assert "© EuroGeographics / Eurostat" in spec.description
