"""Bring remote sources up to date: fetch if changed, publish through the core loader, record the outcome."""

from __future__ import annotations

import functools
import logging
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue.manifest import DatasetSpec, ManifestError, parse_spec
from config import get_settings
from loaders import http
from loaders import settings as S
from loaders.sources import datagouv, ods, state, url

log = logging.getLogger(__name__)

Fetcher = Callable[[DatasetSpec, dict[str, Any], Path, bool], url.Fetched]
FETCHERS: dict[str, Fetcher] = {"url": url.fetch, "ods": ods.fetch, "datagouv": datagouv.fetch}


@dataclass
class Outcome:
    """The result of refreshing one source, as printed by the CLI and returned to callers."""

    id: str
    kind: str
    status: str  # updated | unchanged | failed | skipped
    message: str
    version: str | None = None
    warning: str | None = None

    def line(self) -> str:
        labels = {"updated": "mis à jour", "unchanged": "inchangé", "failed": "ÉCHEC", "skipped": "ignoré"}
        text = f"{self.id} [{self.kind}] : {labels.get(self.status, self.status)} — {self.message}"
        return text + (f" (attention : {self.warning})" if self.warning else "")


def _result(result: Any) -> tuple[str | None, bool, dict[str, Any]]:
    """(version, skipped, meta) from the core LoadResult, whatever its exact shape."""
    if isinstance(result, dict):
        get = result.get
    else:
        def get(key: str, default: Any = None) -> Any:
            return getattr(result, key, default)
    meta = get("meta") or {}
    version = get("version") or (meta.get("version") if isinstance(meta, dict) else None)
    skipped = bool(get("skipped", False) or get("unchanged", False) or get("status") in ("skipped", "unchanged"))
    return (str(version) if version else None), skipped, (meta if isinstance(meta, dict) else {})


def _current_meta(dataset_id: str) -> dict[str, Any] | None:
    from warehouse import current_meta

    return current_meta(dataset_id)


def schema_warning(meta: dict[str, Any]) -> str | None:
    """A changed schema is published (the data is what the publisher now serves) but flagged."""
    changes = meta.get("changes") or {}
    added, removed = changes.get("columns_added") or [], changes.get("columns_removed") or []
    if not (added or removed) or not changes.get("previous_version"):
        return None
    parts = []
    if added:
        parts.append("colonnes ajoutées : " + ", ".join(map(str, added)))
    if removed:
        parts.append("colonnes supprimées : " + ", ".join(map(str, removed)))
    return "schéma modifié par la source (" + " ; ".join(parts) + ")"


def failure_message(exc: BaseException) -> str:
    if isinstance(exc, (http.HttpError, ods.OdsError, datagouv.DatagouvError)):
        return str(exc)
    from loaders import LoadError

    if isinstance(exc, LoadError):
        return f"Fichier téléchargé mais illisible : {exc}"
    return f"Erreur inattendue ({type(exc).__name__}) : {exc}"


def refresh_source(spec: DatasetSpec, *, force: bool = False) -> Outcome:
    """Refresh one remote source; never raises for a source fault (the previous version stays served)."""
    from loaders.pipeline import load_dataset

    kind = spec.source.kind
    src_url = spec.source.url or ""
    fetcher = FETCHERS.get(kind)
    if fetcher is None:
        return Outcome(spec.id, kind, "skipped", "source locale, rien à rafraîchir")
    entry = state.load_state().get(spec.id) or {}
    try:
        served = _current_meta(spec.id)
    except Exception:  # noqa: BLE001 - an unreadable current version must not block a fresh download
        served = None
    if served is None:
        entry = {}  # nothing served: no "unchanged" shortcut, no conditional request
    fetched: url.Fetched | None = None
    try:
        fetched = fetcher(spec, entry, state.downloads_dir(), force)
        if fetched.unchanged:
            state.record_success(spec.id, kind=kind, url=src_url, frequency=spec.frequency, changed=False,
                                 version=(served or {}).get("version"), message=fetched.message, **fetched.remote)
            return Outcome(spec.id, kind, "unchanged", fetched.message, (served or {}).get("version"))
        assert fetched.path is not None
        result = load_dataset(spec, source_path=fetched.path, source_info=fetched.source_info, force=force)
        version, skipped, meta = _result(result)
        warning = None if skipped else schema_warning(meta)
        rows = meta.get("rows")
        if fetched.expected_rows is not None and isinstance(rows, int) and rows != fetched.expected_rows:
            # The portal's own count may lag behind its data: published, but worth a look.
            mismatch = f"{rows} lignes chargées, la source en annonce {fetched.expected_rows}"
            warning = f"{warning} ; {mismatch}" if warning else mismatch
        message = fetched.message + (" ; contenu identique à la version servie" if skipped
                                     else f" ; nouvelle version {version}")
        # A warning describes the last published change: identical bytes leave it as it was.
        extra = {} if skipped else {"warning": warning}
        state.record_success(spec.id, kind=kind, url=src_url, frequency=spec.frequency, changed=not skipped,
                             version=version, message=message, **extra, **fetched.remote)
        return Outcome(spec.id, kind, "unchanged" if skipped else "updated", message, version, warning)
    except Exception as exc:  # noqa: BLE001 - one source's failure must not stop the others
        message = failure_message(exc)
        log.warning("source %s : %s", spec.id, message)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is None and isinstance(exc.__cause__, http.HttpError):
            retry_after = exc.__cause__.retry_after
        state.record_failure(spec.id, kind=kind, url=src_url, frequency=spec.frequency, message=message,
                             retry_after=retry_after)
        return Outcome(spec.id, kind, "failed", message)
    finally:
        if fetched is not None and fetched.path is not None:
            fetched.path.unlink(missing_ok=True)


