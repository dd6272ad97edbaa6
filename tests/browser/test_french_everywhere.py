"""Real browser: every page of the router (read from app.py), the dataset page's views, a published reuse, an open
multiselect, a Plotly toolbar and typing into inputs show no English UI text from the list below.

What is read: the visible text of the page (icons' ligature names excepted), the placeholders shown in empty inputs,
the cells of the tables (Streamlit draws them on a canvas; the grid's accessible table holds their text), the open
dropdown and the Plotly toolbar's tooltips as drawn (CSS content of the button's tooltip, else its data-title).

Not asserted, because Streamlit 1.67 offers no way to say them in French (streamlit/streamlit#1353, #13500; recorded
in docs/ARCHITECTURE.md): accessible names only read by screen readers (« Collapse sidebar », « Link to heading »,
« Help for … », « Show password », « Remove … », « Open », « file upload », the Plotly full-screen button's
aria-label), st.file_uploader's button « Upload » (a French word put there by CSS would not be its accessible name
for axe, axe-core#3767, and CSS-only text fails WCAG F87; ui/reuses.py), the « Skip to main content » link (shown on keyboard focus), st.dataframe's toolbar tooltips
(« Download as CSV », « Search », « Fullscreen », shown on hover), the uploader's drag-over text, its size and type
errors, and the multiselect's « You can only select up to N options » notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.not_found import page_paths
from queries.dataset.state import TABS
from tests.conftest import LiveServer, private_server, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: this module publishes a reuse in the portal's database."""
    yield from private_server(warehouse_dir, tmp_path_factory)


ROOT = Path(__file__).resolve().parents[2]
# A 1×1 PNG (the form's image field; its chip shows name and size)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f1f7a50000000049454e44ae426082")
SECRET = "secret-de-test-navigateur"  # the one tests/conftest.py's live_server starts the app with

# Each English string and why it is here: where Streamlit or Plotly would show it on this portal.
ENGLISH = {
    "Select all": "st.multiselect's bulk option (select_all=False removes it)",
    "Select \\d+ matches": "the same option while the user types a search in a multiselect",
    "Browse files": "st.file_uploader's button before Streamlit 1.5x",
    "per file": "st.file_uploader's size hint (« 5MB per file • PNG, JPG, WEBP »), hidden: the label says it in French",
    "Drag and drop": "st.file_uploader's dropzone text",
    "\\d+(\\.\\d+)?[KMG]B": "a size written the English way (« 0.6KB ») under a file chosen in st.file_uploader",
    "Press Enter": "the hint under a text input (« to apply ») or in a form (« to submit form »)",
    "Press (Ctrl|⌘)\\+Enter": "the same hint under a text area in a form",
    "Page not found": "Streamlit's dialog for an unknown path (answered by api/not_found.py instead)",
    "No results": "an empty selectbox/multiselect search",
    "Choose an option": "the default placeholder of st.selectbox/st.multiselect without `placeholder=`",
    "Download plot": "Plotly's toolbar without the fr locale",
    "Zoom in": "Plotly's toolbar",
    "Zoom out": "Plotly's toolbar",
    "Autoscale": "Plotly's toolbar",
    "Reset axes": "Plotly's toolbar",
    "Box Select": "Plotly's toolbar",
    "Fullscreen": "the full-screen button Streamlit adds to Plotly's toolbar (tooltip said in French by ui.charts)",
    "True": "a boolean written as Python prints it (cells, CSV, captions)",
    "False": "the same",
    "None": "an empty value written as Python prints it",
    "NaN": "an empty number written as pandas prints it",
    "nan": "the same, lower case",
    "Loading": "a loading placeholder",
    "Running\\.\\.\\.": "Streamlit's status widget while a script runs",
    "Show more": "a truncated text's toggle",
}
PATTERN = re.compile(r"(?<![\w-])(" + "|".join(ENGLISH) + r")(?![\w-])")

