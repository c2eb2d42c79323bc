import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from urbanmgmt.errors import DomainError
from urbanmgmt.hotline.importer import Importer
from urbanmgmt.hotline.mapping import load_mapping
from urbanmgmt.hotline.readers import read


class Command(BaseCommand):
    help = "Import 12345 tickets from a CSV, XLSX or JSON file (idempotent by source and ticket number)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--mapping", help="YAML or JSON file naming the columns of this source system")
        parser.add_argument("--source", help="the source system (default: the mapping's, else HOTLINE_DEFAULT_SOURCE)")
        parser.add_argument("--user", default="admin", help="the intake account the import acts as")
        parser.add_argument("--rejects", help="where to write the refused rows (default: FILE.rejects.csv)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            mapping = load_mapping(options["mapping"])
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no account {options['user']}: name an intake account with --user")
            source = mapping.source_of(options["source"])
            notes, started, terminal = [], time.monotonic(), sys.stderr.isatty()
            size = path.stat().st_size

            with path.open("rb") as stream:
                def progress(done: int) -> None:
                    share = stream.tell() / size if size else 1.0
                    width, rate = 30, done / max(1e-6, time.monotonic() - started)
                    bar = f"[{'#' * int(width * share):.<{width}}] {done:,} rows, {rate:,.0f}/s"
                    sys.stderr.write(f"\r{bar}" if terminal else f"{bar}\n")
                    sys.stderr.flush()

                summary = Importer(user, source, mapping).run(read(stream, path.name, mapping, notes), progress)
            sys.stderr.write("\n")
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        summary.notes += notes
        for key, value in summary.as_dict().items():
            self.stdout.write(f"{key}: {value}")
        if summary.rejected:
            target = Path(options["rejects"] or f"{path}.rejects.csv")
            target.write_text(summary.rejects_csv(), encoding="utf-8")
            self.stdout.write(f"refused rows with their line numbers and reasons: {target}")
