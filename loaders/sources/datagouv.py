"""data.gouv.fr (udata) API v1: dataset metadata to manifests, the main tabular/geo resource downloaded."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from catalogue import vocab
from catalogue.manifest import DatasetSpec
from loaders import http
from loaders import settings as S
from loaders.sources.ods import make_id, map_license, map_themes
from loaders.sources.url import Fetched, fetch_url

GRANULARITIES = {"fr:commune": "commune", "fr:iris": "commune", "fr:epci": "epci", "fr:canton": "canton",
                 "fr:departement": "departement", "poi": "point"}


class DatagouvError(Exception):
    """A French explanation of why a data.gouv.fr dataset cannot be harvested."""


def api(base: str | None = None) -> str:
    return (base or S.datagouv_api()).rstrip("/")


def fetch_dataset(id_or_slug: str, base: str | None = None) -> dict[str, Any]:
    url = f"{api(base)}/datasets/{quote(id_or_slug.strip('/'), safe='')}/"
    try:
        data = http.get_json(url)
    except http.NotFound as exc:
        raise DatagouvError(f"Jeu de données « {id_or_slug} » introuvable sur data.gouv.fr ({url}).") from exc
    if not isinstance(data, dict) or "id" not in data:
        raise DatagouvError(f"Réponse inattendue de {url} (pas d'« id »).")
    return data


def search(q: str | None = None, *, organization: str | None = None, tags: list[str] | None = None,
           limit: int = 20, base: str | None = None) -> list[dict[str, Any]]:
    """Datasets found by `/api/1/datasets/?q=&organization=&tag=`, following `next_page` up to `limit`."""
    params: list[tuple[str, Any]] = [("page_size", min(S.DATAGOUV_PAGE_SIZE, limit))]
    if q:
        params.append(("q", q))
    if organization:
        params.append(("organization", organization))
    params.extend(("tag", t) for t in tags or [])
    url: str | None = f"{api(base)}/datasets/"
    found: list[dict[str, Any]] = []
    while url and len(found) < limit:
        page = http.get_json(url, params)
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise DatagouvError(f"Réponse inattendue de la recherche {url} (pas de « data »).")
        found.extend(page["data"])
        url, params = page.get("next_page"), []  # next_page already carries the query
        if not page["data"]:
            break
    return found[:limit]


def resource_format(resource: dict[str, Any]) -> str:
    fmt = str(resource.get("format") or "").lower().strip().lstrip(".")
    if not fmt:
        fmt = Path(urlsplit(str(resource.get("url") or "")).path).suffix.lower().lstrip(".")
    return {"xls": "xls", "geo+json": "geojson", "json-ld": "jsonld"}.get(fmt, fmt)


def choose_resource(dataset: dict[str, Any], resource_id: str | None = None) -> dict[str, Any]:
    """The resource named by `resource_id`, else the first `main` one in format priority order."""
    resources = [r for r in dataset.get("resources") or [] if isinstance(r, dict)]
    if resource_id:
        for r in resources:
            if r.get("id") == resource_id or str(r.get("id", "")).startswith(resource_id):
                return r
        raise DatagouvError(f"Ressource « {resource_id} » absente du jeu « {dataset.get('slug') or dataset.get('id')} ».")
    main = [r for r in resources if r.get("type") == "main"] or resources
    usable = [r for r in main if resource_format(r) in S.DATAGOUV_FORMAT_PRIORITY]
    if not usable:
        formats = ", ".join(sorted({resource_format(r) or "?" for r in resources})) or "aucune ressource"
        raise DatagouvError(f"Aucune ressource tabulaire ou géographique dans « {dataset.get('slug')} » ({formats}).")
    # sorted() is stable: among equal formats the publisher's order wins.
    return sorted(usable, key=lambda r: S.DATAGOUV_FORMAT_PRIORITY.index(resource_format(r)))[0]


def _publisher(dataset: dict[str, Any]) -> tuple[str, str]:
    org = dataset.get("organization") or {}
    if org.get("name"):
        return str(org["name"]), str(org.get("page") or "")
    owner = dataset.get("owner") or {}
    name = " ".join(str(owner.get(k) or "") for k in ("first_name", "last_name")).strip()
    return name or "data.gouv.fr", str(owner.get("page") or "")


def _license(dataset: dict[str, Any]) -> dict[str, str]:
    lic = str(dataset.get("license") or "notspecified")
    if lic in vocab.LICENSES:
        return {"id": lic, "title": vocab.license_title(lic), "url": vocab.license_url(lic)}
    aliases = {"fr-lo": "fr-lo", "etalab-2.0": "lov2", "odc-odbl": "odc-odbl"}
    if lic in aliases:
        return {"id": aliases[lic], "title": vocab.license_title(aliases[lic]), "url": vocab.license_url(aliases[lic])}
    return map_license(lic)


def frequency(value: str | None) -> str:
    slug = vocab.FREQUENCY_ALIASES.get(str(value or "unknown"), str(value or "unknown"))
    return slug if slug in vocab.FREQUENCIES else "unknown"


def make_dataset_id(dataset: dict[str, Any], resource: dict[str, Any] | None = None, several: bool = False) -> str:
    base = make_id(str(dataset.get("slug") or dataset["id"]), prefix="dg-")
    if several and resource is not None:
        suffix = "-" + re.sub(r"[^a-z0-9]", "", str(resource.get("id", "")).lower())[:8]
        return base[: 80 - len(suffix)].rstrip("-") + suffix
    return base


def to_manifest(dataset: dict[str, Any], resource: dict[str, Any], *, base: str | None = None,
                dataset_id: str | None = None) -> dict[str, Any]:
    """Pure mapping of one udata dataset + chosen resource to a manifest entry (dict for write_spec)."""
    publisher, publisher_url = _publisher(dataset)
    temporal = {k: str(v)[:10] for k, v in (dataset.get("temporal_coverage") or {}).items()
                if k in ("start", "end") and v}
    granularity = GRANULARITIES.get(str((dataset.get("spatial") or {}).get("granularity") or ""), "other")
    tags = [str(t) for t in dataset.get("tags") or [] if t]
    title = str(dataset.get("title") or dataset["id"])
    res_title = str(resource.get("title") or resource.get("id"))
    source: dict[str, Any] = {"kind": "datagouv", "url": api(base), "dataset_id": str(dataset["id"]),
                              "resource_id": str(resource["id"])}
    if dataset.get("page"):
        source["page"] = str(dataset["page"])
    if dataset.get("slug"):
        source["slug"] = str(dataset["slug"])
    entry: dict[str, Any] = {
        "id": dataset_id or make_dataset_id(dataset),
        "title": title,
        "description": str(dataset.get("description") or ""),
        "publisher": publisher,
        "publisher_url": publisher_url,
        "license": _license(dataset),
        "themes": map_themes(tags),
        "keywords": tags,
        "frequency": frequency(dataset.get("frequency")),
        "spatial_granularity": granularity,
        "created": str(dataset.get("created_at") or "")[:10],
        "modified": str(resource.get("last_modified") or dataset.get("last_modified") or "")[:10],
        "attribution": publisher,
        "provenance": f"Moissonné sur data.gouv.fr (API v1), jeu « {dataset.get('slug') or dataset['id']} », "
                      f"ressource « {res_title} » ({resource['id']}), le {date.today().isoformat()}.",
        "source": source,
    }
    if temporal:
        entry["temporal_coverage"] = temporal
    return {k: v for k, v in entry.items() if v not in (None, "")} | {"description": entry["description"]}


def remote_stamp(resource: dict[str, Any]) -> str:
    """What tells us the file changed: the resource's last_modified and checksum."""
    checksum = (resource.get("checksum") or {}).get("value") or ""
    return f"{resource.get('last_modified') or ''}|{checksum}|{resource.get('url') or ''}"


