"""Remote sources (Opendatasoft, data.gouv.fr, file URLs): harvest, refresh and their CLI subcommands."""

from __future__ import annotations

import argparse
from typing import Any


def register_subcommands(subparsers: argparse._SubParsersAction[Any]) -> None:  # noqa: SLF001 - argparse's own type
    """Hook called by `python -m loaders`: adds harvest, refresh, add-url and sources (and `add URL` if free)."""
    from loaders.sources.cli import register

    register(subparsers)


__all__ = ["register_subcommands"]
