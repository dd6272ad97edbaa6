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
    meta = publish.current_meta("essai")
    assert meta and meta["version"] == second.version
    assert meta["changes"] == {"previous_version": first.version, "rows_added": 2, "rows_removed": 0,
                               "columns_added": [], "columns_removed": []}
    src.write_text("code_insee;autre\n24001;x\n", encoding="utf-8")
    third = load_dataset(spec)
    changes = publish.current_meta("essai")["changes"]  # type: ignore[index]
    assert changes["rows_removed"] == 11 and changes["columns_added"] == ["autre"]
    assert changes["columns_removed"] == ["valeur"]
    versions = [v["version"] for v in publish.list_versions("essai")]
    assert versions == [third.version, second.version]  # keep_versions = 2: the first one was pruned
    publish.restore("essai", second.version)
    assert publish.current_meta("essai")["rows"] == 12  # type: ignore[index]
    reg = publish.read_registry()["datasets"]["essai"]
    assert reg["version"] == second.version and Path(reg["parquet"]).is_file()
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
    assert publish.current_meta("essai")["version"] == first.version  # type: ignore[index]
    assert publish.read_registry()["datasets"]["essai"]["version"] == first.version
    leftovers = [p.name for p in (data_dir / "warehouse" / "essai" / "versions").iterdir()]
    assert leftovers == [first.version]


def test_failed_load_keeps_previous_version(data_dir: Path, tmp_path: Path) -> None:
    src = _csv(tmp_path / "a.csv", 5)
    spec = make_spec(src)
    first = load_dataset(spec)
    src.write_text("a;b\n1;2\n3;4;5\n", encoding="utf-8")
    with pytest.raises(LoadError, match="ligne 3"):
        load_dataset(spec)
    assert publish.current_meta("essai")["version"] == first.version  # type: ignore[index]


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
    assert publish.read_registry()["datasets"]["essai"]["version"] == first.version
    t0 = time.monotonic()
    rerun = load_dataset(spec)  # the lock died with the process: the rerun proceeds and cleans up
    assert time.monotonic() - t0 < 30
    assert rerun.rows == 7 and publish.current_meta("essai")["rows"] == 7  # type: ignore[index]
    assert not any(p.name.startswith(".tmp-") for p in vdir.iterdir())
