"""What a notice and its steps are called, in the reader's language (pages, bell, e-mail)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
    """Why a rule raised the notice, its number in the sentence (empty for one raised by hand)."""
    if notice.rule_id is None:
        return ""
    rule = notice.rule
    n = rule.hours if rule.kind in (RuleKind.OVERDUE, RuleKind.DUE_UNSIGNED) else rule.threshold
    if n is None:
        return _("Rule: %(kind)s") % {"kind": RuleKind(rule.kind).label}
    count = 1 if n == 1 else 2  # the plural form: 0.5 hours, 2 hours
    sentences = {
        RuleKind.OVERDUE: ngettext("Overdue by %(n)s working hour", "Overdue by %(n)s working hours", count),
        RuleKind.DUE_UNSIGNED: ngettext("Due within %(n)s working hour and not signed",
                                        "Due within %(n)s working hours and not signed", count),
        RuleKind.RETURNED: ngettext("Returned %(n)s time", "Returned %(n)s times", count),
        RuleKind.REWORKED: ngettext("Reopened by a failed check %(n)s time", "Reopened by a failed check %(n)s times",
                                    count),
        RuleKind.UNSATISFIED: ngettext("Citizens unsatisfied %(n)s time", "Citizens unsatisfied %(n)s times", count),
        RuleKind.TICKET_CLUSTER: ngettext("More than %(n)s ticket on one grid and category in a week",
                                          "More than %(n)s tickets on one grid and category in a week", count),
    }
    return _("Rule: %(kind)s") % {"kind": sentences[RuleKind(rule.kind)] % {"n": f"{n:g}"}}


def headline(event: NoticeEvent) -> str:
    """One line for the bell and the e-mail's subject: the step, the level, the subject."""
    notice = event.notice
    return _("%(action)s · %(level)s · %(subject)s") % {
        "action": NoticeEvent.Action(event.action).label, "level": event.get_level_display(),
        "subject": subject_label(notice)}
