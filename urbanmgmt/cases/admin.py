"""Cases are read in the admin, never changed there: changes go through services.py."""

from django.contrib import admin

from urbanmgmt.admin_utils import GEOMETRY_AS_TEXT, InLanguageFilter, ReadOnlyAdmin
from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia, CaseSequence, WorkDay


class CaseEventInline(ReadOnlyAdmin, admin.TabularInline):
    model = CaseEvent
    fields = ["at", "actor", "actor_role", "action", "from_state", "to_state", "reason", "version"]
    readonly_fields = fields
    extra = 0


class CaseMediaInline(ReadOnlyAdmin, admin.TabularInline):
    model = CaseMedia
    fields = ["kind", "file", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "channel", "state", "category", "department", "grid", "reported_at", "due_at"]
    list_filter = ["state", "channel", ("department", InLanguageFilter), "district", "street"]
    search_fields = ["code", "description", "address", "external_ref"]
    list_select_related = ["category", "department", "grid"]
    date_hierarchy = "reported_at"
    inlines = [CaseEventInline, CaseMediaInline]
    formfield_overrides = GEOMETRY_AS_TEXT


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["case", "at", "actor", "action", "from_state", "to_state"]
    list_filter = ["action"]
    search_fields = ["case__code"]
    list_select_related = ["case", "actor"]


@admin.register(CaseMedia)
class CaseMediaAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["case", "kind", "file", "sha256", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["case__code", "sha256"]
    list_select_related = ["case", "uploaded_by"]


@admin.register(CaseSequence)
class CaseSequenceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["year", "last"]


@admin.register(WorkDay)
class WorkDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        obj.source = "manual"  # an edited day is kept when the calendar is seeded again
        super().save_model(request, obj, form, change)
