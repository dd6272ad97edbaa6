"""Functions run in child processes by the concurrency tests (importable by multiprocessing's spawn)."""

from __future__ import annotations

import os


def _point_at(data_dir: str, catalogue_dir: str) -> None:
    os.environ["TERRITOIRE_DATA_DIR"] = data_dir
    os.environ["TERRITOIRE_CATALOGUE_DIR"] = catalogue_dir
    os.environ["TERRITOIRE_REUSES_RATE_LIMIT"] = "100000"
    import config

    config.get_settings.cache_clear()


def submit_many(data_dir: str, catalogue_dir: str, worker: str, count: int) -> list[str]:
    """Submit `count` distinct reuses as one process; returns the ids the store acknowledged."""
    _point_at(data_dir, catalogue_dir)
    from reuses import store
    from reuses.validation import ReuseInput, validate

    ids = []
    for i in range(count):
        draft = validate(ReuseInput(
            title=f"Réutilisation {worker} {i}", description="Une description suffisamment longue pour passer.",
            type="application", topic="health", url=f"https://exemple.fr/{worker}/{i}", author_name=f"Auteur {worker}",
            email=f"{worker}-{i}@exemple.fr", datasets=["ecoles", "colleges"]), None)
        ids.append(store.submit(draft, client_key=f"{worker}-{i}"))
    return ids


def crash_during_commit(data_dir: str, catalogue_dir: str) -> None:
    """Die (os._exit, no cleanup) after the reuse row is inserted but before the transaction commits."""
    _point_at(data_dir, catalogue_dir)
    from reuses import store
    from reuses.validation import ReuseInput, validate

    def die(*_args: object) -> None:
        os._exit(3)

    draft = validate(ReuseInput(
        title="Jamais enregistrée", description="Cette proposition ne doit pas apparaître à moitié.",
        type="idea", topic="health", url="https://exemple.fr/crash", author_name="Crash",
        email="crash@exemple.fr", datasets=["ecoles"]), None)
    store._insert_links = die  # type: ignore[assignment]
    store.submit(draft, client_key="crash")
