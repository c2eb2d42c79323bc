"""The closed loop as data: which action moves a case from which states, by which role.

services.py consults this table for every transition; the API and the map read it to show
only the actions a person may take.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases.models import State
from urbanmgmt.org.roles import ADMIN, DISPATCHER, HANDLER, INSPECTOR


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: tuple[str, ...]
    target: str | None  # None: the service decides (stays, or returns to an earlier state)
    roles: tuple[str, ...]
    needs_reason: bool = False


S = State
_T = [
    Transition("file", _("File (立案)"), (S.REPORTED,), S.FILED, (DISPATCHER,)),
    Transition("reject", _("Reject (不予立案)"), (S.REPORTED,), S.REJECTED, (DISPATCHER,), True),
    Transition("request_verification", _("Ask for on-site verification (核实)"), (S.REPORTED,), None, (DISPATCHER,)),
    Transition("verify", _("Verified on site"), (S.REPORTED,), None, (INSPECTOR,)),
    Transition("void", _("Void (作废)"), (S.FILED,), S.VOIDED, (DISPATCHER,), True),
    Transition("dispatch", _("Dispatch (派遣)"), (S.FILED,), S.DISPATCHED, (DISPATCHER,)),
    Transition("sign", _("Sign (签收)"), (S.DISPATCHED,), None, (HANDLER,)),
    Transition("return", _("Return as misrouted (回退)"), (S.DISPATCHED,), S.RETURNED, (HANDLER,), True),
    Transition("approve_return", _("Approve return"), (S.RETURNED,), S.FILED, (DISPATCHER,)),
    Transition("deny_return", _("Deny return"), (S.RETURNED,), S.DISPATCHED, (DISPATCHER,), True),
    Transition("request_extension", _("Request extension (延期)"), (S.DISPATCHED,), None, (HANDLER,), True),
    Transition("approve_extension", _("Approve extension"), (S.DISPATCHED,), None, (DISPATCHER,)),
    Transition("deny_extension", _("Deny extension"), (S.DISPATCHED,), None, (DISPATCHER,), True),
    Transition("handle", _("Reply as handled (处置反馈)"), (S.DISPATCHED,), S.HANDLED, (HANDLER,)),
    Transition("send_for_check", _("Send for check (核查)"), (S.HANDLED,), S.CHECKING, (DISPATCHER,)),
    Transition("check_pass", _("Check passed"), (S.CHECKING,), S.CHECKED, (INSPECTOR,)),
    Transition("check_fail", _("Check failed: rework (返工)"), (S.CHECKING,), S.DISPATCHED, (INSPECTOR,), True),
    Transition("close", _("Close (结案)"), (S.CHECKED, S.FILED), S.CLOSED, (DISPATCHER,)),
    Transition("suspend", _("Suspend (挂账)"), (S.FILED, S.DISPATCHED, S.RETURNED, S.HANDLED), S.SUSPENDED,
               (DISPATCHER,), True),
    Transition("resume", _("Resume"), (S.SUSPENDED,), None, (DISPATCHER,)),
]
TRANSITIONS: dict[str, Transition] = {t.action: t for t in _T}


def allowed_roles(transition: Transition) -> tuple[str, ...]:
    """Administrators may act in every role."""
    return transition.roles + (ADMIN,)
