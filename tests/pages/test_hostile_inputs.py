"""Hostile links (AppTest): every query parameter of every page, fed by hypothesis with SQL fragments, huge and
negative numbers, NaN/inf, unicode tricks, path traversal, HTML/JS payloads and 100 kB strings.

Each render must end without an uncaught exception (tests run with TERRITOIRE_STRICT=1, so the router's French
last-resort message re-raises instead of hiding a bug), draw the page, never emit a payload as raw HTML, and never
let a payload reach the one executor (`queries.Warehouse`) as SQL text: values are bound parameters only.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import config
import queries
from indicators.state import MAP_LAYERS
from queries import sandbox
from queries.dataset import state
from tests.conftest import open_page

# -- payloads ---------------------------------------------------------------------------------------------------------
SQL = ["' OR 1=1 --", "\"; DROP TABLE catalogue; --", "$1", "?", "1; SELECT * FROM read_text('/etc/passwd')",
       "') UNION SELECT current_setting('allowed_directories') --", "{role:population}", "${territory_code}",
       "colleges' --", "%' OR '%'='"]
NUMBERS = ["-1", "0", "-0", "99999999999999999999999999", "-99999999999999999999", "1e308", "1e309", "NaN", "nan",
           "inf", "-inf", "Infinity", "0x7fffffff", "9223372036854775808", "1.5", "١٢٣", "2e-400"]
UNICODE = ["\u202egnp.exe", "a\u200bb\u200c\u200d\ufeff", "x\x00y", "e\u0301\u0301\u0301\u0301\u0301",
           "\u0441\u043e\u043b\u043b\u0435\u0433\u0435\u0455", "ＣＯＬＬＥＧＥＳ", "\U0001f4a9" * 50, "\ud7ff\ue000\uffff",
           "line\nbreak\r\n", "tab\tvalue", "\x1b[31mred"]
PATHS = ["../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "..%2f..%2fetc%2fpasswd", "/etc/passwd", "file:///etc/passwd",
         "....//....//etc/passwd", "C:\\Windows\\win.ini", "var/private/stats.sqlite"]
HTML = ["<script>alert('xss')</script>", "<img src=x onerror=alert(1)>", "javascript:alert(document.cookie)",
        "\"><svg onload=alert(1)>", "[clic](javascript:alert(1))", "<iframe src=//evil.example>",
        "<style>*{display:none}</style>", "**gras** _it_ `code` # titre", ":red[rouge] :material/home:"]
LONG = ["A" * 100_000, "<script>" * 12_500, "é" * 50_000, "' OR 1=1 --" * 9_000]
PAYLOADS = SQL + NUMBERS + UNICODE + PATHS + HTML + LONG

# A few catalogue/dataset words, so that some examples also reach the deeper branches with real values.
REAL = ["colleges", "population", "informations", "tableau", "graphique", "carte", "export", "api", "commune",
        "epci", "departement", "pertinence", "titre", "recent", "1", "2", "20", "45.1", "0.7", "9"]

hostile = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=60),  # anything hypothesis thinks of (no surrogates: they cannot travel in a URL)
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.tuples(st.sampled_from(REAL), st.sampled_from(PAYLOADS)).map("".join),
)

# Hypothesis warns when it prints a 100 kB example; these payloads are long on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

DATASET_ID = "colleges"  # points with coordinates, categories and commune codes: every tab of the page applies


@dataclass
class Recorder:
    """Every statement that reaches the executor during one render, with its bound parameters."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list, repr=False)
    sandbox_ops: list[str] = field(default_factory=list)  # requests sent to /sql's worker processes ("query", "tables")
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, sql: str, params: Mapping[str, Any] | None) -> None:
        with self.lock:
            self.calls.append((sql, dict(params or {})))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Observe the one executor: `Warehouse.execute` (every query) and `Warehouse.stream` (exports)."""
    rec = Recorder()
    execute, stream = queries.Warehouse.execute, queries.Warehouse.stream

    def observed_execute(self: queries.Warehouse, sql: str, params: Mapping[str, Any] | None = None,
                         **kwargs: Any) -> queries.Result:
        rec.add(sql, params)
        return execute(self, sql, params, **kwargs)

    def observed_stream(self: queries.Warehouse, sql: str, params: Mapping[str, Any] | None = None,
                        **kwargs: Any) -> Iterator[Any]:
        rec.add(sql, params)
        return stream(self, sql, params, **kwargs)

    run_in_worker = sandbox.run_in_worker

    def observed_worker(request: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with rec.lock:
            rec.sandbox_ops.append(str(request.get("op")))
        return run_in_worker(request, *args, **kwargs)

    monkeypatch.setattr(queries.Warehouse, "execute", observed_execute)
    monkeypatch.setattr(queries.Warehouse, "stream", observed_stream)
    monkeypatch.setattr(sandbox, "run_in_worker", observed_worker)
    return rec


# What would do something if a browser received it as HTML: a tag, an event handler, a javascript: URL.
ACTIVE_HTML = re.compile(r"<[a-z!/?]|\bon[a-z]+\s*=|javascript:", re.IGNORECASE)


def _nodes(at: Any) -> Iterator[Any]:
    yield from at._tree  # noqa: SLF001 - the element tree is the only complete view of what a run drew


def literals(values: Sequence[str]) -> list[str]:
    """The payloads distinctive enough to be recognised inside SQL text (short ones like `1` or `?` occur in any
    statement; they are still sent, only not searched for)."""
    out = []
    for value in values:
        text = value.strip()
        if len(text) >= 6 and not text.isdigit():
            out.append(text)
    return out


def allowed_identifiers() -> frozenset[str]:
    """A published dataset id or a column name of the dataset under test: allow-listed identifiers, which may
    legitimately appear in SQL text."""
    return frozenset(queries.published_ids()) | frozenset(_columns())


def check_render(at: Any, sent: Mapping[str, str | list[str]], rec: Recorder, *, sql_is_user_input: bool = False,
                 identifiers: frozenset[str] | None = None) -> None:
    """The checks every hostile render must pass."""
    assert not at.exception, [e.value for e in at.exception]
    protos = [node.proto for node in _nodes(at) if getattr(node, "proto", None) is not None]
    # The page drew something of its own: at least a heading or a message, not just the router's frame.
    assert at.title or at.warning or at.error or at.info, "the page drew nothing"
    values = [v for vals in sent.values() for v in ([vals] if isinstance(vals, str) else vals)]
    # 1. Never rendered as HTML: no raw-HTML element or unsafe markdown holds a payload, no link targets javascript:.
    for proto in protos:
        kind = type(proto).__name__
        if kind == "Markdown" and proto.allow_html or kind == "Html":
            for value in values:
                if ACTIVE_HTML.search(value):
                    assert value not in proto.body, (kind, value[:80])
        for attr in ("url", "page"):
            target = getattr(proto, attr, None)
            if kind in ("LinkButton", "PageLink") and isinstance(target, str):
                assert not target.strip().lower().startswith("javascript:"), target
    # 2. Never SQL text: the values only travel as bound parameters.
    if not sql_is_user_input:
        with rec.lock:
            statements = [sql for sql, _ in rec.calls]
        identifiers = allowed_identifiers() if identifiers is None else identifiers
        for literal in literals([v for v in values if v.strip() not in identifiers]):
            for sql in statements:
                assert literal not in sql, (literal[:80], sql[:400])


def render(page_file: str, params: dict[str, str | list[str]], rec: Recorder) -> Any:
    rec.calls.clear()
    rec.sandbox_ops.clear()
    return open_page(page_file, params)


HYPOTHESIS = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                             HealthCheck.data_too_large])


def optional_params(keys: Sequence[str], value: st.SearchStrategy[str] = hostile) -> st.SearchStrategy[dict[str, str]]:
    """Any subset of the page's parameters, each with a hostile value (at least one parameter)."""
    return st.fixed_dictionaries({}, optional={k: value for k in keys}).filter(bool)


