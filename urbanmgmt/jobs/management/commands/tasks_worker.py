from django.core.management.base import BaseCommand

from urbanmgmt.jobs.worker import work


class Command(BaseCommand):
    help = ("Run background work (12345 imports, KPI day storage, …) from the configured queue: the "
            "database by default, Redis with REDIS_URL. Start as many as the machine allows.")

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--interval", type=float, default=0.5,
                            help="seconds between looks at an empty database queue (default 0.5)")

    def handle(self, *args, **options):
        work(burst=options["burst"], interval=options["interval"], verbosity=options["verbosity"])
