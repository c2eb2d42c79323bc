from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The names stored per-day figures use for their subjects (kpi/daily.py): a model whose
# field changes drops the stored figures (rare: an admin renaming a user or a code).
NAMING = {"auth.User": "username", "org.Department": "code", "grids.Area": "code", "grids.UnitGrid": "code"}


def _renamed(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    field = NAMING[sender._meta.label]
    if raw or instance.pk is None or (update_fields is not None and field not in update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values_list(field, flat=True).first()
    if before is not None and before != getattr(instance, field):
        from urbanmgmt.kpi import daily

        daily.forget()


def _grids_reassigned(sender, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        from urbanmgmt.kpi import daily

        daily.forget("indicator:missed_report_rate")  # counted per inspector through their grids


class KpiConfig(AppConfig):
    name = "urbanmgmt.kpi"
    verbose_name = _("Targets and indicators")

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import m2m_changed, post_save, pre_save

        from urbanmgmt.cases import rows
        from urbanmgmt.invariants import keep
        from urbanmgmt.kpi import daily, invariants
        from urbanmgmt.org.models import Profile
        from urbanmgmt.patrols import indicators as patrol_indicators
        from urbanmgmt.supervision import indicators as supervision_indicators

        # Indicators whose modules kpi.indicators may not import (patrols read kpi.daily;
        # supervision answers notices, not cases).
        patrol_indicators.register()
        supervision_indicators.register()

        keep(self, "0007_invariants", invariants.install)
        for label in NAMING:
            pre_save.connect(_renamed, sender=apps.get_model(label), dispatch_uid=f"kpi.daily.{label}")
        m2m_changed.connect(_grids_reassigned, sender=Profile.grids.through, dispatch_uid="kpi.daily.grids")
        if daily.rows_inserted not in rows.inserted_hooks:
            rows.inserted_hooks.append(daily.rows_inserted)  # the rows written without the ORM
        for label in daily.MOMENTS:
            if apps.is_installed(f"urbanmgmt.{label.split('.')[0]}"):
                post_save.connect(daily.created, sender=apps.get_model(label), dispatch_uid=f"kpi.daily.new.{label}")
