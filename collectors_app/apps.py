from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectorsAppConfig(AppConfig):
    name = "collectors_app"
    verbose_name = _("Inspectors' app")
