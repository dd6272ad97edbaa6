"""The only executor: guarded DuckDB access to the warehouse's current Parquet versions and the catalogue."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

import warehouse as layout
from catalogue.build import catalogue_frame
from config import Settings, get_settings
from queries import connection
from queries.sql_errors import in_french

SQL_DIR = Path(__file__).resolve().parent / "sql"
VIEWS_DIR = SQL_DIR / "views"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_ROLE = re.compile(r"\{role:([a-z_][a-z0-9_]*)\}")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
MANIFEST_SCAN_INTERVAL_S = 2.0


class QueryError(Exception):
    """A query could not run; `str(exc)` is a French message fit for the user."""


class QueryTimeout(QueryError):
    """The query ran past its time limit and was interrupted."""


class SafeIdent(str):
    """An SQL identifier that passed an allow-list and is quoted; only `ident()` and `table_name()` make them."""

    __slots__ = ()


def _quote(name: str) -> SafeIdent:
    return SafeIdent('"' + name.replace('"', '""') + '"')


def ident(name: str, allowed: Iterable[str]) -> SafeIdent:
    """Quote a column name taken from user input, after checking it against the dataset's own columns."""
    allowed_set = set(allowed)
    if name not in allowed_set:
        raise QueryError(f"Colonne inconnue : « {name} ».")
    return _quote(name)


def view_name(dataset_id: str) -> str:
    """The SQL view exposing a dataset's current version (`population-communes` → `ds_population_communes`)."""
    return "ds_" + re.sub(r"[^a-z0-9]", "_", dataset_id.lower())


def ordered_view_name(dataset_id: str) -> str:
    """The view of a dataset that adds `file_row_number` (its row's position), to sort with a total order."""
    return "dsr_" + re.sub(r"[^a-z0-9]", "_", dataset_id.lower())


def ordered_table_name(dataset_id: str) -> SafeIdent:
    """Like table_name(), for the view with `file_row_number`."""
    if dataset_id not in warehouse().datasets():
        raise QueryError(f"Jeu de données inconnu : « {dataset_id} ».")
    return _quote(ordered_view_name(dataset_id))


def table_name(dataset_id: str) -> SafeIdent:
    """The quoted view of a published dataset; raises QueryError for an unknown id (the registry is the allow-list)."""
    if dataset_id not in warehouse().datasets():
        raise QueryError(f"Jeu de données inconnu : « {dataset_id} ».")
    return _quote(view_name(dataset_id))


@dataclass
class Result:
    """Rows of a query, with the cap that applied."""

    frame: pd.DataFrame
    truncated: bool


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _version_file(dataset_id: str, entry: Mapping[str, Any], name: str) -> Path | None:
    """A file of the registry entry's version (`warehouse` builds the path); None for an invalid id or version."""
    try:
        return layout.version_dir(dataset_id, str(entry.get("version", ""))) / name
    except ValueError:
        return None


