"""Find anything by its number (#15): a case by its code (or id), a 12345 ticket by its
number, a video candidate by its id (registered by the video channel), answered with the case
each leads to and where it lies, for the map's search box, `/map/?case=` and the panel's
"link a ticket" form."""

from django.db.models import Q

from urbanmgmt.cases.models import Case
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.numbers import find_registered
from urbanmgmt.org import roles as R

LIMIT = 10
MIN_PREFIX = 4  # shorter beginnings match too much to be a search by number


def find(user, text: str) -> dict:
    """Cases whose code is `text` or begins with it (or whose id is `text`), exact ones
    first; tickets likewise by number, each with its case. Only what `user` may see: cases
    visible to them, tickets of such cases (the command centre sees tickets without one); and
    what the channels number themselves (urbanmgmt/numbers.py: the video candidates)."""
    text = text.strip()
    if not text:
        return {"cases": [], "tickets": [], **{kind: [] for kind in find_registered(user, "")}}
    return {"cases": _cases(user, text), "tickets": _tickets(user, text), **find_registered(user, text)}


def _cases(user, text: str) -> list[dict]:
    wanted = Q(code=text)
    if len(text) >= MIN_PREFIX:
        wanted |= Q(code__startswith=text)
    if text.isascii() and text.isdigit() and len(text) <= 18:
        wanted |= Q(pk=int(text))
    rows = (Case.objects.visible_to(user).filter(wanted).select_related("category")
            .only("id", "code", "state", "address", "point", "category__name_zh", "category__name_en")
            .order_by("-reported_at", "-id")[:LIMIT])
    found = [{"id": c.pk, "code": c.code, "state": c.state, "state_display": c.get_state_display(),
              "category_name": c.category.name if c.category else "", "address": c.address,
              "lon": c.point.x, "lat": c.point.y, "exact": c.code == text or str(c.pk) == text} for c in rows]
    return sorted(found, key=lambda row: not row["exact"])


def _tickets(user, text: str) -> list[dict]:
    wanted = Q(external_id=text)
    if len(text) >= MIN_PREFIX:
        wanted |= Q(external_id__startswith=text)
    tickets = HotlineTicket.objects.filter(wanted)
    visible = Q(case__in=Case.objects.visible_to(user))
    if R.has_role(user, *R.COMMAND_CENTRE):
        visible |= Q(case__isnull=True)
    rows = (tickets.filter(visible).select_related("case").order_by("-received_at", "-id")[:LIMIT])
    found = [{"id": t.pk, "external_id": t.external_id, "title": t.title, "case": t.case_id,
              "case_code": t.case.code if t.case else None, "exact": t.external_id == text,
              "lon": t.case.point.x if t.case else None, "lat": t.case.point.y if t.case else None} for t in rows]
    return sorted(found, key=lambda row: not row["exact"])
