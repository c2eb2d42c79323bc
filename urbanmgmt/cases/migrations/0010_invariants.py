"""The database invariants of cases (urbanmgmt/cases/invariants.py), installed here and again
after every `migrate`."""

from django.db import migrations

from urbanmgmt.cases import invariants
from urbanmgmt.invariants import installing_operation


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_spatialite_point_triggers")]
    operations = [installing_operation(invariants.install, invariants.remove)]
