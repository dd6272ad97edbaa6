"""Command line: `python -m loaders build|inspect|add|versions|restore` (plus subcommands from loaders.sources)."""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import warehouse
from catalogue.manifest import ManifestError, load_manifest_report, parse_spec, write_spec
from config import get_settings
from loaders import LoadError, publish
from loaders.detect.names import normalise_name
from loaders.pipeline import LoadResult, inspect_file, load_dataset


def _err(message: str) -> None:
    print(f"Erreur : {message}", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    """Load every manifest entry; one failure does not stop the others."""
    # A bad manifest file is reported and fails the command, but the other datasets are still loaded.
    specs, manifest_errors = load_manifest_report(include_generated=args.include_generated)
    for error in manifest_errors:
        _err(error.message)
    if args.only:
        specs = [s for s in specs if s.id in set(args.only)]
    sources = _sources_module()
    loaded = skipped = 0
    failed: list[str] = []
    remote: list[str] = []
    for spec in specs:
        try:
            if spec.source_file() is None:
                # remote sources belong to loaders.sources (HTTP); it plugs in through `build_remote`
                build_remote = getattr(sources, "build_remote", None) if sources else None
                if build_remote is None:
                    remote.append(spec.id)
                    continue
                result: LoadResult = build_remote(spec, force=args.force)
            else:
                result = load_dataset(spec, force=args.force)
        except LoadError as exc:
            failed.append(spec.id)
            print(f"ÉCHEC   {spec.id} : {exc}", file=sys.stderr)
            continue
        if result.skipped:
            skipped += 1
            print(f"inchangé {spec.id} (version {result.version}, {result.rows} lignes)")
        else:
            loaded += 1
            print(f"chargé  {spec.id} : {result.rows} lignes, version {result.version}")
            for w in result.warnings:
                print(f"        avertissement : {w}")
    print(f"Bilan : {loaded} chargé(s), {skipped} inchangé(s), {len(failed)} en échec"
          + (f", {len(remote)} source(s) distante(s) non traitée(s) ({', '.join(remote)})" if remote else "") + ".")
    if failed:
        print(f"Jeux en échec : {', '.join(failed)}", file=sys.stderr)
    if manifest_errors:
        print(f"Fichiers de manifeste invalides : {', '.join(e.file for e in manifest_errors)}", file=sys.stderr)
        return 2
    return 1 if failed else 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for key in ("sheet", "header_row", "records_path", "encoding", "delimiter", "layer"):
        value = getattr(args, key, None)
        if value is not None:
            opts[key] = value
    return opts


def cmd_inspect(args: argparse.Namespace) -> int:
    try:
        info = inspect_file(Path(args.path), _options(args))
    except LoadError as exc:
        _err(str(exc))
        return 1
    print(json.dumps(info, ensure_ascii=False))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Copy the file under data_dir/sources/<id>/, write its manifest entry, then load it."""
    src = Path(args.path)
    if not src.is_file():
        _err(f"fichier introuvable : {src}")
        return 1
    settings = get_settings()
    dataset_id = args.id or normalise_name(src.stem).replace("_", "-")
    dest_dir = settings.data_dir / "sources" / dataset_id
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    if src.resolve() != dest.resolve():
        shutil.copy2(src, dest)
    data: dict[str, Any] = {
        "id": dataset_id, "title": args.title or src.stem, "description": args.description or "",
        "publisher": args.publisher or "Non renseigné", "license": {"id": args.license},
        "source": {"path": str(dest.resolve()), **_options(args)},
    }
    if args.page:
        data["source"]["page"] = args.page
    try:
        spec = parse_spec(data, where=f"{dataset_id}.toml")
        inspect_file(dest, dict(spec.source.options))  # refuse to register a file that cannot be loaded
        path = write_spec(data)
        result = load_dataset(parse_spec(data, where=path.name, path=path), force=True)
    except (ManifestError, LoadError) as exc:
        _err(str(exc))
        return 1
    print(f"ajouté  {dataset_id} : {result.rows} lignes, version {result.version} (manifeste {path})")
    for w in result.warnings:
        print(f"        avertissement : {w}")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    versions = warehouse.list_versions(args.id)
    if not versions:
        _err(f"aucune version publiée pour « {args.id} ».")
        return 1
    for v in versions:
        mark = "*" if v["current"] else " "
        print(f"{mark} {v['version']}  {v['rows']} lignes  chargé le {v['loaded_at']}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        meta = publish.restore(args.id, args.version)
    except LoadError as exc:
        _err(str(exc))
        return 1
    print(f"restauré {args.id} : version {meta['version']} ({meta['rows']} lignes) servie de nouveau.")
    return 0


def _add_reader_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sheet", help="feuille d'un classeur (nom ou numéro à partir de 0)")
    p.add_argument("--header-row", type=int, dest="header_row", help="ligne d'en-tête (0 = première ligne)")
    p.add_argument("--records-path", dest="records_path", help="chemin des enregistrements JSON (a.b.c)")
    p.add_argument("--encoding", help="encodage imposé (sinon détecté)")
    p.add_argument("--delimiter", help="séparateur imposé (sinon détecté)")
    p.add_argument("--layer", help="couche d'un GeoPackage")


def _sources_module() -> Any:
    """`loaders.sources` when installed (HTTP sources, another module), else None."""
    try:
        return importlib.import_module("loaders.sources")
    except ModuleNotFoundError as exc:
        if exc.name in ("loaders.sources",):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loaders", description="Chargement des jeux de données.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="charger tous les jeux du manifeste (sources inchangées ignorées)")
    p.add_argument("--force", action="store_true", help="recharger même si la source n'a pas changé")
    p.add_argument("--only", nargs="*", help="identifiants à charger")
    p.add_argument("--include-generated", action="store_true", help="inclure les jeux générés (benchmarks)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("inspect", help="détecter format, encodage, séparateurs et types d'un fichier (JSON)")
    p.add_argument("path")
    _add_reader_options(p)
    p.set_defaults(func=cmd_inspect)
    p = sub.add_parser("add", help="enregistrer et charger un nouveau fichier")
    p.add_argument("path")
    p.add_argument("--id", help="identifiant (lettres minuscules, chiffres, tirets)")
    p.add_argument("--title")
    p.add_argument("--description")
    p.add_argument("--publisher")
    p.add_argument("--license", default="lov2")
    p.add_argument("--page", help="page de l'éditeur")
    _add_reader_options(p)
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("versions", help="versions publiées d'un jeu")
    p.add_argument("id")
    p.set_defaults(func=cmd_versions)
    p = sub.add_parser("restore", help="servir de nouveau une version conservée")
    p.add_argument("id")
    p.add_argument("version")
    p.set_defaults(func=cmd_restore)
    sources = _sources_module()
    register = getattr(sources, "register_subcommands", None) if sources else None
    if register is not None:
        register(sub)  # e.g. `harvest`, `refresh`: each sets its own `func(args) -> int`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except LoadError as exc:
        _err(str(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 - last resort: a publisher never sees a traceback, nothing is published
        _err(f"erreur interne pendant « {args.command} » ({type(exc).__name__} : {str(exc)[:300]}) ; rien n'a été "
             "publié. Signalez ce fichier aux administrateurs du portail.")
        return 2