def fetch(spec: DatasetSpec, entry: dict[str, Any], workdir: Path, force: bool = False) -> Fetched:
    """Refresh fetcher for `kind = "datagouv"`: compare the resource's date/checksum, then download its file."""
    options = spec.source.options
    ident = str(options.get("dataset_id") or options.get("slug") or "")
    if not ident:
        raise DatagouvError(f"Le jeu « {spec.id} » doit indiquer « dataset_id » (identifiant ou slug data.gouv.fr).")
    dataset = fetch_dataset(ident, spec.source.url)
    wanted = str(options.get("resource_id") or "") or None
    note = ""
    try:
        resource = choose_resource(dataset, wanted)
    except DatagouvError:
        if not wanted:
            raise
        # The publisher replaced the file by a new resource: fall back on the main one, and say so.
        resource = choose_resource(dataset)
        note = f" ; la ressource {wanted} a disparu, remplacée par {resource['id']}"
    stamp = remote_stamp(resource)
    if not force and entry.get("remote_modified") == stamp and entry.get("last_success"):
        return Fetched(True, f"inchangé sur data.gouv.fr (ressource du {str(resource.get('last_modified'))[:10]})"
                       + note, remote={"remote_modified": stamp})
    url = str(resource.get("url") or "")
    if not url:
        raise DatagouvError(f"La ressource {resource.get('id')} n'a pas d'URL.")
    same = entry.get("resource_id") == resource.get("id")
    fetched = fetch_url(url, entry if same else {}, workdir, force=force,
                        suffix="." + resource_format(resource) if resource_format(resource) else "",
                        zip_member=options.get("zip_member"),
                        extra_info={"dataset_id": dataset["id"], "resource_id": resource["id"],
                                    "resource_title": resource.get("title"), "remote_modified":
                                    resource.get("last_modified"), "remote_checksum": resource.get("checksum"),
                                    "page": dataset.get("page")})
    fetched.remote.update({"remote_modified": stamp, "resource_id": resource["id"]})
    fetched.message += note
    return fetched
