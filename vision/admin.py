from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from urbanmgmt.errors import DomainError
from vision import services
from vision.models import Camera, CandidateEvent, WorkerKey, Zone


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "active", "sample_fps", "reprojection_error_m")
    readonly_fields = ("homography", "reprojection_error_m")
    inlines = [ZoneInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.calibration:
            try:
                services.calibrate(obj)
            except DomainError as error:
                self.message_user(request, str(error), messages.ERROR)


@admin.register(WorkerKey)
class WorkerKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "active", "last_seen_at")
    filter_horizontal = ("cameras",)

    def save_model(self, request, obj, form, change):
        if not obj.key_hash:
            key = obj.new_key()
            self.message_user(request, _("The worker's key (shown once): %(key)s") % {"key": key}, messages.WARNING)
        super().save_model(request, obj, form, change)


@admin.register(CandidateEvent)
class CandidateEventAdmin(admin.ModelAdmin):
    list_display = ("id", "camera", "rule", "object_class", "last_seen_at", "score", "status", "outside_area", "case")
    list_filter = ("status", "rule", "camera", "outside_area")
    readonly_fields = [f.name for f in CandidateEvent._meta.fields]

    def has_add_permission(self, request):
        return False
