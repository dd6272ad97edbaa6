"""The dashboard pages in AppTest: a link's dashboard drawn block by block with the values the executor computes, a
saved one reopened by its short link, hostile links answered in French without reaching SQL, the composer building
a link and a short link, the list of saved dashboards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

import queries
from dashboards import codec, store
from dashboards.spec import parse
from reuses import store as reuse_store
from reuses.validation import ReuseInput, validate
from tests.conftest import open_page
from tests.pages.test_hostile_inputs import (  # noqa: F401 - the recorder fixture, shared
    HYPOTHESIS,
    PAYLOADS,
    Recorder,
    check_render,
    hostile,
    optional_params,
    recorder,
    render,
)
from ui.dashboard_blocks import figure_text

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

PERIGUEUX = "24322"
DOC = {
    "version": 1, "title": "Collèges de Périgueux", "filter": {"level": "commune", "code": PERIGUEUX},
    "blocks": [
        {"type": "chart", "title": "IPS par secteur", "dataset": "ips-colleges", "width": 2,
         "view": {"chart": "bar", "x": "secteur", "y": "ips", "agg": "mean"}},
        {"type": "figure", "title": "IPS moyen", "dataset": "ips-colleges", "agg": "mean", "column": "ips",
         "unit": "points"},
        {"type": "map", "dataset": "ips-colleges", "view": {"map": "choropleth", "mcol": "ips", "magg": "mean"}},
        {"type": "map", "dataset": "colleges", "view": {"map": "points"}},
        {"type": "table", "dataset": "ips-colleges", "columns": ["nom_de_l_etablissment", "ips"],
         "view": {"sort": "-ips", "size": "20"}},
        {"type": "text", "title": "Lecture", "text": "Un **IPS** élevé.<script>alert('x')</script>"},
        {"type": "chart", "title": "Disparu", "dataset": "jeu-supprime"},
        {"type": "table", "title": "Colonne disparue", "dataset": "ips-colleges", "view": {"f": ["ancienne:eq:1"]}},
    ],
}


@pytest.fixture
def site(read_only_portal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The session warehouse read in place; dashboards saved in a database of this test's own."""
    monkeypatch.setenv("TERRITOIRE_REUSES_DB_URL", f"sqlite:///{tmp_path / 'portal.sqlite'}")
    yield read_only_portal
    store.dispose_engines()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [e.value for e in at.error]
    return "\n".join(parts + [i.value for i in at.info] + [c.value for c in at.caption])


def mean_ips(commune: str | None) -> float:
    sql = "SELECT avg(ips) FROM ds_ips_colleges" + (" WHERE code_insee_de_la_commune = $c" if commune else "")
    return float(queries.run_sql_text(sql, {"c": commune} if commune else {}).iloc[0, 0])


def test_a_linked_dashboard_draws_every_block_with_the_executors_values(site: Path) -> None:
    at = open_page("pages/dashboard.py", {"d": codec.encode(parse(DOC))})
    assert at.title[0].value == "Collèges de Périgueux"
    assert [s.value for s in at.subheader][:6] == ["IPS par secteur", "IPS moyen", "Carte", "Carte", "Tableau",
                                                   "Lecture"]
    metric = at.metric[0]
    assert metric.label == "Moyenne de IPS"
    expected = f"{mean_ips(PERIGUEUX):.1f}".replace(".", ",") + " points"
    assert metric.value == expected
    whole = f"{mean_ips(None):.1f}".replace(".", ",")
    assert f"Sans le filtre du tableau de bord : {whole} points." in texts(at)
    assert len(at.get("plotly_chart")) == 1 and len(at.get("deck_gl_json_chart")) == 2
    table = next(df.value for df in at.dataframe if list(df.value.columns) == ["Nom de l'établissement", "IPS"])
    assert len(table) == queries.run_sql_text(
        "SELECT count(*) FROM ds_ips_colleges WHERE code_insee_de_la_commune = $c", {"c": PERIGUEUX}).iloc[0, 0]
    html = "".join(h.proto.body for h in at.get("html"))
    assert "<strong>IPS</strong>" in html and "<script" not in html
    body = texts(at)
    assert "Le jeu de données « jeu-supprime » n'est plus publié" in body
    assert "colonne inconnue « ancienne »" in body
    assert "Filtre du tableau de bord** — Commune \\: Périgueux \\(24322\\)" in body
    assert "Licence Ouverte" in body and "version du" in body
    codes = [c.value for c in at.code]
    assert any("/tableau-de-bord?d=" in c for c in codes) and any("embed=true" in c for c in codes)


