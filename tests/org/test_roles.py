"""The role groups after `migrate`: every app's permissions exist before the groups get theirs."""

import pytest
from django.contrib.auth.models import Group, Permission

from urbanmgmt.org.roles import ADMIN, ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def test_the_admin_group_holds_every_permission_of_every_app():
    # The test database was built by `migrate`: apps after `org` (cases, hotline, webhooks…)
    # had no permissions yet when org's post_migrate ran, and the group missed them.
    held = set(Group.objects.get(name=ADMIN).permissions.values_list("pk", flat=True))
    missing = Permission.objects.exclude(pk__in=held).select_related("content_type")
    assert not [f"{p.content_type.app_label}.{p.codename}" for p in missing]


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_each_role_group_holds_the_permissions_it_is_given(role):
    held = {f"{app}.{code}" for app, code in Group.objects.get(name=role).permissions
            .values_list("content_type__app_label", "codename")}
    assert set(ROLE_PERMISSIONS[role]) <= held
