"""What the API answers to input it cannot use, always as JSON `{"detail", "code"}` in the
user's language: pagination bounded and checked, JSON bodies of bounded depth, and the
errors Django raises outside DRF's views (an unknown /api/ path, a body over the limit, a
server error) answered as JSON under /api/ and /open311/ while pages keep their HTML.
"""

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError, JsonResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import pagination, serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.pagination import GeoJsonPagination

from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.geo import parse_bbox

API_PREFIXES = ("/api/", "/open311/")


def whole_number(text: str, name: str, minimum: int) -> int:
    """A query parameter as a whole number of at least `minimum`, else InvalidInput naming it."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or int(text[:40]) < minimum:
        raise InvalidInput(_("“%(name)s” must be a whole number of at least %(minimum)s."), name=name, minimum=minimum)
    # Past 4,300 digits int() refuses (ValueError); past 40 the number is beyond any bound anyway.
    return int(text) if len(text) <= 40 else 10**40


class BoundedLimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit` and `offset` as DRF gives them, but a limit above settings.API_MAX_PAGE_SIZE is
    cut to it (a client asking for "all" gets the largest page) and a limit or offset that is
    no whole number, or negative, is a 400 rather than silently the default page."""

    @property
    def max_limit(self):
        return settings.API_MAX_PAGE_SIZE

    def get_limit(self, request):
        text = request.query_params.get(self.limit_query_param)
        if text in (None, ""):
            return self.default_limit
        return min(whole_number(text, self.limit_query_param, 1), self.max_limit)

    def get_offset(self, request):
        text = request.query_params.get(self.offset_query_param)
        # An offset past the last row answers an empty page before any query uses it.
        return 0 if text in (None, "") else whole_number(text, self.offset_query_param, 0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1 if parameter["name"] == self.limit_query_param else 0
        return parameters


class CheckedInBBoxFilter(InBBoxFilter):
    """rest_framework_gis' `in_bbox` filter with its four numbers checked first (parse_bbox)."""

    def get_filter_bbox(self, request):
        text = request.query_params.get(self.bbox_param)
        return Polygon.from_bbox(parse_bbox(text, clip=True)) if text else None


class FeatureCollectionPagination(GeoJsonPagination):
    """A page of a GeoJSON list: a FeatureCollection with `count`, `next` and `previous`;
    `page_size` bounded like `limit` above."""

    @property
    def max_page_size(self):
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text in (None, ""):
            return self.page_size
        return min(whole_number(text, self.page_size_query_param, 1), self.max_page_size)

    def get_paginated_response_schema(self, schema):
        # `schema` is the list's FeatureCollection (drf-spectacular's rest_framework_gis
        # extension); a page is that collection with its count and links.
        links = {"type": "string", "format": "uri", "nullable": True}
        return {"allOf": [schema, {"type": "object", "required": ["type", "count", "features"], "properties": {
            "count": {"type": "integer"}, "next": links, "previous": links}}]}


def _too_deep() -> str:
    return _("The JSON body is nested deeper than %(n)s levels.") % {"n": settings.API_MAX_JSON_DEPTH}


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than settings.API_MAX_JSON_DEPTH (no
    request of this API needs more than a few levels; thousands exhaust the interpreter's
    recursion) with a 400 in the user's language."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        except ParseError:
            raise ParseError(_("The body is not valid JSON.")) from None
        if isinstance(data, dict | list) and _depth(data) > settings.API_MAX_JSON_DEPTH:
            raise ParseError(_too_deep())
        return data


class BoundedJSONField(serializers.JSONField):
    """DRF's JSONField (which also decodes JSON text sent in a form field) with the parser's
    depth limit."""

    def to_internal_value(self, data):
        try:
            value = super().to_internal_value(data)
        except RecursionError:
            raise serializers.ValidationError(_too_deep()) from None
        if isinstance(value, dict | list) and _depth(value) > settings.API_MAX_JSON_DEPTH:
            raise serializers.ValidationError(_too_deep())
        return value


def too_big_message() -> str:
    return _("The request is larger than the %(kb)s KB this address accepts (files excepted).") % {
        "kb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024}


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def _error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception, template_name="400.html"):
    """handler400: a request Django refused before any view (a body over the limit, a bad
    host or header)."""
    if not _is_api(request):
        return defaults.bad_request(request, exception, template_name)
    if isinstance(exception, RequestDataTooBig):
        return _error(too_big_message(), "too_large", 413)
    return _error(_("The request is malformed."), "bad_request", 400)


def not_found(request, exception, template_name="404.html"):
    """handler404: an unknown address under the API is a JSON 404."""
    if not _is_api(request):
        return defaults.page_not_found(request, exception, template_name)
    return _error(_("There is nothing at %(path)s.") % {"path": request.path}, "not_found", 404)


def server_error(request, template_name="500.html"):
    """handler500: a JSON 500 for API clients (the error is logged by Django); for a person,
    the page in their language with the header's language switch. The page is rendered
    without context processors (they may need the database that failed): the request and
    the switch's CSRF token are all it is given."""
    if not _is_api(request):
        page = loader.get_template(template_name).render({"request": request, "csrf_token": get_token(request)})
        return HttpResponseServerError(page)
    return _error(_("The server failed to answer this request; the error has been logged."), "server_error", 500)

