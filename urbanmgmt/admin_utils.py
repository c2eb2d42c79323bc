"""Admin helpers shared by the apps."""

from django import forms
from django.contrib.gis.db import models as gis_models

# GeoDjango's map widgets load OpenLayers and OSM tiles from the internet; the city network
# is offline, so geometry is edited as WKT / GeoJSON text.
GEOMETRY_AS_TEXT = {
    gis_models.PointField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})},
    gis_models.PolygonField: {"widget": forms.Textarea(attrs={"rows": 4, "cols": 80})},
    gis_models.MultiPolygonField: {"widget": forms.Textarea(attrs={"rows": 4, "cols": 80})},
}


class ReadOnlyAdmin:
    """A model read in the admin, never added, changed or deleted there: its rows change
    through the app's services, which keep their history (a case's events, a ticket's
    decisions) and their rules; the admin would go round both."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
