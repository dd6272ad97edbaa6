"""Backup of the reuse store: `python -m reuses export FILE.json`, `import FILE.json [--replace]`, `migrate`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import atomic
from reuses import store


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
    args = parser.parse_args(argv)

    if args.command == "export":
        data = store.export_backup()
        if args.without_emails:
            for row in data["reuses"]:
                row["email"] = ""
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
    else:
        store.get_engine()
        print("Schéma à jour.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
