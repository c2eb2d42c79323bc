"""Roles are Django groups with model permissions; object-level scoping is here too.

The role of a person decides which transitions they may make (cases/states.py) and which
cases they see (`Case.objects.visible_to` in cases/models.py): a department handler only its
department's cases, an inspector only its own reports and the cases of its grids, a video
analyst the video channel, dispatchers, managers and admins everything.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

INSPECTOR = "inspector"
ANALYST = "analyst"
DISPATCHER = "dispatcher"
HANDLER = "handler"
MANAGER = "manager"
ADMIN = "admin"

ROLES = {
    INSPECTOR: pgettext_lazy("role", "Inspector"),
    ANALYST: pgettext_lazy("role", "Video analyst"),
    DISPATCHER: pgettext_lazy("role", "Dispatcher"),
    HANDLER: pgettext_lazy("role", "Department handler"),
    MANAGER: pgettext_lazy("role", "Manager"),
    ADMIN: pgettext_lazy("role", "Administrator"),
}

# Model permissions per role (app_label.codename); admins get every permission.
_VIEW_CORE = ["grids.view_unitgrid", "grids.view_area", "catalog.view_category", "catalog.view_majorclass",
              "org.view_department", "cases.view_case", "cases.view_caseevent", "cases.view_casemedia"]
ROLE_PERMISSIONS = {
    INSPECTOR: _VIEW_CORE,
    ANALYST: _VIEW_CORE,
    HANDLER: _VIEW_CORE,
    MANAGER: _VIEW_CORE + ["org.view_ownershiprule", "cases.view_workday"],
    DISPATCHER: _VIEW_CORE + ["org.view_ownershiprule", "cases.view_workday"],
}


def sync_role_groups(app_config=None, **kwargs) -> None:
    """Create the role groups and give them their permissions (after every migrate, once the
    last app's permissions exist; called without an app, at once)."""
    if app_config is not None and app_config is not _last_migrated_app():
        return
    all_perms = Permission.objects.all()
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in all_perms.select_related("content_type")}
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        if role == ADMIN:
            group.permissions.set(all_perms)
        else:
            group.permissions.set([by_name[n] for n in ROLE_PERMISSIONS[role] if n in by_name])


def _last_migrated_app():
    """The last app `migrate` sends post_migrate for (those with models, in INSTALLED_APPS order)."""
    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


def roles_of(user) -> frozenset[str]:
    """The role names of a user, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_urbanmgmt_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {ADMIN}
        user._urbanmgmt_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def require_role(user, *roles: str, message=None) -> None:
    """PermissionDenied (403 in pages and in the API) unless the user has one of `roles`."""
    from django.core.exceptions import PermissionDenied

    if not has_role(user, *roles):
        raise PermissionDenied(message or _("Your role does not allow this."))


def department_of(user):
    """The department id of a handler (None for everyone else)."""
    cached = getattr(user, "_urbanmgmt_department", False)
    if cached is False:
        profile = getattr(user, "profile", None) if user.is_authenticated else None
        cached = profile.department_id if profile else None
        user._urbanmgmt_department = cached
    return cached


# The command centre (指挥中心): routes and watches every case. Only they load a photo's original
# bytes, whose EXIF carries the phone's place, make and time; everyone else who may see a case
# gets its display copies. Video analysts are not among them: they see the camera's own
# pictures (vision registers that rule), not the inspectors' and departments' photos.
COMMAND_CENTRE = (DISPATCHER, MANAGER, ADMIN)


def may_see_originals(user) -> bool:
    """Whether `user` may load the original of a photo of a case they may see."""
    return has_role(user, *COMMAND_CENTRE)
