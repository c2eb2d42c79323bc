from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from urbanmgmt.kpi.models import AnnualQuota, Campaign, EvaluationScheme
from urbanmgmt.kpi.templatetags.kpi_format import percent


@admin.register(AnnualQuota)
class AnnualQuotaAdmin(admin.ModelAdmin):
    list_display = ["year", "area", "collection_total", "valid_rate_shown", "campaigns"]
    list_filter = ["year"]

    @admin.display(description=_("valid-report rate at least"), ordering="valid_rate")
    def valid_rate_shown(self, quota) -> str:
        """As the dashboard shows it (97.0%), not as stored (0.970)."""
        return percent(quota.valid_rate)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "area", "target_count"]
    filter_horizontal = ["categories"]


@admin.register(EvaluationScheme)
class EvaluationSchemeAdmin(admin.ModelAdmin):
    list_display = ["version", "name", "valid_from"]
