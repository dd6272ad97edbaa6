"""AppTest of the admin page: secret required and long enough, login throttled in the database (across tabs and
instances), moderation actions, their audit log and the paged queue."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

import config
import ui.reuses  # noqa: F401 - import the reuses package before AppTest puts pages/ (holding pages/reuses.py) on sys.path
from reuses import schema, service, store
from reuses.settings import database_url
from tests.conftest import open_page
from tests.reuses.helpers import ADMIN_SECRET, DATASETS, draft, png_bytes, raw, reuse_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("reuse_env")
SECRET = ADMIN_SECRET  # reuse_env sets it in the environment; tests about a missing secret remove it


def admin(secret_in: str | None = None) -> AppTest:
    """A new browser tab on /admin (a new AppTest: its own session state)."""
    config.get_settings.cache_clear()
    at = open_page("pages/admin.py", {})
    if secret_in == "secrets":
        at.secrets["admin_secret"] = SECRET
        config.get_settings.cache_clear()
        at.run()
    return at


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


def test_without_secret_moderation_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERRITOIRE_ADMIN_SECRET")
    at = admin()
    assert not at.exception
    assert any("modération est indisponible" in w.value for w in at.warning)
    assert "admin_password" not in [w.key for w in at.text_input]  # no password field, nothing else rendered


def test_a_secret_shorter_than_16_characters_disables_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", "x" * 15)
    at = admin()
    assert not at.exception
    assert any("trop court" in w.value and "16 au minimum" in w.value for w in at.warning)
    assert "admin_password" not in [w.key for w in at.text_input]


@pytest.mark.parametrize("source", ["env", "secrets"])
def test_login_with_the_secret(monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    if source == "secrets":
        monkeypatch.delenv("TERRITOIRE_ADMIN_SECRET")
    at = admin("secrets" if source == "secrets" else None)
    assert at.text_input(key="admin_password").proto.type == TextInputProto.PASSWORD
    at = login(at, "mauvais")
    assert any("incorrect" in e.value for e in at.error)
    assert "admin_moderator" not in [w.key for w in at.text_input]
    at = login(at)
    assert not at.exception
    assert "admin_moderator" in [w.key for w in at.text_input]
    assert any(t.label == "Modération des réutilisations" for t in at.tabs)


def test_failed_logins_count_across_tabs_reloads_and_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    monkeypatch.setenv("TERRITOIRE_ADMIN_MAX_FAILURES", "4")
    first, second = admin(), admin()  # two tabs: two sessions
    login(first, "non")
    login(second, "non")
    login(first, "non")
    assert all(e.value == "Mot de passe incorrect." for e in first.error)
    store.dispose_engines()  # another instance of the portal on the same database: a fresh engine
    third = login(admin(), "non")
    assert any(e.value.startswith("Mot de passe incorrect. Trop de tentatives, réessayez dans ") for e in third.error)
    for tab in (first.run(), admin()):  # a reload and a new tab: still waiting, no password field
        assert not tab.exception
        assert any(e.value.startswith("Trop de tentatives, réessayez dans ") for e in tab.error)
        assert "admin_password" not in [w.key for w in tab.text_input]
    fresh = store.create_engine_for(database_url())
    with fresh.connect() as conn:
        a = schema.audit_log
        rows = conn.execute(select(a.c.moderator, a.c.action, a.c.details).where(a.c.action == store.LOGIN_FAILED)).all()
    fresh.dispose()
    assert len(rows) == 4 and {r.details for r in rows} == {"adresse inconnue"}  # AppTest has no client address
    # during the delay even the right secret is refused; once the window has passed the address may try again
    assert not service.login(SECRET, SECRET, "inconnue").ok
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    assert store.login_wait("inconnue", now=later) == 0


def test_moderation_workflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    a = service.submit_form(raw(url="https://e.fr/a", email="cache@prive.fr"), "s1", known_datasets=DATASETS).reuse_id
    b = service.submit_form(raw(url="https://e.fr/b", title="Spam"), "s2", known_datasets=DATASETS).reuse_id
    at = login(admin())
    assert "En attente (2)" in at.radio(key="admin_status").options[0]
    # the notice comes first, above the tabs
    [notice] = at.main.warning
    assert notice.value.startswith("**2 propositions en attente de modération**")
    assert "la plus ancienne attend depuis le" in notice.value
    assert any("Pas d'annonce par courriel" in c.value for c in at.caption)  # no SMTP configured

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
    assert not at.warning and any(s.value == "Aucune proposition en attente de modération." for s in at.success)

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


def test_moderation_queue_is_paged_and_failures_are_in_the_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    start = datetime.now(UTC)
    ids = [store.submit(draft(url=f"https://e.fr/{i}", email=f"p{i}@e.fr", title=f"Proposition {i:02d}"),
                        f"198.51.100.{i}", now=start + timedelta(seconds=i)) for i in range(45)]
    at = login(login(admin(), "faux"))
    assert not at.exception
    shown = [e.label for e in at.expander]
    assert len(shown) == 20 and "Proposition 00" in shown[0] and "Proposition 19" in shown[-1]
    at.number_input(key="admin_page_pending").set_value(3).run()
    assert not at.exception
    assert [e.label.split(" — ")[0] for e in at.expander] == [f"Proposition {i}" for i in range(40, 45)]
    assert any(c.value.startswith("Page 3 sur 3") for c in at.caption)
    assert at.button(key=f"admin_publish_{ids[44]}")
    log = at.dataframe[0].value
    assert list(log["Action"]) == ["Échec de connexion"]
    # AppTest has no client address: the moderator is told that limits are shared by every visitor
    assert any("TERRITOIRE_TRUSTED_PROXY_HEADER" in c.value for c in at.info)


def test_an_image_address_is_shown_from_the_stored_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.loaders.server import LOCAL_POLICY, FakeServer

    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    for name, value in {**LOCAL_POLICY, "TERRITOIRE_HTTP_MIN_DELAY": "0"}.items():
        monkeypatch.setenv(name, value)
    with FakeServer() as server:
        server.route("/vignette.png", png_bytes((900, 600)), content_type="image/png")
        remote = f"{server.base_url}/vignette.png"
        outcome = service.submit_form(raw(image_url=remote), "198.51.100.1", known_datasets=DATASETS)
        assert outcome.ok, outcome.errors
        at = login(admin())
        assert not at.exception
        images = [url for image in at.get("image") for url in image.value]
        assert len(images) == 1 and remote not in images[0]  # served by the portal (media URL), not the remote one
        assert any(t.value == f"Image copiée depuis : {remote}" for t in at.text)
        assert server.hits("/vignette.png") == 1  # fetched once, at submission; the moderation page never asks


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


def test_the_notice_names_the_moderators_address_when_smtp_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"TERRITOIRE_SMTP_HOST": "127.0.0.1", "TERRITOIRE_SMTP_FROM": "portail@exemple.fr",
                        "TERRITOIRE_MODERATION_EMAIL": "moderation@exemple.fr"}.items():
        monkeypatch.setenv(name, value)
    at = login(admin())
    assert any("annoncée par courriel à moderation@exemple.fr" in re.sub(r"\\(.)", r"\1", c.value) for c in at.caption)
    assert any(s.value == "Aucune proposition en attente de modération." for s in at.success)
