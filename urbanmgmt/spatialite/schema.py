"""GeoDjango's SpatiaLite schema editor, mended for the two ways a table rebuild (what SQLite
does for most ALTERs) fails on this project's tables.

- The rebuild renames its new table into place. Since SQLite 3.26 a rename checks every
  trigger of the schema, and the history's DELETE trigger on cases_caseevent names
  cases_case, dropped a moment before: "error in trigger caseevent_no_delete: no such table".
  SQLite's own procedure for such ALTERs (lang_altertable.html, "Making Other Kinds Of Table
  Schema Changes") renames with `legacy_alter_table` on, which leaves other tables' triggers
  as they are; once the rename is done they name the right table again.
- The old table is deleted through `remove_geometry_metadata`, which drops the column's R*Tree
  table `idx_<table>_<column>` whether or not the field has one: a model with
  `spatial_index=False` (hotline tickets and places) could not be altered at all.
"""

from django.contrib.gis.db.backends.spatialite.schema import SpatialiteSchemaEditor


class SchemaEditor(SpatialiteSchemaEditor):
    sql_drop_spatial_index = "DROP TABLE IF EXISTS idx_%(table)s_%(column)s"

    def _remake_table(self, model, create_field=None, delete_field=None, alter_fields=None):
        self.execute("PRAGMA legacy_alter_table = ON")
        try:
            super()._remake_table(model, create_field=create_field, delete_field=delete_field,
                                  alter_fields=alter_fields)
        finally:
            self.execute("PRAGMA legacy_alter_table = OFF")