@pytest.mark.parametrize("link", [
    "AAAA", "x" * 30_000, "eJzLSM3JyVcozy_KSQEAGgQEXQ", "<script>alert(1)</script>",
    codec.encode(parse({"version": 1, "blocks": [{"type": "table", "dataset": "ips-colleges",
                                                    "view": {"f": ["secteur:eq:'); DROP TABLE x; --"]}}]})),
])
def test_hostile_links_get_a_french_message_and_no_sql(site: Path, recorder: Recorder, link: str) -> None:  # noqa: F811
    at = open_page("pages/dashboard.py", {"d": link})
    for sql, _params in recorder.calls:
        assert "DROP TABLE" not in sql and "<script" not in sql
    if "DROP" in str(parse_or_none(link)):
        assert any("DROP TABLE" in str(v) for _, p in recorder.calls for v in p.values())  # bound, not spliced
    else:
        assert at.error and "Ce lien de tableau de bord ne peut pas être ouvert" in at.error[0].value


def parse_or_none(link: str) -> Any:
    try:
        return codec.decode(link)
    except ValueError:
        return None


def test_a_saved_dashboard_reopens_by_its_short_link_and_says_the_data_changed(site: Path) -> None:
    slug = store.save(parse(DOC), {"ips-colleges": "20200101T000000000000Z"})
    at = open_page("pages/dashboard.py", {"id": slug})
    assert at.title[0].value == "Collèges de Périgueux"
    changed = [i.value for i in at.info if "Les données ont changé depuis l'enregistrement" in i.value]
    assert changed and "1er janvier 2020" in changed[0]
    assert any(c.value.endswith(f"/tableaux-de-bord/{slug}") for c in at.code)
    missing = open_page("pages/dashboard.py", {"id": "zzzzzzzzzz"})
    assert "Aucun tableau de bord enregistré" in missing.error[0].value
    gallery = open_page("pages/dashboards.py", {})  # saved without an account, so never listed
    assert slug not in texts(gallery) and "Aucun tableau de bord publié" in texts(gallery)


