from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from urbanmgmt.catalog.loader import load_catalog


class Command(BaseCommand):
    help = "Load (or update) the category catalogue from its JSON fixture."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path,
                            default=settings.FIXTURES_DIR / "catalog" / "categories.json")

    def handle(self, *args, **options):
        majors, minors = load_catalog(options["file"])
        self.stdout.write(f"catalogue: {majors} major classes, {minors} categories")
