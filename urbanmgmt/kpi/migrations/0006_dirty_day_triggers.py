"""The dirty-day triggers: installed by urbanmgmt.kpi.invariants, which migration 0007 runs and
every later `migrate` runs again (a table rebuild drops them). This migration installed them
once; it does nothing now."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("kpi", "0005_day_figures"),
        ("cases", "0008_case_handling_minutes"),
        ("hotline", "0001_initial"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
