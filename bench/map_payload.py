"""Bytes the browser receives over Streamlit's websocket for each interaction on /carte (real server, real chromium).

Each interaction is timed from the user's action until the script run is over; the bytes are the sum of the
websocket message payloads chromium reports (CDP `Network.webSocketFrameReceived`, after permessage-deflate is
undone: what Streamlit sent, not what the wire carried). HTTP responses (the app's JS, fonts) are not counted.
"""

from __future__ import annotations

import argparse
import base64
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Metric, Server, machine, uptime_line, write_result  # noqa: E402

TARGET_KB = 300.0
# Measured by this script on commit d8c104c (before the map was lightened), 2026-12-07, load average ≈ 17.
BEFORE_KB = ["792.9", "0 (no selection)", "793.0", "777.7", "933.0"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DECK = '[data-testid="stDeckGlJsonChart"]'
# A large commune near the middle of the département's default view: its centroid is inside it.
CLICK_COMMUNE = ("24037", "Bergerac")


def screen_xy(lon: float, lat: float, view: tuple[float, float, float], width: float, height: float) -> tuple[float,
                                                                                                               float]:
    """Pixel (from the map's top-left corner) of a WGS84 point in deck.gl's Web-Mercator view (512-px world at zoom
    0) centred on `view` = (lat, lon, zoom), for a canvas of `width` × `height` CSS pixels."""
    def merc(lo: float, la: float) -> tuple[float, float]:
        x = (lo + 180) / 360
        y = (1 - math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) / math.pi) / 2
        return x, y

    scale = 512 * 2 ** view[2]
    cx, cy = merc(view[1], view[0])
    px, py = merc(lon, lat)
    return width / 2 + (px - cx) * scale, height / 2 + (py - cy) * scale


def wait_for_run(page: Any) -> None:
    """Streamlit's running indicator gone, twice (a run may start a moment after the action)."""
    for _ in range(2):
        page.wait_for_timeout(400)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)


class Counter:
    """Websocket bytes received, from CDP events of one page."""

    def __init__(self, page: Any) -> None:
        self.bytes = 0
        self.frames = 0
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.on("Network.webSocketFrameReceived", self._on_frame)

    def _on_frame(self, event: dict[str, Any]) -> None:
        response = event["response"]
        data = response.get("payloadData", "")
        # opcode 2 = binary (Streamlit's protobuf ForwardMsgs), base64 in CDP; 1 = text.
        self.bytes += len(base64.b64decode(data)) if response.get("opcode") == 2 else len(data.encode())
        self.frames += 1

    def take(self) -> tuple[int, int]:
        out = (self.bytes, self.frames)
        self.bytes = self.frames = 0
        return out