def _require_select(sql: str) -> None:
    """Read-only by construction: exactly one SELECT statement (no COPY, CREATE, ATTACH, SET, PRAGMA, CALL)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(in_french(str(exc))) from exc
    if len(statements) != 1 or statements[0].type.name != "SELECT":
        raise QueryError("Seule une requête de lecture (une seule instruction SELECT) est autorisée.")


class Warehouse:
    """One in-memory DuckDB database per process, with a view per published dataset and a `catalogue` table."""

    def __init__(self, settings: Settings, memory_limit: str | None = None, threads: int | None = None,
                 allowed_files: list[Path] | None = None, temp_dir: Path | None = None) -> None:
        """`allowed_files` (the SQL sandbox): only these files are readable; `temp_dir`: DuckDB's spill directory."""
        self.settings = settings
        settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        self.con = connection.open_locked(settings, memory_limit or settings.duckdb_memory_limit,
                                          threads or settings.duckdb_threads, temp_dir, allowed_files)
        self._lock = threading.Lock()
        self._token: tuple[Any, ...] | None = None
        self._scanned_at = 0.0
        self._manifest_scan: tuple[Any, ...] | None = None
        self._registry: dict[str, Any] = {}
        self.refresh()

    # -- state -------------------------------------------------------------------------------------------------
    def _registry_token(self) -> tuple[Any, ...]:
        """Cheap on every call (two stat()s); the per-file manifest scan runs at most every few seconds."""
        def stat(path: Path) -> tuple[int, int]:
            try:
                st_ = path.stat()
                return (st_.st_mtime_ns, st_.st_size)
            except OSError:
                return (0, 0)

        cat = self.settings.catalogue_dir
        now = time.monotonic()
        if now - self._scanned_at >= MANIFEST_SCAN_INTERVAL_S or self._manifest_scan is None:
            try:
                self._manifest_scan = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in cat.glob("*.toml")))
            except OSError:
                self._manifest_scan = ()
            self._scanned_at = now
        # A publish replaces registry.json; a manifest written by write_spec (tmp + rename) changes the folder's
        # mtime: both are seen at once. An in-place edit of a manifest file is seen by the periodic scan.
        return stat(layout.registry_path()) + stat(cat) + self._manifest_scan

    @property
    def token(self) -> str:
        """Changes whenever a dataset version or the manifest changes: part of every cache key."""
        self.refresh()
        return str(hash(self._token))

    def datasets(self) -> dict[str, Any]:
        self.refresh()
        return self._registry

    def refresh(self) -> None:
        """(Re)create the views when the registry or manifest changed since the last look."""
        token = self._registry_token()
        if token == self._token:
            return
        with self._lock:
            if token == self._token:
                return
            registry = layout.read_registry()["datasets"]
            live: dict[str, Any] = {}
            for ds_id, entry in registry.items():
                parquet = _version_file(ds_id, entry, layout.DATA_FILE)
                if parquet is None or not parquet.is_file():
                    continue
                # A view definition cannot hold bound parameters; the path is built from a regex-checked id and
                # version (warehouse.version_dir) and quoted, never from user input.
                path_sql = str(parquet).replace("'", "''")
                view_sql = f"CREATE OR REPLACE VIEW {_quote(view_name(ds_id))} AS SELECT * FROM read_parquet('{path_sql}')"  # noqa: S608
                self.con.execute(view_sql)
                # The same rows with their position in the file: a cheap, total tie-break for sorted pages.
                self.con.execute(
                    f"CREATE OR REPLACE VIEW {_quote(ordered_view_name(ds_id))} AS SELECT * "  # noqa: S608
                    f"FROM read_parquet('{path_sql}', file_row_number=true)"
                )
                live[ds_id] = entry
            self._build_catalogue(live)
            self._build_shared_views(live)
            self._registry = live
            self._token = token

    def _build_shared_views(self, live: Mapping[str, Any]) -> None:
        """Views that several named queries share (`queries/sql/views/<name>.sql`, one SELECT each), built on the
        dataset views; one whose datasets are not published in this deployment is simply left out."""
        for path in sorted(VIEWS_DIR.glob("*.sql")):
            name = path.stem
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                continue
            try:
                view_sql = fill_roles(path.read_text(encoding="utf-8"), live, self.settings)
                self.con.execute(f"CREATE OR REPLACE VIEW {_quote(name)} AS {view_sql}")
            except (duckdb.Error, QueryError):
                self.con.execute(f"DROP VIEW IF EXISTS {_quote(name)}")

    def _build_catalogue(self, live: dict[str, Any]) -> None:
        frame = catalogue_frame(live, self.settings)
        self.con.register("catalogue_frame", frame)
        self.con.execute("CREATE OR REPLACE TABLE catalogue AS SELECT * FROM catalogue_frame")
        self.con.unregister("catalogue_frame")

    def meta(self, dataset_id: str) -> dict[str, Any]:
        entry = self.datasets().get(dataset_id)
        if not entry:
            raise QueryError(f"Jeu de données inconnu : « {dataset_id} ».")
        path = _version_file(dataset_id, entry, layout.META_FILE)
        return _read_json(path) if path else {}

    # -- execution ---------------------------------------------------------------------------------------------
    def execute(self, sql: str, params: Mapping[str, Any] | None = None, *, max_rows: int | None = None,
                timeout_s: float | None = None) -> Result:
        """Run one statement with bound named parameters, a time limit and a row cap."""
        self.refresh()
        max_rows = self.settings.max_rows if max_rows is None else max_rows
        timeout_s = self.settings.query_timeout_s if timeout_s is None else timeout_s
        _require_select(sql)
        cur = self.con.cursor()
        timer = threading.Timer(timeout_s, cur.interrupt)
        timer.start()
        try:
            reader = cur.sql(sql, params=dict(params or {})).to_arrow_reader(max_rows + 1)
            batches: list[pa.RecordBatch] = []
            count = 0
            for batch in reader:
                batches.append(batch)
                count += batch.num_rows
                if count > max_rows:
                    break
            table = pa.Table.from_batches(batches, schema=reader.schema).slice(0, max_rows)
            return Result(frame=table.to_pandas(), truncated=count > max_rows)
        except duckdb.InterruptException as exc:
            raise QueryTimeout(f"La requête a dépassé la limite de {timeout_s:g} s et a été interrompue.") from exc
        except duckdb.OutOfMemoryException as exc:
            raise QueryError("La requête demande trop de mémoire ; réduisez son périmètre.") from exc
        except duckdb.Error as exc:
            raise QueryError(f"Requête refusée : {exc}") from exc
        finally:
            timer.cancel()
            cur.close()

    def stream(self, sql: str, params: Mapping[str, Any] | None = None, batch_rows: int = 50_000) -> Any:
        """Yield Arrow record batches of a query without a row cap (exports); the caller consumes them lazily."""
        self.refresh()
        _require_select(sql)
        cur = self.con.cursor()
        try:
            reader = cur.sql(sql, params=dict(params or {})).to_arrow_reader(batch_rows)
            yield from reader
        except duckdb.Error as exc:
            raise QueryError(f"Export impossible : {exc}") from exc
        finally:
            cur.close()


