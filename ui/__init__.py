"""Shared UI pieces used by several pages (header, footer, links, formatting)."""
