"""Small builders for test data: a grid layer, people, cases (through the services)."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from pyproj import Transformer

from urbanmgmt.cases import services
from urbanmgmt.org.models import Department, Profile

TO_WGS = Transformer.from_crs(32650, 4326, always_xy=True)
TO_UTM = Transformer.from_crs(4326, 32650, always_xy=True)
# South-west corner of the test layer, in EPSG:32650 (central Haizhou).
X0, Y0 = 695000.0, 3828000.0
STREETS = [("320706006", "新海街道"), ("320706010", "新浦街道")]


def square(col: int, row: int, size: float = 100.0) -> list[list[float]]:
    corners = [(X0 + col * size, Y0 + row * size), (X0 + (col + 1) * size, Y0 + row * size),
               (X0 + (col + 1) * size, Y0 + (row + 1) * size), (X0 + col * size, Y0 + (row + 1) * size)]
    ring = [list(TO_WGS.transform(x, y)) for x, y in corners]
    return ring + [ring[0]]


def grid_features(cols: int = 6, rows: int = 4) -> list[dict]:
    """cols × rows grids of 100 m; the west half in street 1, the east half in street 2,
    each street in two communities (south and north rows)."""
    features, sequence = [], {}
    for col in range(cols):
        for row in range(rows):
            street_code, street_name = STREETS[0] if col < cols // 2 else STREETS[1]
            community = "001" if row < rows // 2 else "002"
            community_code = f"{street_code}{community}"
            sequence[community_code] = sequence.get(community_code, 0) + 1
            features.append({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [square(col, row)]},
                "properties": {
                    "grid_code": f"{community_code}{sequence[community_code]:02d}",
                    "community_code": community_code, "community_name": f"{street_name[:2]}{community}社区",
                    "street_code": street_code, "street_name": street_name,
                    "district_code": "320706", "district_name": "海州区",
                },
            })
    return features


def write_layer(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def point_in(col: float, row: float) -> Point:
    """A WGS84 point at fractional lattice coordinates of the test layer (0.5, 0.5 = first grid's centre)."""
    lon, lat = TO_WGS.transform(X0 + col * 100, Y0 + row * 100)
    return Point(lon, lat, srid=4326)


def make_person(username: str, role: str | None, department: str | None = None, grids=()):
    user = get_user_model().objects.create_user(username, password="pw-" + username)
    if role:
        user.groups.add(Group.objects.get(name=role))
    profile = Profile.objects.create(user=user, display_name=username,
                                     department=Department.objects.get(code=department) if department else None)
    if grids:
        profile.grids.set(grids)
    return user


@dataclass
class People:
    inspector: object
    analyst: object
    dispatcher: object
    handler: object
    other_handler: object
    manager: object
    admin: object
    outsider: object
    extra: dict = field(default_factory=dict)


def client_for(user, language: str | None = None):
    """An API client signed in as `user`, asking for answers in `language` if given."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    if language:
        client.credentials(HTTP_ACCEPT_LANGUAGE=language)
    return client


def report_case(actor, category, col=0.5, row=0.5, **kwargs):
    from urbanmgmt.catalog.models import Category

    # A case given for the category was taken for its id: a category of that number, or, once
    # the cases outnumbered the categories, a foreign key refused at commit on PostGIS only.
    assert category is None or isinstance(category, Category), f"a category, not {category!r}"
    kwargs.setdefault("channel", "inspector")
    case, _ = services.report(actor, point=point_in(col, row), category=category, **kwargs)
    return case