_ENGINES: dict[str, Warehouse] = {}
_ENGINES_LOCK = threading.Lock()


def engine(name: str, memory_limit: str | None = None, threads: int | None = None) -> Warehouse:
    """The process-wide Warehouse `name` ("app"; /sql runs in worker processes), rebuilt when the settings change."""
    settings = get_settings()
    with _ENGINES_LOCK:
        current = _ENGINES.get(name)
        if current is None or current.settings != settings:
            current = _ENGINES[name] = Warehouse(settings, memory_limit=memory_limit, threads=threads)
        return current


def warehouse() -> Warehouse:
    """The app's Warehouse (the settings' memory limit and threads)."""
    return engine("app")


def load_sql(name: str) -> str:
    """The text of `queries/sql/<name>.sql`; the name itself is checked so no path can escape the folder."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise QueryError(f"Requête inconnue : « {name} ».")
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"Requête inconnue : « {name} ».")
    return path.read_text(encoding="utf-8")


def fill_roles(sql: str, published: Mapping[str, Any], settings: Settings | None = None) -> str:
    """Replace each `{role:<role>}` with the quoted view of the dataset configured for that role
    (`settings.datasets`); the role must be known and its dataset published (the registry is the allow-list)."""
    settings = settings or get_settings()
    roles = dict(settings.datasets)

    def fill(m: re.Match[str]) -> str:
        dataset_id = roles.get(m.group(1))
        if dataset_id is None:
            raise QueryError(f"Rôle de jeu de données inconnu : « {m.group(1)} ».")
        if dataset_id not in published:
            raise QueryError(f"Jeu de données « {dataset_id} » ({m.group(1)}) non publié.")
        return _quote(view_name(dataset_id))

    return _ROLE.sub(fill, sql)


def render_sql(name: str, idents: Mapping[str, SafeIdent] | None = None) -> str:
    """Fill `{placeholder}` identifiers of a named query; each must be a SafeIdent (allow-listed and quoted)."""
    sql = fill_roles(load_sql(name), warehouse().datasets())
    idents = idents or {}

    def fill(m: re.Match[str]) -> str:
        value = idents.get(m.group(1))
        if not isinstance(value, SafeIdent):
            raise QueryError(f"Identifiant non autorisé dans la requête « {name} » : {m.group(1)}.")
        return str(value)

    return _PLACEHOLDER.sub(fill, sql)


def _bound(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Only the parameters the statement names are bound (DuckDB rejects extra ones)."""
    wanted = set(_PARAM.findall(re.sub(r"--[^\n]*", "", sql)))
    missing = wanted - set(params)
    if missing:
        raise QueryError(f"Paramètre manquant : {', '.join(sorted(missing))}.")
    return {k: params[k] for k in wanted}


def run(name: str, idents: Mapping[str, SafeIdent] | None = None, *, max_rows: int | None = None,
        **params: Any) -> pd.DataFrame:
    """Run the named query with bound parameters; the DataFrame's `attrs['truncated']` tells if the cap applied.

    The configured territory is bound into every named query that asks for it (`$territory_level`, `$territory_code`).
    """
    sql = render_sql(name, idents)
    params = {**get_settings().territory_params, **params}
    result = warehouse().execute(sql, _bound(sql, params), max_rows=max_rows)
    frame = result.frame
    frame.attrs["truncated"] = result.truncated
    return frame


def run_sql_text(sql: str, params: Mapping[str, Any] | None = None, *, max_rows: int | None = None) -> pd.DataFrame:
    """Run SQL built by a query builder of this package (identifiers already allow-listed, values bound)."""
    result = warehouse().execute(sql, params or {}, max_rows=max_rows)
    frame = result.frame
    frame.attrs["truncated"] = result.truncated
    return frame


def dataset_meta(dataset_id: str) -> dict[str, Any]:
    """meta.json of the current version of a dataset (rows, columns, profile, warnings, source)."""
    return warehouse().meta(dataset_id)


def published_ids() -> list[str]:
    return sorted(warehouse().datasets())


def data_version() -> str:
    """A token that changes with any published version: use it in cache keys."""
    return warehouse().token


def environment_offline_check() -> dict[str, Any]:
    """Settings that prove the engine cannot reach the network or the disk outside the warehouse (for tests)."""
    rows = warehouse().con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN "
        "('enable_external_access', 'autoinstall_known_extensions', 'autoload_known_extensions', "
        "'lock_configuration', 'memory_limit', 'threads')"
    ).fetchall()
    return {name: value for name, value in rows} | {"pid": os.getpid()}
