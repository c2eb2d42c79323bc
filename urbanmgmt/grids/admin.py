from django.contrib import admin

from urbanmgmt.admin_utils import GEOMETRY_AS_TEXT
from urbanmgmt.grids.models import Area, GridLayerVersion, UnitGrid
from urbanmgmt.grids.services import invalidate_grid_index


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    formfield_overrides = GEOMETRY_AS_TEXT
    raw_id_fields = ["parent"]


@admin.register(UnitGrid)
class UnitGridAdmin(admin.ModelAdmin):
    list_display = ["code", "community", "street", "district", "area_m2"]
    list_filter = ["district", "street"]
    search_fields = ["code", "community__name", "street__name"]
    list_select_related = ["community", "street", "district"]
    raw_id_fields = ["community", "street", "district"]
    formfield_overrides = GEOMETRY_AS_TEXT

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        GridLayerVersion.bump()
        invalidate_grid_index()


@admin.register(GridLayerVersion)
class GridLayerVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "changed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
