"""Passwords: the site's validators refuse the easy ones; the demo accounts pass them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from demo.city import ensure_accounts


@pytest.mark.parametrize("password", ["20240315123456", "13812345678", "3207060060010"])
def test_an_all_digit_password_is_refused(password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, get_user_model()(username="wang"))
    assert "numeric" in str(refused.value.error_list[0].code)


@pytest.mark.parametrize("password", ["short1", "password123", "dispatcher1"])
def test_short_common_or_name_like_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password, get_user_model()(username="dispatcher"))


def test_the_demo_accounts_get_passwords_the_validators_accept(city, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    accounts = ensure_accounts()
    assert len(accounts) >= 7
    for username, _role, password in accounts:
        user = get_user_model().objects.get(username=username)
        validate_password(password, user)
        client = Client()
        assert client.post("/accounts/login/", {"username": username, "password": password}).status_code == 302
