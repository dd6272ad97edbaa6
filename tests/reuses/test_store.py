"""The store: moderation workflow and audit, rate limit, duplicates, atomicity, restart, migrations, backups."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

import config
from reuses import schema, store
from reuses.__main__ import main as cli
from reuses.settings import database_url
from reuses.validation import ValidationError
from tests.reuses.helpers import draft, png_bytes

ROOT = Path(__file__).resolve().parents[2]


def test_database_is_a_wal_sqlite_file_in_private_dir(reuse_env: Path) -> None:
    store.get_engine()
    path = config.get_settings().private_dir / "reuses.sqlite"
    assert database_url() == f"sqlite:///{path}"
    assert path.exists() and not str(path).startswith(str(config.get_settings().warehouse_dir))
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store.BUSY_TIMEOUT_MS


def test_submission_is_pending_until_published(reuse_env: Path) -> None:
    rid = store.submit(draft(), "s1")
    assert store.get(rid).status == "pending"
    assert store.list_published() == [] and store.get_published(rid) is None
    assert store.list_published(dataset_id="ecoles") == [] and store.list_latest(3) == []
    store.publish(rid, "Modératrice")
    assert [r.id for r in store.list_published(dataset_id="ecoles")] == [rid]
    assert store.list_published(dataset_id="colleges") == []
    assert store.get_published(rid).published_at


def test_moderation_workflow_is_audited(reuse_env: Path) -> None:
    a = store.submit(draft(url="https://exemple.fr/a"), "s1")
    b = store.submit(draft(url="https://exemple.fr/b", title="Autre"), "s2")
    store.publish(a, "Zoé")
    store.set_featured(a, "Zoé", True)
    assert store.list_published(featured=True)[0].id == a
    with pytest.raises(ValidationError):
        store.reject(b, "Zoé", "   ")
    store.reject(b, "Léo", "Lien mort")
    assert store.get(b).status == "rejected" and store.get(b).reject_reason == "Lien mort"
    store.edit(a, "Léo", draft(url="https://exemple.fr/a", title="Titre corrigé", datasets=["colleges"]))
    assert store.get(a).title == "Titre corrigé" and store.get(a).datasets == ("colleges",)
    store.set_featured(a, "Léo", False)
    store.delete_reuse(b, "Zoé")
    assert store.get(b) is None
    log = store.audit_entries()
    assert [e["action"] for e in log] == ["delete", "unfeature", "edit", "reject", "feature", "publish"]
    assert log[2]["moderator"] == "Léo" and "title" in log[2]["details"] and "datasets" in log[2]["details"]
    assert all(e["at"] for e in log)
    with pytest.raises(ValidationError):
        store.publish(a, "")  # a moderator name is required for the log
    with pytest.raises(store.NotFound):
        store.publish("inconnue", "Zoé")


def test_edit_cannot_steal_another_url(reuse_env: Path) -> None:
    a = store.submit(draft(url="https://exemple.fr/a"), "s1")
    store.submit(draft(url="https://exemple.fr/b"), "s2")
    with pytest.raises(ValidationError):
        store.edit(a, "Zoé", draft(url="https://exemple.fr/b/"))


def test_duplicate_url_is_detected(reuse_env: Path) -> None:
    store.submit(draft(url="https://exemple.fr/carte"), "s1")
    with pytest.raises(ValidationError) as info:
        store.submit(draft(url="HTTPS://EXEMPLE.fr/carte/#top", email="bob@exemple.fr"), "s2")
    assert "déjà été proposée" in info.value.errors["url"]


def test_rate_limit_per_client_address_and_per_email(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        store.submit(draft(url=f"https://exemple.fr/{i}"), "203.0.113.7")
    with pytest.raises(store.RateLimited, match="réessayer plus tard"):
        store.submit(draft(url="https://exemple.fr/3", email="autre@exemple.fr"), "203.0.113.7")
    with pytest.raises(store.RateLimited):  # same e-mail, another address
        store.submit(draft(url="https://exemple.fr/4"), "198.51.100.9")
    store.submit(draft(url="https://exemple.fr/5", email="autre@exemple.fr"), "198.51.100.9")
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    store.submit(draft(url="https://exemple.fr/6"), "203.0.113.7", now=later)  # the window has passed
    monkeypatch.setenv("TERRITOIRE_REUSES_RATE_LIMIT", "1")
    with pytest.raises(store.RateLimited):
        store.submit(draft(url="https://exemple.fr/7", email="third@exemple.fr"), "198.51.100.9")


def test_rate_limit_holds_for_another_instance(reuse_env: Path) -> None:
    for i in range(3):
        store.submit(draft(url=f"https://exemple.fr/{i}", email=f"a{i}@exemple.fr"), "203.0.113.7")
    store.dispose_engines()  # a new engine on the same database, as a second app instance has
    with pytest.raises(store.RateLimited):
        store.check_submission("203.0.113.7", "nouveau@exemple.fr")
    store.check_submission("198.51.100.9", "nouveau@exemple.fr")


def test_pending_cap(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_REUSES_MAX_PENDING", "2")
    a = store.submit(draft(url="https://exemple.fr/a", email="a@exemple.fr"), "198.51.100.1")
    store.submit(draft(url="https://exemple.fr/b", email="b@exemple.fr"), "198.51.100.2")
    with pytest.raises(store.QueueFull, match="La file de modération est pleine"):
        store.submit(draft(url="https://exemple.fr/c", email="c@exemple.fr"), "198.51.100.3")
    store.publish(a, "Zoé")  # moderation makes room
    store.submit(draft(url="https://exemple.fr/c", email="c@exemple.fr"), "198.51.100.3")
    assert store.counts_by_status() == {"pending": 2, "published": 1, "rejected": 0}


def test_moderation_queue_pages(reuse_env: Path) -> None:
    start = datetime.now(UTC)
    ids = [store.submit(draft(url=f"https://exemple.fr/{i}", email=f"p{i}@exemple.fr"), f"198.51.100.{i}",
                        now=start + timedelta(seconds=i)) for i in range(25)]
    first = store.list_by_status("pending", offset=0, limit=20)
    second = store.list_by_status("pending", offset=20, limit=20)
    assert [r.id for r in first + second] == ids  # oldest first, nothing lost or repeated between pages
    assert len(first) == 20 and len(second) == 5 and second[0].email == "p20@exemple.fr"


def test_failure_inside_the_transaction_stores_nothing(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object) -> None:
        raise RuntimeError("panne entre la validation et le commit")

    monkeypatch.setattr(store, "_insert_links", boom)
    with pytest.raises(RuntimeError):
        store.submit(draft(), "s1")
    monkeypatch.undo()
    assert store.counts_by_status() == {"pending": 0, "published": 0, "rejected": 0}
    with store.get_engine().connect() as conn:
        assert conn.execute(select(schema.reuse_datasets)).all() == []
        assert conn.execute(select(schema.submission_events)).all() == []


def test_restart_keeps_everything(reuse_env: Path) -> None:
    rid = store.submit(draft(), "s1")
    store.publish(rid, "Zoé")
    store.record_view(rid)
    store.dispose_engines()
    engine = store.create_engine_for(database_url())  # a new process would do exactly this
    with engine.connect() as conn:
        assert conn.execute(select(schema.reuses.c.views).where(schema.reuses.c.id == rid)).scalar_one() == 1
    engine.dispose()
    assert store.get_published(rid).views == 1 and store.audit_entries()[0]["action"] == "publish"


def test_views_count_only_published(reuse_env: Path) -> None:
    rid = store.submit(draft(), "s1")
    store.record_view(rid)
    assert store.get(rid).views == 0
    store.publish(rid, "Zoé")
    for _ in range(3):
        store.record_view(rid)
    assert store.get(rid).views == 3


def test_filters_search_and_sorts(reuse_env: Path) -> None:
    ids = []
    for i, (title, type_, topic, datasets) in enumerate([
        ("Carte des écoles", "visualization", "education_and_research", ["ecoles"]),
        ("Appli santé", "application", "health", ["population"]),
        ("Budget des collèges", "news_article", "education_and_research", ["colleges", "ecoles"]),
    ]):
        rid = store.submit(draft(title=title, type=type_, topic=topic, datasets=datasets, url=f"https://e.fr/{i}",
                                 email=f"{i}@exemple.fr", description=f"Description numéro {i} du test."), f"s{i}")
        store.publish(rid, "Zoé")
        ids.append(rid)
    for _ in range(5):
        store.record_view(ids[1])
    assert [r.id for r in store.list_published(sort="recent")] == ids[::-1]
    assert store.list_published(sort="popular")[0].id == ids[1]
    assert [r.title for r in store.list_published(sort="title")] == ["Appli santé", "Budget des collèges",
                                                                      "Carte des écoles"]
    assert {r.id for r in store.list_published(dataset_id="ecoles")} == {ids[0], ids[2]}
    assert [r.id for r in store.list_published(type="application")] == [ids[1]]
    assert {r.id for r in store.list_published(topic="education_and_research")} == {ids[0], ids[2]}
    assert [r.id for r in store.list_published(q="ECOLE carte")] == [ids[0]]  # accents and case folded
    assert [r.id for r in store.list_published(q="colleges")] == [ids[2]]
    assert store.list_published(q="introuvable") == []


def test_uploaded_image_is_a_blob_not_a_warehouse_file(reuse_env: Path) -> None:
    rid = store.submit(_with_image(), "s1")
    data, mime = store.get_image(rid)
    assert mime == "image/webp" and data[:4] == b"RIFF"
    assert not (config.get_settings().warehouse_dir).exists() or not any(
        p.suffix == ".webp" for p in config.get_settings().warehouse_dir.rglob("*"))


def _with_image() -> object:
    from reuses.images import make_thumbnail
    from reuses.validation import validate
    from tests.reuses.helpers import DATASETS, raw

    return validate(raw(), set(DATASETS), image=make_thumbnail(png_bytes()))


def _make_v1_database(path: Path) -> None:
    """A database as version 1 of the code left it, with one published and one pending reuse."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        schema.migrate(conn, target=1)
        rows = [("old-1", "published", "https://exemple.fr/ancienne"), ("old-2", "pending", "https://exemple.fr/p")]
        for rid, status, url in rows:
            conn.exec_driver_sql(
                "INSERT INTO reuses (id, title, description, type, topic, url, url_key, image_url, author_name, email,"
                " permalink, status, created_at, updated_at) VALUES (?, 'Ancienne', 'Créée avant la v2 du schéma.',"
                " 'post', 'others', ?, ?, '', 'Ancien', 'old@exemple.fr', '', ?, '2025-01-01T00:00:00+00:00',"
                " '2025-02-01T00:00:00+00:00')", (rid, url, url, status))
        conn.execute(insert(schema.reuse_datasets).values(reuse_id="old-1", dataset_id="ecoles"))
    engine.dispose()


