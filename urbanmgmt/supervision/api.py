"""The notification count for the bell and 城管通's badge."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from urbanmgmt.supervision.models import Notification


def unread_count(user) -> int:
    """How many of the user's notifications are unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


class UnreadCount(APIView):
    """How many notifications the signed-in person has not read (the badge)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}))
    def get(self, request):
        return Response({"unread": unread_count(request.user)})
