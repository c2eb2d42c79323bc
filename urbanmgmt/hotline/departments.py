"""The department suggested for a 12345 ticket. Once its place and category are known, the
city's ownership register decides (org.services, the rules dispatch suggests from: area or
grid and category → department); the text model's department stays only for a ticket with
no place, or one no rule covers. The importer and intake staff's single-ticket steps
(hotline/services.py) take it from here."""

from types import SimpleNamespace

from urbanmgmt.org.models import OwnershipRule
from urbanmgmt.org.services import suggest_departments


class Owners:
    """The register's department of each category at each place, asked once per pair for the
    life of an import (one query for the pairs a batch has not seen). A place is its
    community (which holds its street and district), and its unit grid only where a rule
    names that grid: the register tells no other places apart."""

    def __init__(self):
        self.known: dict[tuple, int | None] = {}
        self.named_grids = set(OwnershipRule.grids.through.objects.values_list("unitgrid_id", flat=True))

    def of(self, items: list[tuple]) -> list[int | None]:
        """For each (category or None, grid place or None): the owning department's id, or
        None where either is missing or no rule names one."""
        keys = [(c.pk, p.grid_id if p.grid_id in self.named_grids else None, p.community_id)
                if c is not None and p is not None else None for c, p in items]
        missing = {}
        for key, (category, place) in zip(keys, items, strict=True):
            if key is not None and key not in self.known:
                missing[key] = SimpleNamespace(category_id=category.pk, category=category, grid_id=key[1],
                                               community_id=place.community_id, street_id=place.street_id,
                                               district_id=place.district_id)
        if missing:
            found = suggest_departments(list(missing.values()))
            for key, department in zip(missing, found, strict=True):
                self.known[key] = department.pk if department is not None else None
        return [self.known[key] if key is not None else None for key in keys]


def suggest_for(tickets: list, categories: list, places: list, owners: Owners | None = None) -> None:
    """Set `department_id` of each in-scope ticket whose category and grid place are known and
    that a rule covers; the others keep the department they have (the text model's)."""
    owners = owners or Owners()
    pairs = [(category, place) if ticket.in_scope is not False else (None, None)
             for ticket, category, place in zip(tickets, categories, places, strict=True)]
    for ticket, owner in zip(tickets, owners.of(pairs), strict=True):
        if owner is not None:
            ticket.department_id = owner
