from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    default = True  # the app's own config; LoginProtectionConfig below is django-axes'
    name = "urbanmgmt.org"
    verbose_name = _("Organisation")

    def ready(self):
        from urbanmgmt.org.roles import sync_role_groups

        # Once per migrate, after the last app: every app's permissions exist by then (each
        # app's are created by its own post_migrate, and apps after org come later).
        post_migrate.connect(sync_role_groups, dispatch_uid="urbanmgmt.org.sync_role_groups")
        from urbanmgmt.org import lockout  # noqa: F401  (connects the API's lockout answer)


class LoginProtectionConfig(AxesAppConfig):
    """django-axes under a name the admin can show in the user's language."""

    verbose_name = _("Login protection")
