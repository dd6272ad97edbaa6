"""`python -m catalogue dcat|ttl|rdf|csv|json`: print the whole catalogue (e.g. `> catalogue.jsonld` to publish it)."""

from __future__ import annotations

import argparse
import sys

from exports import catalogue as exports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalogue", description="Exporte le catalogue du portail.")
    parser.add_argument("format", choices=["dcat", "ttl", "rdf", "csv", "json"],
                        help="dcat : DCAT-AP en JSON-LD ; ttl : DCAT-AP en Turtle ; rdf : DCAT-AP en RDF/XML ; "
                             "csv : séparateur « ; », UTF-8 avec BOM ; json : liste d'objets")
    args = parser.parse_args(argv)
    files = exports.catalogue_files()
    data = files["jsonld" if args.format == "dcat" else args.format]
    sys.stdout.buffer.write(data)
    if not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
