"""Read serializers (GeoJSON for maps, detail with history) and write serializers."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from urbanmgmt.api_guards import BoundedJSONField
from urbanmgmt.cases.bulk_dispatch import MAX_CASES as BULK_MAX_CASES
from urbanmgmt.cases.models import (
    PHOTO_USED_BEFORE,
    Case,
    CaseEvent,
    CaseMedia,
    Channel,
    RejectReason,
    RequestType,
    is_overdue,
)
from urbanmgmt.cases.states import TRANSITIONS
from urbanmgmt.cases.steps import available, needs_after_photo
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.geo import parse_lon_lat, parse_point
from urbanmgmt.moments import MomentField
from urbanmgmt.org.models import Department

# Steps an inspector takes by completing a task (POST /api/v1/collect/tasks/{id}/complete/).
TASK_STEPS = frozenset({"verify", "check_pass", "check_fail"})


class CaseFeatureSerializer(GeoFeatureModelSerializer):
    category = serializers.CharField(source="category.service_code", default=None, read_only=True, allow_null=True)
    category_name = serializers.CharField(source="category.name", default="", read_only=True)
    department = serializers.CharField(source="department.code", default=None, read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", default="", read_only=True)
    grid = serializers.CharField(source="grid.code", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        geo_field = "point"
        fields = ["id", "code", "channel", "state", "category", "category_name", "urgency", "department",
                  "department_name", "grid", "address", "description", "reported_at", "due_at", "overdue", "version"]

    def get_overdue(self, case) -> bool:
        return is_overdue(case.state, case.due_at, timezone.now())


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True, allow_null=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["at", "actor", "actor_name", "actor_role", "action", "from_state", "to_state", "reason", "payload",
                  "version"]

    def get_actor_name(self, event) -> str | None:
        """The person's name as the history shows it (their profile's), the login if none."""
        user = event.actor
        if user is None:
            return None
        profile = getattr(user, "profile", None)
        return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


class CaseMediaSerializer(serializers.ModelSerializer):
    same_photo_in = serializers.SerializerMethodField()

    class Meta:
        model = CaseMedia
        fields = ["id", "kind", "file", "display", "thumbnail", "sha256", "flags", "uploaded_at", "same_photo_in"]
        extra_kwargs = {"display": {"allow_null": True}, "thumbnail": {"allow_null": True}}  # blank: not made yet

    @extend_schema_field(inline_serializer("SamePhotoCase", {"id": serializers.IntegerField(),
                                                             "code": serializers.CharField()}, many=True))
    def get_same_photo_in(self, media) -> list[dict]:
        """The other cases that hold this photo (by its SHA-256) and that the reader may see, for
        a photo flagged as used before: which case the doubt is about."""
        if PHOTO_USED_BEFORE not in (media.flags or []):
            return []
        request = self.context.get("request")
        others = Case.objects.filter(media__sha256=media.sha256).exclude(pk=media.case_id)
        if request is not None:
            others = others.visible_to(request.user)
        return [{"id": pk, "code": code} for pk, code in others.order_by("pk").values_list("pk", "code").distinct()[:5]]


class CaseDetailSerializer(CaseFeatureSerializer):
    events = CaseEventSerializer(many=True, read_only=True)
    media = CaseMediaSerializer(many=True, read_only=True)
    community = serializers.CharField(source="community.name", read_only=True, allow_null=True)
    street = serializers.CharField(source="street.name", read_only=True, allow_null=True)
    actions = serializers.SerializerMethodField()
    reply_needs_photo = serializers.SerializerMethodField()

    class Meta(CaseFeatureSerializer.Meta):
        fields = CaseFeatureSerializer.Meta.fields + [
            "request_type", "community", "street", "external_ref", "reject_reason", "reply", "filed_at",
            "dispatched_at", "sign_due_at", "signed_at", "original_due_at", "extension_requested_until",
            "handled_at", "checked_at", "closed_at", "rejected_at", "suspended_at", "extension_count",
            "return_count", "rework_count", "ticket_count", "events", "media", "actions", "reply_needs_photo",
        ]

    def get_actions(self, case) -> list[str]:
        """The steps this user may take now through the transition endpoint (steps.available:
        state, role, department and the case's preconditions), so a panel offers none that
        can only be refused."""
        return offered_steps(case, self.context["request"].user)

    def get_reply_needs_photo(self, case) -> bool:
        """Whether a reply that the case is fixed (handle) must bring a photo taken after."""
        return needs_after_photo(case)


def offered_steps(case: Case, user) -> list[str]:
    """steps.available, less the steps taken elsewhere (the 12345 intake's, the tasks')."""
    return [action for action in available(case, user) if action in TRANSITIONS and action not in TASK_STEPS]


class CaseCreateSerializer(serializers.Serializer):
    """A new report. The location is GeoJSON (`location`) or `lon` + `lat`, in WGS84."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    location = BoundedJSONField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    category = serializers.SlugRelatedField(slug_field="service_code", queryset=Category.objects.filter(active=True),
                                            required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    request_type = serializers.ChoiceField(choices=RequestType.choices, required=False, allow_blank=True)
    external_ref = serializers.CharField(required=False, allow_null=True, max_length=100)
    reported_at = MomentField(required=False)

    def validate(self, attrs):
        if attrs.get("location") is not None:
            attrs["point"] = parse_point(attrs.pop("location"))
        elif attrs.get("lon") is not None and attrs.get("lat") is not None:
            attrs["point"] = parse_lon_lat(attrs["lon"], attrs["lat"])
        else:
            raise serializers.ValidationError(_("Give the location as GeoJSON `location` or as `lon` and `lat`."))
        attrs.pop("lon", None)
        attrs.pop("lat", None)
        return attrs


class TransitionSerializer(serializers.Serializer):
    """What any transition may carry; each action uses the fields it needs."""

    version = serializers.IntegerField(help_text=_("The version of the case you saw."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all(), required=False)
    category = serializers.SlugRelatedField(slug_field="service_code", queryset=Category.objects.filter(active=True),
                                            required=False)
    reason_code = serializers.ChoiceField(choices=RejectReason.choices, required=False)
    days = serializers.FloatField(required=False, min_value=0.1, max_value=10)
    reply = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    checker = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.all(),
                                           required=False)
    inspector = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.all(),
                                             required=False)


