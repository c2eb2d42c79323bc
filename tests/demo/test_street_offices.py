"""The demo city's street offices read as offices in English too, not as area codes."""

import pytest

from urbanmgmt.grids.models import Area
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


def test_a_street_office_is_named_after_its_street_in_both_languages(city):
    streets = list(Area.objects.filter(level=Area.Level.STREET))
    assert streets
    for street in streets:
        office = Department.objects.get(code=f"HZ-JD-{street.code[-3:]}")
        assert (office.name, office.name_en) == (f"{street.name}办事处", f"{street.name} office")
        assert street.code not in office.name_en
