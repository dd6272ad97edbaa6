"""Publishing is atomic and versioned: a crash or a kill -9 mid-load leaves the previous version served."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import warehouse
from loaders import LoadError, publish
from loaders.pipeline import load_dataset
from tests.loaders.loader_helpers import ROOT, make_spec


def _csv(path: Path, n: int) -> Path:
    path.write_text("code_insee;valeur\n" + "".join(f"24{i:03d};{i}\n" for i in range(n)), encoding="utf-8")
    return path


def test_versions_skip_changes_prune_restore(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_KEEP_VERSIONS", "2")
    import config

    config.get_settings.cache_clear()
    src = _csv(tmp_path / "a.csv", 10)
    spec = make_spec(src)
    first = load_dataset(spec)
    assert not first.skipped and first.rows == 10
    again = load_dataset(spec)
    assert again.skipped and again.version == first.version
    _csv(src, 12)
    second = load_dataset(spec)
    meta = warehouse.current_meta("essai")
    assert meta and meta["version"] == second.version
    assert meta["changes"] == {"previous_version": first.version, "rows_added": 2, "rows_removed": 0,
                               "columns_added": [], "columns_removed": []}
    src.write_text("code_insee;autre\n24001;x\n", encoding="utf-8")
    third = load_dataset(spec)
    changes = warehouse.current_meta("essai")["changes"]  # type: ignore[index]
    assert changes["rows_removed"] == 11 and changes["columns_added"] == ["autre"]
    assert changes["columns_removed"] == ["valeur"]
    versions = [v["version"] for v in warehouse.list_versions("essai")]
    assert versions == [third.version, second.version]  # keep_versions = 2: the first one was pruned
    publish.restore("essai", second.version)
    assert warehouse.current_meta("essai")["rows"] == 12  # type: ignore[index]
    reg = warehouse.read_registry()["datasets"]["essai"]
    assert reg["version"] == second.version and (data_dir / "warehouse" / reg["parquet"]).is_file()
    # relative to the warehouse directory (docs/ARCHITECTURE.md), so the data directory can move
    assert reg["parquet"] == f"essai/versions/{second.version}/data.parquet"
    assert reg["meta"] == f"essai/versions/{second.version}/meta.json"
    assert reg["rows"] == 12 and reg["loaded_at"]
    with pytest.raises(LoadError, match="introuvable"):
        publish.restore("essai", first.version)


def test_crash_mid_write_keeps_previous_version(data_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = _csv(tmp_path / "a.csv", 5)
    spec = make_spec(src)
    first = load_dataset(spec)
    _csv(src, 6)

    def boom(*_args: object) -> None:
        raise RuntimeError("disque plein")

    monkeypatch.setattr("loaders.pipeline.profile_parquet", boom)
    with pytest.raises(RuntimeError):
        load_dataset(spec)
    assert warehouse.current_meta("essai")["version"] == first.version  # type: ignore[index]
    assert warehouse.read_registry()["datasets"]["essai"]["version"] == first.version
    leftovers = [p.name for p in (data_dir / "warehouse" / "essai" / "versions").iterdir()]
    assert leftovers == [first.version]


def test_failed_load_keeps_previous_version(data_dir: Path, tmp_path: Path) -> None:
    src = _csv(tmp_path / "a.csv", 5)
    spec = make_spec(src)
    first = load_dataset(spec)
    src.write_text("a;b\n1;2\n3;4;5\n", encoding="utf-8")
    with pytest.raises(LoadError, match="ligne 3"):
        load_dataset(spec)
    assert warehouse.current_meta("essai")["version"] == first.version  # type: ignore[index]


KILL_SCRIPT = """
import sys, time
from pathlib import Path
import loaders.publish as publish
from loaders.pipeline import load_dataset
from catalogue.manifest import parse_spec
orig = publish.commit_version
def slow_commit(dataset_id, version, tmp, meta):
    (tmp / "meta.json").write_text("{}")
    print("WRITING", flush=True)
    time.sleep(60)  # killed here: Parquet written, not yet renamed nor pointed at
    return orig(dataset_id, version, tmp, meta)
publish.commit_version = slow_commit
spec = parse_spec({"id": "essai", "title": "t", "publisher": "p", "license": {"id": "lov2"},
                   "source": {"path": sys.argv[1]}})
