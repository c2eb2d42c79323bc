"""What people, departments and areas are called on screen, looked up in bulk by the codes
the figures are grouped by (a login, a department code, an area code)."""

from django.contrib.auth import get_user_model

from urbanmgmt.catalog.models import in_language
from urbanmgmt.grids.models import Area
from urbanmgmt.org.models import Department


def person_names(usernames) -> dict[str, str]:
    """{login: the person's name}: the profile's name, else the account's full name, else the login."""
    rows = (get_user_model().objects.filter(username__in=list(usernames))
            .values_list("username", "profile__display_name", "first_name", "last_name"))
    return {login: (shown or f"{first} {last}".strip() or login) for login, shown, first, last in rows}


def department_names(codes) -> dict[str, str]:
    """{department code: its name}, the English one in English where the register has it."""
    return {code: in_language(name, name_en)
            for code, name, name_en in Department.objects.filter(code__in=list(codes))
            .values_list("code", "name", "name_en")}


def area_names(codes, level: str | None = None) -> dict[str, str]:
    """{area code: its name} (of one level when given: a community and a street may share a code)."""
    areas = Area.objects.filter(code__in=list(codes))
    if level:
        areas = areas.filter(level=level)
    return dict(areas.values_list("code", "name"))


def link_names(params) -> dict[str, dict[str, str]]:
    """The names behind a case-list link's codes ({"reporter": {login: name}, "street": {code: name}, …})."""
    found: dict[str, dict[str, str]] = {}
    if params.get("reporter"):
        found["reporter"] = person_names([params["reporter"]])
    if params.get("department"):
        found["department"] = department_names([params["department"]])
    for level in ("community", "street", "district"):
        if params.get(level):
            found[level] = area_names([params[level]], level)
    return {key: names for key, names in found.items() if names}

