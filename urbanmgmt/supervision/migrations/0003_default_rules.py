"""The default rules, as data (fixtures/supervision/rules.json)."""

from django.db import migrations

from urbanmgmt.supervision.loader import load_rules


def load(apps, schema_editor):
    load_rules(model=apps.get_model("supervision", "SupervisionRule"))


class Migration(migrations.Migration):
    dependencies = [("supervision", "0002_invariants")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
