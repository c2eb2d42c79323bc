from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from urbanmgmt.admin_utils import InLanguageChoices, InLanguageFilter, shown_column
from urbanmgmt.catalog.models import Category, MajorClass


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ["code", "name_zh", "deadline_value", "deadline_unit", "urgency", "active"]
    extra = 0


@admin.register(MajorClass)
class MajorClassAdmin(admin.ModelAdmin):
    list_display = ["family", "code", "name_zh", "name_en"]
    list_filter = ["family"]
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(InLanguageChoices, admin.ModelAdmin):
    list_display = ["service_code", "name_zh", "name_en", shown_column("major", _("major class")), "deadline_value",
                    "deadline_unit", "urgency", "active"]
    list_filter = ["family", ("major", InLanguageFilter), "urgency", "active"]
    search_fields = ["code", "service_code", "name_zh", "name_en"]
    list_select_related = ["major"]
