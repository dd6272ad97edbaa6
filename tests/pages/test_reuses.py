"""AppTest of the reuse pages: gallery (filters in the URL, downloads), reuse page, submission form."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

import ui.reuses  # noqa: F401 - import the reuses package before AppTest puts pages/ (holding pages/reuses.py) on sys.path
from reuses import service, store
from tests.conftest import open_page
from tests.reuses.helpers import DATASETS, PAYLOADS, png_bytes, raw, reuse_env  # noqa: F401
from tests.reuses.test_sanitize import assert_inert, assert_inert_html

pytestmark = pytest.mark.usefixtures("reuse_env")


def app(page: str, **params: str) -> AppTest:
    """A new tab of the portal opened on pages/<page> with these URL parameters (through the router)."""
    return open_page(f"pages/{page}", params)


def html_of(at: AppTest) -> list[str]:
    """The HTML bodies the page drew with st.html (sanitised Markdown; the honeypot's style rule aside)."""
    return [h.proto.body for h in at.get("html") if not h.proto.body.startswith("<style>")]


def texts(at: AppTest) -> list[str]:
    """Every Markdown source the page sent to the browser (titles, text, captions, alerts, link labels)."""
    out = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info",
                                "success") for e in getattr(at, kind)]
    out += [e.proto.label for e in at.get("page_link")]
    out += [e.label for e in at.get("expandable")] if hasattr(at, "expandable") else []
    return out


def links(at: AppTest) -> list[str]:
    """The targets of the page links drawn by the page (url_path?query), e.g. reutilisation?id=…"""
    return [f"{e.proto.page}?{e.proto.query_string}".rstrip("?") for e in at.get("page_link")]


def shown(at: AppTest) -> str:
    return "\n".join(texts(at) + links(at))


def publish(**overrides: object) -> str:
    outcome = service.submit_form(raw(**overrides), f"s-{overrides.get('url', '')}", known_datasets=DATASETS)
    assert outcome.ok, outcome.errors
    store.publish(outcome.reuse_id, "Zoé")
    return outcome.reuse_id


def test_gallery_empty() -> None:
    at = app("reuses.py")
    assert not at.exception
    assert at.title[0].value == "Réutilisations"
    # no criteria set: nothing to "match"; an invitation to propose the first one instead
    assert [i.value for i in at.info] == ["Aucune réutilisation publiée pour l'instant."]
    assert "Proposer la première réutilisation" in shown(at) and "proposer-une-reutilisation" in links(at)
    assert not any("critères" in t for t in texts(at))

    at = app("reuses.py", type="map")
    assert [i.value for i in at.info] == ["Aucune réutilisation ne correspond à ces critères."]
    assert "Proposer la première réutilisation" not in shown(at)


def test_empty_gallery_invites_nobody_while_submissions_are_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERRITOIRE_ADMIN_SECRET")
    at = app("reuses.py")
    assert [i.value for i in at.info] == ["Aucune réutilisation publiée pour l'instant."]
    assert "Proposer la première réutilisation" not in shown(at)


def test_gallery_cards_filters_and_url_state() -> None:
    a = publish(title="Carte des écoles", url="https://e.fr/a", type="visualization", datasets=["ecoles"])
    b = publish(title="Appli santé", url="https://e.fr/b", type="application", topic="health",
                datasets=["population"], description="Une application mobile sur la santé publique.")
    at = app("reuses.py")
    body = shown(at)
    assert f"reutilisation?id={a}" in body and f"reutilisation?id={b}" in body
    assert "Visualisation · Éducation et recherche" in body  # udata slugs shown with French labels
    assert "Par Alice Martin" in body and "Données utilisées : Écoles de la Dordogne" in body

    at.selectbox(key="reuses_type").select("application").run()
    assert at.query_params["type"] == ["application"] or at.query_params["type"] == "application"
    body = shown(at)
    assert f"id={b}" in body and f"id={a}" not in body

    # a shared link reproduces the view
    at = app("reuses.py", dataset="ecoles", sort="popular", q="carte")
    assert not at.exception
    assert at.selectbox(key="reuses_dataset").value == "ecoles"
    assert at.selectbox(key="reuses_sort").value == "popular"
    assert at.text_input(key="reuses_q").value == "carte"
    body = shown(at)
    assert f"id={a}" in body and f"id={b}" not in body

    at = app("reuses.py", topic="health", type="n-importe-quoi")
    assert not at.exception and at.selectbox(key="reuses_type").value == ""
    assert f"id={b}" in shown(at)


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
    body = shown(at)
    [description] = html_of(at)
    assert description == ('<p>Voir <strong>la carte</strong> et '
                           '<a href="https://doc.exemple.fr" rel="nofollow noopener">la doc</a>.</p>')
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
        assert "reutilisations" in shown(at)


