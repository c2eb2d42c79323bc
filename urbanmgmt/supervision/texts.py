"""What a notice and its steps are called, in the reader's language (pages, bell, e-mail)."""

from django.utils.translation import gettext as _

from urbanmgmt.supervision.models import Notice, NoticeEvent, RuleKind, Subject


def subject_label(notice: Notice) -> str:
    """What the notice is about, in a few words."""
    if notice.subject == Subject.CASE:
        return _("Case %(code)s") % {"code": notice.case.code}
    if notice.subject == Subject.DEPARTMENT:
        return _("Department %(name)s") % {"name": notice.department.shown_name}
    place = notice.grid.code if notice.grid_id else notice.area.name
    return _("%(category)s in %(place)s") % {"category": notice.category.name, "place": place}


def reason(notice: Notice) -> str:
    """Why a rule raised the notice (empty for one raised by hand)."""
    if notice.rule_id is None:
        return ""
    rule = notice.rule
    n = rule.hours if rule.kind in (RuleKind.OVERDUE, RuleKind.DUE_UNSIGNED) else rule.threshold
    return _("Rule: %(kind)s (N = %(n)s)") % {"kind": RuleKind(rule.kind).label, "n": f"{n:g}" if n is not None else "—"}


def headline(event: NoticeEvent) -> str:
    """One line for the bell and the e-mail's subject: the step, the level, the subject."""
    notice = event.notice
    return _("%(action)s · %(level)s · %(subject)s") % {
        "action": NoticeEvent.Action(event.action).label, "level": event.get_level_display(),
        "subject": subject_label(notice)}
