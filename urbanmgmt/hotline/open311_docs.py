"""The OpenAPI description of Open311 GeoReport v2 (drf-spectacular): each operation's
parameters and its responses as the official GeoReport v2 JSON schemas give them
(github.com/open311/schema-validation, schema/georeport-v2/), in OpenAPI 3.0 words
(`nullable` for the schemas' anyOf null)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

JSON, XML = "application/json", "text/xml"


def _text(max_length: int | None = None) -> dict:
    return {"type": "string", "nullable": True, **({"maxLength": max_length} if max_length else {})}


def _time(nullable: bool = True) -> dict:
    return {"type": "string", "format": "date-time", **({"nullable": True} if nullable else {})}


REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _text(), "service_name": _text(), "service_code": {"type": "string"},
        "description": _text(4000), "agency_responsible": _text(), "service_notice": _text(),
        "requested_datetime": _time(nullable=False), "updated_datetime": _time(), "expected_datetime": _time(),
        "address": _text(), "address_id": _text(), "zipcode": _text(),
        "lat": {"type": "number", "nullable": True}, "long": {"type": "number", "nullable": True},
        "media_url": {"type": "string", "format": "uri", "nullable": True},
    },
}
SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": {"type": "string"}, "service_name": {"type": "string"}, "description": _text(),
        "metadata": {"type": "boolean"}, "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": _text(), "group": _text(),
    },
}
SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {"service_code": {"type": "string"}, "attributes": {"type": "array", "items": {"type": "object"}}},
}
ERRORS = {
    "type": "array",
    "items": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}},
}
DISCOVERY = {
    "type": "object",
    "required": ["changeset", "endpoints"],
    "properties": {
        "changeset": {"type": "string"}, "contact": {"type": "string"}, "key_service": {"type": "string"},
        "endpoints": {"type": "array", "items": {"type": "object", "properties": {
            "specification": {"type": "string"}, "url": {"type": "string"}, "changeset": {"type": "string"},
            "type": {"type": "string"}, "formats": {"type": "array", "items": {"type": "string"}}}}},
    },
}
POSTED = {
    "type": "array",
    "items": {"type": "object", "required": ["service_request_id"], "properties": {
        "service_request_id": {"type": "string"}, "service_notice": _text(), "account_id": _text()}},
}
TOKEN = {
    "type": "array",
    "items": {"type": "object", "required": ["service_request_id", "token"], "properties": {
        "service_request_id": {"type": "string"}, "token": {"type": "string"}}},
}
POST_FORM = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "properties": {
        "api_key": {"type": "string"}, "service_code": {"type": "string"}, "jurisdiction_id": {"type": "string"},
        "lat": {"type": "number"}, "long": {"type": "number"}, "address_string": {"type": "string"},
        "description": {"type": "string", "maxLength": 4000}, "first_name": {"type": "string"},
        "last_name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"},
    },
}

FORMAT = OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["json", "xml"],
                          description="Response format (the path's extension).")
JURISDICTION = OpenApiParameter("jurisdiction_id", OpenApiTypes.STR, description=(
    "Needed only where an endpoint serves several jurisdictions; another one than this server's is refused (404)."))
LIST_FILTERS = [
    OpenApiParameter("service_request_id", OpenApiTypes.STR, description="Ids, comma-separated."),
    OpenApiParameter("service_code", OpenApiTypes.STR, description="Codes, comma-separated; an unknown one: 404."),
    OpenApiParameter("start_date", OpenApiTypes.DATETIME, description="ISO 8601 with an offset (or a day)."),
    OpenApiParameter("end_date", OpenApiTypes.DATETIME, description="ISO 8601; before start_date: 400."),
    OpenApiParameter("status", OpenApiTypes.STR, pattern="^(open|closed)(,(open|closed))*$",
                     description="open, closed, or both comma-separated."),
]


def _responses(ok: dict, ok_status: int, *errors: int) -> dict:
    out = {(ok_status, JSON): OpenApiResponse(ok), (ok_status, XML): OpenApiResponse(OpenApiTypes.STR)}
    for status in errors:
        out[(status, JSON)] = OpenApiResponse(ERRORS, description="GeoReport v2 errors: [{code, description}]")
        out[(status, XML)] = OpenApiResponse(OpenApiTypes.STR)
    return out


def documented(operation_id: str, ok: dict, *errors: int, ok_status: int = 200, parameters=(), request=None,
               summary: str = ""):
    """extend_schema for one Open311 operation: public (no authentication), the format
    in the path, the jurisdiction, and the GeoReport v2 response and error shapes."""
    return extend_schema(operation_id=operation_id, tags=["open311"], summary=summary, auth=[],
                         parameters=[FORMAT, JURISDICTION, *parameters], request=request,
                         responses=_responses(ok, ok_status, 404, 405, *errors))