def test_migration_from_version_1_keeps_data(reuse_env: Path) -> None:
    path = config.get_settings().private_dir / "reuses.sqlite"
    path.parent.mkdir(parents=True)
    _make_v1_database(path)
    with sqlite3.connect(path) as con:
        assert "views" not in [r[1] for r in con.execute("PRAGMA table_info(reuses)")]
    old = store.get_published("old-1")  # get_engine() migrates 1 → latest
    assert old is not None and old.published_at == "2025-02-01T00:00:00+00:00" and old.views == 0
    assert old.datasets == ("ecoles",) and not old.featured
    assert store.get("old-2", include_private=True).email == "old@exemple.fr"
    store.set_featured("old-1", "Zoé", True)  # v2 columns and the audit table work
    store.submit(draft(), "s1")  # v3 submission events work, keyed on the client address since v4
    store.record_login_failure("203.0.113.7")  # v4 login failures
    with sqlite3.connect(path) as con:
        assert [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2, 3, 4, 5]
        assert "client_key" in [r[1] for r in con.execute("PRAGMA table_info(submission_events)")]
    assert store.migrate(store.get_engine()) == []  # idempotent


def test_migration_from_version_4_adds_the_submitter_reference(reuse_env: Path) -> None:
    """Version 5 stores each submitter's reference hashed; reuses submitted before have none and match nothing."""
    path = config.get_settings().private_dir / "reuses.sqlite"
    path.parent.mkdir(parents=True)
    _make_v1_database(path)
    from catalogue import database

    engine = database.open_engine(f"sqlite:///{path}")
    assert store.migrate(engine, target=4) == [2, 3, 4]
    with sqlite3.connect(path) as con:
        assert "reference_key" not in [r[1] for r in con.execute("PRAGMA table_info(reuses)")]
    assert store.migrate(engine) == [5]
    engine.dispose()
    with sqlite3.connect(path) as con:
        assert "ix_reuses_reference_key" in [r[1] for r in con.execute("PRAGMA index_list(reuses)")]
        assert con.execute("SELECT reference_key FROM reuses WHERE id = 'old-2'").fetchone() == ("",)
    assert store.get("old-2").status == "pending"  # the old pending reuse is still there, without a reference
    assert store.get_by_reference("") is None and store.get_by_reference("AAAA-AAAA-AAAA-AAAA") is None
    reference = store.new_reference()
    rid = store.submit(draft(), "s1", reference=reference)
    assert store.get_by_reference(reference.lower().replace("-", " ")).id == rid


