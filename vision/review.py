"""The analyst's review items (à la Frigate): one item per object and visit, alerts apart from
detections, filtered by camera, rule, state and day; an item confirmed into one case (through
services.confirm, the one way in) or rejected, alone or several at once with one reason.

A visit is what one object did in one place: the worker raises one candidate per zone and per
visit, but an object standing in two zones, or one the worker lost and found again after its
cooldown, raises more. Each later candidate points to the first (`visit`), so the analyst
reviews the object once and the precision table still counts every candidate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import clock
from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError, ForbiddenTransition, InvalidInput
from urbanmgmt.org import roles as R
from vision import services
from vision.models import CandidateEvent, Rule

PENDING, CONFIRMED, REJECTED = (CandidateEvent.Status.PENDING, CandidateEvent.Status.CONFIRMED,
                                CandidateEvent.Status.REJECTED)
KINDS = ("alerts", "detections")
STATES = ("pending", "confirmed", "rejected", "all")
BULK_MAX = 200


@dataclass
class Filters:
    """What the analyst asked to see; a value the page does not offer is left out."""

    kind: str = "alerts"
    camera: str = ""
    rule: str = ""
    state: str = "pending"
    day: dt.date | None = None

    @classmethod
    def read(cls, query) -> Filters:
        day = None
        try:
            day = dt.date.fromisoformat(query.get("day") or "")
        except ValueError:
            pass
        return cls(kind=_pick(query.get("kind"), KINDS), camera=(query.get("camera") or "")[:30],
                   rule=query.get("rule") if query.get("rule") in Rule.values else "",
                   state=_pick(query.get("state"), STATES), day=day)


def _pick(value, allowed):
    return value if value in allowed else allowed[0]


def _pending_repeat():
    return Exists(CandidateEvent.objects.filter(visit=OuterRef("pk"), status=PENDING))


def items(filters: Filters, kind: str | None = None) -> QuerySet:
    """The review items (first candidates of visits) that `filters` ask for, newest first."""
    rows = CandidateEvent.objects.filter(visit__isnull=True)
    alerts = CandidateEvent.alerts_q()
    rows = rows.filter(alerts) if (kind or filters.kind) == "alerts" else rows.exclude(alerts)
    if filters.camera:
        rows = rows.filter(camera__code=filters.camera)
    if filters.rule:
        rows = rows.filter(Q(rule=filters.rule)
                           | Exists(CandidateEvent.objects.filter(visit=OuterRef("pk"), rule=filters.rule)))
    if filters.state == "pending":
        rows = rows.filter(Q(status=PENDING) | _pending_repeat())
    elif filters.state != "all":
        rows = rows.filter(status=filters.state)
    if filters.day:
        start = timezone.make_aware(dt.datetime.combine(filters.day, dt.time()))
        rows = rows.filter(last_seen_at__gte=start, last_seen_at__lt=start + dt.timedelta(days=1))
    return rows.order_by("-last_seen_at", "-id")


def members(lead: CandidateEvent) -> list[CandidateEvent]:
    """The candidates of the visit `lead` begins, first to last."""
    return [lead, *lead.repeats.select_related("zone").order_by("last_seen_at", "id")]


def confirm_visit(actor, lead: CandidateEvent, *, category: Category | None = None, description: str = "") -> Case:
    """Confirm an object's visit: its first pending candidate becomes a case (services.confirm),
    its other pending candidates are marked confirmed on that case (no second case)."""
    R.require_role(actor, *services.REVIEWERS, message=_("Only video analysts review candidates."))
    visit = members(lead)
    pending = [c for c in visit if c.status == PENDING]
    if not pending:
        raise ForbiddenTransition(_("This candidate was already reviewed (%(status)s)."),
                                  status=lead.get_status_display())
    case = next((c.case for c in visit if c.case_id), None)
    with transaction.atomic():
        if case is None:
            first = pending.pop(0)
            case = services.confirm(actor, first, category=category, description=description)
        for candidate in pending:
            _join(actor, candidate, case, lead)
    return case


def _join(actor, candidate: CandidateEvent, case: Case, lead: CandidateEvent) -> None:
    """A later candidate of a confirmed visit: confirmed on the visit's case."""
    current = services.pending_for_review(candidate)
    current.status, current.case, current.reviewed_by, current.reviewed_at = CONFIRMED, case, actor, clock.now()
    current.review_note = str(_("Same object and visit as candidate #%(id)s.") % {"id": lead.pk})
    current.save(update_fields=["status", "case", "reviewed_by", "reviewed_at", "review_note"])


def reject_visit(actor, lead: CandidateEvent, *, reason: str, note: str = "") -> list[CandidateEvent]:
    """Reject every pending candidate of an object's visit, each through services.reject
    (its own state check), all or none."""
    pending = [c for c in members(lead) if c.status == PENDING] or [lead]  # the lead's refusal, if none waits
    with transaction.atomic():
        return [services.reject(actor, c, reason=reason, note=note) for c in pending]


def reject_many(actor, ids: list, *, reason: str, note: str = "") -> list[dict]:
    """Reject several review items with one reason: each on its own (a stale or vanished one
    does not hold back the rest), with its outcome: {"id", "ok", "status" | "error"}."""
    R.require_role(actor, *services.REVIEWERS, message=_("Only video analysts review candidates."))
    if reason not in CandidateEvent.RejectReason.values:
        raise InvalidInput(_("Choose a reason for rejecting."))
    if reason == CandidateEvent.RejectReason.OTHER and not note.strip():
        raise InvalidInput(_("Say why the candidate is rejected."))
    wanted = _ids(ids)
    found = CandidateEvent.objects.in_bulk(wanted)
    outcomes = []
    for pk in wanted:
        if pk not in found:
            outcomes.append({"id": pk, "ok": False, "error": str(_("There is no candidate #%(id)s.") % {"id": pk})})
            continue
        try:
            rejected = reject_visit(actor, found[pk], reason=reason, note=note)
        except DomainError as error:
            outcomes.append({"id": pk, "ok": False, "error": str(error)})
        else:
            outcomes.append({"id": pk, "ok": True, "status": REJECTED, "rejected": [c.pk for c in rejected]})
    return outcomes


def _ids(ids) -> list[int]:
    if not isinstance(ids, list) or not ids:
        raise InvalidInput(_("Select the candidates to reject."))
    if len(ids) > BULK_MAX:
        raise InvalidInput(_("At most %(n)s candidates at once."), n=BULK_MAX)
    out = []
    for value in ids:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Candidates are given by their numbers.")) from None
        if not 0 < pk < 2**63:
            raise InvalidInput(_("Candidates are given by their numbers."))
        if pk not in out:
            out.append(pk)
    return out
