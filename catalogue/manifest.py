"""Read, validate and write the dataset manifest: one TOML file per dataset in `catalogue_dir`."""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

import atomic
from catalogue import vocab
from config import get_settings

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
log = logging.getLogger(__name__)

GRANULARITIES = ("commune", "epci", "canton", "departement", "point", "other")


class ManifestError(ValueError):
    """A manifest entry is invalid; the message is in French and names the file and field."""


@dataclass(frozen=True)
class License:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Source:
    path: str | None = None  # relative to the repo root (embedded) or absolute
    url: str | None = None  # remote file or portal endpoint
    page: str | None = None  # the publisher's web page for humans
    kind: str = "file"  # file | url | ods | datagouv
    options: dict[str, Any] = field(default_factory=dict)  # reader options: sheet, header_row, records_path...


@dataclass(frozen=True)
class ColumnDoc:
    label: str
    description: str = ""
    unit: str = ""


@dataclass(frozen=True)
class DatasetSpec:
    id: str
    title: str
    description: str
    publisher: str
    license: License
    source: Source
    publisher_url: str = ""
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    frequency: str = "unknown"
    spatial_granularity: str = "other"
    temporal_coverage: dict[str, str] = field(default_factory=dict)
    created: str = ""
    modified: str = ""
    attribution: str = ""
    provenance: str = ""
    columns: dict[str, ColumnDoc] = field(default_factory=dict)
    generated: bool = False  # benchmark data: never listed unless asked
    path: Path | None = None  # the manifest file it came from

    def source_file(self) -> Path | None:
        """Absolute path of an embedded/local source file, or None for remote sources."""
        if not self.source.path:
            return None
        p = Path(self.source.path)
        return p if p.is_absolute() else get_settings().root / p

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("path", None)
        return d