def test_every_payload_is_inert_in_gallery_and_reuse_page() -> None:
    ids = [publish(title=f"Titre {p}", description=f"Description {p} assez longue.", author_name=f"{p} Auteur",
                   url=f"https://exemple.fr/{i}", email=f"secret{i}@prive.fr") for i, p in enumerate(PAYLOADS)]
    pages = [app("reuses.py")] + [app("reuse.py", id=i) for i in ids]
    for at in pages:
        assert not at.exception
        for text in texts(at):
            assert_inert(text, portal_links=True)
            assert "prive.fr" not in text
        for html in html_of(at):
            assert_inert_html(html)
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
    assert "Carte" in at.selectbox(key="reuse_submit_type").options  # udata's types, plus maps
    at = submit(fill_form(at, permalink="/jeu-de-donnees?id=colleges", type="map"))
    assert not at.exception and not at.error
    assert "Merci" in at.success[0].value and "après relecture" in at.success[0].value
    assert "**En attente de modération**" in at.success[0].value
    [pending] = store.list_by_status("pending")
    assert pending.datasets == ("colleges",) and pending.permalink == "/jeu-de-donnees?id=colleges"
    assert pending.type == "map" and pending.type_label == "Carte"
    assert store.list_published() == []
    # the receipt: the private reference (copyable) and the link to follow it
    [receipt] = [m.value for m in at.markdown if m.value.startswith("Votre référence de suivi : ")]
    reference = receipt.split("`")[1]
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", reference)
    assert store.get_by_reference(reference).id == pending.id
    assert f"reutilisation?suivi={reference}" in links(at)
    assert pending.id not in shown(at)  # the id (public once published) is not what the submitter keeps


def test_status_view_follows_the_submission_for_whoever_holds_the_reference() -> None:
    outcome = service.submit_form(raw(title="Carte <b>des</b> écoles"), "s", known_datasets=DATASETS)
    at = app("reuse.py", suivi=outcome.reference)
    assert at.title[0].value == "Suivi de votre proposition"
    assert [i.value for i in at.info][0].startswith("Statut : **En attente de modération**")
    assert store.get(outcome.reuse_id).views == 0  # following one's submission is not a view

    store.reject(outcome.reuse_id, "Zoé", "Lien *mort* <script>alert(1)</script>")
    at = app("reuse.py", suivi=outcome.reference.lower())
    [refused] = at.warning
    assert refused.value.startswith("Statut : **Refusée**. Motif : Lien \\*mort\\*")
    for text in texts(at):
        assert_inert(text, portal_links=True)

    store.publish(outcome.reuse_id, "Zoé")
    at = app("reuse.py", suivi=outcome.reference)
    assert at.success[0].value.startswith("Statut : **Publiée** le ")
    assert f"reutilisation?id={outcome.reuse_id}" in links(at)

    for wrong in (store.new_reference(), outcome.reuse_id, "ABCD", "<script>alert(1)</script>", "A" * 5_000):
        at = app("reuse.py", suivi=wrong)
        assert not at.exception and not at.success and not at.info
        assert at.warning[0].value.startswith("Aucune proposition ne correspond à cette référence")


@pytest.mark.parametrize("secret", [None, "court"])
def test_form_says_submissions_are_closed_before_anyone_types(monkeypatch: pytest.MonkeyPatch,
                                                              secret: str | None) -> None:
    if secret is None:
        monkeypatch.delenv("TERRITOIRE_ADMIN_SECRET")
    else:
        monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", secret)
    at = app("reuse_submit.py", dataset="ecoles")
    assert [i.value for i in at.info] == [service.SUBMISSIONS_CLOSED]
    assert not at.text_input and not at.text_area and not at.button  # no form to fill in vain
    assert "reutilisations" in links(at)


