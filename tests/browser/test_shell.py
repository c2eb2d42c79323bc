"""In a real browser: the login, the admin and the API documentation work, offline."""

import pytest

from tests.browser.conftest import log_in
from tests.builders import make_person, report_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_user(empty_history_after, city):
    user = make_person("chief", "admin")
    user.is_staff = user.is_superuser = True
    user.set_password("a-long-demo-password")
    user.save()
    return user


def test_a_wrong_password_is_refused_in_chinese(page, live_server, admin_user):
    log_in(page, live_server, "chief", "wrong")
    assert "用户名或密码不正确" in page.content()


def test_login_home_admin_and_api_docs_work_without_the_internet(page, live_server, admin_user, people, category):
    case = report_case(people.inspector, category, description="<script>alert(1)</script> 路边垃圾")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server, "chief", "a-long-demo-password")
    page.wait_for_url(f"{live_server.url}/")
    assert "欢迎" in page.content() and "系统管理员" in page.content()

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#site-name").inner_text().startswith("urbanmgmt")
    for path, words in [("cases/case/", "2026"), ("grids/unitgrid/", "32070600600101"),
                        ("catalog/category/?q=停放", "机动车乱停放"), ("cases/workday/", "国庆节"),
                        ("org/ownershiprule/", "海州区环境卫生管理处")]:
        page.goto(f"{live_server.url}/admin/{path}")
        assert words in page.content(), path
    page.goto(f"{live_server.url}/admin/cases/case/")
    with page.expect_navigation():
        page.click(f"text={case.code}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 路边垃圾" in page.content()  # shown as text
    assert page.locator(".field-description").inner_text().strip().endswith("<script>alert(1)</script> 路边垃圾")
    assert dialogs == []  # and never run

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/cases/").count() > 0
    assert page.foreign_requests == []
