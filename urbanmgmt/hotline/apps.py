from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "urbanmgmt.hotline"
    label = "hotline"
    verbose_name = _("12345 hotline")

    def ready(self):
        from urbanmgmt.hotline import invariants
        from urbanmgmt.invariants import keep

        keep(self, "0003_spatialite_point_triggers", invariants.install)

        from urbanmgmt.hotline.redaction import check_rules

        checks.register(check_rules)