def leaves(node: object) -> list[object]:
    """The page's elements in the order the browser shows them (blocks such as forms and columns flattened)."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [leaf for key in sorted(children) for leaf in leaves(children[key])]


def error_under(at: AppTest, widget_key: str) -> str | None:
    """The error drawn right after this widget, if any (Markdown escapes removed)."""
    order = leaves(at.main)
    i = next(n for n, e in enumerate(order) if getattr(e, "key", None) == widget_key)
    following = order[i + 1] if i + 1 < len(order) else None
    return re.sub(r"\\(.)", r"\1", following.value) if getattr(following, "type", "") == "error" else None


def test_form_reports_each_problem_in_french_under_its_field() -> None:
    at = app("reuse_submit.py")
    at = submit(fill_form(at, title="", url="javascript:alert(1)", email="pas-un-courriel", type=None))
    assert not at.exception
    # one summary above the form, then each message right under the field it is about
    assert leaves(at.main)[3].type == "error"
    assert at.error[0].value == "La proposition n'a pas été enregistrée.  \n5 champs à corriger, signalés sous chacun d'eux."
    assert error_under(at, "reuse_submit_title") == "Le titre est obligatoire."
    assert "http:// ou https://" in error_under(at, "reuse_submit_url")
    assert error_under(at, "reuse_submit_type") == "Choisissez un type de réutilisation dans la liste."
    assert error_under(at, "reuse_submit_email") == "Le courriel est invalide (ex. prenom.nom@exemple.fr)."
    assert error_under(at, "reuse_submit_datasets") == "Indiquez au moins un jeu de données utilisé."
    for valid in ("reuse_submit_description", "reuse_submit_topic", "reuse_submit_author", "reuse_submit_permalink"):
        assert error_under(at, valid) is None, valid
    assert len(at.error) == 6
    assert at.text_input(key="reuse_submit_author").value == "Alice Martin"  # what was typed is kept
    assert store.counts_by_status()["pending"] == 0

    # once corrected, the messages go and the submission is recorded
    at.text_input(key="reuse_submit_title").input("Carte des écoles")
    at.text_input(key="reuse_submit_url").input("https://exemple.fr/carte")
    at.text_input(key="reuse_submit_email").input("alice@exemple.fr")
    at.selectbox(key="reuse_submit_type").select("map")
    at.multiselect(key="reuse_submit_datasets").select("ecoles")
    at = submit(at)
    assert not at.error and at.success and store.counts_by_status()["pending"] == 1


def test_form_duplicate_rate_limit_and_honeypot() -> None:
    at = app("reuse_submit.py", dataset="ecoles")
    at = submit(fill_form(at, website="http://spam.example"))
    assert at.success and store.counts_by_status()["pending"] == 0  # bots get a thank-you, nothing is stored

    at = app("reuse_submit.py", dataset="ecoles")
    at = submit(fill_form(at, url="https://exemple.fr/0", email="a0@exemple.fr"))
    assert at.success, [e.value for e in at.error]
    at = submit(fill_form(app("reuse_submit.py", dataset="ecoles"), url="https://exemple.fr/0/", email="z@exemple.fr"))
    assert any("déjà été proposée" in e.value for e in at.error)

    # the limit is keyed on the address (AppTest has none: every tab shares it), not on the tab
    for i in (1, 2):
        at = submit(fill_form(app("reuse_submit.py", dataset="ecoles"), url=f"https://exemple.fr/{i}",
                              email=f"a{i}@exemple.fr"))
        assert at.success, [e.value for e in at.error]
    next(b for b in at.button if b.key == "reuse_submit_again").click()
    at.run()
    store.dispose_engines()  # and as another instance of the portal would: a fresh engine on the same database
    for tab in (at, app("reuse_submit.py", dataset="ecoles")):  # the same tab, and a new tab (a new session)
        tab = submit(fill_form(tab, url="https://exemple.fr/3", email="a3@exemple.fr"))
        assert any("réessayer plus tard" in re.sub(r"\\(.)", r"\1", e.value) for e in tab.error)
    assert store.counts_by_status()["pending"] == 3


def test_form_says_when_the_moderation_queue_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_REUSES_MAX_PENDING", "1")
    assert service.submit_form(raw(), "198.51.100.1", known_datasets=DATASETS).ok
    at = submit(fill_form(app("reuse_submit.py", dataset="ecoles"), url="https://exemple.fr/z", email="z@e.fr"))
    assert not at.exception
    assert any("La file de modération est pleine" in e.value for e in at.error)
    assert store.counts_by_status()["pending"] == 1


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


def test_image_address_is_fetched_by_the_server_and_shown_from_the_stored_copy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.loaders.server import LOCAL_POLICY, FakeServer

    for name, value in {**LOCAL_POLICY, "TERRITOIRE_HTTP_MIN_DELAY": "0"}.items():
        monkeypatch.setenv(name, value)
    with FakeServer() as server:
        server.route("/carte.jpg", png_bytes((1000, 700), fmt="JPEG"), content_type="image/jpeg")
        remote = f"{server.base_url}/carte.jpg"
        at = submit(fill_form(app("reuse_submit.py", dataset="ecoles"), image_url=remote))
        assert not at.exception and at.success, [e.value for e in at.error]
        [pending] = store.list_by_status("pending")
        store.publish(pending.id, "Zoé")
        for page, params in (("reuse.py", {"id": pending.id}), ("reuses.py", {})):
            shown = [url for image in app(page, **params).get("image") for url in image.value]
            assert len(shown) == 1 and remote not in shown[0] and "127.0.0.1" not in shown[0]
        assert server.hits("/carte.jpg") == 1
