from django.contrib import admin

from urbanmgmt.hotline.models import Bureau, ClassifierVersion, HotlineTicket, ImportRun, Open311Client, Place, TicketDecision


@admin.register(HotlineTicket)
class HotlineTicketAdmin(admin.ModelAdmin):
    list_display = ("external_id", "source", "received_at", "request_type", "state", "category", "case", "satisfaction")
    list_filter = ("source", "state", "request_type", "needs_review", "satisfaction")
    search_fields = ("external_id", "title", "address")
    raw_id_fields = ("case", "grid", "category", "department", "bureau")
    readonly_fields = ("case", "link_reason", "owns_case", "raw", "imported_at", "updated_at")


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    raw_id_fields = ("parent",)


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "created_at")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("source", "filename", "started_at", "finished_at", "done", "total")
    readonly_fields = ("summary", "rejects", "error")


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "description", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "keywords")


@admin.register(TicketDecision)
class TicketDecisionAdmin(admin.ModelAdmin):
    list_display = ("decided_at", "kind", "in_scope", "category", "bureau", "department", "decided_by")
    list_filter = ("kind", "in_scope")
    raw_id_fields = ("ticket", "category", "bureau", "department", "decided_by")


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "trained_at", "examples", "held_out")
    exclude = ("weights",)
    readonly_fields = ("version", "trained_at", "examples", "held_out", "decisions_seen", "evaluation")
