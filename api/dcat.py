"""DCAT-AP catalogue of the portal over HTTP (JSON-LD, Turtle, RDF/XML), paged with Hydra."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
