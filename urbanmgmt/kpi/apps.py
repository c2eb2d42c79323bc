from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "urbanmgmt.kpi"
    verbose_name = _("Targets and indicators")
