"""The city's configuration in the admin reads in the page's language: the ownership register's
departments, categories and major classes, the categories' major classes; two major classes
of one name (市容环境: components 03 and events 01) are told apart in a form's choices; a
department is found by its English name."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from urbanmgmt.catalog.models import MajorClass
from urbanmgmt.org.models import Department, OwnershipRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(city):
    keeper = User.objects.create_superuser("keeper", "keeper@example.org", "pw-keeper")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(keeper)
    return client


def test_the_ownership_register_reads_in_english_and_its_major_classes_are_told_apart(admin_client):
    rule = OwnershipRule.objects.select_related("department").first()
    assert rule is not None and rule.department.name_en
    listing = admin_client.get("/admin/org/ownershiprule/").content.decode()
    cells = re.findall(r'<td class="field-column">([^<]*)</td>', listing)
    assert rule.department.name_en in cells and rule.department.name not in cells
    form = admin_client.get(f"/admin/org/ownershiprule/{rule.pk}/change/").content.decode()
    select = form[form.index('name="major"'):]
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", select[:select.index("</select>")])
    assert len(options) == MajorClass.objects.count() == len(set(options))
    assert any(o.startswith("Component 03 ") for o in options) and any(o.startswith("Event 01 ") for o in options)


def test_a_department_is_found_by_its_english_name_and_categories_show_their_class_in_english(admin_client):
    department = Department.objects.exclude(name_en="").first()
    word = department.name_en.split()[-1]
    found = admin_client.get("/admin/org/department/", {"q": word}).content.decode()
    assert "0 results" not in found and department.code in found
    categories = admin_client.get("/admin/catalog/category/").content.decode()
    major = MajorClass.objects.exclude(name_en="").first()
    assert f"{major.get_family_display()} {major.code} {major.name_en}" in categories.replace("&amp;", "&")


def test_the_admins_words_read_as_words(admin_client):
    """The English admin said "4 ownership register" and "Delete selected ownership register",
    labelled a field "tags:" beside "Question:"; the Chinese one counted "7 知识库" but "1 知识库条目"."""
    from tests.hotline.knowledge_entries import make_entries

    make_entries()
    rules = admin_client.get("/admin/org/ownershiprule/").content.decode()
    assert f"{OwnershipRule.objects.count()} ownership rules" in rules and "ownership register<" not in rules
    form = admin_client.get("/admin/hotline/knowledgeentry/add/").content.decode()
    assert ">Tags:</label>" in form and ">tags:</label>" not in form
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    entries = admin_client.get("/admin/hotline/knowledgeentry/").content.decode()
    from urbanmgmt.hotline.models import KnowledgeEntry

    assert f"{KnowledgeEntry.objects.count()} 知识库条目" in entries


def test_the_ownership_register_is_searched_and_a_quota_rate_reads_as_on_the_dashboard(admin_client):
    """The ownership register had no search box; the quotas listed the valid-report rate as
    stored (0.970) beside the dashboard's 97.0%, and its form did not say it is a share."""
    from urbanmgmt.kpi.models import AnnualQuota

    rule = OwnershipRule.objects.select_related("department").exclude(department__name_en="").first()
    found = admin_client.get("/admin/org/ownershiprule/", {"q": rule.department.code}).content.decode()
    assert 'id="searchbar"' in found
    counted = re.search(r"(\d+) results? \(", found)
    assert counted and int(counted.group(1)) == OwnershipRule.objects.filter(department=rule.department).count()
    quota = AnnualQuota.objects.create(year=2026, collection_total=40000, valid_rate="0.970")
    listing = admin_client.get("/admin/kpi/annualquota/").content.decode()
    assert '<td class="field-valid_rate_shown">97.0%</td>' in listing
    form = admin_client.get(f"/admin/kpi/annualquota/{quota.pk}/change/").content.decode()
    assert "0.970 is 97.0%" in form
