"""manage.py sweep_media [--older-than-hours 24] [--dry-run]: delete stored evidence files
that no row names (urbanmgmt/storage/sweep.py); from cron, daily."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from urbanmgmt.errors import DomainError
from urbanmgmt.storage import sweep


class Command(BaseCommand):
    help = "Delete evidence files that no case or candidate names, older than a grace period."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=float, default=24.0,
                            help="only files stored at least this long ago (default 24: far longer than a request)")
        parser.add_argument("--dry-run", action="store_true", help="list them, delete nothing")

    def handle(self, *args, **options):
        grace = dt.timedelta(hours=options["older_than_hours"])
        try:
            names = list(sweep.orphans(grace)) if options["dry_run"] else sweep.sweep(grace)
        except DomainError as error:
            raise CommandError(str(error)) from error
        for name in names:
            self.stdout.write(name)
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"{verb} {len(names)} orphan file(s)")
