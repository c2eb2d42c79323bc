from django.contrib import admin

from urbanmgmt.admin_utils import ReadOnlyAdmin
from urbanmgmt.supervision.models import Delivery, Notice, NoticeEvent, SupervisionRule


@admin.register(SupervisionRule)
class SupervisionRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "hours", "threshold", "level", "active"]
    list_filter = ["kind", "level", "active"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["pk", "subject", "department", "level", "state", "answer_due_at", "raised_at", "rule"]
    list_filter = ["state", "level", "subject", "rule"]


@admin.register(NoticeEvent)
class NoticeEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["notice", "at", "action", "level", "actor"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["notification", "channel", "address", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel"]
