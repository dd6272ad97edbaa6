"""`?d=`: compact JSON → zlib → base64url; every block type round-trips, hostile links are refused in French."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from dashboards import codec
from dashboards.spec import SpecError, parse
from tests.dashboards.test_dashboard_spec import EVERY_BLOCK


def pack(raw: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")


@pytest.mark.parametrize("index", range(len(EVERY_BLOCK["blocks"])))
def test_each_block_type_round_trips_through_the_link(index: int) -> None:
    board = parse({**EVERY_BLOCK, "blocks": [EVERY_BLOCK["blocks"][index]]})
    encoded = codec.encode(board)
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert codec.decode(encoded) == board


def test_the_whole_dashboard_round_trips_and_stays_short() -> None:
    board = parse(EVERY_BLOCK)
    encoded = codec.encode(board)
    assert codec.decode(encoded) == board
    assert len(encoded) < 800  # six blocks fit in a link an e-mail client will not cut


@pytest.mark.parametrize(("link", "expected"), [
    (pack(b" " * 15_000_000), "trop volumineux une fois décompressé"),  # zip bomb: 15 MB of spaces in 15 KB
    ("A" * (codec.MAX_LINK_CHARS + 1), "trop long"),
    ("not base64 at all é", "illisible"),
    (pack(b"[" * 10_000 + b"]" * 10_000), "trop imbriqué"),
    (pack(b'{"version":1,"blocks":[{"type":"text","text":"' + b"[" * 100 + b'"}]}'), ""),  # brackets in a string: fine
    (pack(b"{not json"), "JSON invalide"),
    (pack("é".encode("latin-1")), "UTF-8"),
    (pack(json.dumps({"version": 1, "blocks": [{"type": "sql_raw", "sql": "DROP"}]}).encode()), "inconnu"),
    (pack(b'{"version":1,"blocks":[]}')[:-4], "incomplet"),
])
def test_hostile_links_are_refused_in_french(link: str, expected: str) -> None:
    if not expected:
        assert codec.decode(link).blocks[0].text == "[" * 100
        return
    with pytest.raises(SpecError) as caught:
        codec.decode(link)
    assert expected in str(caught.value)


def test_a_dashboard_too_big_for_a_link_is_refused_when_encoded() -> None:
    import random

    rng = random.Random(18)
    noise = lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(3_900))  # noqa: E731
    board = parse({"version": 1, "blocks": [{"type": "text", "text": noise()} for _ in range(20)]})
    with pytest.raises(SpecError, match="trop volumineux pour un lien"):
        codec.encode(board)
