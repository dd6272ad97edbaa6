"""Validation of submissions: required fields, lengths, URL schemes, e-mail, datasets, portal permalink."""

from __future__ import annotations

import pytest

from reuses.validation import ValidationError, validate
from tests.reuses.helpers import DATASETS, raw


def errors_of(**overrides: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        validate(raw(**overrides), set(DATASETS))
    return info.value.errors


def test_valid_submission_is_cleaned(reuse_env) -> None:
    d = validate(raw(title="  Carte   des écoles ", email="Alice@Exemple.FR", datasets=["ecoles", "ecoles"]),
                 set(DATASETS))
    assert d.title == "Carte des écoles"
    assert d.email == "alice@exemple.fr"
    assert d.datasets == ("ecoles",)


def test_every_required_field_is_reported_at_once_in_french(reuse_env) -> None:
    errs = errors_of(title="", description="", type="", topic="", url="", author_name="", email="", datasets=[])
    assert set(errs) == {"title", "description", "type", "topic", "url", "author_name", "email", "datasets"}
    assert "obligatoire" in errs["title"]
    assert "Choisissez" in errs["type"]


@pytest.mark.parametrize(("field", "value", "word"), [
    ("title", "ab", "trop court"),
    ("title", "x" * 201, "trop long"),
    ("title", "x" * 351, "trop long"),
    ("description", "court", "trop court"),
    ("description", "x" * 10_001, "trop long"),
    ("description", "x" * 100_001, "trop long"),
    ("author_name", "a" * 121, "trop long"),
])
def test_lengths(reuse_env, field: str, value: str, word: str) -> None:
    assert word in errors_of(**{field: value})[field]


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "data:text/html,<script>x</script>",
    "vbscript:msgbox(1)", "file:///etc/passwd", "ftp://exemple.fr/x", "//exemple.fr/x", "/relative", "exemple.fr",
    "https://", "https://user:pass@exemple.fr/", "https://exemple.fr/a b", "https://exemple.fr:99999/",
    "http://exemple.fr/\x00", "https://exemple.fr/\\..", "https://" + "a" * 2001 + ".fr",
])
def test_only_http_urls_are_accepted(reuse_env, url: str) -> None:
    errs = errors_of(url=url, image_url=url)
    assert "url" in errs and "image_url" in errs


def test_http_and_https_urls_are_accepted(reuse_env) -> None:
    d = validate(raw(url="http://exemple.fr/a?b=1#c", image_url="https://img.exemple.fr/x.png"), set(DATASETS))
    assert d.url == "http://exemple.fr/a?b=1#c" and d.image_url == "https://img.exemple.fr/x.png"


@pytest.mark.parametrize("email", ["alice", "alice@", "@exemple.fr", "a b@exemple.fr", "a@b", "<a@b.fr>",
                                   "a@exemple.fr\nBcc: x@y.fr", "x" * 250 + "@exemple.fr"])
def test_bad_emails(reuse_env, email: str) -> None:
    assert "email" in errors_of(email=email)


def test_type_and_topic_must_be_udata_slugs(reuse_env) -> None:
    errs = errors_of(type="Visualisation", topic="santé")
    assert set(errs) == {"type", "topic"}


def test_datasets_must_exist_in_the_catalogue(reuse_env) -> None:
    assert "inconnu" in errors_of(datasets=["ecoles", "n-existe-pas"])["datasets"]
    assert "au plus" in errors_of(datasets=[f"d{i}" for i in range(21)])["datasets"]


@pytest.mark.parametrize(("given", "stored"), [
    ("/jeu-de-donnees?id=ecoles&commune=24322", "/jeu-de-donnees?id=ecoles&commune=24322"),
    ("https://donnees.exemple.fr/carte?couche=ecoles", "/carte?couche=ecoles"),
    ("", ""),
])
def test_permalink_same_portal_only(reuse_env, given: str, stored: str) -> None:
    assert validate(raw(permalink=given), set(DATASETS)).permalink == stored


@pytest.mark.parametrize("link", ["https://evil.example/jeu-de-donnees", "//evil.example/x", "javascript:alert(1)",
                                  "jeu-de-donnees?id=x", "/jeu-de-donnees?id=x#frag", "/a/../../etc",
                                  "https://donnees.exemple.fr.evil.example/x", "/x?a=<script>", "/x y"])
def test_permalink_elsewhere_is_refused(reuse_env, link: str) -> None:
    assert "permalink" in errors_of(permalink=link)
