"""Use cases behind the pages: submit a reuse from the form, log in to /admin, list catalogue datasets."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
from dataclasses import dataclass, field

from catalogue.manifest import ManifestError, load_manifest
from config import get_settings
from loaders import http
from reuses import notify, store
from reuses.images import ALLOWED_FORMATS, ImageError, make_thumbnail
from reuses.settings import limits, login_limits
from reuses.validation import ReuseDraft, ReuseInput, ValidationError, validate

log = logging.getLogger(__name__)
IMAGE_ACCEPT = ", ".join(ALLOWED_FORMATS.values())
# Without a usable admin secret nobody can publish: the form says so and no submission is taken (issue 13).
SUBMISSIONS_CLOSED = ("Les propositions sont fermées pour le moment : aucune équipe de modération n'est en place sur "
                      "ce portail, et une réutilisation n'est publiée qu'après relecture. Revenez plus tard, ou "
                      "écrivez à l'équipe du portail.")


@dataclass(frozen=True)
class SubmitOutcome:
    """What happened to a submission: stored (reuse_id, and the submitter's private `reference`), refused (errors
    per field) or silently dropped (spam: a reference that leads nowhere, so the bot learns nothing)."""

    reuse_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    spam: bool = False
    reference: str | None = None

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


def fetch_image(url: str) -> tuple[bytes, str]:
    """Download an external image once, through the hardened HTTP client (SSRF policy, size and time caps), and
    turn it into our own thumbnail: the moderator's and the readers' browsers never contact the submitter's host.
    Raises ImageError with a French message."""
    try:
        data, _content_type = http.fetch_bytes(url, max_bytes=limits().image_max_bytes, accept=IMAGE_ACCEPT)
    except http.HttpError as exc:
        log.info("image fetch refused or failed: %s", exc)
        raise ImageError(f"L'image n'a pas pu être récupérée à cette adresse : {exc}") from None
    return make_thumbnail(data)


def with_fetched_image(draft: ReuseDraft) -> ReuseDraft:
    """The draft with its `image_url` fetched and stored as the thumbnail (the URL is kept as a record)."""
    if draft.image_data is not None or not draft.image_url:
        return draft
    data, mime = fetch_image(draft.image_url)
    return dataclasses.replace(draft, image_data=data, image_mime=mime)


def moderation_open() -> bool:
    """Whether someone can moderate, i.e. /admin works: only then are submissions taken."""
    return secret_problem(get_settings().admin_secret) is None


def submit_form(raw: ReuseInput, client_key: str, *, upload: bytes | None = None, honeypot: str = "",
                known_datasets: dict[str, str] | None = None) -> SubmitOutcome:
    """Validate then store a submission as pending. A filled honeypot is treated as a bot: nothing is stored,
    but the outcome looks like success so the bot learns nothing.

    The rate limit (per client address and per e-mail) and the pending cap are checked first, before any image is
    decoded or fetched; `store.submit` checks them again atomically. Once stored, the moderators are told by
    e-mail (when SMTP is configured) from a background thread.
    """
    if not moderation_open():
        return SubmitOutcome(errors={"form": SUBMISSIONS_CLOSED})
    if honeypot.strip():
        return SubmitOutcome(spam=True, reference=store.new_reference())
    try:
        store.check_submission(client_key, raw.email)
    except (store.RateLimited, store.QueueFull) as exc:
        return SubmitOutcome(errors={"form": str(exc)})
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
        draft = with_fetched_image(draft)
    except ImageError as exc:
        return SubmitOutcome(errors={"image_url": str(exc)})
    reference = store.new_reference()
    try:
        reuse_id = store.submit(draft, client_key, reference=reference)
    except ValidationError as exc:
        return SubmitOutcome(errors=exc.errors)
    except (store.RateLimited, store.QueueFull) as exc:
        return SubmitOutcome(errors={"form": str(exc)})
    notify.notify_moderators(reuse_id, draft)
    return SubmitOutcome(reuse_id=reuse_id, reference=reference)


def secret_problem(secret: str | None) -> str | None:
    """Why /admin must stay disabled with this secret (French), or None when it is usable."""
    minimum = login_limits().min_secret_length
    if not secret:
        return ("La modération est indisponible : aucun secret d'administration n'est configuré sur ce serveur "
                "(variable d'environnement TERRITOIRE_ADMIN_SECRET ou `admin_secret` dans les secrets Streamlit).")
    if len(secret) < minimum:
        return (f"La modération est désactivée : le secret d'administration configuré est trop court "
                f"({len(secret)} caractères, {minimum} au minimum). Choisissez un secret plus long "
                "(TERRITOIRE_ADMIN_SECRET ou `admin_secret` dans les secrets Streamlit).")
    return None


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt: accepted, or refused with a French message (wrong secret, or wait N seconds)."""

    ok: bool
    message: str = ""


def _wait_message(seconds: int) -> str:
    return f"Trop de tentatives, réessayez dans {seconds} s."


def login_wait_message(client: str) -> str | None:
    """The French refusal when this address must wait before trying again, else None."""
    wait = store.login_wait(client)
    return _wait_message(wait) if wait > 0 else None


def login(candidate: str, secret: str | None, client: str) -> LoginOutcome:
    """Check an /admin login attempt from `client` (its address). Failures are counted in the database, per
    address and for everyone, and logged; while a delay runs, the attempt is refused without even comparing."""
    if secret_problem(secret):
        return LoginOutcome(False, "La modération est désactivée sur ce serveur.")
    wait = store.login_wait(client)
    if wait > 0:
        return LoginOutcome(False, _wait_message(wait))
    if secret_matches(candidate, secret):
        store.clear_login_failures(client)
        return LoginOutcome(True)
    store.record_login_failure(client)
    wait = store.login_wait(client)
    return LoginOutcome(False, "Mot de passe incorrect." + (f" {_wait_message(wait)}" if wait > 0 else ""))


def secret_matches(candidate: str, secret: str | None) -> bool:
    """Constant-time comparison of the typed password with the configured admin secret."""
    if not secret or not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), secret.encode("utf-8"))


def secret_fingerprint(secret: str) -> str:
    """Stored in the session after login, so that changing the secret logs every moderator out."""
    return hashlib.sha256(("territoire-admin:" + secret).encode("utf-8")).hexdigest()
