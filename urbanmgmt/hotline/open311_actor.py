"""The account Open311 posts act as: an intake (dispatcher) service account that cannot log in."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from urbanmgmt.org.roles import DISPATCHER

USERNAME = "open311"


def open311_actor():
    user, created = get_user_model().objects.get_or_create(username=USERNAME, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=DISPATCHER))
    return user
