"""The database backend the settings name for the embedded database: GeoDjango's SpatiaLite
backend with the schema editor of schema.py."""

from django.contrib.gis.db.backends.spatialite.base import DatabaseWrapper as SpatialiteWrapper

from urbanmgmt.spatialite.schema import SchemaEditor


class DatabaseWrapper(SpatialiteWrapper):
    SchemaEditorClass = SchemaEditor
