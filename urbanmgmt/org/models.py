"""Departments, the ownership register (权属资料库) and the people who work the cases."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urbanmgmt.catalog.models import in_language


class Department(models.Model):
    """A department or contractor that fixes problems (专业部门 / 承办单位)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    phone = models.CharField(_("duty phone"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        """The name on screen: the English one in an English UI where the register has it."""
        return in_language(self.name, self.name_en)


class OwnershipRule(models.Model):
    """Who owns a kind of problem in an area: (category or major class) × area → department.

    The area is a district, street or community, or a set of unit grids, or nothing (the
    whole city). Among the rules that match a case, the highest priority wins, then the
    most specific one (category before major class, grids before community before street
    before district before city).
    """

    department = models.ForeignKey(Department, models.CASCADE, related_name="ownership_rules", verbose_name=_("department"))
    category = models.ForeignKey("catalog.Category", models.CASCADE, null=True, blank=True, verbose_name=_("category"))
    major = models.ForeignKey("catalog.MajorClass", models.CASCADE, null=True, blank=True, verbose_name=_("major class"))
    area = models.ForeignKey("grids.Area", models.CASCADE, null=True, blank=True, verbose_name=_("area"))
    grids = models.ManyToManyField("grids.UnitGrid", blank=True, verbose_name=_("unit grids"))
    priority = models.IntegerField(_("priority"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ownership rule")
        verbose_name_plural = _("ownership rules")
        ordering = ["-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(category__isnull=False, major__isnull=True) | Q(category__isnull=True, major__isnull=False)),
                name="ownership_category_xor_major",
            )
        ]

    def __str__(self) -> str:
        what = self.category or self.major
        return f"{what} @ {self.area or _('whole city')} → {self.department}"


class Profile(models.Model):
    """What the platform knows of a person beyond the login: department, grids, phone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="members",
                                   verbose_name=_("department"), help_text=_("For department handlers."))
    grids = models.ManyToManyField("grids.UnitGrid", blank=True, related_name="inspectors",
                                   verbose_name=_("assigned grids"), help_text=_("For inspectors."))

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()
