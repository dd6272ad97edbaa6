"""Fixtures of the reuse tests (defined in helpers.py so the page and browser tests can import them too)."""

from tests.reuses.helpers import reuse_env  # noqa: F401
