"""Settings of the portal, read once from environment variables (and st.secrets for the admin secret)."""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


# Tunables of one part (HTTP client, reuse limits) are read at call time through these helpers, so that this
# module stays the only one that reads the environment while tests can still shorten a wait for one call.
def env_str(name: str, default: str = "") -> str:
    """A string setting from the environment (stripped; empty means the default)."""
    return _env(name, default)


def env_float(name: str, default: float) -> float:
    """A number setting from the environment; an unreadable value falls back to the default."""
    try:
        return float(_env(name, str(default)))
    except ValueError:
        return default


def env_int(name: str, default: int) -> int:
    try:
        return int(float(_env(name, str(default))))
    except ValueError:
        return default


# The environment of an analysts' SQL worker process (queries.sandbox): the portal's settings, never a secret nor
# the database URL, and only the basics besides.
_WORKER_BASIC_VARS = {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV"}
_WORKER_SECRET_VARS = {"TERRITOIRE_ADMIN_SECRET", "TERRITOIRE_REUSES_DB_URL"}


def sql_worker_env() -> dict[str, str]:
    """TERRITOIRE_* settings except secrets, plus PATH, HOME, locale, TZ, TMPDIR, PYTHONPATH, VIRTUAL_ENV."""
    return {k: v for k, v in os.environ.items()
            if (k.startswith("TERRITOIRE_") and k not in _WORKER_SECRET_VARS) or k in _WORKER_BASIC_VARS
            or k.startswith("LC_")}


def database_url() -> str:
    """The portal's shared database (reuse gallery, usage statistics), a SQLAlchemy URL: TERRITOIRE_REUSES_DB_URL
    (PostgreSQL when several instances serve the portal) or SQLite `<private_dir>/reuses.sqlite`."""
    url = _env("TERRITOIRE_REUSES_DB_URL", "")
    return url or f"sqlite:///{get_settings().private_dir / 'reuses.sqlite'}"


def security_contact(value: str) -> str | None:
    """TERRITOIRE_SECURITY_CONTACT as a link: an e-mail address (→ `mailto:`), a `mailto:` or an `https://` URL;
    None when unset. Anything else is refused: a vulnerability report must reach someone."""
    value = value.strip()
    if not value:
        return None
    # Characters that could end a Markdown link or an HTML attribute never belong to the contact.
    clean = not any(c.isspace() or c in "<>()[]\"'`\\" for c in value)
    if clean and value.lower().startswith("https://") and "." in value[len("https://"):].split("/")[0]:
        return value
    address = value[len("mailto:"):] if value.lower().startswith("mailto:") else value
    local, _, domain = address.partition("@")
    if clean and local and "." in domain.strip(".") and not any(c in domain for c in "@,;:/?"):
        return "mailto:" + address
    raise ValueError(f"TERRITOIRE_SECURITY_CONTACT : « {value} » n'est ni une adresse électronique ni une URL https.")


def _admin_secret() -> str | None:
    """The moderation secret: environment first, then Streamlit secrets. Never stored in the repo."""
    secret = os.environ.get("TERRITOIRE_ADMIN_SECRET", "").strip()
    if secret:
        return secret
    try:
        import streamlit as st

        value = st.secrets.get("admin_secret")  # raises when no secrets file exists
    except Exception:  # noqa: BLE001 - no secrets.toml is a normal situation
        return None
    return str(value).strip() or None if value else None


# -- The territory -------------------------------------------------------------------------------------------------
TERRITORY_KINDS = ("departement", "epci")
ARTICLES = ("la", "le", "l'", "les", "")

# The dataset that plays each role in the indicators, maps and territory queries (role → dataset id). SQL files name
# roles (`{role:population}`), never datasets; a deployment maps them to its own datasets with TERRITOIRE_DATASETS_FILE.
DEFAULT_DATASETS: dict[str, str] = {
    "communes": "communes",  # commune referential (COG): code_insee, nom, type, codes_postaux
    "epci": "epci",  # EPCI referential: epci_siren, nom, type, nb_communes, nb_communes_hors_24
    "epci_communes": "epci-communes",  # EPCI membership: epci_siren, code_insee
    "commune_contours": "contours-communes",  # commune outlines: code_insee, nom, geometry, centroid_lon/lat
    "epci_contours": "contours-epci",  # EPCI outlines: epci_siren, nom, geometry, centroid_lon/lat
    "code_changes": "mouvements-communes",  # INSEE moves: com_av, com_ap, libelle_av, libelle_ap, date_eff, mod
    "census_history": "populations-legales-historique",  # old commune codes → COG commune
    "population": "population-communes",  # population municipale per commune and millésime
    "age_estimates": "estimations-population-age-sexe",  # département and France population by age band
    "social_aid": "aide-sociale-departementale",  # DREES social aid per département
    "colleges": "colleges",
    "colleges_results": "colleges-valeur-ajoutee",
    "ips_colleges": "ips-colleges",
    "ips_ecoles": "ips-ecoles",
    "museums": "musees-de-france",
    "museum_attendance": "musees-frequentation",
    "health": "etablissements-sante",
    "france_services": "france-services",
    "age_census": "population-age-communes",  # RP population per commune (and département), sex and 5-year band
    "caf_households": "allocataires-caf-communes",  # CAF households per commune, year and benefit (rounded to 5)
    "income_poverty": "revenus-pauvrete-communes",  # Filosofi per commune: median standard of living, poverty rate
    "gp_access": "apl-medecins-generalistes",  # DREES APL to general practitioners per commune and year
}


@dataclass(frozen=True)
class PlaceName:
    """A place name and its French article, to write « la Dordogne », « du Grand Périgueux », « en Dordogne »."""

    name: str
    article: str = ""  # "la" | "le" | "l'" | "les" | "" (no article: « Paris »)
    kind: str = "departement"  # « en Dordogne » for a département, « dans la Communauté… » otherwise

    def __str__(self) -> str:
        return self.name

    @property
    def with_article(self) -> str:
        """« la Dordogne », « le Nord », « l'Ain », « les Landes », « Paris »."""
        if self.article == "l'":
            return f"l'{self.name}"
        return f"{self.article} {self.name}" if self.article else self.name

    @property
    def of(self) -> str:
        """« de la Dordogne », « du Nord », « de l'Ain », « des Landes », « d'Angoulême », « de Paris »."""
        if self.article == "le":
            return f"du {self.name}"
        if self.article == "les":
            return f"des {self.name}"
        if self.article:
            return f"de {self.with_article}"
        return f"d'{self.name}" if _starts_with_vowel(self.name) else f"de {self.name}"

    @property
    def in_(self) -> str:
        """« en Dordogne » (feminine département), « dans le Nord », « dans l'Ain », « dans les Landes »."""
        if self.kind == "departement" and self.article == "la":
            return f"en {self.name}"
        return f"dans {self.with_article}" if self.article else f"à {self.name}"


def _starts_with_vowel(text: str) -> bool:
    return text[:1].lower() in "aeiouyàâäéèêëîïôöùûüh"


def capitalize(text: str) -> str:
    """First letter upper-case, the rest untouched (« la Dordogne » → « La Dordogne »)."""
    return text[:1].upper() + text[1:]


def _article(name: str, default: str) -> str:
    value = os.environ.get(name)
    article = default if value is None else value.strip().lower().replace("’", "'")
    if article not in ARTICLES:
        raise ValueError(f"{name} : article « {article} » inconnu (la, le, l', les ou vide).")
    return article


def _datasets(path: str) -> tuple[tuple[str, str], ...]:
    """The role → dataset id mapping: the defaults, overridden by the `[datasets]` table of a TOML file."""
    mapping = dict(DEFAULT_DATASETS)
    if path:
        with open(path, "rb") as fh:
            overrides = tomllib.load(fh).get("datasets", {})
        unknown = sorted(set(overrides) - set(DEFAULT_DATASETS))
        if unknown:
            raise ValueError(f"{path} : rôle(s) inconnu(s) {unknown} ; rôles : {sorted(DEFAULT_DATASETS)}.")
        mapping |= {role: str(ds_id) for role, ds_id in overrides.items()}
    return tuple(sorted(mapping.items()))


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one deployment of the portal."""

    root: Path
    data_dir: Path
    catalogue_dir: Path
    territory_kind: str  # "departement" | "epci"
    territory_code: str  # INSEE code of the département, or SIREN of the EPCI
    territory_name: str  # without its article: « Dordogne », « Grand Périgueux »
    territory_article: str
    departement_code: str  # the comparison département; "" = derived from the territory's communes
    departement_name: str
    departement_article: str
    datasets: tuple[tuple[str, str], ...]  # role → dataset id, sorted
    portal_name: str
    public_base_url: str
    port: int
    admin_secret: str | None
    duckdb_memory_limit: str
    duckdb_threads: int
    query_timeout_s: float
    max_rows: int
    sql_timeout_s: float
    sql_memory_limit: str
    sql_max_rows: int
    sql_max_memory: int  # address space (bytes) of the worker process running one analyst's query (RLIMIT_AS)
    sql_max_result_bytes: int
    sql_max_concurrent: int  # per app process
    keep_versions: int
    cache_ttl_s: int
    cache_max_bytes: int  # the one result cache (queries.cache), bounded in bytes
    export_timeout_s: float
    export_max_concurrent: int
    basemap_url: str | None
    security_contact: str | None = None  # where to report a vulnerability (mailto: or https:), shown in the footer
    # Explore API calls per minute per client (socket address, or the trusted proxies' header): 0 = no limit.
    api_rate_per_min: int = 600
    cluster_min_rows: int = 2_000_000  # from this many rows a version is sorted on its commune code and year

    @property
    def territory(self) -> PlaceName:
        return PlaceName(self.territory_name, self.territory_article, self.territory_kind)

    @property
    def departement(self) -> PlaceName:
        return PlaceName(self.departement_name, self.departement_article, "departement")

    @property
    def territory_params(self) -> dict[str, str]:
        """The territory as bound SQL parameters (`$territory_level`, `$territory_code`)."""
        return {"territory_level": self.territory_kind, "territory_code": self.territory_code}

    def dataset(self, role: str) -> str:
        """The dataset id playing a role (KeyError for an unknown role: a programming error)."""
        return dict(self.datasets)[role]

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def private_dir(self) -> Path:
        return self.data_dir / "private"

    @property
    def embedded_dir(self) -> Path:
        return self.root / "data"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings from the environment; tests call `get_settings.cache_clear()` after changing it."""
    data_dir = Path(_env("TERRITOIRE_DATA_DIR", str(ROOT / "var"))).resolve()
    kind = _env("TERRITOIRE_KIND", "departement")
    if kind not in TERRITORY_KINDS:
        raise ValueError(f"TERRITOIRE_KIND : « {kind} » inconnu ({', '.join(TERRITORY_KINDS)}).")
    code = _env("TERRITOIRE_CODE", "24")
    name = _env("TERRITOIRE_NAME", "Dordogne")
    article = _article("TERRITOIRE_ARTICLE", "la")
    is_dep = kind == "departement"
    return Settings(
        root=ROOT,
        data_dir=data_dir,
        catalogue_dir=Path(_env("TERRITOIRE_CATALOGUE_DIR", str(ROOT / "catalogue" / "datasets"))).resolve(),
        territory_kind=kind,
        territory_code=code,
        territory_name=name,
        territory_article=article,
        departement_code=_env("TERRITOIRE_DEPARTEMENT_CODE", code if is_dep else ""),
        departement_name=_env("TERRITOIRE_DEPARTEMENT_NAME", name if is_dep else ""),
        departement_article=_article("TERRITOIRE_DEPARTEMENT_ARTICLE", article if is_dep else ""),
        datasets=_datasets(_env("TERRITOIRE_DATASETS_FILE", "")),
        portal_name=_env("TERRITOIRE_PORTAL_NAME", "Territoire"),
        public_base_url=_env("TERRITOIRE_PUBLIC_URL", "http://127.0.0.1:8501").rstrip("/"),
        port=int(_env("TERRITOIRE_PORT", "8501")),
        admin_secret=_admin_secret(),
        duckdb_memory_limit=_env("TERRITOIRE_DUCKDB_MEMORY", "1GB"),
        duckdb_threads=int(_env("TERRITOIRE_DUCKDB_THREADS", "2")),
        query_timeout_s=float(_env("TERRITOIRE_QUERY_TIMEOUT", "10")),
        max_rows=int(_env("TERRITOIRE_MAX_ROWS", "10000")),
        sql_timeout_s=float(_env("TERRITOIRE_SQL_TIMEOUT", "5")),
        sql_memory_limit=_env("TERRITOIRE_SQL_MEMORY", "256MB"),
        sql_max_rows=int(_env("TERRITOIRE_SQL_MAX_ROWS", "5000")),
        sql_max_memory=env_int("TERRITOIRE_SQL_MAX_MEMORY", 1024**3),
        sql_max_result_bytes=env_int("TERRITOIRE_SQL_MAX_RESULT_BYTES", 4 * 1024**2),
        sql_max_concurrent=max(1, env_int("TERRITOIRE_SQL_MAX_CONCURRENT", 2)),
        keep_versions=int(_env("TERRITOIRE_KEEP_VERSIONS", "5")),
        cache_ttl_s=int(_env("TERRITOIRE_CACHE_TTL", "600")),
        cache_max_bytes=int(_env("TERRITOIRE_CACHE_MAX_BYTES", str(256 * 1024 * 1024))),
        export_timeout_s=float(_env("TERRITOIRE_EXPORT_TIMEOUT", "120")),
        export_max_concurrent=max(1, int(_env("TERRITOIRE_EXPORT_MAX_CONCURRENT", "2"))),
        basemap_url=os.environ.get("TERRITOIRE_BASEMAP_URL", "").strip() or None,
        security_contact=security_contact(_env("TERRITOIRE_SECURITY_CONTACT", "")),
        api_rate_per_min=max(0, env_int("TERRITOIRE_API_RATE", 600)),
        cluster_min_rows=max(0, env_int("TERRITOIRE_CLUSTER_MIN_ROWS", 2_000_000)),
    )
