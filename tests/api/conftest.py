"""What the API tests share: Opendatasoft's OpenAPI description of Explore v2.1, kept in the repo (the contract the
API follows), and the JSON Schema of one of its answers."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from tests.conftest import ROOT

SPEC_PATH = ROOT / "api" / "spec" / "openapi.json"
API = "/api/explore/v2.1"


@functools.cache
def _spec_text() -> str:
    return SPEC_PATH.read_text("utf-8")


def load_spec() -> dict[str, Any]:
    """A fresh copy of the official description (callers may edit it, e.g. its `servers`)."""
    return json.loads(_spec_text())


def _nullable(schema: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` → JSON Schema's type list (the spec's own examples have null descriptions)."""
    if isinstance(schema, dict):
        out = {k: _nullable(v) for k, v in schema.items() if k != "nullable"}
        if schema.get("nullable") and "type" in schema:
            out["type"] = [schema["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema


def spec_schema(path: str, status: str = "200") -> dict[str, Any]:
    """The JSON Schema the spec gives the answer of GET `path` with this status (components inlined for $ref)."""
    spec = load_spec()
    answer = spec["paths"][path]["get"]["responses"][status]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    schema = next(iter(answer["content"].values()))["schema"]
    return {**_nullable(copy.deepcopy(schema)), "components": _nullable(spec["components"])}
