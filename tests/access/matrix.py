"""The access policy as data, and its check over real HTTP (the test and bench/bench_access.py).

Each row of POLICY is a kind of object; each column a persona (tests/access/world.py); each
cell says for the "own" side's object and the "other" side's (two letters) or for the one
object of the kind (one letter): Y the persona gets it (200 with the object, or for a task
completed without a result, 400: found, body refused), N it does not (401/403/404, a
redirect to the login page, or a list without the object).

Who sees a case (urbanmgmt/cases/models.py Case.objects.visible_to): an inspector its own reports and the
cases of its grids (the own side's video case lies in the inspector's grids); a handler its
department's cases; a video analyst the video channel; the command centre (dispatcher,
manager, admin) every case. Photos follow their case; originals (GPS EXIF) are the command
centre's; the camera's unblurred pictures (a snapshot's original, the frame strip) are for
the video channel's watchers (analysts and the command centre).

Exports (urbanmgmt/storage/exports.py) are the command centre's and the departments': each
holds the cases its maker sees. An export job's "own" side is the persona's own job, "other"
another persona's (world.OTHER); the inspectors', the analyst's and the outsider's jobs were
made when they still had a role that exports. Its status, its line in "my exports" and its
file are its maker's; an administrator follows anyone's status, without the file.
"""

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client

from tests.access.world import OTHER, ROLES, SIDES, World

POLICY = """
kind               inspector inspector_b analyst dispatcher handler handler_b manager admin outsider anonymous
case_detail        YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
case_list          YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
video_case_detail  YN        NY          YY      YY         YN      NY        YY      YY    NN       NN
map_layer          YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
map_changes        YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
map_export         NN        NN          NN      YY         YN      NY        YY      YY    NN       NN
export_status      NN        NN          NN      YN         YN      YN        YN      YY    NN       NN
export_list        NN        NN          NN      YN         YN      YN        YN      YN    NN       NN
export_file        NN        NN          NN      YN         YN      YN        YN      YN    NN       NN
department_queue   NN        NN          NN      NN         YN      NY        NN      YY    NN       NN
kpi_figures        NN        NN          NN      YY         NN      NN        YY      YY    NN       NN
kpi_drill          YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
kpi_workbook       N         N           N       Y          N       N         Y       Y     N        N
photo_original     NN        NN          NN      YY         NN      NN        YY      YY    NN       NN
photo_display      YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
photo_thumbnail    YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
after_original     NN        NN          NN      YY         NN      NN        YY      YY    NN       NN
after_display      YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
ticket_detail      YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
ticket_list        YN        NY          NN      YY         YN      NY        YY      YY    NN       NN
ticket_contact     NN        NN          NN      YY         NN      NN        NN      YY    NN       NN
results_export     NN        NN          NN      YY         NN      NN        NN      YY    NN       NN
candidate_list     NN        NN          YY      YY         YN      NY        YY      YY    NN       NN
candidate_display  YN        NY          YY      YY         YN      NY        YY      YY    NN       NN
candidate_thumb    YN        NY          YY      YY         YN      NY        YY      YY    NN       NN
candidate_original NN        NN          YY      YY         NN      NN        YY      YY    NN       NN
candidate_strip    NN        NN          YY      YY         NN      NN        YY      YY    NN       NN
task_list          YN        NY          NN      NN         NN      NN        NN      NN    NN       NN
task_complete      YN        NY          NN      NN         NN      NN        NN      NN    NN       NN
"""

DENIED = (401, 403, 404)
CSRF = "m" * 32  # a cookie and header pair, as a browser's script sends them


def policy() -> dict[str, dict[str, str]]:
    """POLICY as {kind: {persona: letters}}."""
    lines = [line.split() for line in POLICY.strip().splitlines()]
    header = lines[0][1:]
    assert tuple(header) == ROLES, header
    return {row[0]: dict(zip(header, row[1:], strict=True)) for row in lines[1:]}


@dataclass
class Cell:
    kind: str
    role: str
    side: str
    expected: bool
    got: bool  # the object came back
    status: int

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    @property
    def leak(self) -> bool:
        return self.got and not self.expected

    def __str__(self) -> str:
        want = "allowed" if self.expected else "denied"
        return f"{self.role:11} {self.kind:18} {self.side:5}: expected {want}, got HTTP {self.status}" + (
            " with the object" if self.got else " without it")


