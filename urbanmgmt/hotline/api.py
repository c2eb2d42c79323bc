"""/api/v1/hotline/: tickets (a case's tickets for the dispatch map, the unplaced queue, the
review list), the push API (one ticket or a batch), and the intake actions on a ticket.
The caller's contact is shown to intake staff (dispatchers, admins) only."""

from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from urbanmgmt.api_guards import whole_number
from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import InvalidInput
from urbanmgmt.hotline import services
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import Bureau, ClassifierVersion, HotlineTicket, KnowledgeEntry
from urbanmgmt.hotline.readers import ERROR
from urbanmgmt.org import roles as R

PUSH_MAX = 5000


class TicketSerializer(serializers.ModelSerializer):
    case_code = serializers.CharField(source="case.code", default=None, read_only=True, allow_null=True)
    category_code = serializers.CharField(source="category.service_code", default=None, read_only=True,
                                          allow_null=True)
    bureau_code = serializers.CharField(source="bureau.code", default=None, read_only=True, allow_null=True)
    department_code = serializers.CharField(source="department.code", default=None, read_only=True, allow_null=True)
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    suggestions = serializers.SerializerMethodField(
        help_text=_("The three best outcomes, most likely first: kind (category or bureau), code, name, "
                    "confidence and the words of the ticket that led to it."))

    class Meta:
        model = HotlineTicket
        fields = ["id", "source", "external_id", "received_at", "intake_channel", "request_type", "urgency", "title",
                  "text", "address", "contact_name", "contact_phone", "datum", "original_lon", "original_lat", "lon",
                  "lat", "place_method", "place_confidence", "place_match", "category_code", "category_confidence",
                  "category_method", "needs_review", "reply_due_at", "state", "case", "case_code", "link_reason",
                  "owns_case", "answer", "reply", "replied_at", "satisfaction", "resolved", "satisfaction_at",
                  "in_scope", "scope_confidence", "bureau_code", "forward_reason", "source_category",
                  "department_code", "suggestions", "doubt", "model_version"]

    def get_suggestions(self, ticket) -> list[dict]:
        return ticket.suggestions or []

    def get_lon(self, ticket) -> float | None:
        return ticket.point.x if ticket.point else None

    def get_lat(self, ticket) -> float | None:
        return ticket.point.y if ticket.point else None

    def to_representation(self, ticket):
        data = super().to_representation(ticket)
        if not R.has_role(self.context["request"].user, *services.INTAKE):
            data.pop("contact_name")
            data.pop("contact_phone")
        return data


class LinkForm(serializers.Serializer):
    case = serializers.IntegerField()
    version = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class UnlinkForm(serializers.Serializer):
    version = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True, default="", max_length=2000)


class PlaceForm(serializers.Serializer):
    lon = serializers.FloatField(help_text=_("WGS84 longitude"))
    lat = serializers.FloatField(help_text=_("WGS84 latitude"))


class ClassifyForm(serializers.Serializer):
    category = serializers.CharField(max_length=20, help_text=_("service code of an active category"))


class ForwardForm(serializers.Serializer):
    bureau = serializers.CharField(max_length=20, help_text=_("code of an active bureau (转办单位)"))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class AnswerForm(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True, required=False, default="", max_length=4000)
    entry = serializers.CharField(allow_blank=True, required=False, default="", max_length=40,
                                  help_text=_("code of the knowledge base entry the answer came from (知识库)"))


class YesNo(serializers.BooleanField):
    TRUE_VALUES = {*serializers.BooleanField.TRUE_VALUES, "是"}
    FALSE_VALUES = {*serializers.BooleanField.FALSE_VALUES, "否"}


class CallbackForm(serializers.Serializer):
    satisfaction = serializers.CharField(allow_blank=True, required=False, default="", max_length=20,
                                         help_text="满意, 基本满意, 不满意, 未联系上")
    resolved = YesNo(allow_null=True, required=False, help_text="true / false (also 1 / 0, 是 / 否)")
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=4000,
                                 help_text=_("what the citizen said"))