def test_compose_two_blocks_then_save_a_short_link(site: Path) -> None:
    at = open_page("pages/dashboard_compose.py", {})
    at.text_input(key="dashboard_title").input("Mon tableau").run()
    at.selectbox(key="dashboard_new_type").select("figure").run()
    at.selectbox(key="dashboard_new_dataset").select("ips-colleges").run()
    at.selectbox(key="dashboard_new_fagg").select("max").run()
    at.selectbox(key="dashboard_new_fcol").select("ips").run()
    at.text_input(key="dashboard_new_title").input("IPS maximal").run()
    at.button(key="dashboard_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="dashboard_new_type").select("text").run()
    at.text_area(key="dashboard_new_text").input("**Note** : données 2022.").run()
    at.button(key="dashboard_add").click().run()
    at.button(key="dashboard_up_1").click().run()
    at.button_group(key="dashboard_width_1").set_value(3).run()  # the figure, now second, spans the whole grid
    assert not at.exception, [e.value for e in at.exception]
    link = next(c.value for c in at.code if "/tableau-de-bord?d=" in c.value)
    board = codec.decode(re.search(r"d=([A-Za-z0-9_-]+)", link).group(1))
    assert board.title == "Mon tableau"
    assert [b.type for b in board.blocks] == ["text", "figure"]
    assert (board.blocks[1].agg, board.blocks[1].column, board.blocks[1].title) == ("max", "ips", "IPS maximal")
    assert [b.width for b in board.blocks] == [1, 3]
    assert at.metric[0].value == figure_text(queries.run_sql_text("SELECT max(ips) FROM ds_ips_colleges").iloc[0, 0], "")
    at.button(key="dashboard_save").click().run()
    short = next(c.value for c in at.code if "/tableaux-de-bord/" in c.value)
    saved = store.load(short.rsplit("/", 1)[1])
    assert saved is not None and saved.dashboard == board and "ips-colleges" in saved.data_versions


def test_compose_takes_a_dataset_page_link_with_its_filters(site: Path) -> None:
    at = open_page("pages/dashboard_compose.py", {})
    at.selectbox(key="dashboard_new_type").select("table").run()
    at.text_input(key="dashboard_new_link").input(
        "http://127.0.0.1:8501/jeu-de-donnees?id=ips-colleges&tab=tableau&f=secteur:eq:Public&sort=-ips").run()
    at.button(key="dashboard_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    link = next(c.value for c in at.code if "/tableau-de-bord?d=" in c.value)
    block = codec.decode(re.search(r"d=([A-Za-z0-9_-]+)", link).group(1)).blocks[0]
    assert block.dataset == "ips-colleges" and block.view["f"] == ["secteur:eq:Public"]


def test_the_add_to_dashboard_links_of_the_dataset_page_and_sql_append_one_block(site: Path, recorder: Recorder  # noqa: F811
                                                                                 ) -> None:
    vue = "id=ips-colleges&tab=graphique&f=secteur:eq:Public&chart=bar&x=nom_de_la_commune&agg=mean&y=ips"
    at = open_page("pages/dashboard_compose.py", {"bloc": "chart", "vue": vue})
    at.run()  # a rerun of the same link adds nothing more
    at.query_params["bloc"], at.query_params["sql"] = "table", "SELECT count(*) AS n FROM ds_ips_colleges"
    at.query_params.pop("vue")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    link = next(c.value for c in at.code if "/tableau-de-bord?d=" in c.value)
    blocks = codec.decode(re.search(r"d=([A-Za-z0-9_-]+)", link).group(1)).blocks
    assert [(b.type, b.dataset) for b in blocks] == [("chart", "ips-colleges"), ("table", None)]
    assert blocks[0].view["f"] == ["secteur:eq:Public"] and blocks[0].view["x"] == "nom_de_la_commune"
    assert blocks[1].sql.startswith("SELECT count(*)") and recorder.sandbox_ops == []  # stored, not run
    hostile = open_page("pages/dashboard_compose.py", {"bloc": "chart", "vue": "id=../etc&f=x'; DROP:eq:1"})
    assert "Rien n'a été ajouté" in hostile.warning[0].value


@settings(HYPOTHESIS, max_examples=8)
@given(params=optional_params(["d", "id", "embed"]))
def test_the_view_page_survives_hostile_parameters(site: Path, recorder: Recorder,  # noqa: F811
                                                   params: dict[str, str]) -> None:
    check_render(render("pages/dashboard.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=8)
@given(params=optional_params(["d", "bloc", "vue"]))
def test_the_composer_survives_hostile_parameters(site: Path, recorder: Recorder,  # noqa: F811
                                                  params: dict[str, str]) -> None:
    check_render(render("pages/dashboard_compose.py", params, recorder), params, recorder)
    assert recorder.sandbox_ops == []


@settings(HYPOTHESIS, max_examples=8)
@given(payload=hs.one_of(hs.sampled_from(PAYLOADS), hostile))
def test_hostile_values_inside_a_valid_dashboard_stay_bound(site: Path, recorder: Recorder,  # noqa: F811
                                                            payload: str) -> None:
    """A well-formed dashboard carrying payloads in its filter values, search, title and text."""
    doc = {"version": 1, "title": payload[:120], "blocks": [
        {"type": "figure", "title": payload[:120], "dataset": "ips-colleges",
         "view": {"f": [f"secteur:eq:{payload[:200]}", f"nom_de_la_commune:contains:{payload[:200]}"],
                  "q": payload[:200]}},
        {"type": "text", "text": payload[:4000]}]}
    try:
        link = codec.encode(parse(doc))
    except ValueError:
        return  # a payload the spec already refuses (too long once compressed): covered by the link tests
    at = render("pages/dashboard.py", {"d": link}, recorder)
    check_render(at, {"v": [payload[:200], payload[:120]]}, recorder)


def test_a_sql_table_block_runs_in_the_sandbox_only_when_asked(site: Path, recorder: Recorder) -> None:  # noqa: F811
    at = open_page("pages/dashboard_compose.py", {})
    at.selectbox(key="dashboard_new_type").select("table").run()
    at.radio(key="dashboard_new_source").set_value("sql").run()
    at.text_area(key="dashboard_new_sql").input("SELECT secteur, count(*) AS n FROM ds_ips_colleges GROUP BY 1").run()
    at.button(key="dashboard_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    link = next(c.value for c in at.code if "/tableau-de-bord?d=" in c.value)
    encoded = re.search(r"d=([A-Za-z0-9_-]+)", link).group(1)
    assert codec.decode(encoded).blocks[0].sql.startswith("SELECT secteur")
    assert recorder.sandbox_ops == []
    view = open_page("pages/dashboard.py", {"d": encoded})
    assert recorder.sandbox_ops == [] and not view.dataframe
    view.button(key="dashboard_block_0_run").click().run()
    assert "query" in recorder.sandbox_ops
    counts = dict(zip(view.dataframe[0].value["secteur"], view.dataframe[0].value["n"], strict=True))
    assert sum(counts.values()) == queries.run_sql_text("SELECT count(*) FROM ds_ips_colleges").iloc[0, 0]


def page_links(at: AppTest, label: str) -> list[dict[str, list[str]]]:
    return [parse_qs(el.proto.query_string) for el in at.get("page_link") if el.proto.label == label]


@pytest.mark.parametrize(("tab", "block"), [("tableau", "table"), ("graphique", "chart"), ("carte", "map"),
                                            ("informations", None)])
def test_the_dataset_page_offers_its_view_to_a_dashboard(site: Path, tab: str, block: str | None) -> None:
    at = open_page("pages/dataset.py", {"id": "ips-colleges", "tab": tab, "f": "secteur:eq:Public"})
    links = page_links(at, "Ajouter au tableau de bord")
    if block is None:
        assert links == []
        return
    assert [link["bloc"] for link in links] == [[block]]
    vue = parse_qs(links[0]["vue"][0])
    assert vue["id"] == ["ips-colleges"] and vue["f"] == ["secteur:eq:Public"]


def test_sql_results_offer_a_table_block(site: Path) -> None:
    at = open_page("pages/sql.py", {})
    at.text_area(key="sql_text").input("SELECT secteur, count(*) AS n FROM ds_ips_colleges GROUP BY 1").run()
    at.button(key="sql_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    links = page_links(at, "Ajouter au tableau de bord")
    assert links == [{"bloc": ["table"], "sql": ["SELECT secteur, count(*) AS n FROM ds_ips_colleges GROUP BY 1"]}]


def test_a_saved_dashboard_is_proposed_as_a_reuse_then_featured_on_the_home_page(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", "un-secret-de-moderation-assez-long-pour-le-test")  # opens the form
    slug = store.save(parse(DOC), {})
    at = open_page("pages/dashboard.py", {"id": slug})
    (params,) = page_links(at, "Proposer comme réutilisation")
    assert params["type"] == ["dashboard"] and params["url"][0].endswith(f"/tableaux-de-bord/{slug}")
    form = open_page("pages/reuse_submit.py", {k: v[0] for k, v in params.items()})
    assert form.text_input(key="reuse_submit_url").value == params["url"][0]
    assert form.text_input(key="reuse_submit_title").value == "Collèges de Périgueux"
    assert form.selectbox(key="reuse_submit_type").value == "dashboard"
    # the dataset that is no longer published is not offered (DOC has a block on one)
    published = [d for d in params["datasets"][0].split(",") if d != "jeu-supprime"]
    assert form.multiselect(key="reuse_submit_datasets").value == published == ["ips-colleges", "colleges"]
    home = open_page("pages/home.py", {})
    assert "Aucun tableau de bord publié" in texts(home)
    draft = validate(ReuseInput(
        title="Collèges de Périgueux", description="Un tableau de bord des collèges de Périgueux, IPS et carte.",
        type="dashboard", topic="education_and_research", url=params["url"][0], author_name="Une analyste",
        email="analyste@exemple.fr", datasets=published, permalink=params["permalink"][0]))
    reuse_store.publish(reuse_store.submit(draft, "test-dashboard"), "Modératrice")
    home = open_page("pages/home.py", {})
    assert "Aucun tableau de bord publié" not in texts(home)
    gallery = open_page("pages/dashboards.py", {})
    assert "Aucun tableau de bord publié" not in texts(gallery)


def test_a_departement_filter_is_named_and_keeps_every_commune_of_it(site: Path) -> None:
    doc = {"version": 1, "filter": {"level": "departement", "code": "24"},
           "blocks": [{"type": "figure", "dataset": "ips-colleges", "agg": "mean", "column": "ips"}]}
    at = open_page("pages/dashboard.py", {"d": codec.encode(parse(doc))})
    assert "Département \\: Dordogne \\(24\\)" in texts(at)  # Markdown-escaped
    assert at.metric[0].value == figure_text(mean_ips(None), "")
    composer = open_page("pages/dashboard_compose.py", {})
    composer.selectbox(key="dashboard_level").select("departement").run()
    assert composer.selectbox(key="dashboard_code_departement").options == ["Dordogne (24)"]


def test_the_chosen_dataset_survives_a_detour_through_a_text_block(site: Path) -> None:
    at = open_page("pages/dashboard_compose.py", {})
    at.selectbox(key="dashboard_new_type").select("table").run()
    at.selectbox(key="dashboard_new_dataset").select("ips-colleges").run()
    at.selectbox(key="dashboard_new_type").select("text").run()  # the dataset picker is not drawn
    at.selectbox(key="dashboard_new_type").select("map").run()
    assert at.selectbox(key="dashboard_new_dataset").value == "ips-colleges"
