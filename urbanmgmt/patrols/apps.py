from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "urbanmgmt.patrols"
    verbose_name = _("Patrols")
