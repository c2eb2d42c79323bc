"""Admin helpers shared by the apps."""

from django import forms
from django.contrib import admin
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


def shown(obj) -> str:
    """What the admin shows for a related object: a department's or a catalogue or register
    entry's name in the page's language (their `__str__` is the Chinese register name)."""
    return getattr(obj, "shown_name", None) or getattr(obj, "name", None) or str(obj)


def shown_column(name: str, label):
    """A list column of a related object (`name`) by its name in the page's language (`shown`),
    ordered by it as the field's own column would be."""
    def column(obj) -> str:
        related = getattr(obj, name)
        return shown(related) if related is not None else "—"
    column.short_description = label
    column.admin_order_field = name
    return column


class InLanguageFilter(admin.RelatedFieldListFilter):
    """A filter on a related field whose choices read in the page's language (`shown`)."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        objects = field.related_model._default_manager.all()
        return [(obj.pk, shown(obj)) for obj in (objects.order_by(*ordering) if ordering else objects)]


class InLanguageChoices:
    """A model admin whose forms offer related objects by their names in the page's language
    (`shown`), as its lists and filters show them."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "label_from_instance"):
            field.label_from_instance = shown
        return field

