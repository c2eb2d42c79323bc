"""12345 and closed-loop timeliness (DOMAIN §6): on-time signing and completion, dispatch
accuracy, average handling time; satisfaction and actual resolution come from the 12345
tickets' callbacks; the online answer rate and the knowledge base's upkeep from the
knowledge base (kpi/knowledge.py)."""

import datetime as dt

from django.apps import apps
from django.conf import settings
from django.db.models import Case as If
from django.db.models import Count, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import worktime
from urbanmgmt.cases.models import CLOCK_STOPPED, Case, CaseEvent, Channel, RequestType, State
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.collection import cases_url
from urbanmgmt.kpi.knowledge import knowledge_kpis

TARGETS = {"on_time_signing": 0.98, "on_time_completion": 0.98, "dispatch_accuracy": 0.98, "satisfaction": 0.95,
           "actual_resolution": 0.95}
NO_CALLBACKS = _("No callbacks of 12345 tickets in this period (satisfaction, actual resolution)")


def _ratio(n: int, d: int, url: str | None = None, note: str = "") -> dict:
    return {"n": n, "d": d, "value": round(n / d, 4) if d else None, "cases_url": url, **({"note": note} if note else {})}


def loop_kpis(start: dt.datetime, end: dt.datetime, area: Area | None = None, channel: str = Channel.HOTLINE) -> dict:
    """The timeliness figures of one channel's cases over [start, end): for the city from
    the stored days (kpi/daily.py), for an area counted in one pass each."""
    from urbanmgmt.kpi import daily

    now = timezone.now()
    where = {"channel": channel, **({area.level: area.code} if area else {})}
    # Stored per day and street: the city sums every street, a street or district its own
    # (a community is counted from its rows: its cases are few).
    streets = _street_ids(area)
    stored = area is None or streets is not None
    cases = Case.objects.filter(channel=channel)
    if not stored:
        cases = cases.filter(**{area.level: area})

    def figure(name: str, compute, width: int) -> dict:
        if not stored:
            return compute(start, end)
        found = daily.figures(f"loop:{channel}:{name}:street", compute, start, end, width)
        out: dict = {}
        for subject, numbers in found.items():
            street, _, rest = subject.partition("|")
            if streets is None or street in streets:
                daily.add(out, {rest: numbers})
        return out

    signing = figure("signing", lambda a, b: _signing(cases, a, b, stored), 2).get("", (0, 0))
    completion = figure("completion", lambda a, b: _completion(cases, a, b, stored), 2).get("", (0, 0))
    dispatches, returns = figure("dispatch", lambda a, b: _dispatches(cases, a, b, stored), 2).get("", (0, 0))
    happy, reached, solved, asked = figure(
        "callbacks", lambda a, b: _callbacks(cases, a, b, None if stored else area, channel, stored),
        4).get("", (0, 0, 0, 0))
    handling = figure("handling", lambda a, b: handling_figures(cases.filter(handled_at__gte=a, handled_at__lt=b), stored), 2)
    return {
        "on_time_signing": _ratio(*signing, cases_url(
            dispatched_after=start.isoformat(), dispatched_before=end.isoformat(), signing_counted="true", **where)),
        "on_time_completion": _ratio(*completion, cases_url(
            due_after=start.isoformat(), due_before=min(end, now).isoformat(),
            state=",".join(s for s in State.values if s not in CLOCK_STOPPED), **where)),
        "dispatch_accuracy": _ratio(dispatches - min(returns, dispatches), dispatches),
        "satisfaction": _ratio(happy, reached, note="" if reached else NO_CALLBACKS),
        "actual_resolution": _ratio(solved, asked, note="" if asked else NO_CALLBACKS),
        "avg_handling_working_days": handling_days(handling),
        "targets": TARGETS,
        **(knowledge_kpis(start, end, area) if channel == Channel.HOTLINE else {}),
    }


def _street_ids(area: Area | None) -> set[str] | None:
    """The ids (as stored subjects) of the streets an area is made of; None for the city or a community."""
    if area is None or area.level == "community":
        return None
    if area.level == "street":
        return {str(area.pk)}
    return {str(pk) for pk in Area.objects.filter(level="street", parent=area).values_list("pk", flat=True)}


