"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2): discovery,
services (the catalogue), service definitions, requests (GET with the spec's filters,
POST with an API key: a ticket of source "open311"), one request, tokens. JSON or XML by
the path's extension; times in ISO 8601 with the offset; errors as the spec's list of
{code, description}. Nothing private (the caller's contact) is ever shown."""

import datetime as dt
import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, IntakeChannel, Open311Client, TicketState

SOURCE = "open311"
LIMIT = 1000


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        self.code, self.description = code, description


# The element of each item of a list in XML (the spec's names).
ITEMS = {"formats": "format", "endpoints": "endpoint", "attributes": "attribute", "values": "value"}


def _fill(node, entry: dict) -> None:
    for key, value in entry.items():
        child = ET.SubElement(node, key)
        if isinstance(value, list):
            for v in value:
                element = ET.SubElement(child, ITEMS.get(key, "value"))
                if isinstance(v, dict):
                    _fill(element, v)
                else:
                    element.text = str(v)
        elif value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else str(value)


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


def _error(fmt, code, description):
    return _render(fmt, [{"code": code, "description": description}], "errors", "error", status=code)


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _guard(view):
    def wrapped(request, fmt, *args, **kwargs):
        if fmt not in ("json", "xml"):
            return _error("json", 404, "format must be json or xml")
        try:
            return view(request, fmt, *args, **kwargs)
        except Open311Error as exc:
            return _error(fmt, exc.code, exc.description)
        except DomainError as exc:
            return _error(fmt, exc.status, str(exc))
    return csrf_exempt(wrapped)


@_guard
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311-root"))
    data = {"changeset": "2026-11-24T00:00:00+08:00", "contact": "12345", "key_service": "/admin/",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                           "changeset": "2026-11-24T00:00:00+08:00", "type": "production",
                           "formats": ["application/json", "text/xml"]}]}
    return _render(fmt, data, "discovery", None)


def _service(c: Category) -> dict:
    return {"service_code": c.service_code, "service_name": c.name_zh, "description": c.name_en or c.name_zh,
            "metadata": False, "type": "realtime", "keywords": ",".join(c.keywords), "group": c.major.name_zh}


@_guard
def services(request, fmt):
    rows = Category.objects.filter(active=True).select_related("major").order_by("service_code")
    return _render(fmt, [_service(c) for c in rows], "services", "service")


@_guard
def service_definition(request, fmt, code):
    if not Category.objects.filter(service_code=code, active=True).exists():
        raise Open311Error(404, f"service_code {code} not found")
    return _render(fmt, {"service_code": code, "attributes": []}, "service_definition", None)


def _request(t: HotlineTicket) -> dict:
    closed = t.state in (TicketState.ANSWERED, TicketState.REPLIED) or bool(t.replied_at)
    return {"service_request_id": str(t.pk), "status": "closed" if closed else "open",
            "status_notes": t.reply or None, "service_name": t.category.name_zh if t.category else None,
            "service_code": t.category.service_code if t.category else None, "description": t.text or t.title,
            "agency_responsible": t.case.department.name if t.case and t.case.department else None,
            "service_notice": None, "requested_datetime": _iso(t.received_at), "updated_datetime": _iso(t.updated_at),
            "expected_datetime": _iso(t.reply_due_at), "address": t.address or None, "address_id": None,
            "zipcode": None, "lat": t.point.y if t.point else None, "long": t.point.x if t.point else None,
            "media_url": None}


def _tickets():
    return HotlineTicket.objects.select_related("category", "case__department")


@_guard
def requests_view(request, fmt):
    if request.method == "POST":
        return _post(request, fmt)
    rows = _tickets().order_by("-received_at")
    q = request.GET
    if q.get("service_request_id"):
        ids = [i for i in q["service_request_id"].split(",") if i.strip().isdigit()]
        return _render(fmt, [_request(t) for t in rows.filter(pk__in=ids)], "service_requests", "request")
    if q.get("service_code"):
        rows = rows.filter(category__service_code__in=q["service_code"].split(","))
    start, end = _date(q.get("start_date")), _date(q.get("end_date"))
    if start is None and end is None:
        start = timezone.now() - dt.timedelta(days=90)  # the spec's default window
    if start:
        rows = rows.filter(received_at__gte=start)
    if end:
        rows = rows.filter(received_at__lte=end)
    status = q.get("status")
    if status:
        wanted = set(status.split(","))
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        if wanted == {"open"}:
            rows = rows.filter(replied_at__isnull=True).exclude(state=TicketState.ANSWERED)
        elif wanted == {"closed"}:
            rows = rows.filter(replied_at__isnull=False)
    return _render(fmt, [_request(t) for t in rows[:LIMIT]], "service_requests", "request")


def _date(text):
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        raise Open311Error(400, f"unreadable date {text}: use ISO 8601 (2026-11-01T00:00:00+08:00)")
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _post(request, fmt):
    data = request.POST
    client = Open311Client.objects.filter(api_key=data.get("api_key") or "-", active=True).first()
    if client is None:
        raise Open311Error(403, "a valid api_key is required to post service requests")
    code = data.get("service_code")
    category = Category.objects.filter(service_code=code, active=True).first()
    if category is None:
        raise Open311Error(400, f"service_code {code} not found")
    if not (data.get("lat") and data.get("long")) and not data.get("address_string"):
        raise Open311Error(400, "a location is required: lat and long, or address_string")
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


@_guard
def request_detail(request, fmt, pk):
    ticket = _tickets().filter(pk=pk).first()
    if ticket is None:
        raise Open311Error(404, f"service_request_id {pk} not found")
    return _render(fmt, [_request(ticket)], "service_requests", "request")


@_guard
def token(request, fmt, token_id):
    # Requests are created synchronously: the token is the request id.
    ticket = HotlineTicket.objects.filter(pk=token_id if str(token_id).isdigit() else -1, source=SOURCE).first()
    if ticket is None:
        raise Open311Error(404, f"token {token_id} not found")
    return _render(fmt, [{"service_request_id": str(ticket.pk), "token": str(token_id)}], "service_requests", "request")
