"""Reuse store commands: `python -m reuses export FILE.json`, `import FILE.json [--replace]`, `migrate`,
`fetch-images` (copy the external images recorded before the server fetched them)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import atomic
from reuses import service, store
from reuses.images import ImageError


def _write_private(path: Path, payload: str) -> None:
    """Atomic write readable by the owner only: the backup holds the submitters' e-mails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, payload, mode=0o600)  # the backup holds e-mail addresses: owner only


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reuses", description="Sauvegarde des réutilisations.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_export = sub.add_parser("export", help="écrit toute la base (e-mails compris) dans un fichier JSON")
    p_export.add_argument("file", type=Path)
    p_export.add_argument("--without-emails", action="store_true", help="vide les e-mails (copie à partager)")
    p_import = sub.add_parser("import", help="recharge un fichier produit par « export »")
    p_import.add_argument("file", type=Path)
    p_import.add_argument("--replace", action="store_true", help="remplace le contenu actuel au lieu de fusionner")
    sub.add_parser("migrate", help="met le schéma à jour")
    sub.add_parser("fetch-images", help="copie les images externes pas encore copiées (réutilisations anciennes)")
    args = parser.parse_args(argv)

    if args.command == "export":
        data = store.export_backup()
        if args.without_emails:
            for row in data["reuses"]:
                row["email"] = ""
                row["reference_key"] = ""  # a shared copy must not let anyone match a submitter's reference
        _write_private(args.file, json.dumps(data, ensure_ascii=False, indent=1))
        print(f"{len(data['reuses'])} réutilisation(s) exportée(s) dans {args.file}")
    elif args.command == "import":
        try:
            data = json.loads(args.file.read_text(encoding="utf-8"))
            added = store.import_backup(data, replace=args.replace)
        except (OSError, ValueError, KeyError) as exc:
            print(f"Import impossible : {exc}", file=sys.stderr)
            return 1
        print("Import terminé : " + ", ".join(f"{k} +{v}" for k, v in added.items()))
    elif args.command == "fetch-images":
        return _fetch_images()
    else:
        store.get_engine()
        print("Schéma à jour.")
    return 0


def _fetch_images() -> int:
    """Pages show only stored thumbnails: copy each external image once, through the outgoing HTTP policy."""
    failed = 0
    todo = store.images_to_copy()
    for reuse_id, url in todo:
        try:
            data, mime = service.fetch_image(url)
        except ImageError as exc:
            failed += 1
            print(f"{reuse_id} : {exc}", file=sys.stderr)
            continue
        store.set_image(reuse_id, data, mime)
    print(f"{len(todo) - failed} image(s) copiée(s), {failed} échec(s).")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
