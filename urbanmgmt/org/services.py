"""Choosing the responsible department from the ownership register."""

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q

from urbanmgmt.org.models import Department, OwnershipRule

_LEVEL_RANK = {"community": 3, "street": 2, "district": 1}


def suggest_department(case) -> Department | None:
    """The department that owns this case's category (or major class) where the case lies.

    One query: every rule that matches by category or major class and by the case's grid,
    community, street, district or the whole city; the highest priority wins, then the
    most specific rule (grid set > community > street > district > city; category > major).
    """
    return suggest_departments([case])[0]


def suggest_departments(cases) -> list[Department | None]:
    """suggest_department for each of `cases` (the bulk dispatch's selection), in one query:
    the rules of their categories and major classes, each with the cases' grids it names."""
    cases = list(cases)
    rules, hits = _candidates(cases)
    of: dict[tuple, list[OwnershipRule]] = {}  # a case weighs only its category's and its major class's rules
    for rule in rules:
        of.setdefault(("category", rule.category_id) if rule.category_id else ("major", rule.major_id), []).append(rule)
    return [_best(case, of.get(("category", case.category_id), []) + of.get(("major", case.category.major_id), []),
                  hits) if case.category_id is not None else None for case in cases]


def _candidates(cases) -> tuple[list[OwnershipRule], dict[int, set[int]]]:
    categorised = [case for case in cases if case.category_id is not None]
    if not categorised:
        return [], {}
    grid_ids = sorted({case.grid_id for case in categorised if case.grid_id is not None})
    grid_rules = OwnershipRule.grids.through.objects.filter(ownershiprule_id=OuterRef("pk"))
    rules = (OwnershipRule.objects.filter(Q(category_id__in={c.category_id for c in categorised})
                                          | Q(major_id__in={c.category.major_id for c in categorised}),
                                          department__active=True)
             .annotate(has_grids=Exists(grid_rules)).select_related("department", "area").order_by("id"))
    if grid_ids:
        # One row per rule and grid of the cases it names (one with none when it names none).
        rules = rules.annotate(named=FilteredRelation("grids", condition=Q(grids__id__in=grid_ids)),
                               hit=F("named__id"))
    unique: dict[int, OwnershipRule] = {}
    hits: dict[int, set[int]] = {}
    for rule in rules:
        unique.setdefault(rule.pk, rule)
        if getattr(rule, "hit", None) is not None:
            hits.setdefault(rule.pk, set()).add(rule.hit)
    return list(unique.values()), hits


def _best(case, rules: list[OwnershipRule], hits: dict[int, set[int]]) -> Department | None:
    if case.category_id is None:
        return None
    areas = {a for a in (case.community_id, case.street_id, case.district_id) if a}

    def applies(rule: OwnershipRule) -> bool:
        if rule.category_id != case.category_id and rule.major_id != case.category.major_id:
            return False
        return ((rule.area_id is None and not rule.has_grids) or rule.area_id in areas
                or case.grid_id in hits.get(rule.pk, ()))

    def rank(rule: OwnershipRule) -> tuple[int, int, int]:
        if case.grid_id in hits.get(rule.pk, ()):
            place = 4
        elif rule.area_id:
            place = _LEVEL_RANK.get(rule.area.level, 0)
        else:
            place = 0
        return (rule.priority, place, 1 if rule.category_id else 0)

    best = max(filter(applies, rules), key=rank, default=None)
    return best.department if best else None
