from django.core.management.base import BaseCommand

from demo.city import load_demo


class Command(BaseCommand):
    help = "Load the demo city (Haizhou grids, catalogue, departments, calendar, one account per role)."

    def handle(self, *args, **options):
        accounts = load_demo(log=self.stdout.write)
        self.stdout.write("\nDemo accounts (user / role / password):")
        for username, role, password in accounts:
            self.stdout.write(f"  {username:<12} {role:<11} {password}")