class ReasonForm(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


def _pushed_row(item) -> dict:
    """A pushed ticket as the importer reads a file's row: plain values only (a list or an
    object in a field refuses the row alone, with the field's name)."""
    if not isinstance(item, dict):
        return {ERROR: _("The ticket is not a JSON object.")}
    nested = next((name for name, value in item.items() if isinstance(value, dict | list)), None)
    if nested is not None:
        return {**item, ERROR: _("The field “%(name)s” holds a list or an object: give text or a number.")
                % {"name": nested}}
    return dict(item)


def _valid(form_class, request) -> dict:
    """The form's fields from the request body; 400 on a body that is not an object."""
    form = form_class(data=request.data)
    form.is_valid(raise_exception=True)
    return form.validated_data


class RefusedRow(serializers.Serializer):
    line = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    reason = serializers.CharField()


class PushSummary(serializers.Serializer):
    total = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    cases_created = serializers.IntegerField()
    linked = serializers.IntegerField()
    answered = serializers.IntegerField()
    unplaced = serializers.IntegerField()
    to_review = serializers.IntegerField()
    rejected = serializers.IntegerField()
    notes = serializers.ListField(child=serializers.CharField())
    forwarded = serializers.IntegerField()
    refused = RefusedRow(many=True)


PUSH_ROW = {"type": "object", "additionalProperties": True,
            "description": "a ticket in the import's field names (external_id, received_at, request_type, text, "
                           "address, lon, lat, datum, …) or a source's own column names (工单编号, 受理时间, …)"}


@extend_schema_view(
    create=extend_schema(request={"application/json": {"oneOf": [PUSH_ROW, {"type": "array", "items": PUSH_ROW}]}},
                         parameters=[OpenApiParameter("source", OpenApiTypes.STR)],
                         responses={200: PushSummary, 201: PushSummary}),
    list=extend_schema(parameters=[OpenApiParameter("case", OpenApiTypes.INT, description=_("tickets of this case"))]),
    link=extend_schema(request=LinkForm), unlink=extend_schema(request=UnlinkForm),
    place=extend_schema(request=PlaceForm), classify=extend_schema(request=ClassifyForm),
    forward=extend_schema(request=ForwardForm),
    answer=extend_schema(request=AnswerForm), callback=extend_schema(request=CallbackForm),
    set_aside=extend_schema(request=ReasonForm), take_back=extend_schema(request=ReasonForm),
)
class TicketViewSet(viewsets.ReadOnlyModelViewSet):
    """12345 tickets; `?case=<id>`, `?state=unplaced`, `?needs_review=true`, `?in_scope=false`
    filter; `?ordering=doubt`: the most likely wrong first (the review queue's order)."""

    serializer_class = TicketSerializer
    filterset_fields = ["state", "needs_review", "source", "in_scope"]

    def get_queryset(self):
        user = self.request.user
        queryset = HotlineTicket.objects.select_related("case", "category", "bureau", "department")
        if self.request.query_params.get("ordering") == "doubt":
            queryset = queryset.order_by(F("doubt").desc(nulls_last=True), "received_at", "id")
        else:
            queryset = queryset.order_by("-received_at", "-id")
        visible = Case.objects.visible_to(user)
        if not R.has_role(user, *R.COMMAND_CENTRE):  # the command centre sees tickets without a case too
            queryset = queryset.filter(case__in=visible)
        case = self.request.query_params.get("case")
        if case:
            case_id = whole_number(case, "case", 1)
            queryset = queryset.filter(case_id=case_id) if case_id < 2**63 else queryset.none()
        return queryset

    def create(self, request):
        """Push one ticket (an object) or a batch (a list) in the import's field names or
        a source's own column names; `?source=` names the source system (default: push)."""
        R.require_role(request.user, *services.INTAKE)
        rows = request.data if isinstance(request.data, list) else [request.data]
        if len(rows) > PUSH_MAX:
            raise InvalidInput(_("At most %(n)s tickets per request."), n=PUSH_MAX)
        source = (request.query_params.get("source") or "push")[:40]
        summary = import_rows([_pushed_row(r) for r in rows],
                              source=source, actor=request.user)
        body = {**summary.as_dict(), "refused": [{"line": line, "external_id": ref, "reason": reason}
                                                 for line, ref, reason in summary.rejected]}
        return Response(body, status=status.HTTP_201_CREATED if summary.created else status.HTTP_200_OK)

    def _answer(self, ticket):
        return Response(TicketSerializer(HotlineTicket.objects.select_related("case", "category", "bureau",
                                                                              "department").get(pk=ticket.pk),
                                         context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        form = LinkForm(data=request.data)
        form.is_valid(raise_exception=True)
        case = get_object_or_404(Case, pk=form.validated_data["case"])
        return self._answer(services.link(request.user, self.get_object(), case,
                                          version=form.validated_data["version"], reason=form.validated_data["reason"]))

    @action(detail=True, methods=["post"])
    def unlink(self, request, pk=None):
        form = UnlinkForm(data=request.data)
        form.is_valid(raise_exception=True)
        return self._answer(services.unlink(request.user, self.get_object(), version=form.validated_data["version"],
                                            reason=form.validated_data["reason"]))

    @action(detail=True, methods=["post"])
    def place(self, request, pk=None):
        data = _valid(PlaceForm, request)
        return self._answer(services.place(request.user, self.get_object(), data["lon"], data["lat"]))

    @action(detail=True, methods=["post"])
    def classify(self, request, pk=None):
        code = _valid(ClassifyForm, request)["category"]
        category = Category.objects.filter(service_code=code, active=True).first()
        if category is None:
            raise InvalidInput(_("Unknown category “%(code)s”."), code=code)
        return self._answer(services.classify(request.user, self.get_object(), category))

    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        """Forward the ticket out of scope (转办) to a bureau, with the reason."""
        data = _valid(ForwardForm, request)
        bureau = Bureau.objects.filter(code=data["bureau"], active=True).first()
        if bureau is None:
            raise InvalidInput(_("Unknown bureau “%(code)s”."), code=data["bureau"])
        return self._answer(services.forward(request.user, self.get_object(), bureau, data["reason"]))

    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer the citizen at intake, with the knowledge base entry the answer came from if any."""
        data = _valid(AnswerForm, request)
        entry = None
        if data["entry"]:
            entry = KnowledgeEntry.objects.filter(code=data["entry"]).first()
            if entry is None:
                raise InvalidInput(_("Unknown knowledge base entry “%(code)s”."), code=data["entry"])
        return self._answer(services.answer(request.user, self.get_object(), data["answer"], entry))

    @action(detail=True, methods=["post"])
    def callback(self, request, pk=None):
        data = _valid(CallbackForm, request)
        return self._answer(services.record_callback(request.user, self.get_object(), data["satisfaction"],
                                                     data.get("resolved"), data["note"]))

    @action(detail=True, methods=["post"], url_path="set-aside")
    def set_aside(self, request, pk=None):
        """Out of the placement queue: no place can be found for it, with the reason."""
        return self._answer(services.set_aside(request.user, self.get_object(), _valid(ReasonForm, request)["reason"]))

    @action(detail=True, methods=["post"], url_path="take-back")
    def take_back(self, request, pk=None):
        """A ticket set aside waits to be placed again."""
        return self._answer(services.take_back(request.user, self.get_object(), _valid(ReasonForm, request)["reason"]))


class ClassifierVersionSerializer(serializers.ModelSerializer):
    precision = serializers.SerializerMethodField(
        help_text=_("Per category and bureau, on decisions the version did not learn from: how many it predicted, "
                    "how many of those were right, their share (precision), and how many there were."))

    class Meta:
        model = ClassifierVersion
        fields = ["version", "trained_at", "examples", "held_out", "decisions_seen", "precision"]

    def get_precision(self, version) -> list[dict]:
        return precision_rows(version)


def precision_rows(version: ClassifierVersion) -> list[dict]:
    """The version's held-out precision per outcome with its name, worst first."""
    names = {c.service_code: c.name for c in Category.objects.only("service_code", "name_zh", "name_en")}
    names.update({f"bureau:{b.code}": b.name for b in Bureau.objects.all()})
    rows = [{"code": code, "name": names.get(code, code), "predicted": row.get("predicted", 0),
             "right": row.get("right", 0), "precision": row.get("precision"), "support": row.get("support", 0)}
            for code, row in (version.evaluation or {}).get("per_label", {}).items()]
    return sorted(rows, key=lambda r: (r["precision"] if r["precision"] is not None else 2, r["code"]))


class ClassifierVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """The classifier's versions, newest first, with their held-out precision per category
    (managers and intake staff)."""

    serializer_class = ClassifierVersionSerializer
    queryset = ClassifierVersion.objects.defer("weights").order_by("-version")
    lookup_field = "version"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        R.require_role(request.user, R.MANAGER, *services.INTAKE)
