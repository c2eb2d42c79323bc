"""Choosing the responsible department from the ownership register."""

from django.db.models import Exists, OuterRef, Q

from urbanmgmt.org.models import Department, OwnershipRule

_LEVEL_RANK = {"community": 3, "street": 2, "district": 1}


def suggest_department(case) -> Department | None:
    """The department that owns this case's category (or major class) where the case lies.

    One query: every rule that matches by category or major class and by the case's grid,
    community, street, district or the whole city; the highest priority wins, then the
    most specific rule (grid set > community > street > district > city; category > major).
    """
    if case.category_id is None:
        return None
    grid_rules = OwnershipRule.grids.through.objects.filter(ownershiprule_id=OuterRef("pk"))
    rules = (
        OwnershipRule.objects.annotate(
            has_grids=Exists(grid_rules),
            in_grids=Exists(grid_rules.filter(unitgrid_id=case.grid_id)),
        )
        .filter(Q(category_id=case.category_id) | Q(major_id=case.category.major_id), department__active=True)
        .filter(
            Q(area__isnull=True, has_grids=False)
            | Q(area_id__in=[a for a in (case.community_id, case.street_id, case.district_id) if a])
            | Q(in_grids=True)
        )
        .select_related("department", "area")
    )

    def rank(rule: OwnershipRule) -> tuple[int, int, int]:
        if rule.in_grids:
            place = 4
        elif rule.area_id:
            place = _LEVEL_RANK.get(rule.area.level, 0)
        else:
            place = 0
        return (rule.priority, place, 1 if rule.category_id else 0)

    best = max(rules, key=rank, default=None)
    return best.department if best else None
