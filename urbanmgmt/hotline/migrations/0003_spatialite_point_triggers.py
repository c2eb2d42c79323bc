"""SpatiaLite: hotline_hotlineticket.point without SpatiaLite's per-row triggers (why:
urbanmgmt/cases/invariants.py; urbanmgmt/hotline/invariants.py drops them again after every
`migrate`)."""

from django.db import migrations

from urbanmgmt.invariants import drop_spatialite_triggers, restore_spatialite_triggers


def forwards(apps, schema_editor):
    drop_spatialite_triggers(schema_editor.connection, "hotline_hotlineticket", "point")


def backwards(apps, schema_editor):
    restore_spatialite_triggers(schema_editor.connection, "hotline_hotlineticket", "point")


class Migration(migrations.Migration):
    dependencies = [("hotline", "0002_import_run_format"), ("cases", "0009_spatialite_point_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