def sessions(world: World) -> dict[str, requests.Session]:
    """A signed-in HTTP session per persona (the session cookie a login leaves), and none for anonymous."""
    out = {}
    for role, user in world.people.items():
        cookies = {settings.CSRF_COOKIE_NAME: CSRF}
        if user.is_authenticated:
            client = Client()
            client.force_login(user)
            cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
        http = requests.Session()
        # As a header: a cookie jar keeps no cookie for a host without a dot (localhost).
        http.headers.update({"X-CSRFToken": CSRF, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
        out[role] = http
    return out


class Probe:
    """Asks the server for each kind of object as one persona; answers (status, object came back)."""

    def __init__(self, base_url: str, http: requests.Session, world: World, drill: dict, role: str = "anonymous"):
        self.base, self.http, self.world, self.drill, self.role = base_url, http, world, drill, role
        self._cache: dict[str, requests.Response] = {}

    def get(self, path: str) -> requests.Response:
        if path not in self._cache:  # a list answers for both sides
            answer = self.http.get(self.base + path, allow_redirects=False, timeout=60)
            if answer.is_redirect and "/accounts/login/" not in answer.headers.get("Location", ""):
                answer.status_code = 0  # a redirect elsewhere is no answer of the policy's
            self._cache[path] = answer
        return self._cache[path]

    def check(self, kind: str, side: str) -> tuple[int, bool]:
        return getattr(self, kind)(self.world.sides[side], side)

    # --- answers that are JSON, files or bytes ------------------------------------------------
    def _json(self, path: str, found) -> tuple[int, bool]:
        answer = self.get(path)
        if answer.status_code != 200:
            return answer.status_code, False
        return 200, bool(found(answer.json()))

    def _contains(self, path: str, needle: bytes) -> tuple[int, bool]:
        answer = self.get(path)
        return answer.status_code, answer.status_code == 200 and needle in answer.content

    def _file(self, name: str) -> tuple[int, bool]:
        answer = self.get(f"/media/{name}")
        if answer.status_code != 200:
            return answer.status_code, False
        with default_storage.open(name, "rb") as stored:
            return 200, hashlib.sha256(answer.content).digest() == hashlib.sha256(stored.read()).digest()

    # --- the kinds ------------------------------------------------------------------------------
    def case_detail(self, s, side):
        return self._json(f"/api/v1/cases/{s.case.pk}/", lambda d: d.get("id") == s.case.pk)

    def video_case_detail(self, s, side):
        return self._json(f"/api/v1/cases/{s.video_case.pk}/", lambda d: d.get("id") == s.video_case.pk)

    def case_list(self, s, side):
        return self._json("/api/v1/cases/?limit=500", lambda d: _has_feature(d, s.case.pk))

    def map_layer(self, s, side):
        return self._json("/api/v1/map/cases/?zoom=18", lambda d: _has_feature(d, s.case.pk))

    def map_changes(self, s, side):
        since = urlencode({"cursor": self.world.started})
        return self._json(f"/api/v1/map/changes/?{since}",
                          lambda d: _has_feature(d, s.case.pk) or s.case.pk in d.get("removed", []))

    def department_queue(self, s, side):
        return self._json("/api/v1/map/queue/", lambda d: any(
            row["id"] == s.case.pk for rows in (*d["sections"].values(), d["recent"]) for row in rows))

    def map_export(self, s, side):
        return self._contains("/api/v1/map/export/?as=csv", s.case.code.encode())

    def _export_job(self, side):
        return self.world.exports[self.role if side == "own" else OTHER[self.role]]

    def export_status(self, s, side):
        job = self._export_job(side)
        return self._json(f"/exports/{job.pk}/", lambda d: d.get("id") == job.pk)

    def export_list(self, s, side):
        return self._contains("/exports/", self._export_job(side).params["title"].encode())

    def export_file(self, s, side):
        return self._file(self._export_job(side).result["file"])

    def kpi_figures(self, s, side):
        return self._json(self.drill["figures"], lambda d: any(r["key"] == self.drill[side][0] for r in d["results"]))

    def kpi_drill(self, s, side):
        return self._json(self.drill[side][1], lambda d: _has_feature(d, s.case.pk))

    def kpi_workbook(self, s, side):
        answer = self.get(f"/kpi/export.xlsx?start={self.world.kpi_day}&end={self.world.kpi_day}")
        return answer.status_code, answer.status_code == 200 and answer.content[:2] == b"PK"

    def photo_original(self, s, side):
        return self._file(s.photo.file.name)

    def photo_display(self, s, side):
        return self._file(s.photo.display.name)

    def photo_thumbnail(self, s, side):
        return self._file(s.photo.thumbnail.name)

    def after_original(self, s, side):
        return self._file(s.after.file.name)

    def after_display(self, s, side):
        return self._file(s.after.display.name)

    def ticket_detail(self, s, side):
        return self._json(f"/api/v1/hotline/tickets/{s.ticket.pk}/", lambda d: d.get("id") == s.ticket.pk)

    def ticket_list(self, s, side):
        return self._json("/api/v1/hotline/tickets/?limit=500", lambda d: any(t["id"] == s.ticket.pk for t in d["results"]))

    def ticket_contact(self, s, side):
        return self._json(f"/api/v1/hotline/tickets/{s.ticket.pk}/", lambda d: d.get("contact_phone") == "13800000000")

    def results_export(self, s, side):
        return self._contains(f"/hotline/import/{s.run.pk}/results/?format=csv", s.ticket.external_id.encode())

    def candidate_list(self, s, side):
        return self._json(f"/api/v1/vision/candidates/?case={s.video_case.pk}",
                          lambda d: any(c["id"] == s.candidate.pk for c in d["results"]))

    def candidate_display(self, s, side):
        return self._file(s.candidate.snapshot_display)

    def candidate_thumb(self, s, side):
        return self._file(s.candidate.snapshot_thumb)

    def candidate_original(self, s, side):
        return self._file(s.candidate.snapshot)

    def candidate_strip(self, s, side):
        return self._file(s.candidate.strip)

    def task_list(self, s, side):
        return self._json("/api/v1/collect/tasks/", lambda d: any(t["id"] == s.task.pk for t in d["results"]))

    def task_complete(self, s, side):
        # No result given: the task's owner is told what is missing (400), anyone else must
        # not learn that the task exists. Nothing is changed either way.
        answer = self.http.post(f"{self.base}/api/v1/collect/tasks/{s.task.pk}/complete/", data={}, timeout=60,
                                allow_redirects=False)
        return answer.status_code, answer.status_code == 400


def _has_feature(collection: dict, pk: int) -> bool:
    return any(f.get("id") == pk or (f.get("properties") or {}).get("id") == pk for f in collection.get("features", []))


def drill_urls(world: World, base_url: str, admin: requests.Session) -> dict:
    """The KPI figures' URL and, per side, (its inspector's row key, the row's case-list URL) as
    the manager's dashboard gets them."""
    figures = f"/api/v1/kpi/valid-rate/?by=inspector&start={world.kpi_day}&end={world.kpi_day}"
    rows = admin.get(base_url + figures, timeout=60).json()["results"]
    out = {"figures": figures}
    for side, username in zip(SIDES, ("inspector", "inspector_b"), strict=True):
        row = next(r for r in rows if r["key"] == username)
        out[side] = (username, row["cases_url"])
    return out


def run_matrix(world: World, base_url: str) -> list[Cell]:
    """Every persona × kind × side of POLICY against the server at `base_url`."""
    table = policy()
    http = sessions(world)
    drill = drill_urls(world, base_url, http["admin"])
    cells = []
    for role in ROLES:
        probe = Probe(base_url, http[role], world, drill, role)
        for kind, row in table.items():
            letters = row[role]
            for side, letter in zip(SIDES, letters, strict=False):
                status, got = probe.check(kind, side)
                cells.append(Cell(kind, role, side if len(letters) == 2 else "-", letter == "Y", got, status))
        http[role].close()
    return cells


def unexpected(cells: list[Cell]) -> list[Cell]:
    """The cells whose answer is not the policy's; a leak also when the status looks like a refusal."""
    return [c for c in cells if not c.ok or (not c.expected and c.status not in (*DENIED, 200, 302))]


def leaks(cells: list[Cell]) -> list[Cell]:
    """The denied cells answered with the object."""
    return [c for c in cells if c.leak]
