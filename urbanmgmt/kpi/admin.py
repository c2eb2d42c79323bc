from django.contrib import admin

from urbanmgmt.kpi.models import AnnualQuota, Campaign, EvaluationScheme


@admin.register(AnnualQuota)
class AnnualQuotaAdmin(admin.ModelAdmin):
    list_display = ["year", "area", "collection_total", "valid_rate", "campaigns"]
    list_filter = ["year"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "area", "target_count"]
    filter_horizontal = ["categories"]


@admin.register(EvaluationScheme)
class EvaluationSchemeAdmin(admin.ModelAdmin):
    list_display = ["version", "name", "valid_from"]
