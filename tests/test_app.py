"""The router: every page file is registered, url_paths are stable, pages only render."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent

# Public link contract: changing one of these breaks links people shared.
URL_PATHS = {
    "pages/home.py": "",
    "pages/catalogue.py": "catalogue",
    "pages/dataset.py": "jeu-de-donnees",
    "pages/indicators.py": "indicateurs",
    "pages/map.py": "carte",
    "pages/commune.py": "commune",
    "pages/reuses.py": "reutilisations",
    "pages/reuse.py": "reutilisation",
    "pages/reuse_submit.py": "proposer-une-reutilisation",
    "pages/sql.py": "sql",
    "pages/dashboards.py": "tableaux-de-bord",
    "pages/dashboard.py": "tableau-de-bord",
    "pages/dashboard_compose.py": "nouveau-tableau-de-bord",
    "pages/api_docs.py": "api",
    "pages/admin.py": "admin",
}


def registered_pages() -> dict[str, str]:
    """(file → url_path) of every st.Page(...) call in app.py, read from its syntax tree."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            path = node.args[0].value  # type: ignore[attr-defined]
            kw = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
            found[path] = "" if kw.get("default") else kw.get("url_path", "")
    return found


def test_every_page_file_is_registered_with_its_stable_url_path() -> None:
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert set(registered_pages()) == files, "pages/ and the st.Page entries of app.py must match"
    assert registered_pages() == URL_PATHS


@pytest.mark.parametrize("page_file", sorted(URL_PATHS))
def test_pages_never_touch_duckdb_requests_or_sql(page_file: str) -> None:
    source = (ROOT / page_file).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"duckdb", "requests", "sqlite3", "sqlalchemy", "urllib3"}, page_file
    assert not re.search(r"\bSELECT\b.+\bFROM\b", source), f"SQL belongs in queries/sql, not in {page_file}"
    assert "unsafe_allow_html=True" not in source, f"user text is never rendered as HTML ({page_file})"


def test_app_renders_home_with_catalogue_figures(portal: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Territoire" in at.title[0].value
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["Jeux de données"].replace("\u202f", "")) == len(list((ROOT / "catalogue" / "datasets").glob("*.toml")))
    assert int(labels["Enregistrements"].replace("\u202f", "")) > 10_000
    footer = next(m.value for m in at.markdown if m.value.startswith(":small[Sources : "))
    assert "Licence Ouverte" in footer and "INSEE" in footer


def test_app_renders_every_page_without_exception(portal: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    for page_file in URL_PATHS:
        at.switch_page(page_file).run()
        assert not at.exception, (page_file, [e.value for e in at.exception])


def test_home_search_leads_to_catalogue(portal: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="home_q").input("collèges")
    at.button[0].click().run()
    assert not at.exception
    assert at.query_params.get("q") in ("collèges", ["collèges"])


# The sidebar navigation drawn by ui/layout.py (Streamlit's own menu is hidden): sections in order, visible pages only.
NAVIGATION = [
    ("Découvrir", [("Accueil", ""), ("Catalogue", "catalogue")]),
    ("Territoire", [("Indicateurs", "indicateurs"), ("Carte", "carte")]),
    ("Communauté", [("Réutilisations", "reutilisations"), ("Proposer une réutilisation", "proposer-une-reutilisation")]),
    ("Analyser", [("Requêtes SQL", "sql"), ("Tableaux de bord", "tableaux-de-bord"), ("API", "api"),
                  ("Administration", "admin")]),
]


def sidebar_navigation(at: AppTest) -> list[tuple[str, list[tuple[str, str]]]]:
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for element in at.sidebar:
        if element.type == "markdown" and element.value.startswith("**") and element.value.endswith("**"):
            sections.append((element.value.strip("*"), []))
        elif element.type == "page_link":
            sections[-1][1].append((element.proto.label, element.proto.page))
    return sections


def test_sidebar_navigation_lists_the_visible_pages_by_section(portal: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert sidebar_navigation(at) == NAVIGATION
    linked = {path for _, links in NAVIGATION for _, path in links}
    assert set(URL_PATHS.values()) - linked == {"jeu-de-donnees", "reutilisation", "commune", "tableau-de-bord",
                                                  "nouveau-tableau-de-bord"}  # reached by their links only


def test_embedded_view_has_no_navigation_header_or_footer(portal: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.context["is_embedded"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.sidebar) == 0
    assert not [m for m in at.markdown if m.value.startswith(":small[Sources")]
    assert at.metric  # the page itself is there
