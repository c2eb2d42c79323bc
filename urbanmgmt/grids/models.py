"""Unit grids (万米单元网格) and the areas they nest in: district → street → community."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    """An administrative area (区县 / 街道 / 社区); its geometry is the union of its grids."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street / township")
        COMMUNITY = "community", _("Community")

    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    geom = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class UnitGrid(models.Model):
    """One unit grid (单元网格), about 100 m × 100 m, code per CJ/T 213.

    The community, street and district are stored on the grid (and on each case) so that
    "all open cases of street X" is one indexed query, with no walk up the tree.
    """

    code = models.CharField(_("grid code"), max_length=20, unique=True)
    geom = models.PolygonField(_("boundary"), srid=4326, spatial_index=True)
    community = models.ForeignKey(Area, models.PROTECT, related_name="grids_in_community", verbose_name=_("community"))
    street = models.ForeignKey(Area, models.PROTECT, related_name="grids_in_street", verbose_name=_("street"))
    district = models.ForeignKey(Area, models.PROTECT, related_name="grids_in_district", verbose_name=_("district"))
    area_m2 = models.PositiveIntegerField(_("area (m²)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("unit grid")
        verbose_name_plural = _("unit grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class GridLayerVersion(models.Model):
    """A counter bumped by every change to the grid layer; processes compare it to know
    when their in-memory index of the layer is stale."""

    version = models.PositiveBigIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("grid layer version")
        verbose_name_plural = _("grid layer versions")

    @classmethod
    def current(cls) -> int:
        row = cls.objects.filter(pk=1).values_list("version", flat=True).first()
        return row or 0

    @classmethod
    def bump(cls) -> None:
        updated = cls.objects.filter(pk=1).update(version=models.F("version") + 1)
        if not updated:
            cls.objects.create(pk=1, version=1)