def _fill() -> list[str]:
    a = store.submit(_with_image(), "s1")
    b = store.submit(draft(url="https://exemple.fr/b", title="Deuxième", datasets=["colleges", "population"],
                           email="b@exemple.fr", permalink="/carte?couche=ecoles"), "s2")
    store.publish(a, "Zoé")
    store.set_featured(a, "Zoé", True)
    store.reject(b, "Zoé", "Hors sujet")
    store.record_view(a)
    return [a, b]


def test_backup_round_trip(reuse_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _fill()
    before = {i: store.get(i, include_private=True) for i in ids}
    image = store.get_image(ids[0])
    audit = store.audit_entries()
    backup = tmp_path / "sauvegarde.json"
    assert cli(["export", str(backup)]) == 0
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert json.loads(backup.read_text())["schema_version"] == schema.LATEST_VERSION

    # restore into an empty portal
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(tmp_path / "autre"))
    config.get_settings.cache_clear()
    assert cli(["import", str(backup)]) == 0
    assert {i: store.get(i, include_private=True) for i in ids} == before
    assert store.get_image(ids[0]) == image
    assert store.audit_entries() == audit
    # importing twice merges: nothing is duplicated
    assert cli(["import", str(backup)]) == 0
    assert sum(store.counts_by_status().values()) == 2 and len(store.audit_entries()) == len(audit)
    assert cli(["import", str(backup), "--replace"]) == 0
    assert sum(store.counts_by_status().values()) == 2


