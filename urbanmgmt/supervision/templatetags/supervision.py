"""The bell in every page's header and the notices block of the department workspace."""

from django import template

from urbanmgmt.supervision import services
from urbanmgmt.supervision.models import NoticeState
from urbanmgmt.supervision.notify import unread_count
from urbanmgmt.supervision.views import labelled, ordered

register = template.Library()


@register.inclusion_tag("supervision/bell_tag.html", takes_context=True)
def notification_bell(context) -> dict:
    user = context["request"].user if "request" in context else None
    signed_in = user is not None and user.is_authenticated
    return {"signed_in": signed_in, "unread": unread_count(user) if signed_in else 0}


@register.inclusion_tag("supervision/workspace_tag.html", takes_context=True)
def department_notices(context) -> dict:
    """The department's notices still open or awaiting the command centre, open first."""
    request = context["request"]
    notices = services.visible_notices(request.user).filter(state__in=[NoticeState.OPEN, NoticeState.ANSWERED])
    return {"notices": labelled(ordered(notices.select_related("rule", "case"))[:50]), "request": request,
            "csrf_token": context.get("csrf_token"),
            "next": request.get_full_path()}
