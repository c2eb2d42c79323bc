"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2): discovery,
services (the catalogue), service definitions, requests (GET with the spec's filters,
POST with an API key: a ticket of source "open311"), one request, tokens. JSON or XML by
the path's extension; times in ISO 8601 with the offset; every error, whatever the input,
as the spec's list of {code, description} in the asker's language. Public: the caller's
own fields never leave, and free text leaves with personal data redacted (redaction.py)."""

import datetime as dt
import json
import re
from xml.etree import ElementTree as ET

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, MethodNotAllowed
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.hotline import open311_docs as docs
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, IntakeChannel, Open311Client, TicketState
from urbanmgmt.hotline.redaction import redact

SOURCE = "open311"
LIMIT = 1000
FORMATS = ("json", "xml")
MAX_DESCRIPTION = 4000  # the GeoReport v2 request schema's maxLength
CLOSED_STATES = (TicketState.ANSWERED, TicketState.REPLIED)
MAX_ID_DIGITS = 18  # an id past this cannot exist (and would overflow the database's integer)


def jurisdiction() -> str:
    return settings.OPEN311_JURISDICTION_ID


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        self.code, self.description = code, description


# The element of each item of a list in XML (the spec's names).
ITEMS = {"formats": "format", "endpoints": "endpoint", "attributes": "attribute", "values": "value"}
# Characters XML 1.0 cannot hold (a control character pasted into a complaint).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _fill(node, entry: dict) -> None:
    for key, value in entry.items():
        child = ET.SubElement(node, key)
        if isinstance(value, list):
            for v in value:
                element = ET.SubElement(child, ITEMS.get(key, "value"))
                if isinstance(v, dict):
                    _fill(element, v)
                else:
                    element.text = NOT_XML.sub("", str(v))
        elif value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else NOT_XML.sub("", str(value))


def _render(fmt: str, data, root: str, item: str | None, status: int = 200) -> HttpResponse:
    """JSON, or XML: a list as <root><item>…</item>…</root>, one object (item None) as
    <root> with its fields."""
    if fmt == "xml":
        top = ET.Element(root)
        if item is None:
            _fill(top, data)
        for entry in data if item is not None else ():
            _fill(ET.SubElement(top, item), entry)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8",
                        status=status)


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    return _render(fmt, [{"code": code, "description": description}], "errors", "error", status=code)


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


class _AnyAccept(DefaultContentNegotiation):
    """The format is the path's extension (the spec's way), whatever Accept says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class Open311View(APIView):
    """Public, the format from the path, every error in the spec's shape (never HTML)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser]
    content_negotiation_class = _AnyAccept

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if kwargs.get("fmt") not in FORMATS:
            raise Open311Error(404, _("The format must be json or xml."))
        given = request.query_params.get("jurisdiction_id") or (
            request.data.get("jurisdiction_id") if request.method == "POST" else "")
        if given and given != jurisdiction():
            # The spec: "404 - jurisdiction_id provided was not found (specify in error response)".
            raise Open311Error(404, _("jurisdiction_id %(given)s not found: this endpoint serves %(ours)s.")
                               % {"given": given, "ours": jurisdiction()})

    def handle_exception(self, exc):
        fmt = self.kwargs.get("fmt") if self.kwargs.get("fmt") in FORMATS else "json"
        if isinstance(exc, Open311Error):
            return _error(fmt, exc.code, exc.description)
        if isinstance(exc, DomainError):
            return _error(fmt, exc.status, str(exc))
        if isinstance(exc, Http404):
            return _error(fmt, 404, _("No such Open311 resource."))
        if isinstance(exc, APIException):
            response = _error(fmt, exc.status_code, str(exc.detail))
            if isinstance(exc, MethodNotAllowed):
                response["Allow"] = ", ".join(self.allowed_methods)
            return response
        return super().handle_exception(exc)


def not_found(request, *args, **kwargs):
    """Any other path under /open311/v2/: the spec's error list, not Django's HTML page."""
    return _error("json", 404, _("No such Open311 resource."))


class Discovery(Open311View):
    @docs.documented("open311_discovery", docs.DISCOVERY, summary="Service discovery")
    def get(self, request, fmt):
        base = request.build_absolute_uri(reverse("open311-root"))
        data = {"changeset": "2026-11-24T00:00:00+08:00", "contact": "12345", "key_service": "/admin/",
                "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                               "changeset": "2026-11-24T00:00:00+08:00", "type": "production",
                               "formats": ["application/json", "text/xml"]}]}
        return _render(fmt, data, "discovery", None)


def _service(c: Category) -> dict:
    return {"service_code": c.service_code, "service_name": c.name_zh, "description": c.name_en or c.name_zh,
            "metadata": False, "type": "realtime", "keywords": ",".join(c.keywords), "group": c.major.name_zh}


class Services(Open311View):
    @docs.documented("open311_services", {"type": "array", "items": docs.SERVICE}, summary="GET Service List")
    def get(self, request, fmt):
        rows = Category.objects.filter(active=True).select_related("major").order_by("service_code")
        return _render(fmt, [_service(c) for c in rows], "services", "service")


class ServiceDefinition(Open311View):
    @docs.documented("open311_service_definition", docs.SERVICE_DEFINITION, summary="GET Service Definition")
    def get(self, request, fmt, code):
        if not Category.objects.filter(service_code=code, active=True).exists():
            raise Open311Error(404, _("service_code %(code)s not found.") % {"code": code})
        return _render(fmt, {"service_code": code, "attributes": []}, "service_definition", None)


def _request(t: HotlineTicket) -> dict:
    """One ticket as a GeoReport v2 request: what the public may read of it."""
    closed = t.state in CLOSED_STATES or bool(t.replied_at)
    caller = (t.contact_name, t.contact_phone)
    description = redact(t.text or t.title, caller) or None
    return {"service_request_id": str(t.pk), "status": "closed" if closed else "open",
            "status_notes": redact(t.reply, caller) or None, "service_name": t.category.name_zh,
            "service_code": t.category.service_code,
            "description": description[:MAX_DESCRIPTION] if description else None,
            "agency_responsible": t.case.department.name if t.case and t.case.department else None,
            "service_notice": None, "requested_datetime": _iso(t.received_at), "updated_datetime": _iso(t.updated_at),
            "expected_datetime": _iso(t.reply_due_at), "address": redact(t.address, caller) or None,
            "address_id": None, "zipcode": None, "lat": t.point.y if t.point else None,
            "long": t.point.x if t.point else None, "media_url": None}


def _tickets():
    # A ticket intake has not classified yet is no request of any service (service_code is required).
    return HotlineTicket.objects.filter(category__isnull=False).select_related("category", "case__department")


def _id(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= MAX_ID_DIGITS else None


class Requests(Open311View):
    @docs.documented("open311_requests", {"type": "array", "items": docs.REQUEST}, 400, summary="GET Service Requests",
                     parameters=docs.LIST_FILTERS)
    def get(self, request, fmt):
        rows, q = _tickets().order_by("-received_at"), request.query_params
        if q.get("service_request_id"):
            ids = [i for i in map(_id, q["service_request_id"].split(",")[:LIMIT]) if i is not None]
            return _render(fmt, [_request(t) for t in rows.filter(pk__in=ids)], "service_requests", "request")
        if q.get("service_code"):
            codes = set(q["service_code"].split(","))
            unknown = codes - set(Category.objects.filter(service_code__in=codes).values_list("service_code", flat=True))
            if unknown:  # as the spec answers a service definition of an unknown code
                raise Open311Error(404, _("service_code %(code)s not found.") % {"code": ",".join(sorted(unknown))})
            rows = rows.filter(category__service_code__in=codes)
        start, end = _date(q.get("start_date")), _date(q.get("end_date"), end=True)
        if start and end and start > end:
            raise Open311Error(400, _("start_date %(start)s is after end_date %(end)s.")
                               % {"start": q["start_date"], "end": q["end_date"]})
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=90)  # the spec's default window
        if start:
            rows = rows.filter(received_at__gte=start)
        if end:
            rows = rows.filter(received_at__lte=end)
        rows = _by_status(rows, q.get("status"))
        return _render(fmt, [_request(t) for t in rows[:LIMIT]], "service_requests", "request")

    @docs.documented("open311_post_request", docs.POSTED, 400, 403, 415, ok_status=201, summary="POST Service Request",
                     request={"application/x-www-form-urlencoded": docs.POST_FORM,
                              "multipart/form-data": docs.POST_FORM})
    def post(self, request, fmt):
        return _post(request, fmt)


def _by_status(rows, status: str | None):
    if status is None:
        return rows
    wanted = set(status.split(","))
    if not wanted <= {"open", "closed"}:
        raise Open311Error(400, _("status must be open or closed."))
    if wanted == {"open"}:
        return rows.filter(replied_at__isnull=True).exclude(state__in=CLOSED_STATES)
    if wanted == {"closed"}:
        return rows.filter(Q(replied_at__isnull=False) | Q(state__in=CLOSED_STATES))
    return rows


def _date(text: str | None, end: bool = False) -> dt.datetime | None:
    """An ISO 8601 time (an offset, Z, or local), or a day (its start; its end for end_date);
    None when not given (an empty value is no date: refused)."""
    if text is None:
        return None
    try:
        day = parse_date(text) if len(text) == 10 else None
        value = dt.datetime.combine(day, dt.time.max if end else dt.time.min) if day else parse_datetime(text)
        if value is not None:
            value = value if timezone.is_aware(value) else timezone.make_aware(value)
            value.astimezone(dt.UTC)  # a time the database can hold (year 1 at +08:00 cannot)
            return value
    except (ValueError, OverflowError):
        pass
    raise Open311Error(400, _("Unreadable date %(value)s: use ISO 8601, e.g. 2026-11-01T00:00:00+08:00.")
                       % {"value": text})


def _post(request, fmt):
    data = request.data
    client = Open311Client.objects.filter(api_key=data.get("api_key") or "-", active=True).first()
    if client is None:
        raise Open311Error(403, _("A valid api_key is required to post service requests."))
    code = data.get("service_code")
    category = Category.objects.filter(service_code=code, active=True).first()
    if category is None:
        raise Open311Error(400, _("service_code %(code)s not found.") % {"code": code})
    if not (data.get("lat") and data.get("long")) and not data.get("address_string"):
        raise Open311Error(400, _("A location is required: lat and long, or address_string."))
    if len(data.get("description", "")) > MAX_DESCRIPTION:
        raise Open311Error(400, _("The description is longer than %(n)s characters.") % {"n": MAX_DESCRIPTION})
    from urbanmgmt.hotline.open311_actor import open311_actor

    external = f"{client.pk}-{timezone.now():%Y%m%d%H%M%S%f}"
    row = {"external_id": external, "received_at": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
           "request_type": "complaint", "intake_channel": IntakeChannel.OPEN311,
           "title": category.name_zh, "text": f"{category.name_zh}：{data.get('description', '')}",
           "address": data.get("address_string", ""), "lon": data.get("long", ""), "lat": data.get("lat", ""),
           "datum": "wgs84", "contact_name": " ".join(filter(None, [data.get("first_name"), data.get("last_name")])),
           "contact_phone": data.get("phone", "")}
    summary = import_rows([row], source=SOURCE, actor=open311_actor())
    if summary.rejected:
        raise Open311Error(400, summary.rejected[0][2])
    ticket = HotlineTicket.objects.get(source=SOURCE, external_id=external)
    if ticket.category_id != category.pk:
        ticket.category, ticket.category_method, ticket.category_confidence = category, "open311", 1.0
        ticket.save(update_fields=["category", "category_method", "category_confidence"])
    return _render(fmt, [{"service_request_id": str(ticket.pk), "service_notice": None, "account_id": None}],
                   "service_requests", "request", status=201)


class RequestDetail(Open311View):
    @docs.documented("open311_request", {"type": "array", "items": docs.REQUEST}, summary="GET Service Request")
    def get(self, request, fmt, pk):
        ticket = _tickets().filter(pk=_id(pk)).first() if _id(pk) is not None else None
        if ticket is None:
            raise Open311Error(404, _("service_request_id %(id)s not found.") % {"id": pk})
        return _render(fmt, [_request(ticket)], "service_requests", "request")


class Token(Open311View):
    @docs.documented("open311_token", docs.TOKEN, summary="GET request id from a token")
    def get(self, request, fmt, token_id):
        # Requests are created synchronously: the token is the request id.
        ticket = HotlineTicket.objects.filter(pk=_id(token_id), source=SOURCE).first() if _id(token_id) else None
        if ticket is None:
            raise Open311Error(404, _("token %(id)s not found.") % {"id": token_id})
        return _render(fmt, [{"service_request_id": str(ticket.pk), "token": str(token_id)}], "service_requests",
                       "request")
