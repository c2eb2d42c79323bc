"""The database invariants of kpi (urbanmgmt/kpi/invariants.py), installed here and again
after every `migrate`."""

from django.db import migrations

from urbanmgmt.kpi import invariants
from urbanmgmt.invariants import installing_operation


class Migration(migrations.Migration):
    dependencies = [("kpi", "0006_dirty_day_triggers")]
    operations = [installing_operation(invariants.install, invariants.remove)]
