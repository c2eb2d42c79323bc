"""The category catalogue (CJ/T 214 / GB/T 30428.2 style): components and events."""

from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Family(models.TextChoices):
    COMPONENT = "component", pgettext_lazy("category family", "Component")
    EVENT = "event", pgettext_lazy("category family", "Event")


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("working hours")
    DAYS = "days", _("working days")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


def english() -> bool:
    """Whether the active language is English (the catalogue's other language)."""
    return (get_language() or "").startswith("en")


def in_language(name_zh: str, name_en: str) -> str:
    """A catalogue name in the active language: the English one in an English UI where the
    catalogue has it, else the Chinese one (the catalogue's own)."""
    return (name_en or name_zh) if english() else name_zh


class NamedInLanguage:
    """A catalogue entry's `name` in the active language (`in_language`); a Chinese page never
    reads `name_en`, which a query may have left deferred."""

    @property
    def name(self) -> str:
        return (self.name_en or self.name_zh) if english() else self.name_zh


class MajorClass(NamedInLanguage, models.Model):
    """A major class (大类) of one family, e.g. component 01 公用设施."""

    family = models.CharField(_("family"), max_length=16, choices=Family.choices)
    code = models.CharField(_("code"), max_length=4)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("major class")
        verbose_name_plural = _("major classes")
        ordering = ["family", "code"]
        constraints = [models.UniqueConstraint(fields=["family", "code"], name="major_family_code_unique")]

    def __str__(self) -> str:
        return f"{self.get_family_display()} {self.code} {self.name_zh}"

    @property
    def shown_name(self) -> str:
        """Family, code and name in the page's language: 市容环境 is a major class of components
        (03) and of events (01), told apart only by the first two."""
        return f"{self.get_family_display()} {self.code} {self.name}"


class Category(NamedInLanguage, models.Model):
    """A minor class (小类): what a case is about, with its default deadline and mappings.

    `service_code` (C0101 for components, E0101 for events) is unique across families; it
    is what the API and Open311 call the category.
    """

    family = models.CharField(_("family"), max_length=16, choices=Family.choices)
    major = models.ForeignKey(MajorClass, models.PROTECT, related_name="categories", verbose_name=_("major class"))
    code = models.CharField(_("code"), max_length=8, help_text=_("Major code + minor code, e.g. 0101."))
    service_code = models.CharField(_("service code"), max_length=10, unique=True, editable=False)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    deadline_value = models.DecimalField(_("default deadline"), max_digits=5, decimal_places=1)
    deadline_unit = models.CharField(_("deadline unit"), max_length=8, choices=DeadlineUnit.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    detector_classes = models.JSONField(_("detector classes"), default=list, blank=True,
                                        help_text=_("COCO (or custom model) class names that map to this category."))
    keywords = models.JSONField(_("keywords"), default=list, blank=True,
                                help_text=_("Words in 12345 text that point to this category."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["family", "code"]
        constraints = [models.UniqueConstraint(fields=["family", "code"], name="category_family_code_unique")]

    def __str__(self) -> str:
        return f"{self.service_code} {self.name_zh}"

    def save(self, *args, **kwargs):
        self.service_code = ("C" if self.family == Family.COMPONENT else "E") + self.code
        super().save(*args, **kwargs)


def category_names() -> dict[str, str]:
    """Every category's name in the active language, by its service code."""
    return {code: in_language(zh, en) for code, zh, en in Category.objects.values_list("service_code", "name_zh", "name_en")}
