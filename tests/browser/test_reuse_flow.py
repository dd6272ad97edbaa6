"""Real browser: propose a reuse from a dataset page, follow it with its reference, moderate it in /admin, find it in
the gallery and the tab."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer, private_server, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(warehouse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: this module submits, moderates and logs in: it writes to the portal's database."""
    yield from private_server(warehouse_dir, tmp_path_factory)


DATASET = "colleges"  # a dataset of the embedded manifest
SECRET = "secret-de-test-navigateur"  # the one tests/conftest.py's live_server starts the app with
TITLE = "Carte des collèges du Périgord"
XSS_TITLE = "Piège <img src=x onerror=window.__xss=1> titre"
XSS_DESCRIPTION = ("Description <script>window.__xss=1</script> avec un [lien piégé](javascript:window.__xss=1) "
                   "et un [vrai lien](https://exemple.fr/doc).")


def main(page):  # noqa: ANN001, ANN201 - the page body, not the sidebar navigation (which has the same labels)
    return page.locator('[data-testid="stMain"]')


def goto(page, url: str) -> None:  # noqa: ANN001
    """Open a URL and wait for the script to finish (a cold server's first run takes several seconds)."""
    page.goto(url)
    wait_for_app(page)
    main(page).locator("h1").first.wait_for(timeout=60_000)


def key(name: str) -> str:
    return f".st-key-{name}"


def fill_text(page, widget_key: str, value: str) -> None:  # noqa: ANN001 - playwright Page
    box = page.locator(f"{key(widget_key)} input, {key(widget_key)} textarea").first
    box.fill(value)


def choose(page, widget_key: str, option: str) -> None:  # noqa: ANN001
    page.locator(key(widget_key)).click()
    page.get_by_role("option", name=option, exact=True).click()


def submit_reuse(page, base: str, ds: str, title: str, description: str, url: str) -> str:  # noqa: ANN001
    """Open the form the way a visitor does, from the dataset page's « Réutilisations » view, and send a proposal.
    Returns the private reference the receipt shows."""
    goto(page, f"{base}/jeu-de-donnees?id={ds}&tab=reutilisations")
    main(page).get_by_role("link", name=re.compile("Proposer une réutilisation")).first.click()
    page.wait_for_url(re.compile(r"/proposer-une-reutilisation\?dataset="))
    assert f"dataset={ds}" in page.url
    # the dataset is pre-selected from ?dataset=
    page.locator(f"{key('reuse_submit_datasets')} [data-tag]").first.wait_for()
    fill_text(page, "reuse_submit_title", title)
    fill_text(page, "reuse_submit_description", description)
    choose(page, "reuse_submit_type", "Carte")
    choose(page, "reuse_submit_topic", "Éducation et recherche")
    fill_text(page, "reuse_submit_url", url)
    fill_text(page, "reuse_submit_author", "Collectif Périgord Data")
    fill_text(page, "reuse_submit_email", "contact.prive@exemple.fr")
    assert not page.locator(key("reuse_submit_website")).is_visible()  # the honeypot is hidden from people
    page.get_by_role("button", name="Envoyer la proposition").click()
    page.get_by_text("Merci ! Votre proposition a bien été enregistrée").wait_for()
    # the receipt: pending status, the reference and the link to follow it
    assert main(page).get_by_text("En attente de modération").count() == 1
    code = main(page).locator('[data-testid="stMarkdown"] code').filter(has_text=re.compile(r"^[A-Z2-7-]{19}$")).first
    code.wait_for()
    reference = code.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", reference), reference
    return reference


def status_of(page, base: str, reference: str) -> str:  # noqa: ANN001
    """Follow the receipt's link (as the submitter coming back later) and read the status shown."""
    goto(page, f"{base}/reutilisation?suivi={reference}")
    page.get_by_role("heading", name="Suivi de votre proposition").wait_for()
    status = main(page).get_by_text(re.compile("^Statut :")).first
    status.wait_for()
    return status.inner_text()


