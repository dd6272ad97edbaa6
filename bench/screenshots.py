"""Screenshots of the resident's, the elected official's and the analyst's pages, desktop and phone, for
docs/screenshots/.

Run: `.venv/bin/python bench/screenshots.py` (or `make screenshots`) after `make warehouse`. It serves the real
Dordogne warehouse with serve.py (as `make run` does), opens each page in Debian chromium at 1280×900 and at
390×844 (an iPhone-sized phone), waits for Streamlit to finish, and writes full-page PNGs. Not part of `make test`:
the pictures are documentation, regenerated when the pages change.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/screenshots.py` from the repo root
    sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.common import Server  # noqa: E402
from config import get_settings  # noqa: E402
from dashboards import codec  # noqa: E402
from dashboards.spec import parse  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
OUT = ROOT / "docs" / "screenshots"
VIEWPORTS = {"bureau": (1280, 900), "mobile": (390, 844)}
# An analyst's dashboard: the collèges of Périgueux, from two datasets, under the commune filter.
ANALYST_DASHBOARD = codec.encode(parse({
    "version": 1, "title": "Les collèges de Périgueux", "filter": {"level": "commune", "code": "24322"},
    "blocks": [
        {"type": "figure", "title": "IPS moyen", "dataset": "ips-colleges", "agg": "mean", "column": "ips",
         "unit": "points"},
        {"type": "chart", "title": "IPS moyen par secteur", "dataset": "ips-colleges", "width": 2,
         "view": {"chart": "bar", "x": "secteur", "y": "ips", "agg": "mean"}},
        {"type": "map", "title": "Où sont-ils ?", "dataset": "colleges", "view": {"map": "points"}},
        {"type": "table", "title": "Du plus favorisé au moins favorisé", "dataset": "ips-colleges", "width": 2,
         "columns": ["nom_de_l_etablissment", "secteur", "ips"], "view": {"sort": "-ips", "size": "20"}},
        {"type": "text", "width": 3, "text": "L'**indice de position sociale** résume le milieu social des "
                                            "élèves ; les chiffres suivent le filtre de la commune."},
    ],
}))
# name → (path, what shows the page is drawn): Sarlat-la-Canéda's page, the map with Sarlat selected and two
# service layers, Bergerac's board, the analyst's dashboard.
PAGES = {
    "commune": ("/commune?code=24520", "canvas"),
    "carte": ("/carte?commune=24520&couches=colleges,sante", "canvas"),
    "tableau-de-bord": ("/indicateurs?niveau=commune&code=24037", ".js-plotly-plot"),
    "tableau-de-bord-analyste": (f"/tableau-de-bord?d={ANALYST_DASHBOARD}", ".js-plotly-plot"),
}


def settle(page, drawn: str = '[data-testid="stMain"]') -> None:  # noqa: ANN001
    page.wait_for_selector('[data-testid="stAppViewContainer"]')
    page.wait_for_selector(drawn, timeout=90_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=90_000)
    page.wait_for_timeout(3_000)  # deck.gl and Plotly draw after the script ends


def whole_page(page, target: Path, width: int, height: int) -> None:  # noqa: ANN001
    """Streamlit scrolls inside its own container, so a full-page screenshot stops at the viewport: grow the
    viewport to the content's height first (the layout stays the same: only the height changes)."""
    content = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(height, int(content))})
    page.wait_for_timeout(1_500)
    page.screenshot(path=str(target))
    # 256 colours are plenty for a flat UI and divide the files' size by about four (they live in git).
    with Image.open(target) as shot:
        shot.convert("RGB").quantize(256).save(target, optimize=True)
    page.set_viewport_size({"width": width, "height": height})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(get_settings().data_dir, Path(tmp) / "server.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for device, (width, height) in VIEWPORTS.items():
                    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height},
                                                  device_scale_factor=1)
                    page = context.new_page()
                    page.goto(server.url)  # the first session of a fresh server (see tests' warm_up)
                    settle(page)
                    for name, (path, drawn) in PAGES.items():
                        page.goto(server.url + path)
                        settle(page, drawn)
                        target = OUT / f"{name}-{device}.png"
                        whole_page(page, target, width, height)
                        print(f"{target.relative_to(ROOT)} ({target.stat().st_size // 1024} Ko)")
                    context.close()
                browser.close()
        finally:
            server.stop()
        errors = server.log_errors()
        if errors:
            raise SystemExit("page errors while taking screenshots:\n" + "\n".join(errors))


if __name__ == "__main__":
    main()
