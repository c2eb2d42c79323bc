import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from urbanmgmt.grids.importer import FIELDS, import_grids


class Command(BaseCommand):
    help = (
        "Import unit grids from a GeoPackage, Shapefile or GeoJSON file. Refuses the whole file "
        "when it has invalid polygons, overlaps, gaps, duplicate codes or broken nesting."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--layer", help="layer name inside a GeoPackage")
        parser.add_argument("--srid", type=int, help="CRS of the file when it names none")
        parser.add_argument(
            "--map", action="append", default=[], metavar="FIELD=COLUMN",
            help=f"which column holds each of our fields ({', '.join(FIELDS)}); repeatable",
        )
        parser.add_argument("--mapping", type=Path, help="a JSON file {field: column}")
        parser.add_argument("--dry-run", action="store_true", help="validate and report only")
        parser.add_argument("--report", type=Path, help="also write the report as JSON here")

    def handle(self, *args, **options):
        mapping = {}
        if options["mapping"]:
            mapping.update(json.loads(options["mapping"].read_text(encoding="utf-8")))
        for item in options["map"]:
            ours, _, theirs = item.partition("=")
            if ours not in FIELDS or not theirs:
                raise CommandError(f"--map takes FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
            mapping[ours] = theirs
        report = import_grids(options["file"], mapping, options["layer"], options["srid"], options["dry_run"])
        for line in report.lines():
            self.stdout.write(line)
        if options["report"]:
            options["report"].write_text(
                json.dumps({"rows": report.rows, "errors": report.errors, "warnings": report.warnings,
                            "created": report.created, "updated": report.updated}, ensure_ascii=False, indent=1),
                encoding="utf-8",
            )
        if not report.ok:
            raise CommandError(f"import refused: {len(report.errors)} error(s); nothing was written")
