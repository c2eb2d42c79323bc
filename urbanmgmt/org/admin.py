from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from urbanmgmt.admin_utils import InLanguageChoices, InLanguageFilter, shown_column
from urbanmgmt.org.models import Department, OwnershipRule, Profile


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_shown", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_en"]

    @admin.display(description=_("name"), ordering="name")
    def name_shown(self, department: Department) -> str:
        return department.shown_name


@admin.register(OwnershipRule)
class OwnershipRuleAdmin(InLanguageChoices, admin.ModelAdmin):
    list_display = ["__str__", shown_column("department", _("department")), shown_column("category", _("category")),
                    shown_column("major", _("major class")), "area", "priority"]
    list_filter = [("department", InLanguageFilter), ("major", InLanguageFilter)]
    raw_id_fields = ["area", "grids", "category"]
    search_fields = ["department__code", "department__name", "department__name_en", "category__service_code",
                     "category__name_zh", "category__name_en", "major__name_zh", "major__name_en", "area__name", "note"]


class ProfileInline(InLanguageChoices, admin.StackedInline):
    model = Profile
    can_delete = False
    raw_id_fields = ["grids"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "is_active", "is_staff"]
    list_filter = ["groups", "is_active", "is_staff"]
