"""Production behind HTTPS is one setting (URBANMGMT_HTTPS=1): `check --deploy` is clean under
it, and without it `make run`'s plain http on 127.0.0.1 keeps working."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.slow


def check_deploy(**env) -> subprocess.CompletedProcess:
    # Not the test run's own switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process).
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("URBANMGMT_", "SECURE_", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"))}
    base.update({"SECRET_KEY": secrets.token_urlsafe(50), "DEBUG": "0", "ALLOWED_HOSTS": "cg.example.gov.cn"}, **env)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=django_settings.BASE_DIR, env=base, capture_output=True, text=True, timeout=120)


def issues(result: subprocess.CompletedProcess) -> list[str]:
    """The checks' findings, drf-spectacular's warnings on the API schema included."""
    return [line for line in result.stderr.splitlines() if re.match(r"^\S*: \(", line)]


def test_check_deploy_is_clean_with_the_https_setting():
    result = check_deploy(URBANMGMT_HTTPS="1")
    assert issues(result) == [], result.stderr[-3000:]
    assert "Traceback" not in result.stderr


def test_check_deploy_names_what_plain_http_lacks():
    found = " ".join(issues(check_deploy()))
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in found


def test_plain_http_is_served_without_the_setting(client, db):
    assert not django_settings.SECURE_SSL_REDIRECT and not django_settings.SESSION_COOKIE_SECURE
    response = client.get("/accounts/login/")
    assert response.status_code == 200 and "Strict-Transport-Security" not in response


def test_with_the_setting_http_redirects_and_cookies_are_secure(client, db, settings):
    # The values the setting gives (settings.py reads the environment once, at start).
    settings.SECURE_SSL_REDIRECT = settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200  # the load balancer's probe stays on http
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["csrftoken"]["secure"]
