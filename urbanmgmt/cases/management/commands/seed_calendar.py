from django.core.management.base import BaseCommand

from urbanmgmt.cases.calendar_seed import seed_calendar


class Command(BaseCommand):
    help = "Write the holidays and make-up working days known to chinese_calendar into the working calendar."

    def handle(self, *args, **options):
        self.stdout.write(f"{seed_calendar()} days written; days edited by hand were kept")
