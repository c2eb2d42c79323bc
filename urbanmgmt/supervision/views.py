"""The pages of supervision: the command centre's list and raise form, a notice with its
history and its steps, and everyone's notifications (the bell's page)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.form_actions import posted_here
from urbanmgmt.grids.models import Area
from urbanmgmt.org.models import Department
from urbanmgmt.supervision import notify, services, texts
from urbanmgmt.supervision.forms import target_from
from urbanmgmt.supervision.models import Level, NoticeState, Subject

STATE_ORDER = When_(When(state=NoticeState.OPEN, then=Value(0)), When(state=NoticeState.ANSWERED, then=Value(1)),
                    default=Value(2), output_field=IntegerField())


def ordered(notices):
    """Open notices first, the soonest answer due first; then answered, then closed."""
    return notices.annotate(state_order=STATE_ORDER).order_by("state_order", "answer_due_at", "id")


def labelled(notices) -> list:
    now = timezone.now()
    rows = list(notices)
    for notice in rows:
        notice.label = texts.subject_label(notice)
        notice.late = notice.state == NoticeState.OPEN and notice.answer_due_at < now
    return rows


def _list_context(request) -> dict:
    return {"notices": labelled(ordered(services.visible_notices(request.user).select_related("rule", "case"))[:200]),
            "commands": services.may_command(request.user), "levels": Level.choices, "subjects": Subject.choices,
            "departments": Department.objects.filter(active=True).order_by("code"),
            "categories": Category.objects.filter(active=True).order_by("service_code"),
            "streets": Area.objects.filter(level="street").order_by("code")}


@login_required
def notice_list(request):
    """Every notice the user may see, open ones first; the raise form for the command centre."""
    return render(request, "supervision/list.html", _list_context(request))


@login_required
@posted_here("supervision:list", fragment="#raise")
def raise_notice(request):
    if not services.may_command(request.user):
        raise PermissionDenied
    try:
        notice = services.raise_notice(request.user, target_from(request.POST), level=request.POST.get("level", ""),
                                       request=request.POST.get("request", ""))
    except DomainError as error:
        context = {**_list_context(request), "error": str(error), "form": request.POST}
        return render(request, "supervision/list.html", context, status=400)
    return redirect("supervision:notice", notice.pk)


def _visible(request, pk: int):
    return get_object_or_404(services.visible_notices(request.user).select_related("rule", "raised_by__profile"), pk=pk)


def _detail(request, notice, error: str = "", status: int = 200):
    notice.label = texts.subject_label(notice)
    notice.reason = texts.reason(notice)
    cases = []
    if notice.subject == Subject.THEME:
        cases = Case.objects.open().filter(category_id=notice.category_id)
        cases = cases.filter(grid_id=notice.grid_id) if notice.grid_id else cases.filter(
            **{notice.area.level: notice.area_id})
        cases = cases.order_by("due_at")[:50]
    return render(request, "supervision/notice.html", {
        "notice": notice, "events": notice.events.select_related("actor__profile"), "theme_cases": cases,
        "may_answer": services.may_answer(request.user, notice) and notice.state == NoticeState.OPEN,
        "commands": services.may_command(request.user) and notice.state == NoticeState.ANSWERED,
        "late": notice.state == NoticeState.OPEN and notice.answer_due_at < timezone.now(), "error": error,
    }, status=status)


@login_required
def notice(request, pk: int):
    """A notice, its history and the steps the user may take on it; opened, the person's
    notifications of it are read."""
    found = _visible(request, pk)
    notify.mark_read(request.user, notice=found)
    return _detail(request, found)


STEPS = {"answer": services.answer, "send_back": services.send_back, "close": services.close}


@login_required
@posted_here("supervision:notice", "pk")
def step(request, pk: int, action: str):
    """Answer, send back or close; back to `next` (the workspace) or the notice."""
    notice = _visible(request, pk)
    try:
        version = request.POST.get("version", "")
        STEPS[action](request.user, notice, version=int(version) if version.isdigit() else 0,
                      text=request.POST.get("text", ""))
        notify.mark_read(request.user, notice=notice)
    except DomainError as error:
        return _detail(request, _visible(request, pk), str(error), status=error.status)
    following = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(following, {request.get_host()}, request.is_secure()):
        return redirect(following)
    return redirect("supervision:notice", pk)


@login_required
def notifications(request):
    """The user's notifications, newest first (the bell's page)."""
    return render(request, "supervision/notifications.html", {"rows": notify.recent(request.user)})


@login_required
@posted_here("supervision:notifications")
def mark_read(request):
    """Mark one notification (`id`) or all of the user's as read."""
    one = request.POST.get("id", "")
    if not one or one.isdigit():  # no id: all of them
        notify.mark_read(request.user, int(one) if one else None)
    return redirect("supervision:notifications")
