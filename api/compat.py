"""Old Opendatasoft portal URLs (/explore/dataset/...) redirected to this portal's pages and exports."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
