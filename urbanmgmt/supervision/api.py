"""The person's notifications for the bell and 城管通: how many are unread (the badges), the
list and marking them read (城管通 signs in with a token, not a browser session, so it reads
them here rather than on the bell's page)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from urbanmgmt.supervision import notify
from urbanmgmt.supervision.notify import unread_count

UNREAD = inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})


class UnreadCount(APIView):
    """How many notifications the signed-in person has not read (the badge)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UNREAD)
    def get(self, request):
        return Response({"unread": unread_count(request.user)})


class NotificationList(APIView):
    """The signed-in person's last notifications, newest first, each in one line in the
    request's language, with how many are unread."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("Notifications", {
        "unread": serializers.IntegerField(),
        "results": inline_serializer("Notification", {
            "id": serializers.IntegerField(), "at": serializers.DateTimeField(),
            "headline": serializers.CharField(), "read": serializers.BooleanField()}, many=True)}))
    def get(self, request):
        rows = [{"id": row.pk, "at": serializers.DateTimeField().to_representation(row.created_at),
                 "headline": row.headline, "read": row.read_at is not None} for row in notify.recent(request.user)]
        return Response({"unread": unread_count(request.user), "results": rows})


class MarkReadInput(serializers.Serializer):
    id = serializers.IntegerField(required=False, min_value=1)


class MarkRead(APIView):
    """Mark one of the person's notifications (`id`), or all of them, as read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=MarkReadInput, responses=UNREAD)
    def post(self, request):
        given = MarkReadInput(data=request.data)
        given.is_valid(raise_exception=True)
        notify.mark_read(request.user, given.validated_data.get("id"))
        return Response({"unread": unread_count(request.user)})
