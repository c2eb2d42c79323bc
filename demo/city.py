"""The demo city: Haizhou district's grids, the catalogue, departments, ownership, calendar
and one account per role. Idempotent: a second run changes nothing and is quick."""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction

from demo.cameras import load_vision_demo
from demo.simulate import DEMO_INSPECTOR
from demo.tickets import load_hotline_demo, load_knowledge
from urbanmgmt import dbstats
from urbanmgmt.cases.calendar_seed import seed_calendar
from urbanmgmt.cases.models import Case, WorkDay
from urbanmgmt.catalog.loader import load_catalog
from urbanmgmt.catalog.models import Category, MajorClass
from urbanmgmt.grids.importer import import_grids
from urbanmgmt.grids.models import Area, UnitGrid
from urbanmgmt.kpi.loader import load_quotas, load_schemes
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Department, OwnershipRule, Profile

DEMO = settings.FIXTURES_DIR / "demo"
# username, role, display name, department code (handlers), number of grids (inspectors)
ACCOUNTS = [
    ("admin", R.ADMIN, "系统管理员", None, 0),
    ("dispatcher", R.DISPATCHER, "王派遣", None, 0),
    (DEMO_INSPECTOR, R.INSPECTOR, "李巡查", None, 60),
    ("analyst", R.ANALYST, "赵视频", None, 0),
    ("handler", R.HANDLER, "陈城管", "HZ-CGJ", 0),
    ("handler_szc", R.HANDLER, "周市政", "HZ-SZC", 0),
    ("manager", R.MANAGER, "孙主任", None, 0),
]


def load_demo(log=print) -> list[tuple[str, str, str]]:
    """Load what is missing of the demo city; returns the demo accounts (name, role, password)."""
    if not WorkDay.objects.exists():
        log(f"working calendar: {seed_calendar()} holidays and make-up days from chinese_calendar")
    majors, minors = load_catalog(settings.FIXTURES_DIR / "catalog" / "categories.json")
    log(f"catalogue: {majors} major classes, {minors} categories")
    if not UnitGrid.objects.exists():
        report = import_grids(DEMO / "haizhou_grids.geojson")
        if not report.ok:
            raise RuntimeError("the demo grid layer was refused:\n" + "\n".join(report.lines()))
    log(f"unit grids: {UnitGrid.objects.count()} in {Area.objects.filter(level='street').count()} streets")
    log(f"annual quotas: {load_quotas(settings.FIXTURES_DIR / 'kpi' / 'quotas.json')}, evaluation schemes: "
        f"{load_schemes(settings.FIXTURES_DIR / 'kpi' / 'evaluation.json')}")
    departments = load_departments(DEMO / "departments.json")
    log(f"departments: {departments}, ownership rules: {OwnershipRule.objects.count()}")
    accounts = ensure_accounts()
    load_vision_demo(log)
    load_knowledge()  # before the simulation: its call takers answer from it
    if not Case.objects.exists():
        log("simulating the last two months of the demo city through the case services (once, about a minute)…")
        call_command("simulate_year", scale="demo", months=2, stdout=_Log(log))
    load_hotline_demo(log)  # gazetteer and 12345 tickets (once)
    dbstats.refresh()
    return accounts


def _database_tag() -> str:
    name = Path(str(connection.settings_dict["NAME"])).stem
    host = connection.settings_dict.get("HOST") or ""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{host}{'-' if host else ''}{name}")


class _Log:
    def __init__(self, log):
        self.log = log

    def write(self, text: str) -> None:
        if text.strip():
            self.log(text.rstrip())

    def flush(self) -> None:
        pass


@transaction.atomic
def load_departments(path: Path) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["departments"]:
        Department.objects.update_or_create(code=item["code"], defaults=item)
    for rule in data["rules"]:
        _rule(Department.objects.get(code=rule["department"]), rule.get("category"), rule.get("major"),
              None, rule.get("priority", 0))
    for street in Area.objects.filter(level=Area.Level.STREET):
        office, _ = Department.objects.update_or_create(
            code=f"HZ-JD-{street.code[-3:]}", defaults={"name": f"{street.name}办事处",
                                                        "name_en": f"{street.name} office"})
        for major in data["street_office_majors"]:
            _rule(office, None, major, street, 0)
    return Department.objects.count()


def _rule(department, category_code, major_code, area, priority) -> None:
    category = Category.objects.get(service_code=category_code) if category_code else None
    major = None
    if major_code:
        family = "component" if major_code[0] == "C" else "event"
        major = MajorClass.objects.get(family=family, code=major_code[1:])
    OwnershipRule.objects.update_or_create(
        department=department, category=category, major=major, area=area, defaults={"priority": priority})


def _new_password(user) -> str:
    """A random password that the site's own validators accept (AUTH_PASSWORD_VALIDATORS)."""
    while True:
        password = secrets.token_urlsafe(9)
        try:
            validate_password(password, user)
            return password
        except ValidationError:
            continue


def ensure_accounts() -> list[tuple[str, str, str]]:
    """One account per role; passwords are generated once and kept in var/, one file per
    database (demo_accounts.urbanmgmt.json for the default one)."""
    store = settings.VAR_DIR / f"demo_accounts.{_database_tag()}.json"
    known = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    User = get_user_model()
    out = []
    for username, role, name, department, grids in ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            password = _new_password(User(username=username, first_name=name))
            user = User.objects.create_user(username, password=password, first_name=name,
                                            is_staff=role in (R.ADMIN, R.DISPATCHER, R.MANAGER),
                                            is_superuser=role == R.ADMIN)
            known[username] = password
        user.groups.add(Group.objects.get(name=role))
        profile, _ = Profile.objects.get_or_create(user=user, defaults={"display_name": name})
        if department:
            profile.department = Department.objects.get(code=department)
            profile.save()
        if grids and not profile.grids.exists():
            profile.grids.set(UnitGrid.objects.order_by("code")[:grids])
        out.append((username, role, known.get(username, "(set before; unchanged)")))
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(known, indent=1), encoding="utf-8")
    store.chmod(0o600)
    return out
