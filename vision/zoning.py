"""Zones as the analyst draws them on a camera's still: saved new or changed, and removed.

The worker checks a zone again when it loads it (vision/worker/zones.py), in English and by
raising; here every check a person can fail is made first, in their language, before anything
is written.
"""

import json

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import InvalidInput
from vision.models import Camera, Rule, Zone
from vision.worker.zones import DEFAULT_CLASSES

NAME_MAX = Zone._meta.get_field("name").max_length


def parse_polygon(text: str) -> list[list[float]]:
    """The corners the page sends (JSON [[x, y], …] in frame pixels); InvalidInput if unreadable."""
    try:
        return [[float(x), float(y)] for x, y in json.loads(text or "[]")]
    except (TypeError, ValueError):
        raise InvalidInput(_("The zone's corners could not be read: draw the zone again.")) from None


def _number(text, label, default: float) -> float:
    try:
        value = float(text) if str(text or "").strip() else default
    except ValueError:
        value = -1.0
    if not 0 <= value < 10**6:
        raise InvalidInput(_("%(label)s must be a number of at least 0."), label=label)
    return value


def save_zone(camera: Camera, data, zone: Zone | None = None) -> Zone:
    """Save a new zone of `camera`, or change `zone`, from the page's fields (name, polygon,
    rule, category, dwell_s, classes). InvalidInput, nothing written, for a zone of fewer than
    3 corners, without a name, with an unknown rule, or "object present" without classes."""
    polygon = parse_polygon(data.get("polygon"))
    name = (data.get("name") or "").strip()
    if len(polygon) < 3:
        raise InvalidInput(_("A zone needs at least 3 corners; %(n)s drawn. Click the picture to add corners."),
                           n=len(polygon))
    if not name:
        raise InvalidInput(_("Give the zone a name."))
    rule = data.get("rule") or ""
    if rule not in Rule.values:
        raise InvalidInput(_("Choose the zone's rule."))
    classes = [c.strip() for c in (data.get("classes") or "").split(",") if c.strip()]
    if not classes and not DEFAULT_CLASSES[rule]:
        raise InvalidInput(_("The rule “%(rule)s” needs the detector classes it watches."), rule=Rule(rule).label)
    zone = zone or Zone(camera=camera)
    zone.name, zone.polygon, zone.rule, zone.classes = name[:NAME_MAX], polygon, rule, classes
    zone.dwell_s = _number(data.get("dwell_s"), _("Dwell time (s)"), 60)
    zone.category = Category.objects.filter(service_code=data.get("category") or "").first()
    zone.save()
    return zone


def remove_zone(zone: Zone) -> bool:
    """Delete a zone; one that raised candidates is retired instead (no longer watched nor shown,
    kept for the candidates that name it). True when deleted."""
    with transaction.atomic():
        if zone.candidates.exists():
            zone.active = False
            zone.save(update_fields=["active"])
            return False
        zone.delete()
        return True
