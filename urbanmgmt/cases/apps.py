from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "urbanmgmt.cases"
    verbose_name = _("Cases")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from urbanmgmt.cases.models import WorkDay
        from urbanmgmt.cases.services import working_day_changed
        from urbanmgmt.cases.worktime import invalidate_calendar

        post_save.connect(invalidate_calendar, sender=WorkDay)
        post_delete.connect(invalidate_calendar, sender=WorkDay)
        # After the cache is dropped: the handled cases across that day are counted again.
        post_save.connect(working_day_changed, sender=WorkDay)
        post_delete.connect(working_day_changed, sender=WorkDay)

        from django.core.signals import request_finished
        from django.db.models.signals import post_migrate

        from urbanmgmt import dbstats
        from urbanmgmt.cases import invariants
        from urbanmgmt.invariants import keep

        post_migrate.connect(dbstats.after_migrate, sender=self)
        keep(self, "0010_invariants", invariants.install)
        request_finished.connect(dbstats.now_and_then, dispatch_uid="urbanmgmt.dbstats")
