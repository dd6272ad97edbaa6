"""The submission use case: limits checked before any image work, external images copied by the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reuses import service, store
from tests.loaders.server import LOCAL_POLICY, FakeServer
from tests.reuses.helpers import DATASETS, png_bytes, raw

NOT_AN_IMAGE = b"GIF89a not really"  # refused by the image code if it is ever decoded


@pytest.fixture
def image_server(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    """A real local server for image addresses, reachable through the HTTP policy's allow-list only."""
    for name, value in {**LOCAL_POLICY, "TERRITOIRE_HTTP_MIN_DELAY": "0", "TERRITOIRE_HTTP_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    with FakeServer() as server:
        server.route("/logo.png", png_bytes((1600, 900), color="blue"), content_type="image/png")
        server.route("/page.html", b"<html>pas une image</html>", content_type="text/html")
        yield server


def test_rate_limit_is_checked_before_the_image_is_decoded(reuse_env: Path) -> None:
    for i in range(3):
        assert service.submit_form(raw(url=f"https://e.fr/{i}", email=f"a{i}@e.fr"), "203.0.113.7",
                                   known_datasets=DATASETS).ok
    refused = service.submit_form(raw(url="https://e.fr/x", email="x@e.fr"), "203.0.113.7", upload=NOT_AN_IMAGE,
                                  known_datasets=DATASETS)
    # decoding would have reported the broken image: only the rate limit speaks
    assert list(refused.errors) == ["form"] and "réessayer plus tard" in refused.errors["form"]
    other = service.submit_form(raw(url="https://e.fr/x", email="x@e.fr"), "198.51.100.9", upload=NOT_AN_IMAGE,
                                known_datasets=DATASETS)
    assert "PNG, JPEG ou WebP" in other.errors["image"]  # the same upload from elsewhere is decoded (and refused)


def test_pending_cap_is_checked_before_the_image_is_decoded(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_REUSES_MAX_PENDING", "1")
    assert service.submit_form(raw(), "198.51.100.1", known_datasets=DATASETS).ok
    full = service.submit_form(raw(url="https://e.fr/y", email="y@e.fr"), "198.51.100.2", upload=NOT_AN_IMAGE,
                               known_datasets=DATASETS)
    assert list(full.errors) == ["form"] and full.errors["form"].startswith("La file de modération est pleine")
    assert store.counts_by_status()["pending"] == 1


def test_image_url_is_fetched_once_and_stored_as_the_thumbnail(image_server: FakeServer) -> None:
    url = f"{image_server.base_url}/logo.png"
    outcome = service.submit_form(raw(image_url=url), "198.51.100.1", known_datasets=DATASETS)
    assert outcome.ok, outcome.errors
    assert image_server.hits("/logo.png") == 1
    data, mime = store.get_image(outcome.reuse_id)
    assert mime == "image/webp" and data[:4] == b"RIFF"  # re-encoded by reuses/images.py, not the remote bytes
    reuse = store.get(outcome.reuse_id)
    assert reuse.has_image and reuse.image_url == url  # the address is kept as a record only


@pytest.mark.parametrize(("path", "expected"), [
    ("/absent.png", "n'a pas pu être récupérée"),
    ("/page.html", "n'est pas une image PNG, JPEG ou WebP"),
])
def test_image_url_failures_are_french_validation_messages(image_server: FakeServer, path: str, expected: str) -> None:
    outcome = service.submit_form(raw(image_url=f"{image_server.base_url}{path}"), "198.51.100.1",
                                  known_datasets=DATASETS)
    assert list(outcome.errors) == ["image_url"] and expected in outcome.errors["image_url"]
    assert store.counts_by_status()["pending"] == 0


def test_image_url_on_a_private_address_is_refused(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_HTTP_ALLOW_HTTP", "1")  # the scheme is allowed, the loopback address is not
    with FakeServer() as server:
        server.route("/logo.png", png_bytes(), content_type="image/png")
        outcome = service.submit_form(raw(image_url=f"{server.base_url}/logo.png"), "198.51.100.1",
                                      known_datasets=DATASETS)
        assert server.hits("/logo.png") == 0
    assert "Adresse refusée" in outcome.errors["image_url"]


def test_fetch_images_command_copies_images_recorded_before(image_server: FakeServer,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from reuses.__main__ import main
    from tests.reuses.helpers import draft

    # reuses stored as earlier versions did: an image address, no copy
    good = store.submit(draft(image_url=f"{image_server.base_url}/logo.png"), "198.51.100.1")
    bad = store.submit(draft(url="https://e.fr/b", email="b@e.fr", image_url=f"{image_server.base_url}/absent.png"),
                       "198.51.100.2")
    assert not store.get(good).has_image
    assert sorted(store.images_to_copy()) == sorted([(good, f"{image_server.base_url}/logo.png"),
                                                     (bad, f"{image_server.base_url}/absent.png")])
    assert main(["fetch-images"]) == 1  # one failure: said, and the exit status says it
    out = capsys.readouterr()
    assert "1 image(s) copiée(s), 1 échec(s)." in out.out and f"{bad} : L'image n'a pas pu être récupérée" in out.err
    assert store.get_image(good)[1] == "image/webp" and store.get_image(bad) is None
    assert store.images_to_copy() == [(bad, f"{image_server.base_url}/absent.png")]
