"""Train a new version of the 12345 classifier on intake's decisions and show its figures."""

from django.core.management.base import BaseCommand

from urbanmgmt.hotline.training import train


class Command(BaseCommand):
    help = "Train the 12345 ticket classifier (scope, category, department) on intake's decisions."

    def handle(self, *args, **options):
        version = train(log=self.stdout.write)
        if version is None:
            self.stderr.write("Another process stored the same version meanwhile; run it again.")
