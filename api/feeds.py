"""Atom feeds of new and updated datasets, for the catalogue and per dataset."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
