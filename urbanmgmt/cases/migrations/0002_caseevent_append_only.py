"""Case history append-only: its triggers are installed by urbanmgmt.cases.invariants, which
migration 0010 runs and every later `migrate` runs again (a table rebuild drops them).

This migration installed them once, and 0003 and 0007 lifted and installed them again around
their table rebuilds; they call these functions still, which do nothing now.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    pass


backwards = forwards


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
