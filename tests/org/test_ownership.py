"""suggest_department from the ownership register, and who sees which cases."""

import pytest

from tests.builders import make_person, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.models import Area, UnitGrid
from urbanmgmt.org.models import Department, OwnershipRule
from urbanmgmt.org.services import suggest_department

pytestmark = pytest.mark.django_db


def cat(code):
    return Category.objects.get(service_code=code)


def test_the_major_class_rule_applies_city_wide(people):
    assert suggest_department(report_case(people.inspector, cat("E0102"))).code == "HZ-HWC"


def test_a_category_rule_beats_its_major_class(people):
    assert suggest_department(report_case(people.inspector, cat("C0101"))).code == "LYG-SWJT"  # water cover


def test_street_order_goes_to_the_street_office(people):
    case = report_case(people.inspector, cat("E0501"), col=4.5)  # 无照经营游商 in 新浦街道
    assert suggest_department(case).name == "新浦街道办事处"


def test_priority_beats_place(people):
    case = report_case(people.inspector, cat("E0505"), col=4.5)  # illegal parking: traffic police, priority 1
    assert suggest_department(case).code == "HZ-JJDD"


def test_a_rule_for_a_set_of_grids_is_the_most_specific(people):
    grid = UnitGrid.objects.get(code="32070601000101")
    rule = OwnershipRule.objects.create(department=Department.objects.get(code="HZ-YLC"),
                                        major=cat("E0501").major)
    rule.grids.add(grid)
    inside = report_case(people.inspector, cat("E0501"), col=3.5, row=0.5)
    assert inside.grid == grid and suggest_department(inside).code == "HZ-YLC"
    outside = report_case(people.inspector, cat("E0501"), col=4.5, row=1.5)
    assert suggest_department(outside).name == "新浦街道办事处"


def test_no_category_no_suggestion(people):
    assert suggest_department(report_case(people.inspector, None)) is None


def test_an_inactive_department_is_never_suggested(people):
    Department.objects.filter(code="HZ-HWC").update(active=False)
    assert suggest_department(report_case(people.inspector, cat("E0102"))) is None


def test_the_area_rules_use_one_query(people, django_assert_num_queries):
    case = Case.objects.select_related("category").get(pk=report_case(people.inspector, cat("E0501")).pk)
    with django_assert_num_queries(1):
        suggest_department(case)


def test_a_handler_sees_only_its_departments_cases(people):
    mine = report_case(people.inspector, cat("E0102"))
    mine = services.file(people.dispatcher, mine, version=1)
    services.dispatch(people.dispatcher, mine, version=2, department=Department.objects.get(code="HZ-HWC"))
    report_case(people.inspector, cat("E0102"))
    assert list(Case.objects.visible_to(people.handler)) == [Case.objects.get(pk=mine.pk)]
    assert not Case.objects.visible_to(people.other_handler).exists()


def test_an_inspector_sees_own_reports_and_cases_of_its_grids(people):
    other = make_person("other_inspector", "inspector", grids=[])
    in_my_grid = report_case(other, cat("E0102"), col=0.5)   # street 320706006: the fixture inspector's grids
    elsewhere = report_case(other, cat("E0102"), col=4.5)
    seen = set(Case.objects.visible_to(people.inspector))
    assert in_my_grid in seen and elsewhere not in seen
    assert set(Case.objects.visible_to(other)) == {in_my_grid, elsewhere}


def test_outsiders_see_nothing_and_dispatchers_everything(people):
    report_case(people.inspector, cat("E0102"))
    assert not Case.objects.visible_to(people.outsider).exists()
    assert Case.objects.visible_to(people.dispatcher).count() == 1


def test_the_catalogue_holds_both_families(city):
    assert Category.objects.filter(family="component").count() >= 40
    assert Category.objects.count() >= 80
    assert Category.objects.get(service_code="E0505").detector_classes == ["car", "truck", "bus", "motorcycle"]
    assert Area.objects.filter(level="street").count() == 2
