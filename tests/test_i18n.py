"""Chinese first: every string of the catalogue is translated, none left fuzzy."""

import re

from django.conf import settings
from django.utils import translation


def test_the_chinese_catalogue_is_complete():
    text = (settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', text)
    assert len(entries) > 150
    empty = [msgid for msgid, msgstr in entries if msgstr.strip() == '""' and msgid.strip() != '""']
    assert empty == []
    assert "#, fuzzy" not in text


def test_the_default_language_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans" and settings.TIME_ZONE == "Asia/Shanghai"
    with translation.override("zh-hans"):
        assert translation.gettext("Dispatched") == "已派遣"