# -- one test per page: the parameters it reads ---------------------------------------------------------------------
CATALOGUE_KEYS = ["q", "tri", "page", "theme", "producteur", "mot_cle", "licence", "granularite", "contenu", "annee"]
INDICATOR_KEYS = ["niveau", "code", "indicateur"]
MAP_KEYS = ["indicateur", "niveau", "couches", "commune", "lat", "lon", "zoom"]
GALLERY_KEYS = ["q", "type", "topic", "dataset", "sort", "page"]


@settings(HYPOTHESIS, max_examples=6)
@given(params=optional_params(["q", "id", "page", "embed", "sql"]))
def test_home_ignores_any_parameter(portal: Path, recorder: Recorder, params: dict[str, str]) -> None:
    check_render(render("pages/home.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=15)
@given(params=optional_params(CATALOGUE_KEYS))
def test_catalogue_survives_hostile_links(portal: Path, recorder: Recorder, params: dict[str, str]) -> None:
    check_render(render("pages/catalogue.py", params, recorder), params, recorder)


@HYPOTHESIS
@given(params=optional_params(INDICATOR_KEYS))
def test_indicators_survive_hostile_links(portal: Path, recorder: Recorder, params: dict[str, str]) -> None:
    check_render(render("pages/indicators.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=12)
@given(params=optional_params(MAP_KEYS, st.one_of(hostile, st.sampled_from(MAP_LAYERS))))
def test_map_survives_hostile_links(portal: Path, recorder: Recorder, params: dict[str, str]) -> None:
    check_render(render("pages/map.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=12)
@given(params=optional_params(GALLERY_KEYS))
def test_reuse_gallery_survives_hostile_links(portal: Path, recorder: Recorder, params: dict[str, str]) -> None:
    check_render(render("pages/reuses.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=8)
@given(value=hostile)
def test_reuse_page_survives_hostile_ids(portal: Path, recorder: Recorder, value: str) -> None:
    params = {"id": value}
    check_render(render("pages/reuse.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=8)
@given(value=hostile)
def test_reuse_form_survives_hostile_dataset(portal: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch,
                                            value: str) -> None:
    # Moderation configured: the whole form is drawn (without a secret the page only says submissions are closed).
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", "hostile-inputs-moderation-secret")
    config.get_settings.cache_clear()
    params = {"dataset": value}
    at = render("pages/reuse_submit.py", params, recorder)
    check_render(at, params, recorder)
    assert at.text_input, "the submission form was not drawn"


@settings(HYPOTHESIS, max_examples=8)
@given(value=hostile)
def test_sql_page_survives_hostile_links(portal: Path, recorder: Recorder, value: str) -> None:
    """`?sql=` is SQL by definition (the analysts' sandbox runs it once « Exécuter » is pressed): the page must never
    fail nor emit HTML, and a query arriving in a link is shown, not run."""
    params = {"sql": value}
    check_render(render("pages/sql.py", params, recorder), params, recorder, sql_is_user_input=True)
    assert "query" not in recorder.sandbox_ops, recorder.sandbox_ops


@settings(HYPOTHESIS, max_examples=4)
@given(params=optional_params(["id", "q", "where", "select", "dataset"]))
def test_api_page_ignores_any_parameter(portal: Path, recorder: Recorder, params: dict[str, str]) -> None:
    check_render(render("pages/api_docs.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=4)
@given(params=optional_params(["q", "page", "id", "sql"]))
def test_admin_login_ignores_any_parameter(portal: Path, recorder: Recorder, params: dict[str, str]) -> None:
    check_render(render("pages/admin.py", params, recorder), params, recorder)


@settings(HYPOTHESIS, max_examples=6)
@given(keys=st.lists(st.sampled_from([p for p in PAYLOADS if len(p) < 200]), min_size=1, max_size=3, unique=True),
       value=hostile, page_file=st.sampled_from(["pages/catalogue.py", "pages/dataset.py", "pages/map.py"]))
def test_unknown_parameter_names_are_harmless(portal: Path, recorder: Recorder, keys: list[str], value: str,
                                              page_file: str) -> None:
    """Parameter names are hostile too: the catalogue keeps foreign keys in its links (Streamlit's `embed`)."""
    params: dict[str, str] = dict.fromkeys(keys, value)
    if page_file == "pages/dataset.py":
        params["id"] = DATASET_ID
    check_render(render(page_file, params, recorder), {**params, "keys": keys}, recorder)


# -- the dataset page: a valid id, every other parameter hostile; then hostile ids --------------------------------
def _columns() -> list[str]:
    return [c["name"] for c in queries.dataset_meta(DATASET_ID)["columns"]]


@st.composite
def dataset_params(draw: st.DrawFn) -> dict[str, str | list[str]]:
    columns = _columns()
    column = st.one_of(st.sampled_from(columns), hostile)
    # Each parameter gets a valid value or a hostile one, so hostile values also reach the deeper branches (a real
    # chart with a hostile series, a real map mode with a hostile viewport…).
    valid: dict[str, st.SearchStrategy[str]] = {
        "q": st.sampled_from(["college", "Périgueux", "public"]),
        "sort": st.sampled_from(columns + ["-" + c for c in columns]),
        "page": st.integers(min_value=1, max_value=3).map(str),
        "size": st.sampled_from([str(s) for s in state.PAGE_SIZES]),
        "chart": st.sampled_from(list(state.CHART_TYPES)),
        "x": st.sampled_from(columns), "y": st.sampled_from(columns), "series": st.sampled_from(columns),
        "agg": st.sampled_from(list(state.AGGS)), "magg": st.sampled_from(list(state.AGGS)),
        "map": st.sampled_from(list(state.MAP_MODES)), "mcol": st.sampled_from(columns),
        "lat": st.floats(-90, 90).map(lambda v: f"{v:.4f}"), "lon": st.floats(-180, 180).map(lambda v: f"{v:.4f}"),
        "zoom": st.floats(0, 22).map(lambda v: f"{v:.1f}"), "embed": st.just("true"),
    }
    params: dict[str, str | list[str]] = {"id": DATASET_ID}
    # Mostly a real tab, so the hostile values reach each tab's own code.
    params["tab"] = draw(st.one_of(st.sampled_from(list(state.TABS)), hostile))
    choice = {k: st.one_of(v, hostile) for k, v in valid.items()}
    for key, value in draw(st.fixed_dictionaries({}, optional=choice)).items():
        params[key] = value
    n_filters = draw(st.integers(min_value=0, max_value=3))
    ops = st.one_of(st.sampled_from(list(state.OPS)), hostile)
    params_f = [f"{draw(column)}:{draw(ops)}:{draw(hostile)}" for _ in range(n_filters)]
    if params_f:
        params["f"] = params_f
    return params


def _dataset_payloads(params: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    """What the visitor typed: each filter's value (its column is allow-listed, so a real column name may be SQL)."""
    out: dict[str, str | list[str]] = {k: v for k, v in params.items() if k not in ("id", "f")}
    out["f"] = [f.split(":", 2)[2] for f in params.get("f", [])]
    return out


@settings(HYPOTHESIS, max_examples=60)
@given(params=dataset_params())
def test_dataset_page_survives_hostile_links(portal: Path, recorder: Recorder, params: dict[str, Any]) -> None:
    at = render("pages/dataset.py", params, recorder)
    check_render(at, _dataset_payloads(params), recorder)


@settings(HYPOTHESIS, max_examples=10)
@given(value=hostile, tab=st.sampled_from(list(state.TABS)))
def test_dataset_page_survives_hostile_ids(portal: Path, recorder: Recorder, value: str, tab: str) -> None:
    params = {"id": value, "tab": tab}
    at = render("pages/dataset.py", params, recorder)
    check_render(at, params, recorder)


# -- the French message a visitor sees -----------------------------------------------------------------------------
FRENCH_MESSAGES = [
    ("pages/dataset.py", {"id": "../../etc/passwd"}, "Identifiant de jeu de données invalide"),
    ("pages/dataset.py", {"id": "nexistepas"}, "Jeu de données introuvable"),
    ("pages/dataset.py", {"id": DATASET_ID, "tab": "tableau", "page": "-1"}, "numéro de page « -1 » invalide"),
    ("pages/dataset.py", {"id": DATASET_ID, "tab": "tableau", "f": "' OR 1=1 --:eq:x"}, "colonne inconnue"),
    ("pages/dataset.py", {"id": DATASET_ID, "tab": "tableau", "q": "A" * 100_000}, "la recherche est trop longue"),
    ("pages/dataset.py", {"id": DATASET_ID, "tab": "carte", "lat": "NaN"}, "paramètre de carte « lat » invalide"),
    ("pages/catalogue.py", {"q": "A" * 100_000}, "La recherche a été raccourcie"),
    ("pages/catalogue.py", {"page": "99999999999999999999"}, "Numéro de page invalide"),
    ("pages/catalogue.py", {"theme": "<script>alert(1)</script>"}, "n'est pas une valeur connue"),
    ("pages/reuse.py", {"id": "<img src=x onerror=alert(1)>"}, "Cette réutilisation n'existe pas"),
    ("pages/sql.py", {"sql": "' OR 1=1 --" * 9_000}, "trop longue"),
]


def _messages(at: Any) -> str:
    """The alerts' text, Markdown escapes removed (`\\-1` is how a page writes « -1 » safely)."""
    return "\n".join(str(m.value) for kind in (at.warning, at.error, at.info) for m in kind).replace("\\", "")


@pytest.mark.parametrize(("page_file", "params", "message"), FRENCH_MESSAGES,
                         ids=[f"{p.split('/')[-1]}-{next(iter(q.values()))[:12]}" for p, q, _ in FRENCH_MESSAGES])
def test_hostile_link_gets_a_french_message(portal: Path, recorder: Recorder, page_file: str, params: dict[str, str],
                                            message: str) -> None:
    at = render(page_file, params, recorder)
    check_render(at, params, recorder, sql_is_user_input=page_file == "pages/sql.py")
    assert message in _messages(at), _messages(at)[:500]


def test_the_checks_fail_on_a_pasted_value_and_on_raw_html() -> None:
    """The two checks can fail: a value pasted into SQL text, a payload sent as raw HTML."""
    from streamlit.proto.Html_pb2 import Html

    class Drawn:  # what check_render reads of an AppTest: its tree, exceptions and alerts
        exception: list[Any] = []
        title = ["Titre"]
        warning = error = info = []

        def __init__(self, body: str) -> None:
            node = type("Node", (), {"proto": Html(body=body)})()
            self._tree = [node]

    payload = "' OR 1=1 --"
    pasted = Recorder()
    pasted.add(f"SELECT * FROM catalogue WHERE title = '{payload}'", {})
    with pytest.raises(AssertionError):
        check_render(Drawn("<p>ok</p>"), {"q": payload}, pasted, identifiers=frozenset())
    script = "<script>alert(1)</script>"
    with pytest.raises(AssertionError):
        check_render(Drawn(f"<p>{script}</p>"), {"q": script}, Recorder(), identifiers=frozenset())
    check_render(Drawn("<p>&lt;script&gt;</p>"), {"q": script}, Recorder(), identifiers=frozenset())


def test_the_recorder_sees_the_sandbox_run_when_the_button_is_pressed(portal: Path, recorder: Recorder) -> None:
    """The « not run from a link » check above can fail: pressing « Exécuter » does reach a worker."""
    at = render("pages/sql.py", {"sql": "SELECT 1 AS un"}, recorder)
    assert "query" not in recorder.sandbox_ops
    at.button(key="sql_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "query" in recorder.sandbox_ops, recorder.sandbox_ops


def test_the_recorder_sees_bound_values(portal: Path, recorder: Recorder) -> None:
    """The SQL check above is only worth something if the executor is really observed: a search reaches it, with
    the visitor's text in the parameters and not in the statement."""
    needle = "zzqxhostile"
    at = render("pages/dataset.py", {"id": DATASET_ID, "tab": "tableau", "q": needle}, recorder)
    assert not at.exception
    assert recorder.calls, "no statement reached Warehouse.execute"
    assert any(needle in json.dumps(params, default=str) for _, params in recorder.calls)
    assert all(needle not in sql for sql, _ in recorder.calls)
