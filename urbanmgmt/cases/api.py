"""The case API: GeoJSON list with filters, detail with history, report, one POST per step."""

import inspect

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from urbanmgmt.api_guards import CheckedInBBoxFilter, FeatureCollectionPagination
from urbanmgmt.cases import bulk_dispatch, services, steps
from urbanmgmt.cases.models import Case, CaseMedia, Channel, State
from urbanmgmt.cases.photos import read_uploads
from urbanmgmt.cases.serializers import (
    TASK_STEPS,
    BulkDispatchAnswerSerializer,
    BulkDispatchSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseFeatureSerializer,
    TransitionSerializer,
)
from urbanmgmt.cases.states import TRANSITIONS
from urbanmgmt.errors import InvalidInput
from urbanmgmt.org.services import suggest_department


class CaseFilter(django_filters.FilterSet):
    state = django_filters.BaseInFilter(field_name="state")
    channel = django_filters.BaseInFilter(field_name="channel")
    category = django_filters.BaseInFilter(field_name="category__service_code")
    department = django_filters.CharFilter(field_name="department__code")
    grid = django_filters.CharFilter(field_name="grid__code")
    reporter = django_filters.CharFilter(field_name="reporter__username")
    community = django_filters.CharFilter(field_name="community__code")
    street = django_filters.CharFilter(field_name="street__code")
    district = django_filters.CharFilter(field_name="district__code")
    reported_after = django_filters.IsoDateTimeFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = django_filters.IsoDateTimeFilter(field_name="reported_at", lookup_expr="lt")
    dispatched_after = django_filters.IsoDateTimeFilter(field_name="dispatched_at", lookup_expr="gte")
    dispatched_before = django_filters.IsoDateTimeFilter(field_name="dispatched_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt",
                                             label="changed after (for live polling)")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    signing_counted = django_filters.BooleanFilter(method="filter_signing_counted",
                                                   label="signed, or past the time to sign (on-time signing rate)")
    open = django_filters.BooleanFilter(method="filter_open")
    code = django_filters.CharFilter(method="filter_code",
                                     label="case number: exactly, or its beginning followed by * (2026000*)")

    class Meta:
        model = Case
        fields = []

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        return queryset.overdue(now) if value else queryset.not_overdue(now)

    def filter_signing_counted(self, queryset, name, value):
        now = timezone.now()
        return queryset.signing_counted(now) if value else queryset.signing_not_counted(now)

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.not_open()

    def filter_code(self, queryset, name, value):
        value = value.strip()
        if value.endswith("*"):
            return queryset.filter(code__startswith=value[:-1]) if value[:-1] else queryset.none()
        return queryset.filter(code=value)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    """Cases of every channel. Changes go through `POST /cases/{id}/{action}/` with `version`."""

    pagination_class = FeatureCollectionPagination
    filter_backends = [CheckedInBBoxFilter, *viewsets.GenericViewSet.filter_backends]
    bbox_filter_field = "point"
    filterset_class = CaseFilter

    def get_queryset(self):
        queryset = Case.objects.select_related("category", "department", "grid")
        if self.action == "retrieve":
            queryset = queryset.select_related("community", "street").prefetch_related("events__actor__profile", "media")
        return queryset.visible_to(self.request.user).order_by("-reported_at", "-id")

    def get_serializer_class(self):
        if self.action == "create":
            return CaseCreateSerializer
        if self.action == "retrieve":
            return CaseDetailSerializer
        if self.action == "transition":
            return TransitionSerializer
        return CaseFeatureSerializer

    @extend_schema(responses={200: CaseDetailSerializer, 201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case, created = services.report(request.user, **serializer.validated_data)
        case = self.get_queryset().get(pk=case.pk) if created else Case.objects.get(pk=case.pk)
        data = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request=TransitionSerializer, responses=CaseDetailSerializer, operation_id="v1_cases_transition",
        parameters=[OpenApiParameter("action_name", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     enum=list(TRANSITIONS), description="the step of the closed loop")],
    )
    @action(detail=True, methods=["post"], url_path=r"(?P<action_name>[a-z_]+)")
    def transition(self, request, pk=None, action_name=None):
        """Move the case one step; 409 on a stale version or a step its state does not allow."""
        if action_name not in TRANSITIONS:
            raise InvalidInput(_("Unknown step %(action)s; one of: %(steps)s."), action=action_name,
                               steps=", ".join(TRANSITIONS))
        case = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _run_transition(request.user, case, action_name, data, _photos(request, action_name))
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(CaseDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=BulkDispatchSerializer, responses=BulkDispatchAnswerSerializer,
                   operation_id="v1_cases_dispatch_many")
    @action(detail=False, methods=["post"], url_path="dispatch-many")
    def dispatch_many(self, request):
        """Dispatch up to 500 filed cases to one department (批量派遣), each through the
        dispatch step in its own transaction with its own version check: the answer says per
        case `dispatched`, `conflict` (changed by someone else; reload it) or `refused` (with
        the reason). One case's conflict or refusal never undoes another's dispatch. The whole
        request is refused (nothing dispatched) for a role that may not dispatch (403), an
        empty or oversized list, a repeated case or an inactive department (400)."""
        bulk_dispatch.check_role(request.user)  # before the body: a manager is told 403, not what is wrong in it
        serializer = BulkDispatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = [(item["id"], item["version"]) for item in data["cases"]]
        results = [r.as_dict() for r in bulk_dispatch.dispatch_each(request.user, items, data["department"],
                                                                  data["reason"])]
        counts = {outcome: sum(r["outcome"] == outcome for r in results)
                  for outcome in (bulk_dispatch.DISPATCHED, bulk_dispatch.CONFLICT, bulk_dispatch.REFUSED)}
        return Response(BulkDispatchAnswerSerializer({
            "results": results, "dispatched": counts["dispatched"], "conflicts": counts["conflict"],
            "refused": counts["refused"]}).data)

    @extend_schema(responses=inline_serializer("SuggestedDepartment", {
        "department": serializers.CharField(allow_null=True), "name": serializers.CharField(allow_null=True),
        "returned": serializers.BooleanField()}))
    @action(detail=True, methods=["get"], url_path="suggested-department")
    def suggested_department(self, request, pk=None):
        """The department the ownership register suggests for this case (or null), and whether
        that department has already sent this case back as not its own (an approved return):
        the dispatcher then chooses another rather than being offered it again."""
        case = self.get_object()
        department = suggest_department(case)
        returned = department is not None and case.events.filter(
            action="approve_return", payload__department=department.code).exists()
        return Response({"department": department.code if department else None,
                         "name": department.name if department else None, "returned": returned})


_FUNCTIONS = {"return": services.return_case}
# What the API fills itself rather than takes from the client's body.
_NOT_FROM_BODY = frozenset({"version", "evidence", "site"})
_TEXTS = frozenset({"reason", "reply"})  # absent is empty: the step says itself when one is needed


def _function(action_name: str):
    return _FUNCTIONS.get(action_name) or getattr(services, action_name)


def step_arguments(action_name: str) -> dict[str, bool]:
    """The arguments a step takes from the request body (its service's keyword-only
    parameters), each with whether it must be given."""
    parameters = inspect.signature(_function(action_name)).parameters.values()
    return {p.name: p.default is inspect.Parameter.empty for p in parameters
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in _NOT_FROM_BODY}


def _photos(request, action_name: str) -> list:
    """The photos of a step: only `handle` keeps any, so photos sent with another step are
    refused rather than dropped."""
    if action_name == "handle":
        return read_uploads(request, required=0)
    if request.FILES:
        raise InvalidInput(_("Only the reply (handle) takes photos; send “%(action)s” without them."),
                           action=action_name)
    return []


def _run_transition(user, case: Case, action_name: str, data: dict, photos=()) -> Case:
    if action_name in TASK_STEPS:
        raise InvalidInput(_("“%(action)s” is done by completing the inspection task: "
                             "POST /api/v1/collect/tasks/{id}/complete/"), action=action_name)
    if (action_name == "handle" and not photos and steps.needs_after_photo(case)
            and "handle" in steps.available(case, user)):  # who may not reply is told that, not this
        raise InvalidInput(_("Attach at least one photo taken after the work."))
    kwargs = {}
    for name, required in step_arguments(action_name).items():
        value = data.get(name)
        if name in _TEXTS:
            value = value or ""
        elif required and value is None:
            raise InvalidInput(_("“%(action)s” needs “%(field)s”."), action=action_name, field=name)
        kwargs[name] = value
    if photos:
        kwargs["evidence"] = [services.Evidence(photo=photo, kind=CaseMedia.Kind.AFTER) for photo in photos]
    return _function(action_name)(user, case, version=data["version"], **kwargs)


__all__ = ["CaseViewSet", "Channel", "State"]
