"""Supervision (督办): the command centre's notices to a department, their append-only
history, the rules that raise them (data), and the reminders they send to people.

A notice is changed only through urbanmgmt/supervision/services.py, which writes its
NoticeEvent in the same transaction; like CaseEvent, a NoticeEvent is never updated or
deleted (triggers in supervision/invariants.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    """The weight of a notice (提醒 → 督办 → 挂牌督办); a late answer moves it one step up
    (DOMAIN §6a)."""

    REMIND = "remind", _("Reminder")
    SUPERVISE = "supervise", _("Supervision")
    LISTED = "listed", _("Listed supervision")


LEVELS = [Level.REMIND, Level.SUPERVISE, Level.LISTED]


def next_level(level: str) -> str | None:
    """The level a late answer escalates to (None at the top)."""
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


class NoticeState(models.TextChoices):
    OPEN = "open", _("Awaiting the department's answer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", pgettext_lazy("supervision", "Closed")


class Subject(models.TextChoices):
    CASE = "case", _("A case")
    DEPARTMENT = "department", _("A department")
    THEME = "theme", _("A theme (a category in an area)")


class RuleKind(models.TextChoices):
    OVERDUE = "overdue", _("Overdue by N working hours")
    DUE_UNSIGNED = "due_unsigned", _("Due within N working hours and not signed")
    RETURNED = "returned", _("Returned N times")
    REWORKED = "reworked", _("Reopened by a failed check N times")
    UNSATISFIED = "unsatisfied", _("Citizens unsatisfied N times")
    TICKET_CLUSTER = "ticket_cluster", _("More than N tickets on one grid and category in a week")


class SupervisionRule(models.Model):
    """A rule the periodic sweep applies (督办规则): data, editable in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    hours = models.FloatField(_("working hours"), null=True, blank=True,
                              help_text=_("For the overdue and due-unsigned rules."))
    threshold = models.PositiveIntegerField(_("threshold N"), null=True, blank=True,
                                            help_text=_("For the counting rules."))
    days = models.PositiveIntegerField(_("look back (days)"), default=90,
                                       help_text=_("How far back the callbacks of the unsatisfied rule count."))
    level = models.CharField(_("level raised"), max_length=10, choices=Level.choices, default=Level.REMIND)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supervision rule")
        verbose_name_plural = _("supervision rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Notice(models.Model):
    """A supervision notice (督办单) to one department, on a case, the department itself or a
    theme (a category in an area or grid), with a deadline for its written answer."""

    subject = models.CharField(_("subject"), max_length=12, choices=Subject.choices)
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="notices",
                             verbose_name=_("case"))
    department = models.ForeignKey("org.Department", models.PROTECT, related_name="notices", db_index=False,
                                   verbose_name=_("department"))
    category = models.ForeignKey("catalog.Category", models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    area = models.ForeignKey("grids.Area", models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("area"))
    grid = models.ForeignKey("grids.UnitGrid", models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("unit grid"))
    level = models.CharField(pgettext_lazy("supervision", "level"), max_length=10, choices=Level.choices)
    state = models.CharField(_("state"), max_length=10, choices=NoticeState.choices, default=NoticeState.OPEN)
    request = models.TextField(_("what the command centre asks"), blank=True)
    raised_at = models.DateTimeField(pgettext_lazy("supervision", "raised at"), db_index=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("raised by"))
    rule = models.ForeignKey(SupervisionRule, models.PROTECT, null=True, blank=True, related_name="notices",
                             verbose_name=_("rule"))
    # What a rule raised the notice about and for which period: a rule never raises twice for both.
    subject_key = models.CharField(max_length=80, blank=True)
    period = models.CharField(max_length=40, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    answer_due_at = models.DateTimeField(_("answer due"))
    answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    answered_on_time = models.BooleanField(_("answered on time"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    closed_at = models.DateTimeField(pgettext_lazy("supervision", "closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "subject_key", "period"], condition=Q(rule__isnull=False),
                                               name="notice_once_per_rule_subject_period")]
        indexes = [models.Index(fields=["department", "state"]), models.Index(fields=["state", "answer_due_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_level_display()}"


class NoticeEvent(models.Model):
    """One step of a notice's history: raised, escalated, answered, sent back, closed.
    Append-only: the database refuses UPDATE and DELETE (supervision/invariants.py)."""

    class Action(models.TextChoices):
        RAISE = "raise", _("Raised")
        ESCALATE = "escalate", _("Escalated")
        ANSWER = "answer", _("Answered")
        SEND_BACK = "send_back", _("Answer sent back")
        CLOSE = "close", pgettext_lazy("supervision", "Closed")

    notice = models.ForeignKey(Notice, models.PROTECT, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    level = models.CharField(pgettext_lazy("supervision", "level"), max_length=10, choices=Level.choices)
    text = models.TextField(_("text"), blank=True)
    answer_due_at = models.DateTimeField(_("answer due"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision history")
        verbose_name_plural = _("supervision history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.action} {self.level}"


class Notification(models.Model):
    """An in-app reminder (站内提醒) of a notice's step to one person; the bell counts the unread."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    event = models.ForeignKey(NoticeEvent, models.PROTECT, related_name="notifications")
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event_id}"


class Delivery(models.Model):
    """A notification sent out through one outbound channel (e-mail, later a webhook): sent
    once, recorded, retried by the queue on failure."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    notification = models.ForeignKey(Notification, models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=20)
    address = models.CharField(_("address"), max_length=254)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.channel} {self.address} ({self.state})"
