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

        from django.db.models.signals import post_delete, post_save

        from urbanmgmt.hotline.models import Bureau
        from urbanmgmt.hotline.suggest import invalidate_suggester

        for signal in (post_save, post_delete):
            signal.connect(invalidate_suggester, sender=Bureau, dispatch_uid=f"hotline.bureaus.{signal}")

        from urbanmgmt.hotline.knowledge import invalidate_index
        from urbanmgmt.hotline.models import KnowledgeEntry

        for signal in (post_save, post_delete):
            signal.connect(invalidate_index, sender=KnowledgeEntry, dispatch_uid=f"hotline.knowledge.{signal}")

        from urbanmgmt.hotline.redaction import check_rules

        checks.register(check_rules)
