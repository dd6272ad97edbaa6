"""Atom feeds over real HTTP (serve.py → asgi.py on a free port): the catalogue feed and a dataset's version feed
parse as Atom with the required elements, their links answer, a newly loaded version shows what changed, hostile
publisher text stays text, unknown feeds are 404s, and the app's pages announce the feeds in a `Link` header."""

from __future__ import annotations

import datetime as dt
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import config
from catalogue import feeds
from catalogue.manifest import parse_spec, write_spec
from tests.conftest import ROOT, LiveServer, open_page

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_ID = "flux-essai"
HOSTILE_TITLE = "<script>alert('flux')</script> Essai & « flux »"
HOSTILE_PUBLISHER = "<b>Éditeur</b>"
HOSTILE_DESCRIPTION = "Texte <img src=x onerror=alert(1)> et **gras**."


def _manifest(source: Path) -> dict[str, Any]:
    return {"id": HOSTILE_ID, "title": HOSTILE_TITLE, "publisher": HOSTILE_PUBLISHER,
            "description": HOSTILE_DESCRIPTION, "themes": ["economy_and_business"], "license": {"id": "lov2"},
            "source": {"path": str(source)}}


def _load(data_dir: Path, cat_dir: Path, source: Path) -> None:
    """Publish a version of the test dataset into the server's data directory, as `python -m loaders build` would."""
    from loaders.pipeline import load_dataset

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TERRITOIRE_DATA_DIR", str(data_dir))
        mp.setenv("TERRITOIRE_CATALOGUE_DIR", str(cat_dir))
        config.get_settings.cache_clear()
        try:
            write_spec(_manifest(source), cat_dir)
            result = load_dataset(parse_spec(_manifest(source)))
            assert not result.skipped
        finally:
            config.get_settings.cache_clear()


