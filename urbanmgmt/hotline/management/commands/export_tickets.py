import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from urbanmgmt.errors import DomainError
from urbanmgmt.hotline.export import FORMATS, tickets_of, write_results
from urbanmgmt.hotline.mapping import Mapping, load_mapping
from urbanmgmt.hotline.models import ImportRun


class Command(BaseCommand):
    help = ("Export the results of a source system's 12345 tickets (reply, reply time, satisfaction, resolved, case "
            "code and state) back in that system's format: its rows with the result columns, CSV in its encoding, "
            "XLSX or JSON.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write; the format follows its extension (.csv, .xlsx, .json)")
        parser.add_argument("--source", required=True, help="the source system (as the import named it)")
        parser.add_argument("--mapping", help="the source's mapping file (default: the one of its last import)")
        parser.add_argument("--encoding", help="CSV encoding (default: the mapping's, else the last import's file's)")
        parser.add_argument("--since", help="only tickets received on or after this day (YYYY-MM-DD)")
        parser.add_argument("--until", help="only tickets received before this day (YYYY-MM-DD)")
        parser.add_argument("--public", action="store_true",
                            help="for the public (an open-data portal): no caller's or unknown column, free text "
                                 "with personal data redacted (fixtures/hotline/redaction.json)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(f"{path}: name a .csv, .xlsx or .json file")
        last = ImportRun.objects.filter(source=options["source"], error="").order_by("-started_at").first()
        try:
            mapping = load_mapping(options["mapping"]) if options["mapping"] or last is None else None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        if mapping is None:
            mapping = Mapping(last.mapping)
        encoding = options["encoding"] or (last.encoding if last else "")
        tickets = tickets_of(options["source"], _day(options["since"]), _day(options["until"]))
        if not tickets.exists():
            raise CommandError(f"no tickets of source {options['source']!r} in that period")
        try:
            with path.open("wb") as out:
                count = write_results(tickets, mapping, fmt, out, encoding=encoding, public=options["public"])
        except LookupError:
            raise CommandError(f"unknown encoding {encoding!r}") from None
        self.stdout.write(f"{count} tickets of {options['source']} written to {path}")


def _day(text: str | None):
    if not text:
        return None
    try:
        return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(text), dt.time()))
    except ValueError:
        raise CommandError(f"not a day: {text!r} (YYYY-MM-DD)") from None