def test_backup_cli_runs_as_a_module(reuse_env: Path, tmp_path: Path) -> None:
    _fill()
    backup = tmp_path / "b.json"
    env = {"PATH": "/usr/bin:/bin", "TERRITOIRE_DATA_DIR": str(reuse_env)}
    out = subprocess.run([sys.executable, "-m", "reuses", "export", str(backup), "--without-emails"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "2 réutilisation(s)" in out.stdout
    assert "@exemple.fr" not in backup.read_text()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "autre"}')
    out = subprocess.run([sys.executable, "-m", "reuses", "import", str(bad)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Import impossible" in out.stderr


def test_backup_from_before_version_4_is_imported(reuse_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill()
    data = store.export_backup()
    for row in data["submission_events"]:  # as schema version 3 wrote them
        row["session_key"] = row.pop("client_key")
    data["schema_version"] = 3
    monkeypatch.setenv("TERRITOIRE_DATA_DIR", str(tmp_path / "autre"))
    config.get_settings.cache_clear()
    assert store.import_backup(data)["submission_events"] == 2
    with pytest.raises(store.RateLimited):  # the imported events still count for their e-mail
        for i in range(3):
            store.submit(draft(url=f"https://exemple.fr/n{i}", email="b@exemple.fr"), f"198.51.100.{i}")
