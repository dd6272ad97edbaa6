"""Validate a submitted or edited reuse; every problem is reported per field with a French message."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from catalogue.vocab import REUSE_TYPES, TOPICS
from config import get_settings
from reuses import sanitize
from reuses.settings import ReuseLimits, limits

EMAIL_RE = re.compile(r"^[^@\s<>\"'(),;:\\\[\]]+@[^@\s<>\"'(),;:\\\[\]]+\.[^@\s<>\"'(),;:\\\[\]]{2,}$")
# One page path (/jeu-de-donnees?…), or a saved dashboard's short link (/tableaux-de-bord/<slug>).
PERMALINK_RE = re.compile(r"^/[a-z0-9\-]*(/[a-z0-9\-]{1,40})?(\?[A-Za-z0-9\-._~%!$&'*+,;=:@/?]*)?$")

FIELD_LABELS = {
    "title": "Titre", "description": "Description", "type": "Type", "topic": "Thématique", "url": "Adresse (URL)",
    "image": "Image", "image_url": "Adresse de l'image", "author_name": "Auteur ou autrice", "email": "Courriel",
    "datasets": "Jeux de données utilisés", "permalink": "Lien vers une vue du portail", "form": "Formulaire",
}


class ValidationError(ValueError):
    """One or more fields are invalid: `errors` maps a field name to a French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{FIELD_LABELS.get(k, k)} : {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class ReuseInput:
    """Raw values as typed in the form (or given to the moderation editor)."""

    title: str = ""
    description: str = ""
    type: str = ""
    topic: str = ""
    url: str = ""
    image_url: str = ""
    author_name: str = ""
    email: str = ""
    datasets: Sequence[str] = field(default_factory=list)
    permalink: str = ""


@dataclass(frozen=True)
class ReuseDraft:
    """Validated, sanitised values, ready to be stored."""

    title: str
    description: str
    type: str
    topic: str
    url: str
    author_name: str
    email: str
    datasets: tuple[str, ...]
    image_url: str = ""
    permalink: str = ""
    image_data: bytes | None = None
    image_mime: str = ""


def _length(errors: dict[str, str], name: str, value: str, low: int, high: int, what: str) -> None:
    if not value:
        errors[name] = f"{what} est obligatoire."
    elif len(value) < low:
        errors[name] = f"{what} est trop court ({low} caractères minimum)."
    elif len(value) > high:
        errors[name] = f"{what} est trop long ({high} caractères maximum, {len(value)} saisis)."


def clean_url(value: str, lim: ReuseLimits | None = None) -> tuple[str, str | None]:
    """(url, error): only absolute http(s) URLs are accepted (no javascript:, data:, file:, credentials)."""
    lim = lim or limits()
    raw = str(value or "").strip()
    if not raw:
        return "", None
    if len(raw) > lim.url_max:
        return "", f"l'adresse est trop longue ({lim.url_max} caractères maximum)."
    url = sanitize.safe_http_url(raw)
    if url is None:
        return "", "l'adresse doit commencer par http:// ou https:// et désigner un site web (ex. https://exemple.fr/page)."
    return url, None


def clean_permalink(value: str) -> tuple[str, str | None]:
    """(relative path, error): a link to a view of this portal, given relative (/jeu-de-donnees?id=…) or
    absolute with the portal's public address; stored relative. Anything else is refused."""
    raw = str(value or "").strip()
    if not raw:
        return "", None
    base = get_settings().public_base_url.rstrip("/")
    if base and raw.lower().startswith(base.lower() + "/"):
        raw = raw[len(base):]
    error = ("le lien doit pointer vers une page de ce portail, par exemple /jeu-de-donnees?id=… "
             f"ou {base}/jeu-de-donnees?id=….")
    if len(raw) > limits().url_max or not PERMALINK_RE.match(raw):
        return "", error
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.fragment:
        return "", error
    return raw, None


def validate(raw: ReuseInput, known_datasets: Collection[str] | None = None, *, require_email: bool = True,
             image: tuple[bytes, str] | None = None) -> ReuseDraft:
    """Check and sanitise every field; raises ValidationError listing all problems at once.

    Args:
        raw: the values typed by the person.
        known_datasets: dataset ids of the catalogue; others are refused (None skips the check).
        require_email: False for moderators editing an imported record without e-mail.
        image: an already checked thumbnail (bytes, mime), see `reuses.images.make_thumbnail`.
    """
    lim = limits()
    errors: dict[str, str] = {}
    title = sanitize.plain_text(raw.title)
    _length(errors, "title", title, lim.title_min, lim.title_max, "Le titre")
    description = sanitize.markdown_text(raw.description)
    _length(errors, "description", description, lim.description_min, lim.description_max, "La description")
    if raw.type not in REUSE_TYPES:
        errors["type"] = "Choisissez un type de réutilisation dans la liste."
    if raw.topic not in TOPICS:
        errors["topic"] = "Choisissez une thématique dans la liste."
    url, err = clean_url(raw.url, lim)
    if err:
        errors["url"] = "L'adresse de la réutilisation est invalide : " + err
    elif not url:
        errors["url"] = "L'adresse (URL) de la réutilisation est obligatoire."
    image_url, err = clean_url(raw.image_url, lim)
    if err:
        errors["image_url"] = "L'adresse de l'image est invalide : " + err
    author = sanitize.plain_text(raw.author_name)
    _length(errors, "author_name", author, 2, lim.author_max, "Le nom de l'auteur ou de l'autrice")
    email = str(raw.email or "").strip().lower()
    if email or require_email:
        if not email:
            errors["email"] = "Le courriel est obligatoire (il ne sera jamais affiché ni publié)."
        elif len(email) > lim.email_max or not EMAIL_RE.match(email) or sanitize.plain_text(email) != email:
            errors["email"] = "Le courriel est invalide (ex. prenom.nom@exemple.fr)."
    datasets = tuple(dict.fromkeys(str(d).strip() for d in raw.datasets if str(d).strip()))
    if not datasets:
        errors["datasets"] = "Indiquez au moins un jeu de données utilisé."
    elif len(datasets) > lim.datasets_max:
        errors["datasets"] = f"Indiquez au plus {lim.datasets_max} jeux de données."
    elif known_datasets is not None:
        unknown = [d for d in datasets if d not in set(known_datasets)]
        if unknown:
            errors["datasets"] = "Jeu(x) de données inconnu(s) : " + ", ".join(sanitize.plain_text(u)[:80] for u in unknown)
    permalink, err = clean_permalink(raw.permalink)
    if err:
        errors["permalink"] = "Le lien vers le portail est invalide : " + err
    if errors:
        raise ValidationError(errors)
    return ReuseDraft(
        title=title, description=description, type=raw.type, topic=raw.topic, url=url, author_name=author,
        email=email, datasets=datasets, image_url="" if image else image_url, permalink=permalink,
        image_data=image[0] if image else None, image_mime=image[1] if image else "",
    )
