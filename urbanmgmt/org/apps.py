from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "urbanmgmt.org"
    verbose_name = _("Organisation")

    def ready(self):
        from urbanmgmt.org.roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self)
        from urbanmgmt.org import lockout  # noqa: F401  (connects the API's lockout answer)
