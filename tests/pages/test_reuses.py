"""AppTest of the reuse pages: gallery (filters in the URL, downloads), reuse page, submission form."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.reuses  # noqa: F401 - import the reuses package before AppTest puts pages/ (holding pages/reuses.py) on sys.path
from reuses import service, store
from tests.reuses.helpers import DATASETS, PAYLOADS, png_bytes, raw, reuse_env  # noqa: F401
from tests.reuses.test_sanitize import assert_inert

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("reuse_env")


def app(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=30)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def texts(at: AppTest) -> list[str]:
    """Every Markdown source the page sent to the browser (titles, text, captions, alerts, link labels)."""
    out = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info",
                                "success") for e in getattr(at, kind)]
    out += [e.proto.label for e in at.get("page_link")]
    out += [e.label for e in at.get("expandable")] if hasattr(at, "expandable") else []
    return out


def publish(**overrides: object) -> str:
    outcome = service.submit_form(raw(**overrides), f"s-{overrides.get('url', '')}", known_datasets=DATASETS)
    assert outcome.ok, outcome.errors
    store.publish(outcome.reuse_id, "Zoé")
    return outcome.reuse_id


def test_gallery_empty() -> None:
    at = app("reuses.py")
    assert not at.exception
    assert at.title[0].value == "Réutilisations"
    assert any("Aucune réutilisation" in i.value for i in at.info)


def test_gallery_cards_filters_and_url_state() -> None:
    a = publish(title="Carte des écoles", url="https://e.fr/a", type="visualization", datasets=["ecoles"])
    b = publish(title="Appli santé", url="https://e.fr/b", type="application", topic="health",
                datasets=["population"], description="Une application mobile sur la santé publique.")
    at = app("reuses.py")
    body = "\n".join(texts(at))
    assert f"reutilisation?id={a}" in body and f"reutilisation?id={b}" in body
    assert "Visualisation · Éducation et recherche" in body  # udata slugs shown with French labels
    assert "Par Alice Martin" in body and "Données utilisées : Écoles de la Dordogne" in body

    at.selectbox(key="reuses_type").select("application").run()
    assert at.query_params["type"] == ["application"] or at.query_params["type"] == "application"
    body = "\n".join(texts(at))
    assert f"id={b}" in body and f"id={a}" not in body

    # a shared link reproduces the view
    at = app("reuses.py", dataset="ecoles", sort="popular", q="carte")
    assert not at.exception
    assert at.selectbox(key="reuses_dataset").value == "ecoles"
    assert at.selectbox(key="reuses_sort").value == "popular"
    assert at.text_input(key="reuses_q").value == "carte"
    body = "\n".join(texts(at))
    assert f"id={a}" in body and f"id={b}" not in body

    at = app("reuses.py", topic="health", type="n-importe-quoi")
    assert not at.exception and at.selectbox(key="reuses_type").value == ""
    assert f"id={b}" in "\n".join(texts(at))


def test_gallery_downloads_never_contain_emails() -> None:
    publish(url="https://e.fr/a", email="tres.secret@prive.fr")
    at = app("reuses.py")
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Télécharger en CSV", "Télécharger en JSON"]
    from reuses import exports  # the bytes behind the buttons (AppTest only sees a media URL)

    data = exports.to_json(store.list_published()).decode()
    assert "prive.fr" not in data and json.loads(data)[0]["author_name"] == "Alice Martin"


def test_reuse_page() -> None:
    rid = publish(url="https://e.fr/a", datasets=["ecoles", "colleges"], permalink="/jeu-de-donnees?id=ecoles&c=1",
                  description="Voir **la carte** et [la doc](https://doc.exemple.fr).", email="cache@prive.fr")
    at = app("reuse.py", id=rid)
    assert not at.exception
    assert at.title[0].value == "Carte des écoles"
    body = "\n".join(texts(at))
    assert "Voir **la carte** et [la doc](https://doc.exemple.fr)." in body
    assert "jeu-de-donnees?id=ecoles" in body and "jeu-de-donnees?id=colleges" in body
    assert "[Voir la vue du portail utilisée](jeu-de-donnees?id=ecoles&c=1)" in body
    assert "prive.fr" not in body
    assert [b.proto.url for b in at.get("link_button")] == ["https://e.fr/a"]
    for md in at.markdown:
        assert md.proto.allow_html is False
    at.run()  # the view is counted once per session
    assert store.get(rid).views == 1


@pytest.mark.parametrize("params", [{"id": "inconnue"}, {}, {"id": "<script>alert(1)</script>"}])
def test_unknown_or_unpublished_reuse_is_a_french_message(params: dict[str, str]) -> None:
    pending = service.submit_form(raw(), "s", known_datasets=DATASETS).reuse_id
    for p in (params, {"id": pending}):
        at = app("reuse.py", **p)
        assert not at.exception
        assert at.title[0].value == "Réutilisation introuvable"
        assert "reutilisations" in "\n".join(texts(at))


def test_every_payload_is_inert_in_gallery_and_reuse_page() -> None:
    ids = [publish(title=f"Titre {p}", description=f"Description {p} assez longue.", author_name=f"{p} Auteur",
                   url=f"https://exemple.fr/{i}", email=f"secret{i}@prive.fr") for i, p in enumerate(PAYLOADS)]
    pages = [app("reuses.py")] + [app("reuse.py", id=i) for i in ids]
    for at in pages:
        assert not at.exception
        for text in texts(at):
            assert_inert(text, portal_links=True)
            assert "prive.fr" not in text
        for md in at.markdown:
            assert md.proto.allow_html is False
        for b in at.get("link_button"):
            assert b.proto.url.startswith("https://")


def fill_form(at: AppTest, **values: object) -> AppTest:
    v = {"title": "Carte des écoles", "description": "Une carte interactive des écoles de la Dordogne.",
         "type": "visualization", "topic": "education_and_research", "url": "https://exemple.fr/carte",
         "author": "Alice Martin", "email": "alice@exemple.fr", **values}
    at.text_input(key="reuse_submit_title").input(v["title"])
    at.text_area(key="reuse_submit_description").input(v["description"])
    if v["type"]:
        at.selectbox(key="reuse_submit_type").select(v["type"])
    if v["topic"]:
        at.selectbox(key="reuse_submit_topic").select(v["topic"])
    at.text_input(key="reuse_submit_url").input(v["url"])
    at.text_input(key="reuse_submit_author").input(v["author"])
    at.text_input(key="reuse_submit_email").input(v["email"])
    for key in ("image_url", "permalink", "website"):
        if key in v:
            at.text_input(key=f"reuse_submit_{key}").input(v[key])
    return at


def submit(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Envoyer la proposition").click()
    return at.run()


def test_form_prefilled_from_dataset_page_and_stored_as_pending() -> None:
    at = app("reuse_submit.py", dataset="colleges")
    assert not at.exception
    assert at.multiselect(key="reuse_submit_datasets").value == ["colleges"]
    assert at.text_input(key="reuse_submit_website").label == "Ne pas remplir ce champ"
    at = submit(fill_form(at, permalink="/jeu-de-donnees?id=colleges"))
    assert not at.exception and not at.error
    assert "Merci" in at.success[0].value and "après relecture" in at.success[0].value
    [pending] = store.list_by_status("pending")
    assert pending.datasets == ("colleges",) and pending.permalink == "/jeu-de-donnees?id=colleges"
    assert store.list_published() == []


def test_form_reports_problems_in_french() -> None:
    at = app("reuse_submit.py")
    at = submit(fill_form(at, title="", url="javascript:alert(1)", email="pas-un-courriel", type=None))
    errors = re.sub(r"\\(.)", r"\1", "\n".join(e.value for e in at.error))  # messages are Markdown-escaped
    assert "n'a pas été enregistrée" in errors
    assert "Le titre est obligatoire" in errors and "http:// ou https://" in errors
    assert "Choisissez un type" in errors and "courriel est invalide" in errors and "au moins un jeu" in errors
    assert store.counts_by_status()["pending"] == 0


def test_form_duplicate_rate_limit_and_honeypot() -> None:
    at = app("reuse_submit.py", dataset="ecoles")
    at = submit(fill_form(at, website="http://spam.example"))
    assert at.success and store.counts_by_status()["pending"] == 0  # bots get a thank-you, nothing is stored

    at = app("reuse_submit.py", dataset="ecoles")
    for i in range(3):
        at = submit(fill_form(at, url=f"https://exemple.fr/{i}", email=f"a{i}@exemple.fr"))
        assert at.success, [e.value for e in at.error]
        next(b for b in at.button if b.key == "reuse_submit_again").click()
        at.run()
    at = submit(fill_form(at, url="https://exemple.fr/3", email="a3@exemple.fr"))
    assert any("réessayer plus tard" in e.value for e in at.error)

    at = app("reuse_submit.py", dataset="ecoles")  # a new session
    at = submit(fill_form(at, url="https://exemple.fr/0/", email="z@exemple.fr"))
    assert any("déjà été proposée" in e.value for e in at.error)
    assert store.counts_by_status()["pending"] == 3


def test_form_with_an_image_upload() -> None:
    # AppTest cannot drive st.file_uploader: the upload path is exercised through the same service call.
    outcome = service.submit_form(raw(), "s", upload=png_bytes((2000, 1000)), known_datasets=DATASETS)
    assert outcome.ok
    data, mime = store.get_image(outcome.reuse_id)
    assert mime == "image/webp"
    bad = service.submit_form(raw(url="https://e.fr/x"), "s", upload=b"GIF89a not really", known_datasets=DATASETS)
    assert "image" in bad.errors and "PNG, JPEG ou WebP" in bad.errors["image"]
    store.publish(outcome.reuse_id, "Zoé")
    at = app("reuse.py", id=outcome.reuse_id)
    assert not at.exception and len(at.get("image")) == 1
