from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "urbanmgmt.supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from urbanmgmt.invariants import keep
        from urbanmgmt.supervision.invariants import install

        keep(self, "0002_invariants", install)
