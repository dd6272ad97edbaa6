"""Conformance of the Explore API to Opendatasoft's official OpenAPI description (api/spec/openapi.json), checked by
schemathesis against the live server over real sockets: every path and operation of the description, with requests
generated from it (seeded and derandomized, a fixed number per operation), each answer checked for no 5xx, its status
code among those the description lists, its content type and its body against the described schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import API, load_spec
from tests.conftest import LiveServer

MAX_EXAMPLES = 20
SEED = 20261207
# Datasets with a point geometry, a shape geometry and none: the path parameter the description leaves free is drawn
# among real ids (an unknown id is a 404, a status the description does not list for any operation).
DATASETS = ["colleges", "contours-epci", "communes"]
RECORD_IDS = ["0", "1", "7"]
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"]


def _described(base_url: str) -> dict[str, Any]:
    """The official description with its `servers` replaced by the live server, and its free path parameters
    (`dataset_id`, `record_id`) drawn from ids this portal publishes."""
    spec = load_spec()
    spec["servers"] = [{"url": base_url + API}]
    parameters = spec["components"]["parameters"]
    parameters["dataset_id"]["schema"] = {"type": "string", "enum": DATASETS}
    parameters["record_id"]["schema"] = {"type": "string", "enum": RECORD_IDS}
    return spec


def _config(mode: str, checks: list[str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"mode": mode, "max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True,
                       "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
        "request-timeout": 60,
    })


# The live server's URL is known only once its fixture runs: the schemas are built with a placeholder and each call is
# sent to the live server by `base_url` (the description's `servers` replaced, as schemathesis' CLI does with --url).
# schemathesis.pytest.from_fixture, made for this, fails under pytest 9 ('Function' object has no attribute '_nodeid').
PLACEHOLDER = "http://127.0.0.1:9"
POSITIVE = schemathesis.openapi.from_dict(_described(PLACEHOLDER), config=_config("positive", CHECKS))
# Invalid input may be a 404 (a dataset or record id outside the values above), a status no operation of the
# description lists, so status_code_conformance is left out of this mode only; the other checks hold for every answer
# (a status the description does not list has no schema to match).
NEGATIVE = schemathesis.openapi.from_dict(_described(PLACEHOLDER), config=_config("negative", [
    "not_a_server_error", "content_type_conformance", "response_schema_conformance"]))


@POSITIVE.parametrize()
def test_valid_requests_conform(case: Any, live_server: LiveServer) -> None:
    case.call_and_validate(base_url=live_server.url + API)


@NEGATIVE.parametrize()
def test_invalid_requests_are_refused_without_a_server_error(case: Any, live_server: LiveServer) -> None:
    case.call_and_validate(base_url=live_server.url + API)
