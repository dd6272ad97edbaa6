"""File URLs (CSV, XLSX, Parquet, GeoJSON, ZIP), the refresh state, the CLI, and a refresh killed with -9."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import warehouse
from catalogue.manifest import write_spec
from loaders.sources import state
from loaders.sources.refresh import add_url, refresh_all
from loaders.sources.url import url_manifest
from tests.loaders.server import PORTAL_DIR, FakeServer, configure_env

ROOT = Path(__file__).resolve().parents[2]
CSV = "code_insee,nom,population\n" + "".join(f"24{i:03d},Commune {i},{100 + i}\n" for i in range(1, 51))


@pytest.fixture
def srv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    with FakeServer() as s:
        configure_env(monkeypatch, tmp_path, s)
        s.route("/files/communes.csv", CSV, content_type="text/csv", last_modified=1_700_000_000)
        yield s


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("LISEZMOI.txt.md", b"notice")
        zf.writestr(f"donnees/{name}", data)
    return buf.getvalue()


def _xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["code_insee", "nom"])
    for i in range(1, 8):
        ws.append([f"24{i:03d}", f"Commune {i}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_add_csv_url_then_refresh_is_conditional(srv: FakeServer) -> None:
    outcome = add_url(srv.base_url + "/files/communes.csv", "communes-url", title="Communes", publisher="CD24",
                      license_id="lov2", frequency="annual")
    assert outcome.status == "updated"
    meta = warehouse.current_meta("communes-url")
    assert meta is not None and meta["rows"] == 50
    assert meta["source"]["url"] == srv.base_url + "/files/communes.csv" and meta["source"]["etag"]
    [again] = refresh_all()
    assert again.status == "unchanged" and "304" in again.message
    assert srv.hits("/files/communes.csv", status=200) == 1 and srv.hits("/files/communes.csv", status=304) == 1
    assert srv.log[-1].headers.get("If-None-Match") == meta["source"]["etag"]
    row = next(r for r in state.sources_status() if r["id"] == "communes-url")
    assert row["status"] == "ok" and row["kind"] == "url" and row["frequency"] == "annual"
    assert state.parse_iso(row["next_refresh"]) > state.parse_iso(row["last_success"])  # type: ignore[operator]


@pytest.mark.parametrize(("path", "ctype", "body_fn", "rows"), [
    ("/f/communes.zip", "application/zip", lambda: _zip("communes.csv", CSV.encode()), 50),
    ("/f/classeur.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _xlsx, 7),
    ("/f/communes.parquet", "application/vnd.apache.parquet",
     lambda: (PORTAL_DIR / "communes-dordogne.parquet").read_bytes(), 30),
    ("/f/colleges.geojson", "application/geo+json", lambda: (PORTAL_DIR / "colleges-dordogne.geojson").read_bytes(), 10),
    ("/datasets/r/0123-abcd", "text/csv; charset=utf-8", lambda: CSV.encode(), 50),  # no extension in the URL
])
def test_file_formats(srv: FakeServer, path: str, ctype: str, body_fn: object, rows: int) -> None:
    srv.route(path, body_fn(), content_type=ctype)  # type: ignore[operator]
    outcome = add_url(srv.base_url + path, "fichier")
    assert outcome.status == "updated", outcome.message
    assert warehouse.current_meta("fichier")["rows"] == rows
    assert list(state.downloads_dir().iterdir()) == []


def test_zip_without_data_is_a_clear_failure(srv: FakeServer) -> None:
    srv.route("/f/vide.zip", _zip("notice.pdf", b"%PDF"), content_type="application/zip")
    outcome = add_url(srv.base_url + "/f/vide.zip", "vide")
    assert outcome.status == "failed" and "Aucun fichier de données" in outcome.message


def test_not_an_url() -> None:
    with pytest.raises(ValueError):
        add_url("data/dordogne/x.csv", "x")


def test_one_failing_source_does_not_stop_the_others(srv: FakeServer) -> None:
    add_url(srv.base_url + "/files/communes.csv", "a-communes")
    write_spec(url_manifest(srv.base_url + "/files/absent.csv", "b-absent"))
    srv.route("/files/c.csv", CSV, content_type="text/csv")
    write_spec(url_manifest(srv.base_url + "/files/c.csv", "c-ok"))
    (Path(os.environ["TERRITOIRE_CATALOGUE_DIR"]) / "d-casse.toml").write_text("id = [", encoding="utf-8")
    outcomes = {o.id: o for o in refresh_all()}
    assert outcomes["a-communes"].status == "unchanged"
    assert outcomes["b-absent"].status == "failed" and "introuvable" in outcomes["b-absent"].message
    assert outcomes["c-ok"].status == "updated"
    assert outcomes["d-casse"].status == "failed" and "manifeste illisible" in outcomes["d-casse"].message
    entry = state.load_state()["b-absent"]
    assert entry["failures"] == 1 and not entry.get("last_success")
    # A failure is retried sooner than the frequency says, and later after each new failure.
    first_due = state.parse_iso(entry["next_refresh"])
    refresh_all(["b-absent"])
    second_due = state.parse_iso(state.load_state()["b-absent"]["next_refresh"])
    assert first_due is not None and second_due is not None and second_due > first_due
    assert {o.status for o in refresh_all(due_only=True) if o.id == "b-absent"} == {"skipped"}


def test_sources_status_lists_remote_sources_only(srv: FakeServer) -> None:
    write_spec(url_manifest(srv.base_url + "/files/communes.csv", "jamais-charge", frequency="monthly"))
    local = url_manifest("https://x/y.csv", "local")
    local["source"] = {"path": "data/dordogne/referentiel/communes_24_cog2026.csv"}
    write_spec(local)
    rows = state.sources_status()
    assert [(r["id"], r["status"], r["last_success"], r["next_refresh"]) for r in rows] == \
        [("jamais-charge", "never", None, None)]
    assert set(rows[0]) >= {"id", "title", "kind", "url", "last_success", "last_error", "next_refresh", "version"}


def test_state_file_is_valid_json_after_updates(srv: FakeServer) -> None:
    add_url(srv.base_url + "/files/communes.csv", "communes-url")
    data = json.loads(state.state_path().read_text(encoding="utf-8"))
    assert set(data) == {"updated_at", "sources"} and "communes-url" in data["sources"]
    assert not [p for p in state.state_path().parent.iterdir() if p.name.endswith(".tmp")]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _wait_for(cond: object, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.slow
@pytest.mark.parametrize("with_previous", [False, True])
def test_refresh_killed_mid_way_then_rerun_completes(srv: FakeServer, with_previous: bool) -> None:
    big = CSV + "".join(f"25{i:04d},Commune {i},{i}\n" for i in range(20000))
    url = srv.base_url + "/files/gros.csv"
    if with_previous:
        srv.route("/files/gros.csv", CSV, content_type="text/csv")
        assert add_url(url, "gros").status == "updated"
    else:
        write_spec(url_manifest(url, "gros"))
    previous = warehouse.current_version("gros")
    srv.route("/files/gros.csv", big, content_type="text/csv")
    srv.fault("/files/gros.csv", "slow", times=1, seconds=0.3)  # 20 chunks: about 6 s of streaming
    proc = subprocess.Popen([sys.executable, "-m", "loaders.sources", "refresh"], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        downloads = state.downloads_dir()
        _wait_for(lambda: downloads.is_dir() and any(p.stat().st_size > 0 for p in downloads.iterdir()))
        # Another refresh while this one runs is refused, not interleaved.
        with pytest.raises(state.RefreshBusy):
            refresh_all()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert warehouse.current_version("gros") == previous  # nothing half-published
    assert any(downloads.iterdir())  # the partial download is there...
    outcomes = refresh_all()  # ...and swept by the next run, which completes
    assert [(o.id, o.status) for o in outcomes] == [("gros", "updated")]
    meta = warehouse.current_meta("gros")
    assert meta is not None and meta["rows"] == 20050 and meta["version"] != previous
    assert list(downloads.iterdir()) == []
    versions_dir = warehouse.dataset_dir("gros") / "versions"
    assert not [p for p in versions_dir.iterdir() if p.name.startswith(".")]
    assert state.load_state()["gros"]["last_error"] is None


@pytest.mark.slow
def test_cli_add_refresh_and_status(srv: FakeServer) -> None:
    url = srv.base_url + "/files/communes.csv"
    run = [sys.executable, "-m", "loaders.sources"]
    add = subprocess.run([*run, "add-url", url, "--id", "communes-cli", "--license", "lov2", "--title", "Communes"],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert add.returncode == 0, add.stderr
    assert "communes-cli [url] : mis à jour" in add.stdout
    again = subprocess.run([*run, "refresh", "--id", "communes-cli"], cwd=ROOT, env=_env(), capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0 and "inchangé" in again.stdout
    status = subprocess.run([*run, "sources", "--json"], cwd=ROOT, env=_env(), capture_output=True, text=True,
                            timeout=120)
    rows = json.loads(status.stdout)
    assert rows[0]["id"] == "communes-cli" and rows[0]["status"] == "ok"
    srv.fault("/files/communes.csv", "status", times=20, status=500)
    failed = subprocess.run([*run, "refresh", "--force"], cwd=ROOT, env=_env(), capture_output=True, text=True,
                            timeout=120)
    assert failed.returncode == 1 and "ÉCHEC" in failed.stdout and "Traceback" not in failed.stderr


@pytest.mark.slow
def test_core_cli_integration(srv: FakeServer) -> None:
    """`python -m loaders`: our subcommands are registered, `add` takes a URL, `build` refreshes remote entries."""
    from tests.loaders.server import serve_ods_portal

    serve_ods_portal(srv)
    run = [sys.executable, "-m", "loaders"]

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*run, *args], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=180)

    harvest = call("harvest", "ods", srv.base_url, "--dataset", "communes-dordogne")
    assert harvest.returncode == 0, harvest.stdout + harvest.stderr
    assert "ods-communes-dordogne [ods] : mis à jour" in harvest.stdout
    add = call("add", srv.base_url + "/files/communes.csv", "--id", "communes-par-url")
    assert add.returncode == 0, add.stdout + add.stderr
    assert warehouse.current_meta("communes-par-url")["rows"] == 50
    build = call("build")
    assert build.returncode == 0, build.stdout + build.stderr
    assert "inchangé ods-communes-dordogne" in build.stdout and "inchangé communes-par-url" in build.stdout
    srv.fault("/files/communes.csv", "status", times=50, status=503)
    broken = call("build", "--force")
    assert broken.returncode == 1 and "communes-par-url" in broken.stderr and "503" in broken.stderr
    assert warehouse.current_meta("communes-par-url")["rows"] == 50
    srv.faults.clear()
    refresh = call("refresh")
    assert refresh.returncode == 0 and "2 source(s) : 0 en échec" in refresh.stdout


@pytest.mark.slow
def test_refresh_killed_at_several_moments_never_serves_a_partial_dataset(srv: FakeServer) -> None:
    """kill -9 at different moments (start-up, download, load, publish): whatever was served stays whole.

    On the 2-core reference machine the kills land during start-up, the download and the load, and the last
    run completes; the invariants checked hold whatever the timing.
    """
    url = srv.base_url + "/files/gros.csv"
    srv.route("/files/gros.csv", CSV, content_type="text/csv")
    assert add_url(url, "gros").status == "updated"
    previous = warehouse.current_version("gros")
    big = CSV + "".join(f"26{i:04d},Commune {i},{i}\n" for i in range(60000))
    srv.route("/files/gros.csv", big, content_type="text/csv")
    for delay in (1.0, 2.5, 4.0, 5.5):
        proc = subprocess.Popen([sys.executable, "-m", "loaders.sources", "refresh"], cwd=ROOT, env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        meta = warehouse.current_meta("gros")
        assert meta is not None and meta["rows"] in (50, 60050)
        assert meta["version"] == previous or meta["rows"] == 60050
        assert (warehouse.dataset_dir("gros") / "versions" / meta["version"] / "data.parquet").is_file()
        reg = warehouse.read_registry()["datasets"]["gros"]
        assert reg["version"] == meta["version"]
    [outcome] = refresh_all()
    assert outcome.status in ("updated", "unchanged")
    meta = warehouse.current_meta("gros")
    assert meta is not None and meta["rows"] == 60050
    assert state.load_state()["gros"]["last_error"] is None and list(state.downloads_dir().iterdir()) == []