class _BulkItems(serializers.ListSerializer):
    default_error_messages = {
        "max_length": _("At most {max_length} cases can be dispatched at once. Narrow the selection."),
        "empty": _("Select at least one case to dispatch."),
    }


class BulkDispatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    version = serializers.IntegerField(min_value=1, help_text=_("The version of the case you saw."))

    class Meta:
        list_serializer_class = _BulkItems


class BulkDispatchSerializer(serializers.Serializer):
    """Many filed cases to one department: each case with the version the dispatcher saw,
    the department, and a note for every case's history (the dispatch step's reason)."""

    cases = BulkDispatchItemSerializer(many=True, allow_empty=False, max_length=BULK_MAX_CASES)
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class BulkDispatchResultSerializer(serializers.Serializer):
    """One case's outcome: dispatched, conflict (changed by someone else: reload it) or
    refused (the step does not allow it now; `detail` says why)."""

    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["dispatched", "conflict", "refused"])
    case_code = serializers.CharField(allow_blank=True)
    code = serializers.CharField(allow_blank=True, help_text="stale_version, forbidden_transition, not_allowed, "
                                                             "invalid or not_found")
    detail = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(allow_null=True)
    state = serializers.CharField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class BulkDispatchAnswerSerializer(serializers.Serializer):
    results = BulkDispatchResultSerializer(many=True)
    dispatched = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    refused = serializers.IntegerField()
