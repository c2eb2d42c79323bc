"""A department's queue, most urgent first (DOMAIN §5): cases to sign within 2 working
hours, overdue ones, those due within a working day, the rest in hand, and what waits on
the command centre (a return, an extension, a check)."""

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from urbanmgmt.cases import worktime
from urbanmgmt.cases.models import Case, State, is_late_to_sign, is_overdue

FIELDS = ("id", "code", "state", "urgency", "category__name_zh", "category__name_en", "address", "description",
          "dispatched_at", "sign_due_at", "signed_at", "due_at", "extension_requested_until", "rework_count",
          "return_count", "ticket_count", "version", "handled_at", "street__name", "community__name", "grid__code")
WAITING = (State.RETURNED, State.HANDLED, State.CHECKING, State.SUSPENDED)
RECENT = 30


def queue(user) -> dict:
    """The sections of the workspace, each a list of rows sorted most urgent first."""
    now = timezone.now()
    soon = worktime.add_working_days(now, 1)
    cases = Case.objects.visible_to(user)
    rows = list(cases.filter(Q(state=State.DISPATCHED) | Q(state__in=WAITING))
                .order_by("due_at", "id").values(*FIELDS))
    sections = {"to_sign": [], "overdue": [], "due_soon": [], "in_hand": [], "waiting": []}
    for row in rows:
        row["return_until"] = (worktime.add_working_days(row["dispatched_at"], settings.RETURN_WITHIN_WORKING_DAYS)
                               if row["dispatched_at"] and row["state"] == State.DISPATCHED and not row["signed_at"]
                               else None)
        row["late_to_sign"] = is_late_to_sign(row["sign_due_at"], row["signed_at"], now)
        row["overdue"] = is_overdue(row["state"], row["due_at"], now)
        if row["state"] in WAITING:
            sections["waiting"].append(row)
        elif not row["signed_at"]:
            sections["to_sign"].append(row)
        elif row["overdue"]:
            sections["overdue"].append(row)
        elif row["due_at"] and row["due_at"] <= soon:
            sections["due_soon"].append(row)
        else:
            sections["in_hand"].append(row)
    sections["to_sign"].sort(key=lambda r: (r["sign_due_at"] or now, r["id"]))
    recent = list(cases.filter(handled_at__isnull=False).order_by("-handled_at").values(*FIELDS)[:RECENT])
    return {"now": now, "sections": sections, "recent": recent}
