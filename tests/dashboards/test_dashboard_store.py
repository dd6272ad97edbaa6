"""Short links: a dashboard saved in the configured database under a random slug, with the dataset versions of the
day, and read back; an old specification saved long ago still opens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from catalogue import database
from dashboards import store
from dashboards.spec import parse
from tests.dashboards.test_dashboard_spec import EVERY_BLOCK


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'portal.sqlite'}"
    monkeypatch.setenv("TERRITOIRE_REUSES_DB_URL", url)
    yield url
    store.dispose_engines()


@pytest.mark.parametrize("index", range(len(EVERY_BLOCK["blocks"])))
def test_each_block_type_round_trips_through_the_database(db: str, index: int) -> None:
    board = parse({**EVERY_BLOCK, "blocks": [EVERY_BLOCK["blocks"][index]]})
    slug = store.save(board, {"ips-colleges": "20261207T154403053793Z"})
    saved = store.load(slug)
    assert saved is not None and saved.dashboard == board
    assert saved.data_versions == {"ips-colleges": "20261207T154403053793Z"}


def test_slugs_are_random_and_each_reopens_its_dashboard(db: str) -> None:
    board = parse(EVERY_BLOCK)
    slugs = [store.save(board, {}) for _ in range(3)]
    assert len(set(slugs)) == 3 and all(len(s) == store.SLUG_LENGTH for s in slugs)
    assert all(store.load(s).dashboard == board for s in slugs)  # type: ignore[union-attr]


def test_one_address_saves_at_most_the_hourly_limit_and_others_are_not_held_back(db: str) -> None:
    board = parse(EVERY_BLOCK)
    for _ in range(store.SAVES_PER_HOUR):
        store.save(board, {}, "203.0.113.7")
    with pytest.raises(store.SaveLimitError, match="dans l'heure"):
        store.save(board, {}, "203.0.113.7")
    assert store.load(store.save(board, {}, "198.51.100.2")) is not None


@pytest.mark.parametrize("slug", ["", "abc", "' OR 1=1 --", "A" * 10, "aaaaaaaaaa", "../../etc"])
def test_unknown_or_malformed_slugs_find_nothing(db: str, slug: str) -> None:
    store.save(parse(EVERY_BLOCK), {})
    assert store.load(slug) is None


def test_a_specification_saved_under_version_0_still_opens(db: str) -> None:
    old = {"title": "Ancien", "blocks": [{"kind": "text", "text": "Bonjour", "cols": 3}]}
    with database.writing(store.engine()) as conn:
        conn.execute(insert(store.dashboards).values(slug="abcdefghij", title="Ancien", spec=json.dumps(old),
                                                     spec_version=0, created_at="2026-01-01T00:00:00+00:00"))
    saved = store.load("abcdefghij")
    assert saved is not None and saved.dashboard.blocks[0].width == 3 and saved.dashboard.title == "Ancien"