COLLECT = """() => {
  const out = [];
  const hidden = el => el.closest('[data-testid="stIconMaterial"], style, script, noscript')
    || !el.checkVisibility({visibilityProperty: true});
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement, text = walk.currentNode.textContent.trim();
    if (text && el && !hidden(el)) out.push(text);
  }
  for (const el of document.querySelectorAll('input:placeholder-shown, textarea:placeholder-shown'))
    if (el.checkVisibility()) out.push('placeholder: ' + el.placeholder);
  for (const cell of document.querySelectorAll('[data-testid="stDataFrame"] table td, [data-testid="stDataFrame"] table th'))
    out.push('cell: ' + cell.textContent.trim());
  for (const btn of document.querySelectorAll('.modebar-btn')) {
    const drawn = getComputedStyle(btn, '::after').content;
    out.push('tooltip: ' + (drawn.startsWith('"') ? JSON.parse(drawn) : btn.getAttribute('data-title')));
  }
  return out;
}"""


def english_in(page) -> list[str]:  # noqa: ANN001 - playwright Page
    return sorted({text for text in page.evaluate(COLLECT) if PATTERN.search(text)})


def goto(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    wait_for_app(page)
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
    wait_for_app(page)


def key(name: str) -> str:
    return f".st-key-{name}"


def typed(page, widget_key: str, text: str) -> None:  # noqa: ANN001
    """Type into a text widget (as a person does: the hints appear while the value differs from the applied one)."""
    box = page.locator(f"{key(widget_key)} input, {key(widget_key)} textarea").first
    box.click()
    box.press_sequentially(text)


def open_dropdown(page, selector: str) -> None:  # noqa: ANN001
    """An expander's opening animation or a rerun under the pointer can swallow the click (as in
    test_dataset_browser.py): open it again, a few times at most."""
    for attempt in range(4):
        page.locator(selector).first.click()
        try:
            page.locator('[role="listbox"]').first.wait_for(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - the last attempt re-raises
            page.keyboard.press("Escape")
            if attempt == 3:
                raise


def hover_plots(page) -> int:  # noqa: ANN001
    plots = page.locator(".js-plotly-plot")
    plots.first.wait_for(timeout=30_000)
    for i in range(plots.count()):
        plots.nth(i).hover()
        page.locator(".modebar-btn").first.wait_for(state="attached")
    return page.locator(".modebar-btn").count()


@pytest.fixture(scope="module")
def reuse_id(live_server) -> Iterator[str]:  # noqa: ANN001
    """One published reuse in the live server's database, stored by the portal's own store (as moderation does)."""
    import config
    from reuses import store
    from reuses.validation import ReuseInput, validate

    mp = pytest.MonkeyPatch()
    mp.setenv("TERRITOIRE_DATA_DIR", str(live_server.log_path.parent))
    config.get_settings.cache_clear()
    store.dispose_engines()
    try:
        draft = validate(ReuseInput(title="Carte des collèges", description="Une carte des collèges de la Dordogne.",
                                    type="map", topic="education_and_research", url="https://exemple.fr/carte",
                                    author_name="Collectif test", email="test@exemple.fr", datasets=["colleges"]),
                         {"colleges"})
        rid = store.submit(draft, "test-french")
        store.publish(rid, "Test navigateur")
        yield rid
    finally:
        store.dispose_engines()
        mp.undo()
        config.get_settings.cache_clear()


def test_every_page_speaks_french(live_server, page, reuse_id: str) -> None:  # noqa: ANN001
    base = live_server.url
    params = {"jeu-de-donnees": "?id=colleges", "reutilisation": f"?id={reuse_id}", "commune": "?code=24520"}
    found: dict[str, list[str]] = {}
    paths = sorted(page_paths(ROOT / "app.py"))
    assert {"", "catalogue", "jeu-de-donnees", "reutilisation", "admin"} <= set(paths)
    for path in paths:
        goto(page, f"{base}/{path}{params.get(path, '')}")
        if path == "catalogue":  # a multiselect's dropdown (the facets)
            open_dropdown(page, '[data-testid="stMain"] [data-testid="stMultiSelect"]')
        elif path == "reutilisation":
            page.get_by_role("heading", name="Carte des collèges").wait_for()
        elif path == "indicateurs":
            assert hover_plots(page) > 0
        found[path or "/"] = english_in(page)
    assert found == {p or "/": [] for p in paths}


def test_the_dataset_views_speak_french(live_server, page) -> None:  # noqa: ANN001
    goto(page, f"{live_server.url}/jeu-de-donnees?id=colleges")
    found: dict[str, list[str]] = {}
    for tab, label in TABS.items():
        # The view switcher, as a visitor uses it (a rerun, not a new page load).
        view = page.locator(key("dataset_tab")).get_by_role("radio", name=label, exact=True)
        view.click()
        page.locator(f'{key("dataset_tab")} [aria-checked="true"]', has_text=label).wait_for()
        wait_for_app(page)
        if tab == "tableau":
            page.locator('[data-testid="stDataFrame"] table td').first.wait_for(state="attached")
            typed(page, "dataset_q", "coll")  # live search: no « Press Enter to apply »
            wait_for_app(page)  # each keystroke reruns the page: let the last rerun end before the next click
            page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary', has_text="Secteur").click()
            open_dropdown(page, '[data-testid="stSidebar"] [data-testid="stMultiSelect"]:visible')
        elif tab == "graphique":
            hover_plots(page)
            tooltips = {t for t in page.evaluate(COLLECT) if t.startswith("tooltip: ")}
            # The toolbar is really there, in French (Plotly's fr locale and our tooltip for Streamlit's button).
            assert {"tooltip: Télécharger le graphique en fichier PNG", "tooltip: Réinitialiser les axes",
                    "tooltip: Plein écran"} <= tooltips
        found[tab] = english_in(page)
        page.keyboard.press("Escape")  # close an open dropdown before the next view
    assert found == {tab: [] for tab in TABS}


def test_forms_speak_french_while_typing(live_server, page) -> None:  # noqa: ANN001
    base = live_server.url
    goto(page, f"{base}/proposer-une-reutilisation")
    # The uploader's button, by its accessible name (before a dropdown opens: it hides the rest from the a11y tree).
    page.locator(key("reuse_submit_image")).get_by_role("button", name="Upload", exact=True).wait_for()
    page.locator(f"{key('reuse_submit_image')} input[type=file]").set_input_files(
        files=[{"name": "carte.png", "mimeType": "image/png", "buffer": PNG}])
    page.locator('[data-testid="stFileChipName"]', has_text="carte.png").wait_for()
    typed(page, "reuse_submit_title", "Ma carte")
    typed(page, "reuse_submit_description", "Une description")
    open_dropdown(page, key("reuse_submit_datasets"))
    submit_page = english_in(page)

    goto(page, f"{base}/admin")
    typed(page, "admin_password", "pas encore")
    login_page = english_in(page)
    page.locator(f"{key('admin_password')} input").fill(SECRET)
    page.get_by_role("button", name="Se connecter").click()
    page.locator(key("admin_moderator")).wait_for()
    typed(page, "admin_moderator", "Modératrice")
    moderation_page = english_in(page)
    assert (submit_page, login_page, moderation_page) == ([], [], [])


def test_the_checker_sees_english(live_server, page) -> None:  # noqa: ANN001
    """The collector is not vacuous: Streamlit's own English, put on a page, is reported."""
    goto(page, f"{live_server.url}/sql")
    page.evaluate("""() => {
      const p = document.createElement('p'); p.textContent = 'Press Enter to apply';
      document.querySelector('[data-testid="stMain"]').append(p);
      const i = document.createElement('input'); i.placeholder = 'Choose an option';
      document.querySelector('[data-testid="stMain"]').append(i);
    }""")
    assert english_in(page) == ["Press Enter to apply", "placeholder: Choose an option"]
