"""The supervision history's invariants (urbanmgmt/supervision/invariants.py), installed here
and again after every `migrate`."""

from django.db import migrations

from urbanmgmt.invariants import installing_operation
from urbanmgmt.supervision import invariants


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [installing_operation(invariants.install, invariants.remove)]
