from django.contrib import admin

from urbanmgmt.supervision.models import Delivery, Notice, NoticeEvent, SupervisionRule


@admin.register(SupervisionRule)
class SupervisionRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "hours", "threshold", "level", "active"]
    list_filter = ["kind", "level", "active"]


class ReadOnly(admin.ModelAdmin):
    """Notices change through supervision/services.py only; their history never."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ["pk", "subject", "department", "level", "state", "answer_due_at", "raised_at", "rule"]
    list_filter = ["state", "level", "subject", "rule"]


@admin.register(NoticeEvent)
class NoticeEventAdmin(ReadOnly):
    list_display = ["notice", "at", "action", "level", "actor"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["notification", "channel", "address", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel"]