def measure(url: str) -> list[tuple[str, int, int, float, str]]:
    """(interaction, bytes, frames, seconds, check) for the scripted visit."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    rows: list[tuple[str, int, int, float, str]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(60_000)
            counter = Counter(page)

            def step(name: str, action: Any, check: Any) -> None:
                counter.take()
                t0 = time.perf_counter()
                action()
                wait_for_run(page)
                page.wait_for_timeout(500)
                took = time.perf_counter() - t0
                got, frames = counter.take()
                rows.append((name, got, frames, took, str(check())))
                print(f"{name}: {got / 1000:.1f} kB in {frames} messages, {took:.1f} s ({rows[-1][4]})", flush=True)

            def first_view() -> None:
                page.goto(f"{url}/carte")
                page.wait_for_selector(f"{DECK} canvas")

            step("first view (communes, population)", first_view, lambda: "ok")

            def click_commune() -> None:
                params = dict(part.split("=", 1) for part in page.url.split("?", 1)[1].split("&"))
                view = (float(params["lat"]), float(params["lon"]), float(params["zoom"]))
                box = page.locator(f"{DECK} canvas").first.bounding_box()
                x, y = screen_xy(CLICK_LON_LAT[0], CLICK_LON_LAT[1], view, box["width"], box["height"])
                page.mouse.move(box["x"] + x, box["y"] + y)
                page.wait_for_timeout(600)
                page.mouse.click(box["x"] + x, box["y"] + y)
                try:
                    page.wait_for_function(f"() => window.location.search.includes('commune={CLICK_COMMUNE[0]}')",
                                           timeout=20_000)
                except PlaywrightTimeout:  # the check column says so: a click that selects nothing is measured too
                    pass

            step(f"click a commune ({CLICK_COMMUNE[1]})", click_commune,
                 lambda: "selected" if f"commune={CLICK_COMMUNE[0]}" in page.url else "NOT selected")

            def change_indicator() -> None:
                page.locator('[data-testid="stSelectbox"]').filter(has_text="Indicateur").click()
                page.get_by_role("option", name="Distance à la France services la plus proche").click()

            step("change indicator", change_indicator,
                 lambda: "ok" if "france-services-distance" in page.url else "not changed")

            def toggle_layer() -> None:
                page.get_by_text("Collèges", exact=True).first.click()

            step("toggle a service layer (collèges)", toggle_layer,
                 lambda: "ok" if "couches=colleges" in page.url else "not toggled")

            def switch_epci() -> None:
                page.get_by_text("Intercommunalités", exact=True).first.click()

            step("switch to EPCI level", switch_epci, lambda: "ok" if "niveau=epci" in page.url else "not switched")
        finally:
            browser.close()
    return rows


CLICK_LON_LAT: tuple[float, float] = (0.0, 0.0)  # filled in main() from the warehouse


def commune_centroid(code: str) -> tuple[float, float]:
    from indicators import territory

    row = territory.communes().set_index("code").loc[code]
    return float(row["lon"]), float(row["lat"])


def main() -> None:
    global CLICK_LON_LAT
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="existing data directory (default: copy ./var, else build)")
    parser.add_argument("--label", default="", help="a note for this run (e.g. the geometry path measured)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write bench/results")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="territoire-map-payload-"))
    try:
        data_dir = work / "data"
        source = args.data_dir or (ROOT / "var")
        if (source / "warehouse" / "registry.json").is_file():
            shutil.copytree(source, data_dir)
        else:
            env = {**os.environ, "TERRITOIRE_DATA_DIR": str(data_dir)}
            subprocess.run([sys.executable, "-m", "loaders", "build"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
        os.environ["TERRITOIRE_DATA_DIR"] = str(data_dir)
        CLICK_LON_LAT = commune_centroid(CLICK_COMMUNE[0])
        server = Server(data_dir, work / "server.log", {"TERRITOIRE_API_RATE": "0"})
        try:
            rows = measure(server.url)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    worst = max(r[1] for r in rows[1:]) / 1000
    table = "\n".join(f"| {name} | {BEFORE_KB[i]} | {got / 1000:.1f} | {frames} | {took:.1f} | {check} |"
                      for i, (name, got, frames, took, check) in enumerate(rows))
    m = machine()
    report = f"""# Map payload per interaction (/carte)

Command: `.venv/bin/python bench/map_payload.py` — the real server (`serve.py`) on a copy of the warehouse, Debian
chromium driven by Playwright at 1400 × 1000 px. Bytes are the websocket messages chromium received (CDP
`Network.webSocketFrameReceived`, decompressed) from the action until Streamlit's run is over; HTTP files (the
app's JavaScript, fonts) are not counted. {args.label}

Target: ≤ {TARGET_KB:.0f} kB per interaction after the first view.

| Interaction | before (kB) | kB received | messages | seconds | check |
|---|---:|---:|---:|---:|---|
{table}

Largest interaction after the first view: {worst:.1f} kB. « before »: the same script run on commit `d8c104c`
(full-resolution outlines, 6-decimal coordinates, an RGBA list and the code in each feature, borders picked with
the fill), where a click selected nothing, so it received nothing.

Why every interaction still resends the map: Streamlit's ForwardMsg cache sends a reference instead of an element
only when the whole element is byte-identical to one the browser holds (its hash covers the element's proto), and
a pydeck chart is one element whose JSON holds every layer; any change (a class colour, a layer, the selection
outline, the view) resends all of it. So the map is made light instead: shapes simplified as a coverage (shared
borders kept), coordinates rounded, only the properties the map reads, each colour list of 3 numbers.

Machine: {m.get('nproc')} cores (`nproc`), {m.get('cpu')}, {m.get('ram')}. Load at the end: {uptime_line()}.
"""
    print(report)
    if not args.no_write:
        metrics = [Metric(f"/carte {name}", round(got / 1000, 1), "kB",
                          target="" if i == 0 else f"≤ {TARGET_KB:.0f}",
                          ok=None if i == 0 else got / 1000 <= TARGET_KB, note=check if check != "ok" else "")
                   for i, (name, got, _, _, check) in enumerate(rows)]
        write_result("map_payload", report, metrics)


if __name__ == "__main__":
    main()