def _counted(rows, street: str | None, keys: tuple = (), **counts) -> dict:
    """{subject: numbers} of `counts` over rows, per street ('street|key…') when `street`
    names the rows' street column (None: one figure, '' or the keys); empty figures left out."""
    fields = ((street,) if street else ()) + keys
    if not fields:
        totals = rows.aggregate(**counts)
        numbers = tuple(totals[name] or 0 for name in counts)
        return {"": numbers} if any(numbers) else {}
    return {"|".join(str(row[f]) for f in fields): tuple(row[name] or 0 for name in counts)
            for row in rows.values(*fields).annotate(**counts).order_by() if any(row[name] for name in counts)}


def _signing(cases, start, end, per_street: bool = False) -> dict:
    """Signed on time ÷ dispatched with a signing deadline that was signed or is past."""
    counted = cases.filter(dispatched_at__gte=start, dispatched_at__lt=end).signing_counted(timezone.now())
    return _counted(counted, "street_id" if per_street else None, n=Count("id", filter=Q(signed_at__lte=F("sign_due_at"))),
                    d=Count("id"))


def _completion(cases, start, end, per_street: bool = False) -> dict:
    """Handled or closed by the deadline ÷ due (not suspended) in the period, up to now."""
    due = cases.due_between(start, min(end, timezone.now()))
    return _counted(due, "street_id" if per_street else None, n=Count("id", filter=Q(handled_at__lte=F("due_at"))
                                                      | Q(closed_at__lte=F("due_at"))), d=Count("id"))


def _dispatches(cases, start, end, per_street: bool = False) -> dict:
    """Dispatches and approved returns (as misrouted) of the channel's cases in the period:
    the period's events by their (action, at) index, each case looked up by its key."""
    events = CaseEvent.objects.filter(at__gte=start, at__lt=end, action__in=("dispatch", "approve_return"),
                                      case__in=cases)
    return _counted(events, "case__street_id" if per_street else None, dispatches=Count("id", filter=Q(action="dispatch")),
                    returns=Count("id", filter=Q(action="approve_return")))


def _callbacks(cases, start: dt.datetime, end: dt.datetime, area: Area | None, channel: str,
               per_street: bool = False) -> dict:
    """(satisfied or basically, reached, resolved, said whether) of the 12345 tickets called
    back in [start, end): satisfaction = (满意 + 基本满意) ÷ callbacks that reached the citizen,
    actual resolution = resolved ÷ callbacks that say whether. For the 12345 channel every
    ticket (those answered at intake too, by the area of their grid), for another channel the
    tickets linked to its cases."""
    if not apps.is_installed("urbanmgmt.hotline"):
        return {}
    tickets = apps.get_model("hotline", "HotlineTicket").objects.filter(satisfaction_at__gte=start, satisfaction_at__lt=end)
    if channel == Channel.HOTLINE:
        tickets = tickets.filter(**{f"grid__{area.level}": area}) if area is not None else tickets
    else:
        tickets = tickets.filter(case__in=cases)
    return _counted(tickets.exclude(satisfaction=""), "grid__street_id" if per_street else None,
                    happy=Count("id", filter=Q(satisfaction__in=("satisfied", "basic"))),
                    reached=Count("id", filter=~Q(satisfaction="unreachable")),
                    solved=Count("id", filter=Q(resolved=True)), asked=Count("id", filter=Q(resolved__isnull=False)))


def handling_figures(cases, per_street: bool = False) -> dict:
    """{kind: (cases, working minutes from dispatch to reply)}, consultations apart: the
    cases' handling_minutes (the services count them when the reply comes, and again when
    the working calendar changes) summed over the (channel, handled_at) index."""
    kind = If(When(request_type=RequestType.CONSULTATION, then=Value("consultation")), default=Value("other"))
    return _counted(cases.filter(handling_minutes__isnull=False).annotate(k=kind), "street_id" if per_street else None,
                    ("k",),
                    n=Count("id"), minutes=Sum("handling_minutes"))


def handling_days(figures: dict) -> dict:
    """Mean working days from dispatch to the reply per kind, from handling_figures's figures."""
    day = worktime.parse_hours(settings.WORKING_HOURS).day_minutes
    return {kind: round(figures[kind][1] / figures[kind][0] / day, 2) if kind in figures else None
            for kind in ("consultation", "other")}
