"""The submitter's private reference: unguessable, stored hashed, the only key to a submission's status; and
submissions refused while nobody can moderate."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

import config
from reuses import service, store
from tests.reuses.helpers import DATASETS, draft, raw

REFERENCE_RE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")


def test_references_are_random_80_bit_codes_grouped_by_four() -> None:
    refs = {store.new_reference() for _ in range(2_000)}
    assert len(refs) == 2_000 and all(REFERENCE_RE.match(r) for r in refs)
    ref = next(iter(refs))
    key = store.reference_key(ref)
    assert key is not None and len(key) == 64
    # typed back carelessly, it still matches
    assert store.reference_key(f"  {ref.lower().replace('-', ' ')} ") == key
    for bad in ("", "ABCD", ref + "A", ref.replace(ref[0], "1"), "<script>", "x" * 10_000):
        assert store.reference_key(bad) is None, bad


def test_submission_status_is_read_through_the_reference_only(reuse_env: Path) -> None:
    outcome = service.submit_form(raw(), "198.51.100.7", known_datasets=DATASETS)
    assert outcome.ok and REFERENCE_RE.match(outcome.reference)
    found = store.get_by_reference(outcome.reference)
    assert found is not None and found.id == outcome.reuse_id and found.status == "pending"
    assert found.email == ""  # the status view never carries the e-mail
    assert store.get_by_reference(outcome.reuse_id) is None  # the id alone (public once published) is no reference
    assert store.get_by_reference(store.new_reference()) is None

    store.reject(outcome.reuse_id, "Zoé", "Lien mort")
    rejected = store.get_by_reference(outcome.reference)
    assert rejected.status == "rejected" and rejected.reject_reason == "Lien mort"
    store.publish(outcome.reuse_id, "Zoé")
    assert store.get_by_reference(outcome.reference).status == "published"
    store.delete_reuse(outcome.reuse_id, "Zoé")
    assert store.get_by_reference(outcome.reference) is None


def test_only_the_hash_of_the_reference_is_stored(reuse_env: Path) -> None:
    reference = store.new_reference()
    rid = store.submit(draft(), "s1", reference=reference)
    store.dispose_engines()  # the last connection closed: the WAL is checkpointed into the file
    data = b"".join(p.read_bytes() for p in config.get_settings().private_dir.glob("reuses.sqlite*"))
    assert store.reference_key(reference).encode() in data
    for form in (reference, reference.replace("-", "")):
        assert form.encode() not in data
    with sqlite3.connect(config.get_settings().private_dir / "reuses.sqlite") as con:
        assert con.execute("SELECT reference_key FROM reuses WHERE id = ?", (rid,)).fetchone()[0] == \
            store.reference_key(reference)
    with pytest.raises(ValueError):
        store.submit(draft(url="https://exemple.fr/autre"), "s1", reference="pas une référence")


def test_a_shared_backup_carries_no_reference(reuse_env: Path, tmp_path: Path) -> None:
    from reuses.__main__ import main as cli

    reference = store.new_reference()
    store.submit(draft(), "s1", reference=reference)
    assert store.export_backup()["reuses"][0]["reference_key"] == store.reference_key(reference)  # private backup
    shared = tmp_path / "partage.json"
    assert cli(["export", str(shared), "--without-emails"]) == 0
    assert store.reference_key(reference) not in shared.read_text()


def test_the_honeypot_gets_a_reference_that_leads_nowhere(reuse_env: Path) -> None:
    outcome = service.submit_form(raw(), "s", honeypot="http://spam.example", known_datasets=DATASETS)
    assert outcome.ok and outcome.spam and REFERENCE_RE.match(outcome.reference)
    assert store.get_by_reference(outcome.reference) is None
    assert store.counts_by_status()["pending"] == 0


@pytest.mark.parametrize("secret", [None, "trop-court"])
def test_no_submission_is_taken_while_nobody_can_moderate(reuse_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                           secret: str | None) -> None:
    if secret is None:
        monkeypatch.delenv("TERRITOIRE_ADMIN_SECRET")
    else:
        monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", secret)
    config.get_settings.cache_clear()
    assert not service.moderation_open()
    outcome = service.submit_form(raw(), "s", known_datasets=DATASETS)
    assert outcome.errors == {"form": service.SUBMISSIONS_CLOSED} and outcome.reference is None
    assert store.counts_by_status()["pending"] == 0
