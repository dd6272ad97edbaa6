"""Remote sources (Opendatasoft, data.gouv.fr, file URLs): harvest, refresh and their CLI subcommands."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import warehouse

if TYPE_CHECKING:
    from catalogue.manifest import DatasetSpec
    from loaders.pipeline import LoadResult


def register_subcommands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Hook called by `python -m loaders`: adds harvest, refresh, add-url, sources, and URLs to `add`."""
    from loaders.sources.cli import register

    register(subparsers)


def build_remote(spec: DatasetSpec, *, force: bool = False) -> LoadResult:
    """Hook called by `python -m loaders build` for a remote manifest entry: one refresh of that source.

    Raises LoadError (French) when the source fails; the last good version stays served either way.
    """
    from loaders import LoadError
    from loaders.pipeline import LoadResult
    from loaders.sources import state
    from loaders.sources.refresh import refresh_source

    try:
        with state.refresh_lock():  # shares private/downloads with `refresh`: never run both at once
            outcome = refresh_source(spec, force=force)
    except state.RefreshBusy as exc:
        raise LoadError(f"« {spec.id} » : {exc}") from exc
    if outcome.status == "failed":
        raise LoadError(f"« {spec.id} » : {outcome.message}")
    meta = warehouse.current_meta(spec.id) or {}
    warnings = [outcome.warning] if outcome.warning else []
    return LoadResult(spec.id, meta.get("version"), int(meta.get("rows") or 0), outcome.status != "updated",
                      warnings, meta or None)


__all__ = ["build_remote", "register_subcommands"]
