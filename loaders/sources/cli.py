"""Command-line subcommands for remote sources: harvest ods|datagouv, refresh, add-url, sources."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from catalogue import vocab

EX_TEMPFAIL = 75  # another refresh holds the lock: cron may simply try again later


def _print_outcomes(outcomes: list[Any]) -> int:
    for outcome in outcomes:
        print(outcome.line())
    failed = sum(1 for o in outcomes if o.status == "failed")
    if outcomes:
        print(f"{len(outcomes)} source(s) : {failed} en échec.")
    return 1 if failed else 0


def _friendly(func: Any) -> Any:
    """Expected faults end with a French message and exit code 1, not a traceback."""
    def run(args: argparse.Namespace) -> int:
        from loaders import http
        from loaders.sources import datagouv, ods, state

        try:
            return int(func(args))
        except state.RefreshBusy as exc:
            print(str(exc), file=sys.stderr)
            return EX_TEMPFAIL
        except (http.HttpError, ods.OdsError, datagouv.DatagouvError, ValueError) as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return 1
    return run


def cmd_harvest_ods(args: argparse.Namespace) -> int:
    from loaders.sources.refresh import harvest_ods

    return _print_outcomes(harvest_ods(
        args.portal, args.dataset or None, as_id=args.id, where=args.where, refine=args.refine or None,
        select=args.select, catalogue_where=args.catalogue_where, catalogue_refine=args.catalogue_refine or None,
        limit=args.limit, load=not args.no_load))


def cmd_harvest_datagouv(args: argparse.Namespace) -> int:
    from loaders.sources.refresh import harvest_datagouv

    if not args.ids and not (args.search or args.organization or args.tag):
        raise ValueError("indiquez un identifiant/slug de jeu, ou --search / --organization / --tag.")
    return _print_outcomes(harvest_datagouv(
        args.ids, resource_ids=args.resource or None, as_id=args.id, q=args.search, organization=args.organization,
        tags=args.tag or None, limit=args.limit, base=args.api, load=not args.no_load))


def cmd_add_url(args: argparse.Namespace) -> int:
    from loaders.sources.refresh import add_url

    options = {k: getattr(args, k) for k in ("sheet", "delimiter", "encoding", "zip_member") if getattr(args, k, None)}
    outcome = add_url(args.url, args.id, load=not args.no_load, title=args.title, publisher=args.publisher,
                      license_id=args.license, frequency=args.frequency, description=args.description or "",
                      page=args.page, themes=args.theme or None, keywords=args.keyword or None, options=options)
    return _print_outcomes([outcome])


def cmd_refresh(args: argparse.Namespace) -> int:
    from loaders.sources.refresh import refresh_all

    outcomes = refresh_all(args.id or None, force=args.force, due_only=args.due,
                           progress=lambda o: print(o.line(), flush=True))
    failed = sum(1 for o in outcomes if o.status == "failed")
    print(f"{len(outcomes)} source(s) : {failed} en échec.")
    return 1 if failed else 0


def cmd_sources(args: argparse.Namespace) -> int:
    from loaders.sources.state import sources_status

    rows = sources_status()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(f"{r['id']:<40} {r['kind']:<9} {r['status']:<7} succès {r['last_success'] or '—'}  "
              f"prochain {r['next_refresh'] or '—'}  {('erreur : ' + r['last_error']) if r['last_error'] else ''}")
    return 0


def _add_url_arguments(p: argparse.ArgumentParser, *, url_help: str) -> None:
    p.add_argument("url", help=url_help)
    p.add_argument("--id", required=True, help="identifiant du jeu dans le catalogue ([a-z0-9-])")
    p.add_argument("--title")
    p.add_argument("--publisher")
    p.add_argument("--license", default="notspecified", choices=sorted(vocab.LICENSES), help="identifiant udata")
    p.add_argument("--frequency", default="unknown", help="fréquence udata (annual, monthly...)")
    p.add_argument("--description")
    p.add_argument("--page", help="page web du producteur")
    p.add_argument("--theme", action="append", choices=sorted(vocab.TOPICS))
    p.add_argument("--keyword", action="append")
    p.add_argument("--sheet", help="feuille d'un classeur")
    p.add_argument("--delimiter")
    p.add_argument("--encoding")
    p.add_argument("--zip-member", help="fichier à charger dans une archive ZIP")
    p.add_argument("--no-load", action="store_true", help="écrire le manifeste sans charger les données")
    p.set_defaults(func=_friendly(cmd_add_url))


def _extend_core_add(parser: argparse.ArgumentParser) -> None:
    """Let the core `add PATH` also take an http(s) URL: URLs come here, paths keep the core behaviour."""
    core_func = parser.get_default("func")
    if core_func is None or getattr(core_func, "_territoire_url_aware", False):
        return

    def add_path_or_url(args: argparse.Namespace) -> int:
        from loaders.sources.url import is_url

        path = str(getattr(args, "path", ""))
        if not is_url(path):
            return int(core_func(args))
        from loaders.sources.ods import make_id
        from loaders.sources.refresh import add_url

        dataset_id = args.id or make_id(path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0], prefix="")
        options = {k: getattr(args, k, None) for k in ("sheet", "header_row", "records_path", "encoding",
                                                       "delimiter", "layer")}
        outcome = add_url(path, dataset_id, title=args.title, publisher=args.publisher,
                          license_id=args.license or "notspecified", description=args.description or "",
                          page=args.page, options={k: v for k, v in options.items() if v is not None})
        return _print_outcomes([outcome])

    add_path_or_url._territoire_url_aware = True  # type: ignore[attr-defined]
    parser.set_defaults(func=_friendly(add_path_or_url))
    for action in parser._actions:  # noqa: SLF001 - reword the positional's help only
        if action.dest == "path":
            action.help = "chemin d'un fichier local, ou adresse http(s) d'un fichier distant"


def register(subparsers: Any) -> None:
    """Add our subcommands to the core CLI's subparsers (each sets `func(args) -> int`)."""
    harvest = subparsers.add_parser("harvest", help="moissonner un portail Opendatasoft ou data.gouv.fr")
    hsub = harvest.add_subparsers(dest="harvest_kind", required=True)

    p = hsub.add_parser("ods", help="portail Opendatasoft (API Explore v2.1)")
    p.add_argument("portal", help="adresse du portail, ex. https://data.example.fr")
    p.add_argument("--dataset", action="append", help="identifiant de jeu sur le portail (répétable) ; "
                   "sans --dataset, tout le catalogue")
    p.add_argument("--id", help="identifiant local (un seul --dataset) ; défaut ods-<dataset>")
    p.add_argument("--where", help="filtre ODSQL des enregistrements exportés")
    p.add_argument("--refine", action="append", help="facette:valeur des enregistrements exportés (répétable)")
    p.add_argument("--select", help="colonnes exportées (ODSQL select)")
    p.add_argument("--catalogue-where", help="filtre ODSQL du catalogue (choix des jeux)")
    p.add_argument("--catalogue-refine", action="append", help="facette:valeur du catalogue, ex. publisher:...")
    p.add_argument("--limit", type=int, help="nombre maximal de jeux moissonnés depuis le catalogue")
    p.add_argument("--no-load", action="store_true", help="écrire les manifestes sans charger les données")
    p.set_defaults(func=_friendly(cmd_harvest_ods))

    p = hsub.add_parser("datagouv", help="jeux de data.gouv.fr (API v1)")
    p.add_argument("ids", nargs="*", help="identifiant(s) ou slug(s) de jeu")
    p.add_argument("--resource", action="append", help="identifiant de ressource (répétable) ; "
                   "défaut : la ressource principale au meilleur format")
    p.add_argument("--id", help="identifiant local ; défaut dg-<slug>")
    p.add_argument("--search", help="recherche plein texte (q)")
    p.add_argument("--organization", help="identifiant d'organisation")
    p.add_argument("--tag", action="append")
    p.add_argument("--limit", type=int, default=20, help="nombre maximal de jeux trouvés par la recherche")
    p.add_argument("--api", help="racine de l'API (défaut https://www.data.gouv.fr/api/1)")
    p.add_argument("--no-load", action="store_true")
    p.set_defaults(func=_friendly(cmd_harvest_datagouv))

    p = subparsers.add_parser("refresh", help="mettre à jour les sources distantes (requêtes conditionnelles)")
    p.add_argument("--id", action="append", help="seulement ce jeu (répétable)")
    p.add_argument("--force", action="store_true", help="retélécharger même si la source paraît inchangée")
    p.add_argument("--due", action="store_true", help="seulement les sources dont la date de passage est échue")
    p.set_defaults(func=_friendly(cmd_refresh))

    p = subparsers.add_parser("add-url", help="ajouter un fichier distant (CSV, XLSX, GeoJSON, Parquet, ZIP)")
    _add_url_arguments(p, url_help="adresse http(s) du fichier")
    core_add = getattr(subparsers, "choices", {}).get("add")
    if core_add is None:
        # `python -m loaders.sources`: no core `add`, so `add URL` is ours.
        p = subparsers.add_parser("add", help="ajouter un fichier distant par son adresse")
        _add_url_arguments(p, url_help="adresse http(s) du fichier")
    else:
        _extend_core_add(core_add)

    p = subparsers.add_parser("sources", help="état des sources distantes (dernier succès, erreur, prochain passage)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_friendly(cmd_sources))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="python -m loaders.sources", description="Sources distantes du portail.")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))
