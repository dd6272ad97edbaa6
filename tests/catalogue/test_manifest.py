"""The dataset manifest (catalogue/datasets/*.toml) is valid, complete and matches the embedded files."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import unicodedata
from pathlib import Path

import pytest

from catalogue import vocab
from catalogue.manifest import GRANULARITIES, ID_RE, load_manifest, load_manifest_report, manifest_errors
from tests.reuses.helpers import reuse_env  # noqa: F401 - fixture

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
    assert manifest_errors(CATALOGUE_DIR) == []
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


BAD_FILES = {
    "a-pas-du-toml.toml": 'id = "a-pas-du-toml"\ntitle = "sans fin',  # unterminated string
    "b-mauvais-type.toml": 'id = "b-mauvais-type"\ntitle = "T"\npublisher = "P"\nkeywords = 5\n'
                           'license = { id = "lov2" }\nsource = { path = "x.csv" }\n',  # a number where a list belongs
    "z-doublon.toml": 'id = "epci"\ntitle = "Doublon"\npublisher = "P"\nlicense = { id = "lov2" }\n'
                      'source = { path = "x.csv" }\n',  # the id of epci.toml again
    "d-pas-utf8.toml": "id = \"d\"\ntitle = \"\xe9t\xe9\"\n",
}


def bad_catalogue(target: Path, good: list[str]) -> Path:
    """A catalogue directory: copies of real manifest files plus one file of each kind of breakage."""
    target.mkdir()
    for name in good:
        shutil.copy(CATALOGUE_DIR / f"{name}.toml", target / f"{name}.toml")
    for name, text in BAD_FILES.items():
        (target / name).write_bytes(text.encode("latin-1"))
    return target


def test_a_bad_manifest_file_hides_its_dataset_only(tmp_path: Path) -> None:
    directory = bad_catalogue(tmp_path / "catalogue", ["communes", "epci"])
    specs, errors = load_manifest_report(directory)
    assert [s.id for s in specs] == ["communes", "epci"]
    assert [e.file for e in errors] == sorted(BAD_FILES)
    by_file = {e.file: e.message for e in errors}
    assert "TOML illisible" in by_file["a-pas-du-toml.toml"]
    assert "forme attendue" in by_file["b-mauvais-type.toml"]
    assert "déjà utilisé" in by_file["z-doublon.toml"]
    assert "TOML illisible" in by_file["d-pas-utf8.toml"]
    assert all(e.message.startswith(e.file) for e in errors)  # every message names its file


def test_the_catalogue_lists_the_valid_datasets_beside_a_bad_file(read_only_portal: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import config
    import queries
    from queries import catalogue_search

    directory = bad_catalogue(tmp_path / "catalogue", ["communes", "epci", "colleges"])
    monkeypatch.setenv("TERRITOIRE_CATALOGUE_DIR", str(directory))
    config.get_settings.cache_clear()
    assert sorted(catalogue_search.all_entries()["id"]) == ["colleges", "communes", "epci"]
    assert "b-mauvais-type" not in set(queries.run("catalogue_export", max_rows=1_000)["id"])


def test_loaders_build_loads_the_good_entries_and_fails_on_the_bad_file(tmp_path: Path) -> None:
    directory = tmp_path / "catalogue"
    directory.mkdir()
    data = tmp_path / "petit.csv"
    data.write_text("code;valeur\n24001;1\n24002;2\n", encoding="utf-8")
    (directory / "petit.toml").write_text(
        f'id = "petit"\ntitle = "Petit jeu"\npublisher = "Tests"\nlicense = {{ id = "lov2" }}\n'
        f'source = {{ path = "{data}" }}\n', encoding="utf-8")
    (directory / "casse.toml").write_text('id = "casse"\ntitle = ', encoding="utf-8")
    env = {**os.environ, "TERRITOIRE_DATA_DIR": str(tmp_path / "data"), "TERRITOIRE_CATALOGUE_DIR": str(directory)}
    proc = subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "chargé  petit : 2 lignes" in proc.stdout
    assert "casse.toml : TOML illisible" in proc.stderr
    assert "Fichiers de manifeste invalides : casse.toml" in proc.stderr


@pytest.mark.usefixtures("reuse_env")
def test_admin_lists_the_invalid_manifest_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.pages.test_admin import SECRET, admin, login

    directory = tmp_path / "catalogue"  # reuse_env's three-dataset catalogue, plus three broken files
    broken = {name: text for name, text in BAD_FILES.items() if name != "z-doublon.toml"}
    for name, text in broken.items():
        (directory / name).write_bytes(text.encode("latin-1"))
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    at = login(admin())
    assert not at.exception, [e.value for e in at.exception]
    assert "Fichiers de manifeste invalides" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "Fichier" in d.value.columns)
    listed = dict(zip(table["Fichier"], table["Erreur"], strict=True))
    assert set(listed) == set(broken)
    assert all(message.startswith(name) for name, message in listed.items())
