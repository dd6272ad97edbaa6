"""The Explore API's OpenAPI description, served with this portal's base URL."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
