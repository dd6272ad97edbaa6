"""AppTest of the admin page: secret required, login with the secret, moderation actions and their audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

import config
import ui.reuses  # noqa: F401 - import the reuses package before AppTest puts pages/ (holding pages/reuses.py) on sys.path
from reuses import service, store
from tests.reuses.helpers import DATASETS, raw, reuse_env  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("reuse_env")
SECRET = "un-secret-de-test-assez-long"


def admin(secret_in: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=30)
    if secret_in == "secrets":
        at.secrets["admin_secret"] = SECRET
    config.get_settings.cache_clear()
    return at.run()


def login(at: AppTest, password: str = SECRET) -> AppTest:
    at.text_input(key="admin_password").input(password)
    next(b for b in at.button if b.label == "Se connecter").click()
    at.run()
    config.get_settings.cache_clear()
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_secret_moderation_is_unavailable() -> None:
    at = admin()
    assert not at.exception
    assert "modération est indisponible" in at.warning[0].value
    assert not at.text_input  # no password field, nothing else rendered


@pytest.mark.parametrize("source", ["env", "secrets"])
def test_login_with_the_secret(monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    if source == "env":
        monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    at = admin("secrets" if source == "secrets" else None)
    assert at.text_input(key="admin_password").proto.type == TextInputProto.PASSWORD
    at = login(at, "mauvais")
    assert any("incorrect" in e.value for e in at.error)
    assert "admin_moderator" not in [w.key for w in at.text_input]
    at = login(at)
    assert not at.exception
    assert "admin_moderator" in [w.key for w in at.text_input]
    assert any(t.label == "Modération des réutilisations" for t in at.tabs)


def test_brute_force_is_slowed_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    at = admin()
    for _ in range(5):
        at = login(at, "non")
    assert any("Trop de tentatives" in e.value for e in at.error)
    at.run()
    assert any("Trop de tentatives" in e.value for e in at.error)
    assert not [w for w in at.text_input if w.key == "admin_password"]


def test_moderation_workflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    a = service.submit_form(raw(url="https://e.fr/a", email="cache@prive.fr"), "s1", known_datasets=DATASETS).reuse_id
    b = service.submit_form(raw(url="https://e.fr/b", title="Spam"), "s2", known_datasets=DATASETS).reuse_id
    at = login(admin())
    assert "En attente (2)" in at.radio(key="admin_status").options[0]

    click(at, f"admin_publish_{a}")  # no moderator name yet: refused
    assert store.get(a).status == "pending"
    assert any("nom de modérateur" in e.value for e in at.error)

    at.text_input(key="admin_moderator").input("Zoé")
    click(at, f"admin_publish_{a}")
    assert store.get(a).status == "published"
    assert any("publiée" in s.value for s in at.success)

    at.text_input(key=f"admin_reason_{b}").input("Publicité")
    click(at, f"admin_reject_{b}")
    assert store.get(b).status == "rejected" and store.get(b).reject_reason == "Publicité"

    at.radio(key="admin_status").set_value("published").run()
    click(at, f"admin_feature_{a}")
    assert store.get(a).featured

    at.toggle(key=f"admin_edit_{a}").set_value(True).run()
    at.text_input(key=f"admin_e_title_{a}").input("Titre revu par la modération")
    next(btn for btn in at.button if btn.label == "Enregistrer les modifications").click()
    at.run()
    assert not at.exception
    assert store.get(a).title == "Titre revu par la modération"
    assert store.get(a, include_private=True).email == "cache@prive.fr"  # the editor never touches the e-mail

    at.radio(key="admin_status").set_value("rejected").run()
    at.checkbox(key=f"admin_confirm_delete_{b}").check().run()
    click(at, f"admin_delete_{b}")
    assert store.get(b) is None

    log = at.dataframe[0].value
    assert list(log["Action"]) == ["Suppression", "Modification", "Mise à la une", "Rejet", "Publication"]
    assert set(log["Modérateur"]) == {"Zoé"}
    assert log["Date (UTC)"].notna().all()


def test_sources_tab_shows_the_harvest_state(monkeypatch: pytest.MonkeyPatch) -> None:
    from loaders.sources import state

    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    at = login(admin())
    assert not at.exception
    assert any(c.value == "Aucune source moissonnée n'est configurée." for c in at.caption)
    state.record_failure("musees-ods", kind="ods", url="https://data.example.fr", frequency="monthly",
                         message="HTTP 503")
    at.run()
    assert not at.exception
    rows = next(d.value for d in at.dataframe if "last_error" in d.value.columns)
    assert list(rows["id"]) == ["musees-ods"]
    assert list(rows["status"]) == ["failed"] and list(rows["last_error"]) == ["HTTP 503"]
