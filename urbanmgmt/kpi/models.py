"""Targets as data: annual collection quotas and special collection campaigns (专项采集)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AnnualQuota(models.Model):
    """What a year's collection (inspector + video reports together) must reach, city-wide or
    for one area (a district), with the valid-report rate it must keep (DOMAIN §6)."""

    year = models.PositiveSmallIntegerField(_("year"))
    area = models.ForeignKey("grids.Area", models.PROTECT, null=True, blank=True, verbose_name=_("area"),
                             help_text=_("Empty: the whole city."))
    collection_total = models.PositiveIntegerField(_("collection total at least"))
    valid_rate = models.DecimalField(_("valid-report rate at least"), max_digits=4, decimal_places=3,
                                     help_text=_("A share from 0 to 1: 0.970 is 97.0%."))
    campaigns = models.PositiveSmallIntegerField(_("special campaigns"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("annual quota")
        verbose_name_plural = _("annual quotas")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["year", "area"], name="quota_year_area_unique"),
            models.UniqueConstraint(fields=["year"], condition=models.Q(area__isnull=True), name="quota_year_city_unique"),
            models.CheckConstraint(condition=models.Q(valid_rate__gte=0, valid_rate__lte=1), name="quota_rate_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.area or _('city')}: {self.collection_total}"


class Campaign(models.Model):
    """A special collection campaign: a period, categories, an area and a target count."""

    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    categories = models.ManyToManyField("catalog.Category", verbose_name=_("categories"))
    area = models.ForeignKey("grids.Area", models.PROTECT, null=True, blank=True, verbose_name=_("area"))
    target_count = models.PositiveIntegerField(_("target count"))

    class Meta:
        verbose_name = _("special campaign")
        verbose_name_plural = _("special campaigns")
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="campaign_ends_after_start")]

    def __str__(self) -> str:
        return self.name


class EvaluationScheme(models.Model):
    """A version of the evaluation's configuration: for each kind of subject, which
    indicators count and with which weights, and the grade thresholds. The scheme valid at
    a period's start scores that period; old versions stay, so old scores can be redone."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    config = models.JSONField(_("configuration"))

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.version} {self.name}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from urbanmgmt.kpi.schemes import config_problems

        problems = config_problems(self.config)
        if problems:
            raise ValidationError({"config": problems})


class DayFigure(models.Model):
    """One stored day of a figure (kpi/daily.py): the numbers of one subject (an inspector,
    a department, a channel… or '' for a single figure) on one local day."""

    metric = models.CharField(max_length=64)
    day = models.DateField()
    subject = models.CharField(max_length=150, blank=True)
    v0 = models.FloatField(default=0)
    v1 = models.FloatField(default=0)
    v2 = models.FloatField(default=0)
    v3 = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["metric", "day", "subject"], name="kpi_dayfigure_metric_day")]

    def __str__(self) -> str:
        return f"{self.metric} {self.day} {self.subject}"


class DayDone(models.Model):
    """The days of a figure that are stored (a day may have no rows at all)."""

    metric = models.CharField(max_length=64)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["metric", "day"], name="kpi_daydone_unique")]

    def __str__(self) -> str:
        return f"{self.metric} {self.day}"


class DirtyDay(models.Model):
    """A local day whose stored figures are out of date: written whenever a row with a moment
    on a past day is written — by database triggers on UPDATE and DELETE of cases, inspection
    tasks and 12345 tickets (kpi/invariants.py), by kpi.daily.rows_inserted for new rows — so no
    write path can forget it. Not unique: concurrent writers never wait on each other's mark
    (a day already marked is skipped; a rare duplicate is harmless)."""

    day = models.DateField(db_index=True)

    def __str__(self) -> str:
        return str(self.day)
