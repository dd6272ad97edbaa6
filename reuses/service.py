"""Use cases behind the pages: submit a reuse from the form, check the admin secret, list catalogue datasets."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from catalogue.manifest import ManifestError, load_manifest
from reuses import store
from reuses.images import ImageError, make_thumbnail
from reuses.validation import ReuseInput, ValidationError, validate


@dataclass(frozen=True)
class SubmitOutcome:
    """What happened to a submission: stored (reuse_id), refused (errors per field) or silently dropped (spam)."""

    reuse_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    spam: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def dataset_choices() -> dict[str, str]:
    """{dataset id: title} of the catalogue, sorted by title; empty when the catalogue cannot be read."""
    try:
        specs = load_manifest()
    except (ManifestError, OSError):
        return {}
    return {s.id: s.title for s in sorted(specs, key=lambda s: s.title.lower())}


def submit_form(raw: ReuseInput, session_key: str, *, upload: bytes | None = None, honeypot: str = "",
                known_datasets: dict[str, str] | None = None) -> SubmitOutcome:
    """Validate then store a submission as pending. A filled honeypot is treated as a bot: nothing is stored,
    but the outcome looks like success so the bot learns nothing."""
    if honeypot.strip():
        return SubmitOutcome(spam=True)
    known = dataset_choices() if known_datasets is None else known_datasets
    errors: dict[str, str] = {}
    image = None
    if upload:
        try:
            image = make_thumbnail(upload)
        except ImageError as exc:
            errors["image"] = str(exc)
    try:
        draft = validate(raw, set(known), image=image)
    except ValidationError as exc:
        return SubmitOutcome(errors={**exc.errors, **errors})
    if errors:
        return SubmitOutcome(errors=errors)
    try:
        return SubmitOutcome(reuse_id=store.submit(draft, session_key))
    except ValidationError as exc:
        return SubmitOutcome(errors=exc.errors)
    except store.RateLimited as exc:
        return SubmitOutcome(errors={"form": str(exc)})


def secret_matches(candidate: str, secret: str | None) -> bool:
    """Constant-time comparison of the typed password with the configured admin secret."""
    if not secret or not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), secret.encode("utf-8"))


def secret_fingerprint(secret: str) -> str:
    """Stored in the session after login, so that changing the secret logs every moderator out."""
    return hashlib.sha256(("territoire-admin:" + secret).encode("utf-8")).hexdigest()
