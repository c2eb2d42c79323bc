"""The pages' scripts speak through Django's JavaScript catalogue (/jsi18n/): every word they
write is a gettext call with its Chinese in djangojs.po, none carries a vocabulary of its own,
and every page (城管通 included) loads the catalogue, the shared toolkit and the city's zone."""

import ast
import re

import pytest
from django.conf import settings
from django.test import Client

from tests.jscatalogue import catalogue

HAN = re.compile(r"[\u4e00-\u9fff]")
# Our scripts: everything under a static/ folder but the third-party ones in vendor/.
SCRIPTS = sorted(p for p in settings.BASE_DIR.glob("**/static/**/*.js")
                 if "vendor" not in p.parts and ".venv" not in p.parts and "var" not in p.parts)
LITERAL = r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\""
CALL = re.compile(r"\b(gettext|ngettext|pgettext)\(\s*(?:" + LITERAL + r")(?:\s*,\s*(?:" + LITERAL + r"))?")


def code_of(path) -> str:
    """The script without its comments (which may quote Chinese terms)."""
    return re.sub(r"/\*.*?\*/|(?<![:'\"\\])//[^\n]*", "", path.read_text(encoding="utf-8"), flags=re.S)


def words_of(path) -> set[tuple[str, str]]:
    found = set()
    for call in CALL.finditer(code_of(path)):
        first = call[2] if call[2] is not None else call[3]
        second = call[4] if call[4] is not None else call[5]
        # The catalogue keys a word with a context as "context\x04word".
        msgid = f"{first}\x04{second}" if call[1] == "pgettext" else first
        found.add((call[1], msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")))
    return found


def test_the_scripts_are_found():
    names = {p.name for p in SCRIPTS}
    assert {"ui.js", "panel.js", "dispatch.js", "workspace.js", "app.js", "intake.js", "dashboard.js"} <= names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_a_script_writes_no_chinese_of_its_own(path):
    # sw.js answers before anything is installed (no catalogue yet): its few words are a table
    # per language (WORDS), chosen by the phone's language.
    lines = [line for line in code_of(path).splitlines() if HAN.search(line)]
    if path.name == "sw.js":
        lines = [line for line in lines if not re.match(r"\s*(title|notInstalled|nothingCached): '", line)]
    assert lines == []


@pytest.mark.django_db
def test_every_word_of_the_scripts_has_its_chinese():
    words = catalogue(Client())  # zh-hans, the default
    missing = sorted({(path.name, msgid) for path in SCRIPTS for _kind, msgid in words_of(path) if msgid not in words})
    assert len(words) > 200 and missing == []
    assert words["%(n)s case"] == ["%(n)s 件"] and words["Waiting to be sent"] == "等待发送"
    assert words["map marker\x04I"] == "巡" and words["kpi\x04Reports"]


@pytest.mark.django_db
def test_english_needs_no_catalogue_and_gets_none():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert catalogue(client) == {}
    assert "django.gettext = function" in client.get("/jsi18n/").content.decode()


def test_no_view_hands_its_script_a_vocabulary():
    for module in ("maps/views.py", "urbanmgmt/kpi/views.py", "urbanmgmt/hotline/views.py"):
        tree = ast.parse((settings.BASE_DIR / module).read_text(encoding="utf-8"))
        names = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets
                 if isinstance(t, ast.Name)}
        assert "STRINGS" not in names, module
    templates = [p for p in settings.BASE_DIR.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    assert not [p.name for p in templates if re.search(r"json_script:\"[\w-]*(strings|words)\"", p.read_text())]


@pytest.mark.django_db
def test_every_page_loads_the_catalogue_the_toolkit_and_the_citys_zone(people):
    client = Client()
    client.force_login(people.dispatcher)
    for path in ("/map/", "/m/"):
        html = client.get(path).content.decode()
        assert 'src="/jsi18n/?lang=zh-hans"' in html and "urbanmgmt/ui" in html, path
        assert 'data-time-zone="Asia/Shanghai"' in html, path


@pytest.mark.django_db
def test_chengguantong_is_english_for_an_english_phone():
    english = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/m/").content.decode()
    assert '<html lang="en"' in english and ">Outbox<" in english and "/jsi18n/?lang=en" in english
    body = re.sub(r"<script.*?</script>", "", english[english.index("<body"):], flags=re.S)
    assert HAN.findall(body) == []
    chinese = Client().get("/m/").content.decode()
    assert ">待发送<" in chinese and '<html lang="zh-hans"' in chinese


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_a_script_writes_a_files_size_through_the_catalogue(path):
    # "1.2 MB" is words of the UI too: the unit is in the catalogue's string, never the code's.
    code = CALL.sub("", code_of(path))
    assert re.findall(r".*\d\s*[KMG]B\b.*|.*[}'\"`]\s*[KMG]B\b.*", code) == []
