"""Reading the command centre's raise form into a Target, with errors the user can act on."""

from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.models import Area, UnitGrid
from urbanmgmt.org.models import Department
from urbanmgmt.supervision.models import Subject
from urbanmgmt.supervision.services import Target


def _pk(model, field: str, value: str, message) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    pk = model.objects.filter(**{field: value}).values_list("pk", flat=True).first()
    if pk is None:
        raise InvalidInput(message, value=value)
    return pk


def target_from(data) -> Target:
    """The target of a raise form: case number, department, category, area or grid codes."""
    subject = data.get("subject", "")
    target = Target(subject)
    if subject == Subject.CASE:
        target.case_id = _pk(Case, "code", data.get("case", ""), _("There is no case numbered “%(value)s”."))
    else:
        target.department_id = _pk(Department, "code", data.get("department", ""),
                                   _("There is no department “%(value)s”."))
    if subject == Subject.THEME:
        target.category_id = _pk(Category, "service_code", data.get("category", ""),
                                 _("There is no category “%(value)s”."))
        target.area_id = _pk(Area, "code", data.get("area", ""), _("There is no area “%(value)s”."))
        target.grid_id = _pk(UnitGrid, "code", data.get("grid", ""), _("There is no unit grid “%(value)s”."))
    return target
