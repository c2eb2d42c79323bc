"""The intake pages' lists of tickets (the placement queue, the review queue, any state):
search by number, text or district, newest or most urgent first, a page at a time; and a
ticket's own history as its page shows it."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Case as Cases
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from urbanmgmt.grids.models import Area
from urbanmgmt.hotline.models import Bureau, Decision, HotlineTicket, TicketDecision, TicketEvent, Urgency

PAGE_SIZE = 25
ORDERS = {"newest": _("Newest first"), "urgent": _("Most urgent first"), "oldest": _("Oldest first"),
          "doubt": _("Most likely wrong first")}
# The urgent ones first, then the hard and complex ones; within each, the nearest reply deadline.
_URGENCY_RANK = Cases(When(urgency=Urgency.URGENT, then=Value(0)),
                      When(urgency__in=[Urgency.HARD, Urgency.COMPLEX], then=Value(1)),
                      default=Value(2), output_field=IntegerField())


@dataclass
class Listing:
    """One page of a filtered list and the filters that made it (for links that keep them)."""

    page: Page
    q: str
    district: str
    order: str
    total: int

    def query(self, **change) -> str:
        """The list's query string with `change` applied (a page number, a ticket)."""
        from urllib.parse import urlencode

        params = {"q": self.q, "district": self.district, "order": self.order, **change}
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def search(queryset: QuerySet, q: str) -> QuerySet:
    """Tickets whose number, linked case code, title, text or address holds `q`."""
    q = q.strip()
    if not q:
        return queryset
    return queryset.filter(Q(external_id__icontains=q) | Q(case__code__iexact=q) | Q(title__icontains=q)
                           | Q(text__icontains=q) | Q(address__icontains=q))


def exact(q: str) -> QuerySet:
    """Tickets whose number or linked case's code is exactly `q` (find by number)."""
    q = q.strip()
    return HotlineTicket.objects.filter(Q(external_id=q) | Q(case__code__iexact=q)) if q else HotlineTicket.objects.none()


def in_district(queryset: QuerySet, code: str) -> QuerySet:
    """Tickets of the district `code`: placed in one of its grids, or naming it in the address
    (an unplaced ticket has no grid)."""
    district = Area.objects.filter(level=Area.Level.DISTRICT, code=code).first() if code else None
    if district is None:
        return queryset
    return queryset.filter(Q(grid__district=district) | Q(address__contains=district.name)
                           | Q(place_match__contains=district.name))


def ordered(queryset: QuerySet, order: str) -> QuerySet:
    if order == "urgent":
        return queryset.annotate(rank=_URGENCY_RANK).order_by("rank", F("reply_due_at").asc(nulls_last=True),
                                                              "-received_at", "-id")
    if order == "oldest":
        return queryset.order_by("received_at", "id")
    if order == "doubt":
        return queryset.order_by(F("doubt").desc(nulls_last=True), "-received_at", "-id")
    return queryset.order_by("-received_at", "-id")


def listing(queryset: QuerySet, params, default_order: str = "newest") -> Listing:
    """`queryset` searched, filtered by district, ordered and cut into the requested page."""
    q, district = params.get("q", "")[:100], params.get("district", "")[:16]
    order = params.get("order") if params.get("order") in ORDERS else default_order
    queryset = ordered(in_district(search(queryset, q), district), order)
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    return Listing(page=page, q=q, district=district, order=order, total=paginator.count)


def districts() -> QuerySet:
    return Area.objects.filter(level=Area.Level.DISTRICT).only("code", "name").order_by("code")


@dataclass
class Step:
    at: object
    who: str
    what: str
    note: str = ""


def _name(user) -> str:
    if user is None:
        return ""
    try:
        return user.profile.display_name or user.get_username()
    except user._meta.model.profile.RelatedObjectDoesNotExist:
        return user.get_username()


def _of(step, target) -> str:
    """A step of the history with what it was about: "转办：住房和城乡建设局", "Forwarded: …"."""
    return str(pgettext("ticket history", "%(step)s: %(target)s") % {"step": step, "target": target}) if target \
        else str(step)


def history(ticket: HotlineTicket) -> list[Step]:
    """What happened to the ticket, oldest first: received, forwarded by the import, the
    clerks' decisions (category, forwarding), linked to a case by hand or taken off one, its
    own case rejected, set aside and taken back, answered, called back."""
    steps = [Step(ticket.received_at, "", str(_("Received (%(channel)s)") % {
        "channel": ticket.get_intake_channel_display()}))]
    for d in TicketDecision.objects.filter(ticket=ticket).select_related("category", "bureau", "decided_by__profile"):
        target = d.category.name if d.category else (d.bureau.name if d.bureau else "")
        note = ticket.forward_reason or "" if d.kind == Decision.FORWARDED else ""
        steps.append(Step(d.decided_at, _name(d.decided_by), _of(d.get_kind_display(), target), note))
    events = list(TicketEvent.objects.filter(ticket=ticket).select_related("actor__profile", "entry"))
    bureaus = {b.code: b for b in Bureau.objects.filter(
        code__in=[e.value for e in events if e.kind == TicketEvent.Kind.FORWARDED])}
    for e in events:
        what = e.get_kind_display()
        if e.kind in (TicketEvent.Kind.LINKED, TicketEvent.Kind.UNLINKED, TicketEvent.Kind.CASE_REJECTED):
            what = _of(what, e.value)
        elif e.kind == TicketEvent.Kind.FORWARDED:
            what = _of(what, bureaus[e.value].name if e.value in bureaus else e.value)
        if e.entry is not None:
            what = _("%(what)s from the knowledge base: %(code)s %(question)s") % {
                "what": what, "code": e.entry.code, "question": e.entry.question}
        if e.kind == TicketEvent.Kind.CALLBACK and e.value:
            what = _of(what, HotlineTicket(satisfaction=e.value).get_satisfaction_display())
        steps.append(Step(e.at, _name(e.actor), what, e.note))
    return sorted(steps, key=lambda s: s.at)