def remote_specs(directory: Path | None = None) -> tuple[list[DatasetSpec], list[Outcome]]:
    """Remote specs of the catalogue, one file at a time so that one broken manifest does not stop the rest."""
    directory = directory or get_settings().catalogue_dir
    specs: list[DatasetSpec] = []
    errors: list[Outcome] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            spec = parse_spec(tomllib.loads(path.read_text(encoding="utf-8")), where=path.name, path=path)
        except (ManifestError, tomllib.TOMLDecodeError, OSError) as exc:
            errors.append(Outcome(path.stem, "?", "failed", f"manifeste illisible : {exc}"))
            continue
        if spec.source.kind in S.REMOTE_KINDS:
            specs.append(spec)
    return specs, errors


def _sweep_downloads() -> None:
    """Leftovers of a killed run: safe to delete, since we hold the refresh lock."""
    folder = state.downloads_dir()
    if folder.is_dir():
        for leftover in folder.iterdir():
            if leftover.is_file():
                leftover.unlink(missing_ok=True)


def refresh_all(ids: list[str] | None = None, *, force: bool = False, due_only: bool = False,
                progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Refresh every remote source (or `ids`); raises state.RefreshBusy if another refresh is running."""
    with state.refresh_lock():
        _sweep_downloads()
        specs, outcomes = remote_specs()
        if ids:
            wanted = set(ids)
            known = {s.id for s in specs}
            outcomes = [o for o in outcomes if o.id in wanted]
            outcomes += [Outcome(i, "?", "failed", "aucune source distante de ce nom dans le catalogue")
                         for i in ids if i not in known and i not in {o.id for o in outcomes}]
            specs = [s for s in specs if s.id in wanted]
        current = state.load_state()
        for spec in specs:
            if due_only and not force and not state.is_due(spec.id, current):
                outcome = Outcome(spec.id, spec.source.kind, "skipped",
                                  f"pas encore dû (prochain passage {current[spec.id].get('next_refresh')})")
            else:
                started = time.monotonic()
                outcome = refresh_source(spec, force=force)
                log.info("%s en %.1f s", outcome.line(), time.monotonic() - started)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
        return outcomes


# ------------------------------------------------------------------------------ harvest = manifest + refresh


def _exclusive(func: Callable[..., Any]) -> Callable[..., Any]:
    """Harvests share private/downloads with `refresh`, which sweeps it: never run them at the same time."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with state.refresh_lock():
            return func(*args, **kwargs)
    return wrapper


def publish_manifest(entry: dict[str, Any], *, load: bool = True) -> Outcome:
    """Write one harvested manifest entry, then load it like a refresh would (failure recorded, not raised)."""
    from catalogue.manifest import write_spec

    path = write_spec(entry)
    spec = parse_spec(entry, where=path.name, path=path)
    if not load:
        return Outcome(spec.id, spec.source.kind, "skipped", f"manifeste écrit ({path.name}), données non chargées")
    outcome = refresh_source(spec)
    outcome.message = f"manifeste {path.name} ; {outcome.message}"
    return outcome


@_exclusive
def harvest_ods(portal: str, dataset_ids: list[str] | None = None, *, as_id: str | None = None,
                where: str | None = None, refine: list[str] | None = None, select: str | None = None,
                catalogue_where: str | None = None, catalogue_refine: list[str] | None = None,
                limit: int | None = None, load: bool = True) -> list[Outcome]:
    """Harvest chosen datasets (or the whole catalogue, filtered) of an Opendatasoft portal."""
    if as_id and (not dataset_ids or len(dataset_ids) != 1):
        raise ods.OdsError("--id ne s'utilise qu'avec un seul --dataset.")
    outcomes: list[Outcome] = []
    datasets: list[dict[str, Any]] = []
    if dataset_ids:
        for remote_id in dataset_ids:
            try:
                datasets.append(ods.fetch_dataset(portal, remote_id))
            except (http.HttpError, ods.OdsError) as exc:
                outcomes.append(Outcome(ods.make_id(remote_id), "ods", "failed", failure_message(exc)))
    else:
        datasets = ods.fetch_catalogue(portal, where=catalogue_where, refine=catalogue_refine, limit=limit)
    for dataset in datasets:
        remote_id = str(dataset.get("dataset_id"))
        if dataset.get("has_records") is False:
            outcomes.append(Outcome(ods.make_id(remote_id), "ods", "skipped", "pas d'enregistrements (fichiers seuls)"))
            continue
        try:
            entry = ods.to_manifest(dataset, portal, dataset_id=as_id, where=where, refine=refine, select=select)
            outcomes.append(publish_manifest(entry, load=load))
        except (ManifestError, ods.OdsError) as exc:
            outcomes.append(Outcome(as_id or ods.make_id(remote_id), "ods", "failed", str(exc)))
    return outcomes


@_exclusive
def harvest_datagouv(ids_or_slugs: list[str] | None = None, *, resource_ids: list[str] | None = None,
                     as_id: str | None = None, q: str | None = None, organization: str | None = None,
                     tags: list[str] | None = None, limit: int = 20, base: str | None = None,
                     load: bool = True) -> list[Outcome]:
    """Harvest data.gouv.fr datasets given by id/slug, or found by a search (q, organization, tag)."""
    outcomes: list[Outcome] = []
    datasets: list[dict[str, Any]] = []
    for ident in ids_or_slugs or []:
        try:
            datasets.append(datagouv.fetch_dataset(ident, base))
        except (http.HttpError, datagouv.DatagouvError) as exc:
            outcomes.append(Outcome(ods.make_id(ident, prefix="dg-"), "datagouv", "failed", failure_message(exc)))
    if q or organization or tags:
        datasets.extend(datagouv.search(q, organization=organization, tags=tags, limit=limit, base=base))
    if as_id and (len(datasets) != 1 or len(resource_ids or []) > 1):
        raise datagouv.DatagouvError("--id ne s'utilise qu'avec un seul jeu et au plus une ressource.")
    for dataset in datasets:
        try:
            if resource_ids:
                resources = [datagouv.choose_resource(dataset, rid) for rid in resource_ids]
            else:
                resources = [datagouv.choose_resource(dataset)]
        except datagouv.DatagouvError as exc:
            outcomes.append(Outcome(datagouv.make_dataset_id(dataset), "datagouv", "failed", str(exc)))
            continue
        several = len(resources) > 1
        for resource in resources:
            ident = as_id or datagouv.make_dataset_id(dataset, resource, several)
            try:
                entry = datagouv.to_manifest(dataset, resource, base=base, dataset_id=ident)
                outcomes.append(publish_manifest(entry, load=load))
            except (ManifestError, datagouv.DatagouvError) as exc:
                outcomes.append(Outcome(ident, "datagouv", "failed", str(exc)))
    return outcomes


@_exclusive
def add_url(file_url: str, dataset_id: str, *, load: bool = True, **meta: Any) -> Outcome:
    """Add a remote file (CSV, XLSX, GeoJSON, Parquet, ZIP...) to the catalogue and load it."""
    if not url.is_url(file_url):
        raise ValueError(f"« {file_url} » n'est pas une adresse http(s).")
    return publish_manifest(url.url_manifest(file_url, dataset_id, **meta), load=load)
