"""The bulk dispatch's selection on the map (#18.5): a grid, a lasso, the filtered list or
ids; each case with whether this user may dispatch it now, why not, and the suggestion."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.builders import client_for, point_in, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db

URL = "/api/v1/map/selection/"


def filed_at(people, category, col, row):
    case = report_case(people.inspector, category, col, row, address=f"路 {col},{row}")
    return services.file(people.dispatcher, case, version=case.version)


def lasso(*corners) -> str:
    return ",".join(f"{p.x:.6f},{p.y:.6f}" for p in (point_in(c, r) for c, r in corners))


def test_a_grid_gives_its_filed_cases_first_and_says_why_not_for_the_rest(people, category):
    a = filed_at(people, category, 0.3, 0.3)
    b = filed_at(people, category, 0.7, 0.6)
    reported = report_case(people.inspector, category, 0.5, 0.5)
    gone = filed_at(people, category, 0.4, 0.4)
    services.dispatch(people.dispatcher, gone, version=gone.version, department=Department.objects.get(code="HZ-CGJ"))
    filed_at(people, category, 3.5, 2.5)  # another grid
    data = client_for(people.dispatcher).get(URL, {"grid": a.grid.code}).json()
    cases = data["cases"]
    assert [c["id"] for c in cases[:2]] == [a.pk, b.pk] and {c["id"] for c in cases[2:]} == {reported.pk, gone.pk}
    assert [c["selectable"] for c in cases] == [True, True, False, False]
    why = {c["id"]: c["why"] for c in cases}
    assert "已上报" in why[reported.pk] and "已派遣" in why[gone.pk] and why[a.pk] == ""
    assert cases[0]["suggested"] == "HZ-HWC" and cases[0]["version"] == a.version and cases[0]["address"]
    assert cases[2]["suggested"] is None


def test_a_lasso_takes_what_it_encloses_even_drawn_crossing_itself(people, category):
    inside = [filed_at(people, category, 1.5, 1.5), filed_at(people, category, 2.5, 1.5)]
    filed_at(people, category, 4.5, 3.5)
    client = client_for(people.dispatcher, "en")
    box = client.get(URL, {"polygon": lasso((1, 1), (3, 1), (3, 2), (1, 2))}).json()["cases"]
    assert sorted(c["id"] for c in box) == sorted(c.pk for c in inside)
    bow_tie = client.get(URL, {"polygon": lasso((1, 1), (3, 2), (3, 1), (1, 2))}).json()["cases"]
    assert sorted(c["id"] for c in bow_tie) == sorted(c.pk for c in inside)
    for bad in ("1,2,3", "a,b,c,d,e,f", "0,0,0,0,0,0", ",".join(["1,1"] * 501)):
        response = client.get(URL, {"polygon": bad})
        assert response.status_code == 400 and response.json()["detail"], bad


def test_the_filtered_list_and_ids(people, category):
    first = filed_at(people, category, 0.5, 0.5)
    second = filed_at(people, category, 5.5, 3.5)
    report_case(people.inspector, category, 2.5, 2.5)
    client = client_for(people.dispatcher)
    listed = client.get(URL, {"state": "filed"}).json()
    assert sorted(c["id"] for c in listed["cases"]) == [first.pk, second.pk] and not listed["truncated"]
    services.dispatch(people.dispatcher, second, version=second.version, department=Department.objects.get(code="HZ-HWC"))
    named = client.get(URL, {"ids": f"{first.pk},{second.pk}", "state": "filed"}).json()["cases"]
    assert [(c["id"], c["selectable"]) for c in named] == [(first.pk, True), (second.pk, False)]
    assert client.get(URL, {"ids": "1,x"}).status_code == 400


def test_the_queries_do_not_grow_with_the_cases(people, category):
    for i in range(12):  # in 12 grids: the register's suggestion is asked for all at once
        filed_at(people, category, 0.5 + i % 6, 0.5 + i // 6)
    client = client_for(people.dispatcher)
    client.get(URL, {"state": "filed"})
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL, {"state": "filed"}).json()["cases"]) == 12
    assert len(few) <= 8, [q["sql"] for q in few]


@pytest.mark.parametrize("role", ["manager", "handler", "inspector"])
def test_only_who_may_dispatch_gets_a_selection(people, category, role):
    filed_at(people, category, 0.5, 0.5)
    assert client_for(getattr(people, role)).get(URL, {"state": "filed"}).status_code == 403
    assert Case.objects.count() == 1


def test_the_map_offers_bulk_dispatch_only_to_who_may_dispatch(people, client):
    client.force_login(people.dispatcher)
    page = client.get("/map/").content.decode()
    assert 'id="bulk-tools"' in page and 'id="bulk-panel"' in page and "maps/bulk.js" in page
    assert "批量派遣" in page
    client.force_login(people.manager)
    page = client.get("/map/").content.decode()
    assert client.get("/map/").status_code == 200
    assert "bulk-tools" not in page and "bulk-panel" not in page and "bulk.js" not in page


def test_a_lasso_that_doubles_back_on_itself_keeps_only_its_area(people, category):
    inside = filed_at(people, category, 1.5, 1.5)
    # out along a line and back the same way, then around the case
    spiky = lasso((1, 1), (0, 0), (1, 1), (2, 1), (2, 2), (1, 2))
    data = client_for(people.dispatcher).get(URL, {"polygon": spiky}).json()
    assert [c["id"] for c in data["cases"]] == [inside.pk]