@pytest.fixture(scope="module")
def site(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("feeds")
    data_dir, cat_dir, source = root / "data", root / "catalogue", root / "essai.csv"
    shutil.copytree(warehouse_dir, data_dir)
    shutil.copytree(ROOT / "catalogue" / "datasets", cat_dir)
    source.write_text("code;valeur\n01;1\n02;2\n", encoding="utf-8")
    _load(data_dir, cat_dir, source)
    live = LiveServer(data_dir, {"TERRITOIRE_CATALOGUE_DIR": str(cat_dir)})
    yield {"server": live, "data_dir": data_dir, "cat_dir": cat_dir, "source": source}
    live.stop()


def _get(site: dict[str, Any], path: str, **kw: Any) -> requests.Response:
    return requests.get(site["server"].url + path, timeout=60, **kw)


def _atom(response: requests.Response) -> ET.Element:
    """The parsed feed, after checking the answer's type, CORS and cache headers and Atom's required elements."""
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["etag"] and "max-age" in response.headers["cache-control"]
    assert response.headers["last-modified"]
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for element in (feed, *feed.findall(f"{ATOM}entry")):
        for name in ("id", "title", "updated"):
            assert (element.findtext(f"{ATOM}{name}") or "").strip(), (name, ET.tostring(element)[:300])
        dt.datetime.fromisoformat(element.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    return feed


def _links(entry: ET.Element) -> dict[str, list[ET.Element]]:
    out: dict[str, list[ET.Element]] = {}
    for link in entry.findall(f"{ATOM}link"):
        out.setdefault(link.get("rel", "alternate"), []).append(link)
    return out


def _entry(feed: ET.Element, dataset_id: str) -> ET.Element:
    return next(e for e in feed.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}id", "").endswith(f"/{dataset_id}"))


# -- the catalogue feed ------------------------------------------------------------------------------------------------
def test_catalogue_feed_lists_every_published_dataset_newest_first(site: dict[str, Any]) -> None:
    feed = _atom(_get(site, "/flux/catalogue.atom"))
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    published = sorted(p.name for p in (site["data_dir"] / "warehouse").iterdir() if p.is_dir())
    assert len(ids) == len(set(ids)) == len(published) and all(i.startswith("tag:127.0.0.1,") for i in ids)
    stamps = [dt.datetime.fromisoformat(e.findtext(f"{ATOM}updated")) for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    colleges = _entry(feed, "colleges")
    links = _links(colleges)
    assert [x.get("href") for x in links["alternate"]] == [f"{site['server'].url}/jeu-de-donnees?id=colleges"]
    export = f"{site['server'].url}/api/explore/v2.1/catalog/datasets/colleges/exports"
    assert [(x.get("href"), x.get("type")) for x in links["enclosure"]] == [(f"{export}/csv", "text/csv")]
    assert {x.get("href") for x in links["related"]} == {
        f"{export}/json", f"{export}/parquet", f"{export}/geojson",
        f"{site['server'].url}/flux/jeux-de-donnees/colleges.atom"}
    assert dt.datetime.fromisoformat(colleges.findtext(f"{ATOM}published")) <= stamps[0]
    assert colleges.findtext(f"{ATOM}author/{ATOM}name") == "Ministère de l'Éducation nationale (DEPP)"
    assert [c.get("term") for c in colleges.findall(f"{ATOM}category")] == ["education_and_research"]
    assert colleges.find(f"{ATOM}summary").get("type") in (None, "text")
    assert "52 enregistrements" in colleges.findtext(f"{ATOM}summary").replace("\u202f", " ")


def test_every_link_of_an_entry_answers(site: dict[str, Any]) -> None:
    feed = _atom(_get(site, "/flux/catalogue.atom"))
    for dataset_id in ("colleges", HOSTILE_ID):
        for link in _entry(feed, dataset_id).findall(f"{ATOM}link"):
            answer = requests.get(link.get("href"), timeout=60)
            assert answer.status_code == 200, (link.get("href"), answer.text[:300])
            if link.get("type"):
                assert answer.headers["content-type"].startswith(link.get("type")), link.get("href")


def test_hostile_text_is_escaped_text(site: dict[str, Any]) -> None:
    answer = _get(site, "/flux/catalogue.atom")
    raw = answer.text
    assert "<script>" not in raw and "<img" not in raw and "<b>" not in raw
    assert "&lt;script&gt;alert('flux')&lt;/script&gt; Essai &amp; « flux »" in raw
    assert 'type="html"' not in raw and 'type="xhtml"' not in raw
    entry = _entry(_atom(answer), HOSTILE_ID)
    assert entry.findtext(f"{ATOM}title") == HOSTILE_TITLE
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == HOSTILE_PUBLISHER
    assert "Texte <img src=x onerror=alert(1)> et gras." in entry.findtext(f"{ATOM}summary")
    own = _get(site, f"/flux/jeux-de-donnees/{HOSTILE_ID}.atom")
    assert "<script>" not in own.text
    assert _atom(own).findtext(f"{ATOM}title") == f"{HOSTILE_TITLE} — versions publiées"


def test_unknown_feeds_are_404s(site: dict[str, Any]) -> None:
    unknown = _get(site, "/flux/jeux-de-donnees/inconnu.atom")
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "NotFoundError"
    for path in ("/flux/jeux-de-donnees/COLLEGES.atom", "/flux/jeux-de-donnees/colleges", "/flux/autre.atom",
                 "/flux/"):
        answer = _get(site, path)
        assert answer.status_code == 404, (path, answer.status_code)
        assert answer.headers["access-control-allow-origin"] == "*"
    # A path with `..` in it is refused before routing by Streamlit's path-security middleware.
    assert _get(site, "/flux/jeux-de-donnees/..%2F..%2Fetc%2Fpasswd.atom").status_code == 400


def test_catalogue_rss_export_has_the_same_entries(site: dict[str, Any]) -> None:
    answer = _get(site, "/api/explore/v2.1/catalog/exports/rss")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert answer.headers["access-control-allow-origin"] == "*" and answer.headers["etag"]
    assert "<script>" not in answer.text
    channel = ET.fromstring(answer.content).find("channel")
    assert channel.findtext("title") and channel.findtext("link") and channel.findtext("description")
    items = channel.findall("item")
    atom = _atom(_get(site, "/flux/catalogue.atom")).findall(f"{ATOM}entry")
    assert [i.findtext("guid") for i in items] == [e.findtext(f"{ATOM}id") for e in atom]
    assert [i.findtext("title") for i in items] == [e.findtext(f"{ATOM}title") for e in atom]
    assert all(i.findtext("pubDate") and i.find("enclosure").get("type") == "text/csv" for i in items)
    formats = _get(site, "/api/explore/v2.1/catalog/exports").json()["_links"]
    assert any(link.get("format") == "rss" for link in formats)


# -- a dataset's versions ----------------------------------------------------------------------------------------------
def test_a_new_version_appears_with_what_changed(site: dict[str, Any]) -> None:
    path = f"/flux/jeux-de-donnees/{HOSTILE_ID}.atom"
    before = _get(site, path)
    first = _atom(before).findall(f"{ATOM}entry")
    assert len(first) == 1
    assert "première version publiée, 2 lignes et 2 colonnes" in first[0].findtext(f"{ATOM}title")
    assert _get(site, path, headers={"If-None-Match": before.headers["etag"]}).status_code == 304

    site["source"].write_text("code;valeur;nom\n01;un;A\n02;2;B\n03;3;C\n", encoding="utf-8")
    _load(site["data_dir"], site["cat_dir"], site["source"])
    after = _get(site, path, headers={"If-None-Match": before.headers["etag"]})
    entries = _atom(after).findall(f"{ATOM}entry")
    assert after.headers["etag"] != before.headers["etag"]
    assert len(entries) == 2 and entries[1].findtext(f"{ATOM}id") == first[0].findtext(f"{ATOM}id")
    newest = entries[0]
    assert newest.findtext(f"{ATOM}title").startswith("Version du ")
    summary = newest.findtext(f"{ATOM}summary")
    for expected in ("1 ligne de plus (2 → 3).", "Colonnes ajoutées : nom.", "Type de la colonne valeur : entier → "
                     "texte.", "Nouveau fichier source", "C'est la version servie actuellement par le portail."):
        assert expected in summary, summary
    assert dt.datetime.fromisoformat(newest.findtext(f"{ATOM}updated")) >= dt.datetime.fromisoformat(
        entries[1].findtext(f"{ATOM}updated"))
    assert [x.get("rel") for x in newest.findall(f"{ATOM}link")] == [None, "enclosure"]
    assert [x.get("rel") for x in entries[1].findall(f"{ATOM}link")] == [None]  # only the current one is exported

    catalogue = _atom(_get(site, "/flux/catalogue.atom")).findall(f"{ATOM}entry")
    assert catalogue[0].findtext(f"{ATOM}id").endswith(f"/{HOSTILE_ID}")
    assert catalogue[0].findtext(f"{ATOM}summary").startswith("Mise à jour des données le ")


# -- discoverability ---------------------------------------------------------------------------------------------------
def test_pages_announce_the_feeds_in_a_link_header(site: dict[str, Any]) -> None:
    base = site["server"].url
    home = _get(site, "/")
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert home.links["alternate"]["url"] == f"{base}/flux/catalogue.atom"
    assert home.links["alternate"]["type"] == "application/atom+xml"
    page = _get(site, "/jeu-de-donnees", params={"id": "colleges"})
    assert f"<{base}/flux/jeux-de-donnees/colleges.atom>" in page.headers["link"]
    assert f"<{base}/flux/catalogue.atom>" in page.headers["link"]
    hostile = _get(site, "/jeu-de-donnees", params={"id": "x>; rel=\"next\", <https://evil.example/"})
    assert hostile.headers["link"].count("<") == 1 and "evil" not in hostile.headers["link"]
    api = _get(site, "/api/explore/v2.1/catalog/datasets")
    assert "link" not in api.headers


def test_footer_and_dataset_page_link_the_feeds(read_only_portal: Path) -> None:
    at = open_page("pages/dataset.py", {"id": "colleges", "tab": "informations"})
    texts = [m.value for m in at.markdown]  # type: ignore[attr-defined]
    base = config.get_settings().public_base_url
    assert any(f"[Flux Atom des jeux de données]({base}{feeds.CATALOGUE_FEED_PATH})" in t for t in texts), texts
    assert any(f"[Suivre les mises à jour (Atom)]({base}/flux/jeux-de-donnees/colleges.atom)" in t for t in texts)


# -- what changed, from stored metadata ---------------------------------------------------------------------------------
def _meta(**kw: Any) -> dict[str, Any]:
    meta = {"dataset_id": "d", "version": "20260101T000000000000Z", "rows": 10, "title": "Titre",
            "loaded_at": "2026-01-01T00:00:00+00:00", "source": {"path": "a.csv", "sha256": "aa", "format": "csv"},
            "columns": [{"name": "a", "type": "integer", "label": "A"}], "geo": {"kind": "none"}, "warnings": [],
            "changes": {"previous_version": None, "rows_added": 10, "rows_removed": 0, "columns_added": [],
                        "columns_removed": []}}
    return {**meta, **kw}


def test_version_changes_reads_the_stored_metadata() -> None:
    old = _meta()
    new = _meta(version="20260201T000000000000Z", rows=7, title="Nouveau titre",
                source={"url": "https://exemple.fr/b.csv", "sha256": "bb", "format": "csv", "encoding": "latin-1"},
                columns=[{"name": "a", "type": "integer", "label": "Colonne A"}, {"name": "g", "type": "geometry"}],
                geo={"kind": "polygon"}, warnings=["ligne 3"])
    assert feeds.version_changes(new, old) == [
        "3 lignes de moins (10 → 7).", "Colonnes ajoutées : g.", "Libellé de la colonne a : « A » → « Colonne A ».",
        "Titre : « Titre » → « Nouveau titre ».", "Source : a.csv → https://exemple.fr/b.csv.",
        "Lecture du fichier : csv → csv · latin-1.", "Nouveau fichier source (empreinte SHA-256 bb…).",
        "Géographie : aucune → polygones.", "Avertissements du chargement : 0 → 1."]
    assert feeds.version_changes(_meta(), _meta()) == ["même nombre de lignes (10).",
                                                       "Fichier source identique (rechargement forcé)."]
    pruned = _meta(rows=12, changes={"previous_version": "20251201T000000000000Z", "rows_added": 2,
                                     "rows_removed": 0, "columns_added": ["b"], "columns_removed": []})
    assert feeds.version_changes(pruned, None) == [
        "2 lignes de plus (10 → 12).", "Colonnes ajoutées : b.",
        "(Comparée à la version 20251201T000000000000Z, qui n'est plus conservée.)"]
    assert feeds.plain("a\x00b\x1bc") == "abc"  # characters XML cannot carry never reach lxml
