"""Every page of the navigation: axe-core finds no serious or critical violation (nothing filtered out), no
exception, nothing fetched off the machine.

One server for the module (its reuse gallery holds one published reuse, so that the reuse page shows a real one),
one browser page per url_path, each opened on a state that shows its content (a dataset, a commune, a search).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import config
from dashboards.codec import encode
from dashboards.spec import parse
from reuses import store
from reuses.validation import ReuseInput, validate
from tests.conftest import LiveServer, wait_for_app
from tests.pages.test_dashboard import DOC
from tests.test_app import URL_PATHS

pytestmark = pytest.mark.browser

REUSE_TITLE = "Carte des collèges pour l'audit d'accessibilité"
DASHBOARD = encode(parse(DOC))  # the dashboard of tests/pages/test_dashboard.py: every block type, two vanished
SECRET = "secret-de-test-accessibilite"
DECK_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
PLOTLY_SVG = ".js-plotly-plot .main-svg"
LOCAL = ("http://127.0.0.1", "data:", "blob:")

# url_path -> (query string, text of the page's <h1>, selector of content drawn last, to wait for before the audit).
# `{reuse}` is the id of the published reuse.
VISITS: dict[str, tuple[str, str, str | None]] = {
    "": ("", "Territoire", '[data-testid="stMetric"]'),
    "catalogue": ("?q=coll%C3%A8ges", "Catalogue des données", '[data-testid="stPageLink"]'),
    "jeu-de-donnees": ("?id=colleges", "Collèges de la Dordogne", '[data-testid="stDataFrame"], [data-testid="stTable"]'),
    "indicateurs": ("?niveau=commune&code=24322", "Indicateurs du territoire", PLOTLY_SVG),
    "carte": ("?commune=24322&couches=sante", "Carte du territoire", DECK_CANVAS),
    "commune": ("?code=24520", "Sarlat-la-Canéda", DECK_CANVAS),
    "reutilisations": ("", "Réutilisations", '[data-testid="stPageLink"]'),
    "reutilisation": ("?id={reuse}", REUSE_TITLE, None),
    "proposer-une-reutilisation": ("?dataset=colleges", "Proposer une réutilisation", '[data-testid="stForm"]'),
    "sql": ("", "Requêtes SQL", None),
    "tableaux-de-bord": ("", "Tableaux de bord", '[data-testid="stPageLink"]'),
    "tableau-de-bord": ("?d={dashboard}", "Collèges de Périgueux", PLOTLY_SVG),
    "nouveau-tableau-de-bord": ("?d={dashboard}", "Composer un tableau de bord", PLOTLY_SVG),
    "api": ("", "API", '[data-testid="stCode"]'),
    "admin": ("", "Administration", '[data-testid="stForm"]'),
}


def test_every_url_path_is_audited() -> None:
    assert set(VISITS) == set(URL_PATHS.values())


def publish_reuse(data_dir: Path) -> str:
    """A published reuse in the server's data dir, through the store (as a moderator would)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TERRITOIRE_DATA_DIR", str(data_dir))
        mp.delenv("TERRITOIRE_REUSES_DB_URL", raising=False)
        config.get_settings.cache_clear()
        store.dispose_engines()
        try:
            draft = validate(ReuseInput(
                title=REUSE_TITLE, description="Une carte des collèges, avec un [lien](https://exemple.fr/doc).",
                type="visualization", topic="education_and_research", url="https://exemple.fr/audit",
                author_name="Équipe accessibilité", email="audit@exemple.fr", datasets=["colleges"],
            ), {"colleges"})
            reuse_id = store.submit(draft, "accessibilite")
            store.publish(reuse_id, "Audit")
        finally:
            store.dispose_engines()
            config.get_settings.cache_clear()
    return reuse_id


@pytest.fixture(scope="module")
def audited_server(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    data_dir = tmp_path_factory.mktemp("a11y-data")
    shutil.copytree(warehouse_dir, data_dir, dirs_exist_ok=True)
    reuse_id = publish_reuse(data_dir)
    server = LiveServer(data_dir, {"TERRITOIRE_ADMIN_SECRET": SECRET})
    yield server, reuse_id
    server.stop()


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — "
                     f"{[(n['target'], n['html'][:120]) for n in v['nodes'][:3]]}" for v in violations)


@pytest.mark.parametrize("url_path", list(VISITS))
def test_page_has_no_serious_accessibility_violation(audited_server: tuple[LiveServer, str], page: object,
                                                     url_path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    server, reuse_id = audited_server
    query, heading, last = VISITS[url_path]
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(LOCAL) else None)  # type: ignore[attr-defined]
    page.goto(f"{server.url}/{url_path}{query.format(reuse=reuse_id, dashboard=DASHBOARD)}")  # type: ignore[attr-defined]
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    main.locator("h1").filter(has_text=heading).first.wait_for(timeout=60_000)
    if last:
        main.locator(last).first.wait_for(state="attached", timeout=30_000)
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').first.wait_for()  # type: ignore[attr-defined]
    wait_for_app(page)
    page.wait_for_timeout(500)  # type: ignore[attr-defined]  # let the last elements paint
    assert page.locator('[data-testid="stException"]').count() == 0, url_path  # type: ignore[attr-defined]
    assert page.get_by_text("Page not found").count() == 0, url_path  # type: ignore[attr-defined]
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"  # the portal works offline
    found = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not found, describe(found)
    if url_path == "admin":  # the moderation screen too, behind the login form just audited
        page.locator(".st-key-admin_password input").fill(SECRET)  # type: ignore[attr-defined]
        page.get_by_role("button", name="Se connecter").click()  # type: ignore[attr-defined]
        main.locator(".st-key-admin_moderator input").wait_for()
        main.get_by_role("heading", name="Journal de modération").wait_for()
        wait_for_app(page)
        page.wait_for_timeout(500)  # type: ignore[attr-defined]
        found = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert not found, describe(found)