def _req(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise ManifestError(f"{where} : le champ obligatoire « {key} » est absent.")
    return data[key]


def parse_spec(data: dict[str, Any], where: str = "manifeste", path: Path | None = None) -> DatasetSpec:
    """Validate one manifest entry (a dict read from TOML) and return a DatasetSpec."""
    try:
        return _parse_spec(data, where, path)
    except ManifestError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # e.g. a table where a list belongs
        raise ManifestError(f"{where} : un champ n'a pas la forme attendue (table, liste ou texte) : {exc}.") from exc


def _parse_spec(data: dict[str, Any], where: str, path: Path | None) -> DatasetSpec:
    ds_id = str(_req(data, "id", where))
    if not ID_RE.match(ds_id):
        raise ManifestError(f"{where} : identifiant « {ds_id} » invalide (lettres minuscules, chiffres, tirets).")
    lic = _req(data, "license", where)
    if not isinstance(lic, dict):
        raise ManifestError(f"{where} : « license » doit être une table (id, title, url).")
    license_ = License(id=str(_req(lic, "id", where + " [license]")), title=str(lic.get("title") or vocab.license_title(lic["id"])),
                       url=str(lic.get("url") or vocab.license_url(lic["id"])))
    src = _req(data, "source", where)
    known = {"path", "url", "page", "kind"}
    source = Source(path=src.get("path"), url=src.get("url"), page=src.get("page"),
                    kind=str(src.get("kind", "file" if src.get("path") else "url")),
                    options={k: v for k, v in src.items() if k not in known})
    if not source.path and not source.url:
        raise ManifestError(f"{where} : la source doit avoir « path » ou « url ».")
    gran = str(data.get("spatial_granularity", "other"))
    if gran not in GRANULARITIES:
        raise ManifestError(f"{where} : granularité « {gran} » inconnue ({', '.join(GRANULARITIES)}).")
    freq = str(data.get("frequency", "unknown"))
    if freq not in vocab.FREQUENCIES:
        raise ManifestError(f"{where} : fréquence « {freq} » inconnue (slugs udata).")
    themes = tuple(str(t) for t in data.get("themes", []))
    for t in themes:
        if t not in vocab.TOPICS:
            raise ManifestError(f"{where} : thème « {t} » inconnu (slugs udata).")
    columns = {}
    for name, doc in (data.get("columns") or {}).items():
        if isinstance(doc, str):
            doc = {"label": doc}
        columns[str(name)] = ColumnDoc(label=str(doc.get("label", name)), description=str(doc.get("description", "")),
                                       unit=str(doc.get("unit", "")))
    return DatasetSpec(
        id=ds_id, title=str(_req(data, "title", where)), description=str(data.get("description", "")),
        publisher=str(_req(data, "publisher", where)), publisher_url=str(data.get("publisher_url", "")),
        license=license_, source=source, themes=themes, keywords=tuple(str(k) for k in data.get("keywords", [])),
        frequency=freq, spatial_granularity=gran, temporal_coverage=dict(data.get("temporal_coverage") or {}),
        created=str(data.get("created", "")), modified=str(data.get("modified", "")),
        attribution=str(data.get("attribution", "")), provenance=str(data.get("provenance", "")),
        columns=columns, generated=bool(data.get("generated", False)), path=path,
    )


@dataclass(frozen=True)
class ManifestFileError:
    """One manifest file that cannot be read: its dataset is left out, the others are served."""

    file: str  # the file name, e.g. « colleges.toml »
    message: str  # French, names the file and the field


def load_manifest_report(directory: Path | None = None, include_generated: bool = False
                         ) -> tuple[list[DatasetSpec], list[ManifestFileError]]:
    """The valid dataset specs of the catalogue directory (sorted by file name) and one error per invalid file.

    A file that is not UTF-8, not TOML, or not a valid entry, or that repeats an id already taken by an earlier file,
    hides that dataset only; every error is logged once per file version.
    """
    directory = directory or get_settings().catalogue_dir
    specs: list[DatasetSpec] = []
    errors: list[ManifestFileError] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.toml")):
        try:
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ManifestError(f"{path.name} : TOML illisible ({exc}).") from exc
            except OSError as exc:
                raise ManifestError(f"{path.name} : fichier illisible ({exc.strerror or exc}).") from exc
            spec = parse_spec(data, where=path.name, path=path)
            if spec.id in seen:
                raise ManifestError(f"{path.name} : identifiant « {spec.id} » déjà utilisé.")
        except ManifestError as exc:
            errors.append(ManifestFileError(path.name, str(exc)))
            _log_once(path, str(exc))
            continue
        seen.add(spec.id)
        if spec.generated and not include_generated:
            continue
        specs.append(spec)
    return specs, errors


_logged: set[tuple[str, str]] = set()


def _log_once(path: Path, message: str) -> None:
    """Log a bad manifest file once per message, not on every page that reads the manifest."""
    key = (str(path), message)
    if key not in _logged:
        _logged.add(key)
        log.warning("manifeste ignoré : %s", message)


def load_manifest(directory: Path | None = None, include_generated: bool = False) -> list[DatasetSpec]:
    """The valid dataset specs of the catalogue directory; an invalid file hides its dataset only (see
    load_manifest_report for the errors)."""
    return load_manifest_report(directory, include_generated)[0]


def manifest_errors(directory: Path | None = None) -> list[ManifestFileError]:
    """The manifest files that cannot be read (shown on /admin, reported by `python -m loaders build`)."""
    return load_manifest_report(directory, include_generated=True)[1]


def get_spec(dataset_id: str, directory: Path | None = None) -> DatasetSpec | None:
    for spec in load_manifest(directory, include_generated=True):
        if spec.id == dataset_id:
            return spec
    return None


def write_spec(data: dict[str, Any], directory: Path | None = None) -> Path:
    """Validate then atomically write one manifest entry as `<id>.toml`; returns its path."""
    directory = directory or get_settings().catalogue_dir
    spec = parse_spec(data)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{spec.id}.toml"
    atomic.write_text(target, tomli_w.dumps(data))
    return target
