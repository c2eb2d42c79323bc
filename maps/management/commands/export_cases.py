"""manage.py export_cases OUT [--format gpkg|shp|geojson|csv] [--layer cases|grids] [--keep-for USER] [filters]"""

import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from maps.exports import FORMATS, export
from urbanmgmt.errors import DomainError
from urbanmgmt.org.roles import ADMIN


class Command(BaseCommand):
    help = ("Export cases (or grids with their case counts) as GeoPackage, zipped Shapefile, GeoJSON or CSV, "
            "with the dispatch map's filters.")

    def add_arguments(self, parser):
        parser.add_argument("out", help="the file to write (with --keep-for: its name in the media store)")
        parser.add_argument("--keep-for", metavar="USERNAME",
                            help="keep it in the media store (the S3 bucket if configured) for this person")
        parser.add_argument("--format", choices=list(FORMATS), help="default: from the file's suffix")
        parser.add_argument("--layer", choices=["cases", "grids"], default="cases")
        parser.add_argument("--state", help="states, comma-separated (default: the open ones)")
        parser.add_argument("--all", action="store_true", help="every case, open or not")
        parser.add_argument("--channel", help="inspector, video, hotline, other (comma-separated)")
        parser.add_argument("--category", help="service codes, comma-separated")
        parser.add_argument("--department", help="department code")
        parser.add_argument("--street", help="street code")
        parser.add_argument("--reported-after", help="ISO 8601 date or time")
        parser.add_argument("--reported-before", help="ISO 8601 date or time")
        parser.add_argument("--overdue", action="store_true", help="only overdue cases: open, not suspended, late")

    def handle(self, *args, **options):
        out = Path(options["out"])
        fmt = options["format"] or _format_of(out)
        params = QueryDict(mutable=True)
        for name in ("state", "channel", "category", "department", "street", "reported_after", "reported_before"):
            if options[name]:
                params[name] = options[name]
        if options["all"]:
            params["open"] = "all"
        if options["overdue"]:
            params["overdue"] = "true"
        # Run as a superuser would see it: the command is for the city's own staff.
        everyone = get_user_model()(username="export_cases", is_superuser=True)
        everyone._urbanmgmt_roles = frozenset({ADMIN})
        try:
            path, _suffix = export(everyone, params, options["layer"], fmt)
        except DomainError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(f"bad filter: {error.detail}") from error
        try:
            if options["keep_for"]:
                out = _keep(options["keep_for"], path, out.name)
            else:
                shutil.move(path, out)
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        self.stdout.write(f"{out}: {options['layer']} as {fmt}")


def _keep(username: str, path: Path, filename: str) -> str:
    """The export in the media store, for `username` only (/media/ serves it to them)."""
    from urbanmgmt.storage import exports

    try:
        owner = get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"no user {username}") from None
    try:
        return exports.keep(owner, path, filename)
    except DomainError as error:
        raise CommandError(str(error)) from error


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for fmt, (suffix, _type) in FORMATS.items():
        if name.endswith(suffix) or name.endswith("." + fmt):
            return fmt
    raise CommandError(f"cannot tell the format from {path.name}: give --format ({', '.join(FORMATS)})")

