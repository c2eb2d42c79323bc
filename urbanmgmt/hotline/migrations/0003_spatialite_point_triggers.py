"""SpatiaLite: hotline_hotlineticket.point without SpatiaLite's per-row triggers (why: cases'
0009, whose functions this uses). A migration that rebuilds the ticket table on SQLite must
drop them again (tests/hotline/test_geometry_triggers.py fails if not)."""

import importlib

from django.db import migrations

_cases = importlib.import_module("urbanmgmt.cases.migrations.0009_spatialite_point_triggers")


def forwards(apps, schema_editor):
    _cases.drop_triggers(schema_editor.connection, "hotline_hotlineticket", "point")


def backwards(apps, schema_editor):
    _cases.restore_triggers(schema_editor.connection, "hotline_hotlineticket", "point")


class Migration(migrations.Migration):
    dependencies = [("hotline", "0002_import_run_format"), ("cases", "0009_spatialite_point_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
