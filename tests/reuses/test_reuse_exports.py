"""Public CSV/JSON downloads: published reuses only, never an e-mail, formulas defused, payloads inert."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from reuses import exports, service, store
from tests.reuses.helpers import DATASETS, PAYLOADS, raw
from tests.reuses.test_sanitize import assert_inert


def _publish_payloads() -> list[str]:
    ids = []
    for i, payload in enumerate(PAYLOADS):
        outcome = service.submit_form(
            raw(title=f"Titre {payload}", description=f"Description {payload} assez longue.",
                author_name=f"{payload} Auteur", url=f"https://exemple.fr/{i}", email=f"secret{i}@prive.fr"),
            f"s{i}", known_datasets=DATASETS)
        assert outcome.ok, (payload, outcome.errors)
        store.publish(outcome.reuse_id, "Zoé")
        ids.append(outcome.reuse_id)
    return ids


def test_exports_hold_published_reuses_without_emails(reuse_env: Path) -> None:
    ids = _publish_payloads()
    pending = service.submit_form(raw(url="https://exemple.fr/attente", email="attente@prive.fr"), "x",
                                  known_datasets=DATASETS)
    found = store.list_published() + [store.get(pending.reuse_id)]
    as_json = exports.to_json(found).decode()
    as_csv = exports.to_csv(found).decode("utf-8-sig")
    for text in (as_json, as_csv):
        assert "@prive.fr" not in text and "email" not in text and "attente" not in text
    records = json.loads(as_json)
    assert {r["id"] for r in records} == set(ids)
    assert set(records[0]) == set(exports.PUBLIC_FIELDS)
    assert records[0]["page_url"].startswith("https://donnees.exemple.fr/reutilisation?id=")
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert len(rows) == len(ids) and rows[0]["datasets"] == "ecoles"


def test_every_payload_is_inert_in_exports(reuse_env: Path) -> None:
    _publish_payloads()
    found = store.list_published()
    for record in json.loads(exports.to_json(found)):
        for key in ("title", "description", "author_name"):
            assert_inert(record[key])
            assert "<" not in record[key] or "< " in record[key]
    for row in csv.reader(io.StringIO(exports.to_csv(found).decode("utf-8-sig"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
            assert "<script" not in cell.lower() and "onerror" not in cell.lower()


def test_formula_in_author_is_quoted_in_csv_only(reuse_env: Path) -> None:
    outcome = service.submit_form(raw(author_name="=HYPERLINK(\"http://x\")", title="+33 Carte"), "s",
                                  known_datasets=DATASETS)
    store.publish(outcome.reuse_id, "Zoé")
    row = next(csv.DictReader(io.StringIO(exports.to_csv(store.list_published()).decode("utf-8-sig"))))
    assert row["author_name"] == "'=HYPERLINK(\"http://x\")" and row["title"] == "'+33 Carte"
    assert json.loads(exports.to_json(store.list_published()))[0]["author_name"] == "=HYPERLINK(\"http://x\")"