load_dataset(spec)
"""


def test_kill_9_mid_load_then_rerun(data_dir: Path, tmp_path: Path) -> None:
    src = _csv(tmp_path / "a.csv", 5)
    spec = make_spec(src)
    first = load_dataset(spec)
    _csv(src, 7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(src)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "WRITING"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    vdir = data_dir / "warehouse" / "essai" / "versions"
    assert any(p.name.startswith(".tmp-") for p in vdir.iterdir())  # the half-written version is there...
    current = json.loads((data_dir / "warehouse" / "essai" / "current.json").read_text())
    assert current["version"] == first.version  # ...but never served
    assert warehouse.read_registry()["datasets"]["essai"]["version"] == first.version
    t0 = time.monotonic()
    rerun = load_dataset(spec)  # the lock died with the process: the rerun proceeds and cleans up
    assert time.monotonic() - t0 < 30
    assert rerun.rows == 7 and warehouse.current_meta("essai")["rows"] == 7  # type: ignore[index]
    assert not any(p.name.startswith(".tmp-") for p in vdir.iterdir())


def test_registry_paths_relative_and_data_dir_relocatable(data_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import config

    spec = make_spec(_csv(tmp_path / "a.csv", 3))
    load_dataset(spec)
    reg_path = data_dir / "warehouse" / "registry.json"
    reg = json.loads(reg_path.read_text())
    # an entry written by an older loader (absolute paths) is rewritten at the next publish
    reg["datasets"]["ancien"] = {**reg["datasets"]["essai"], "parquet": "/ailleurs/data.parquet",
                                 "meta": "/ailleurs/meta.json"}
    reg_path.write_text(json.dumps(reg))
    _csv(tmp_path / "a.csv", 4)
    load_dataset(spec)
    reg = warehouse.read_registry()["datasets"]
    assert all(not Path(e[k]).is_absolute() for e in reg.values() for k in ("parquet", "meta"))
    moved = tmp_path / "ailleurs" / "data"
    moved.parent.mkdir()
    data_dir.rename(moved)
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(moved))
    config.get_settings.cache_clear()
    entry = warehouse.read_registry()["datasets"]["essai"]
    assert warehouse.resolve(entry["parquet"]) == moved / "warehouse" / entry["parquet"]
    import duckdb

    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FROM '{warehouse.resolve(entry['parquet'])}'").fetchall() == [(4,)]
    assert json.loads(warehouse.resolve(entry["meta"]).read_text())["rows"] == 4


def test_schema_change_warning_in_meta(data_dir: Path, tmp_path: Path) -> None:
    src = _csv(tmp_path / "a.csv", 3)
    spec = make_spec(src)
    first = load_dataset(spec)
    assert not any("Colonnes" in w for w in first.warnings)
    src.write_text("code_insee;autre;encore\n24001;x;1\n", encoding="utf-8")
    second = load_dataset(spec)
    want = f"Colonnes ajoutées : autre, encore ; colonnes retirées : valeur (par rapport à la version {first.version})."
    assert want in warehouse.current_meta("essai")["warnings"]  # type: ignore[index]
    assert want in second.warnings
    src.write_text("code_insee;autre;encore\n24001;y;2\n24002;z;3\n", encoding="utf-8")
    third = load_dataset(spec)  # same columns: no schema line
    assert not any("olonnes" in w for w in third.warnings)
    src.write_text("code_insee;encore\n24001;2\n", encoding="utf-8")
    load_dataset(spec)
    assert any(w.startswith("Colonnes retirées : autre (") for w in warehouse.current_meta("essai")["warnings"])  # type: ignore[index]


LOCK_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("LOCKED", flush=True)
time.sleep(60)
"""


def test_stale_work_dirs_are_cleaned_at_the_start_of_a_load(data_dir: Path, tmp_path: Path) -> None:
    from loaders.workdirs import WORK_LOCK, clean_stale_work_dirs

    tmp = data_dir / "tmp"
    tmp.mkdir(parents=True)
    old = time.time() - 2 * 3600

    def work(name: str, age: float | None = old, lock: bool = True) -> Path:
        d = tmp / name
        d.mkdir()
        (d / "source-utf8.csv").write_text("x")
        if lock:
            (d / WORK_LOCK).write_text("")
        if age is not None:
            os.utime(d, (age, age))
        return d

    dead = work("load-essai-dead")  # a kill -9 left it: old, nobody holds its lock
    legacy = work("convert-legacy", lock=False)  # from a loader without the lock file
    fresh = work("load-essai-fresh", age=None)  # maybe a load that just started
    alive = work("load-essai-alive")  # old but its loader is still running (holds the lock)
    other = work("duckdb-spill")  # not ours
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(alive / WORK_LOCK)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "LOCKED"
        load_dataset(make_spec(_csv(tmp_path / "a.csv", 3)))
        assert not dead.exists() and not legacy.exists()
        assert fresh.is_dir() and alive.is_dir() and other.is_dir()
        assert not [p for p in tmp.iterdir() if p.name.startswith("load-essai-") and p not in (fresh, alive)]
    finally:
        holder.kill()
        holder.wait(10)
    os.utime(alive, (old, old))
    assert clean_stale_work_dirs() == [alive]  # its loader died: now it goes