def open_moderation(page, base: str) -> None:  # noqa: ANN001
    """Log into /admin with the secret (unless this browser session already is) and sign the log."""
    goto(page, f"{base}/admin")
    page.locator(f"{key('admin_password')}, {key('admin_moderator')}").first.wait_for()
    if page.locator(key("admin_password")).count():
        fill_text(page, "admin_password", SECRET)
        page.get_by_role("button", name="Se connecter").click()
    page.locator(key("admin_moderator")).wait_for()
    fill_text(page, "admin_moderator", "Modératrice navigateur")
    page.locator(key("admin_moderator")).locator("input").press("Enter")
    wait_for_app(page)


def test_propose_moderate_and_see_a_reuse(live_server, page) -> None:  # noqa: ANN001
    base = live_server.url
    ds = DATASET
    reference = submit_reuse(page, base, ds, TITLE, "Une carte interactive de tous les collèges, avec leurs "
                             "effectifs.", "https://exemple.fr/carte-colleges")
    main(page).get_by_role("link", name="Suivre l'état de votre proposition").click()
    page.wait_for_url(re.compile(r"/reutilisation\?suivi="))
    assert reference in page.url
    assert status_of(page, base, reference).startswith("Statut : En attente de modération")

    # not visible before moderation
    goto(page, f"{base}/reutilisations")
    assert page.get_by_text(TITLE).count() == 0

    # moderation
    open_moderation(page, base)
    assert page.get_by_text("contact.prive@exemple.fr").count() == 1  # moderators, and only them, see it
    page.get_by_role("button", name="Publier").first.click()
    page.get_by_text("Réutilisation publiée.").wait_for()
    page.get_by_text("Modératrice navigateur").first.wait_for(state="attached")  # audit log (canvas grid)
    assert status_of(page, base, reference).startswith("Statut : Publiée le ")

    # gallery, then the reuse page through the card's link
    goto(page, f"{base}/reutilisations?dataset={ds}")
    card_link = main(page).get_by_role("link", name=TITLE)
    card_link.wait_for()
    assert page.get_by_text("contact.prive@exemple.fr").count() == 0
    card_link.click()
    page.wait_for_url(re.compile(r"/reutilisation\?id="))
    wait_for_app(page)
    page.get_by_role("heading", name=TITLE).wait_for()
    page.get_by_text("Une carte interactive de tous les collèges").wait_for()
    assert page.get_by_role("link", name=re.compile("Voir la réutilisation")).get_attribute("href") == \
        "https://exemple.fr/carte-colleges"

    # the dataset's « Réutilisations » tab
    goto(page, f"{base}/jeu-de-donnees?id={ds}")
    main(page).get_by_role("radio", name="Réutilisations").or_(
        main(page).get_by_role("button", name="Réutilisations")).or_(
        main(page).get_by_role("tab", name="Réutilisations")).first.click()  # the view switcher
    main(page).get_by_role("link", name=TITLE).wait_for()


def test_xss_payloads_stay_inert_in_a_real_browser(live_server, page) -> None:  # noqa: ANN001
    base = live_server.url
    ds = DATASET
    submit_reuse(page, base, ds, XSS_TITLE, XSS_DESCRIPTION, "https://exemple.fr/piege")
    open_moderation(page, base)
    page.get_by_role("button", name="Publier").first.click()
    page.get_by_text("Réutilisation publiée.").wait_for()

    goto(page, f"{base}/reutilisations?q=piege")
    main(page).get_by_role("link", name=re.compile("Piège")).first.click()
    page.wait_for_url(re.compile(r"/reutilisation\?id="))
    wait_for_app(page)
    page.get_by_text("Description").first.wait_for()
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.get_by_role("link", name="vrai lien").get_attribute("href") == "https://exemple.fr/doc"
    assert page.get_by_role("link", name="vrai lien").get_attribute("rel") == "nofollow noopener"  # kept by the page
