"""The knowledge base's figures (知识库) for the 12345 block of the dashboard and the reports:

- 在线解答率 (online answer rate): tickets received in the period that were answered at
  first contact from the knowledge base (an answer that names its entry, and no case) ÷
  tickets received in the period; the same over consultations (咨询) alone;
- the knowledge base's upkeep: entries in force today reviewed within
  settings.HOTLINE_KB_REVIEW_DAYS ÷ entries in force, with the entries past their end that
  are still switched on and those ending within settings.HOTLINE_KB_EXPIRING_DAYS.

Counted in SQL at each read (the period's tickets by their received-time index, the answered
ones by their (state, received) index), not stored per day: a ticket is answered minutes
after it came, and the entries are a few thousand rows. The models are looked up by name,
as loop.py looks up the tickets: the KPI app does not import the hotline's modules.
"""

import datetime as dt

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from urbanmgmt.cases.models import RequestType
from urbanmgmt.grids.models import Area


def _ratio(n: int, d: int) -> dict:
    return {"n": n, "d": d, "value": round(n / d, 4) if d else None}


def online_answers(start: dt.datetime, end: dt.datetime, area: Area | None = None) -> dict:
    """在线解答率 of the tickets received in [start, end) (in an area: placed in it), all and consultations."""
    tickets = apps.get_model("hotline", "HotlineTicket").objects.filter(received_at__gte=start, received_at__lt=end)
    if area is not None:
        tickets = tickets.filter(**{f"grid__{area.level}": area})
    from_entry = apps.get_model("hotline", "TicketEvent").objects.filter(
        ticket=OuterRef("pk"), kind="answered", entry__isnull=False)
    consultation = Q(request_type=RequestType.CONSULTATION)
    answered = (tickets.filter(state="answered", case__isnull=True).filter(Exists(from_entry))
                .aggregate(n=Count("id"), consultations=Count("id", filter=consultation)))
    received = tickets.aggregate(d=Count("id"), consultations=Count("id", filter=consultation))
    return {"online_answer": _ratio(answered["n"], received["d"]),
            "online_answer_consultations": _ratio(answered["consultations"], received["consultations"])}


def upkeep(day: dt.date | None = None) -> dict:
    """The knowledge base's upkeep on `day` (today by default), see the module's docstring."""
    day = day or timezone.localdate()
    entries = apps.get_model("hotline", "KnowledgeEntry").objects
    in_force = entries.valid_on(day)
    since = day - dt.timedelta(days=settings.HOTLINE_KB_REVIEW_DAYS)
    counts = in_force.aggregate(d=Count("id"), n=Count("id", filter=Q(reviewed_at__gte=since)),
                                expiring=Count("id", filter=Q(valid_to__lte=day + dt.timedelta(
                                    days=settings.HOTLINE_KB_EXPIRING_DAYS))))
    return {"kb_upkeep": _ratio(counts["n"], counts["d"]),
            "knowledge_base": {"as_of": day.isoformat(), "in_force": counts["d"], "expiring": counts["expiring"],
                               "expired": entries.filter(active=True, valid_to__lt=day).count(),
                               "review_days": settings.HOTLINE_KB_REVIEW_DAYS,
                               "expiring_days": settings.HOTLINE_KB_EXPIRING_DAYS}}


def knowledge_kpis(start: dt.datetime, end: dt.datetime, area: Area | None = None) -> dict:
    """Both, as loop_kpis adds them to the 12345 figures (nothing without the hotline app)."""
    if not apps.is_installed("urbanmgmt.hotline"):
        return {}
    return {**online_answers(start, end, area), **upkeep()}
