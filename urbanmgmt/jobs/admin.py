from django.contrib import admin

from urbanmgmt.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "key", "state", "attempts", "done", "total", "started_by", "created_at", "finished_at"]
    list_filter = ["state", "kind"]
    search_fields = ["key", "error"]
    readonly_fields = [field.name for field in Job._meta.fields]
