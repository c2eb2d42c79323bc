"""SpatiaLite: cases_case.point without the per-row triggers SpatiaLite gives a geometry column
(why: urbanmgmt/cases/invariants.py, which drops them again after every `migrate`, since
Django's rebuild of a SQLite table brings them back through RecoverGeometryColumn). PostGIS
keeps its typed geometry(Point, 4326) column: nothing changes there.
"""

from django.db import migrations

from urbanmgmt.invariants import drop_spatialite_triggers, restore_spatialite_triggers


def forwards(apps, schema_editor):
    drop_spatialite_triggers(schema_editor.connection, "cases_case", "point")


def backwards(apps, schema_editor):
    restore_spatialite_triggers(schema_editor.connection, "cases_case", "point")


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_case_handling_minutes")]
    operations = [migrations.RunPython(forwards, backwards)]
