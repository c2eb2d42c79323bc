"""The department suggested for a 12345 ticket. Once its place and category are known, the
city's ownership register decides (org.services, the rules dispatch suggests from: area or
grid and category → department); the text model's department stays only for a ticket with
no place, or one no rule covers. The importer and intake staff's single-ticket steps
(hotline/services.py) take it from here."""

from types import SimpleNamespace

from urbanmgmt.org.services import suggest_departments


class Owners:
    """The register's department of each (category, unit grid), asked once per pair for the
    life of an import (one query for the pairs a batch has not seen)."""

    def __init__(self):
        self.known: dict[tuple[int, int], int | None] = {}

    def of(self, items: list[tuple]) -> list[int | None]:
        """For each (category or None, grid place or None): the owning department's id, or
        None where either is missing or no rule names one."""
        missing = {}
        for category, place in items:
            if category is not None and place is not None and (category.pk, place.grid_id) not in self.known:
                missing[(category.pk, place.grid_id)] = SimpleNamespace(
                    category_id=category.pk, category=category, grid_id=place.grid_id,
                    community_id=place.community_id, street_id=place.street_id, district_id=place.district_id)
        if missing:
            found = suggest_departments(list(missing.values()))
            for key, department in zip(missing, found, strict=True):
                self.known[key] = department.pk if department is not None else None
        return [self.known[(c.pk, p.grid_id)] if c is not None and p is not None else None for c, p in items]


def suggest_for(tickets: list, categories: list, places: list, owners: Owners | None = None) -> None:
    """Set `department_id` of each in-scope ticket whose category and grid place are known and
    that a rule covers; the others keep the department they have (the text model's)."""
    owners = owners or Owners()
    pairs = [(category, place) if ticket.in_scope is not False else (None, None)
             for ticket, category, place in zip(tickets, categories, places, strict=True)]
    for ticket, owner in zip(tickets, owners.of(pairs), strict=True):
        if owner is not None:
            ticket.department_id = owner
