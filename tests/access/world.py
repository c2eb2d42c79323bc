"""The objects of the access matrix, made through the services as the channels make them.

Two sides, each a department's and an inspector's share of the city: side "own" is the west
street (320706006) with the inspector and the sanitation office (HZ-HWC, the handler), side
"other" the east street (320706010) with a second inspector and the urban-management bureau
(HZ-CGJ, the other handler). Each side has a field case (an inspector's report with a phone
photo carrying GPS EXIF, handled with an after-photo, out for an on-site check: the
inspector's task), a 12345 ticket joined to it from its own source (and that source's import
run), and a camera whose candidate an analyst confirmed into a video case dispatched to the
side's department.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from PIL import Image, ImageDraw

from tests.builders import make_person, point_in
from tests.photos import jpeg, now_local
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseMedia, InspectionTask
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.org.models import Department

# The personas of the matrix, in its column order; "anonymous" signs in as nobody.
ROLES = ("inspector", "inspector_b", "analyst", "dispatcher", "handler", "handler_b", "manager", "admin", "outsider",
         "anonymous")
SIDES = ("own", "other")
# The image road of a 640 × 360 frame over the test layer (as tests/vision/conftest.py), per side.
IMAGE_CORNERS = [(0, 170), (640, 170), (640, 360), (0, 360)]
LATTICE = {"own": [(1.0, 1.8), (1.8, 1.8), (1.55, 1.2), (1.25, 1.2)],
           "other": [(4.0, 1.8), (4.8, 1.8), (4.55, 1.2), (4.25, 1.2)]}
SPOT = {"own": (0.5, 0.5), "other": (4.5, 2.5)}
SIDE_PEOPLE = {"own": ("inspector", "handler", "HZ-HWC"), "other": ("inspector_b", "handler_b", "HZ-CGJ")}
# Who may export (urbanmgmt/storage/exports.py): the command centre and the departments' handlers.
EXPORTERS = {"dispatcher", "handler", "handler_b", "manager", "admin"}
# Whose export job is "other" for each persona (its "own" is its own; anonymous has none: the manager's).
OTHER = {"inspector": "inspector_b", "inspector_b": "inspector", "analyst": "dispatcher", "dispatcher": "manager",
         "handler": "handler_b", "handler_b": "handler", "manager": "dispatcher", "admin": "manager",
         "outsider": "dispatcher", "anonymous": "dispatcher"}


@dataclass
class Side:
    case: Case
    photo: CaseMedia  # the inspector's, with GPS EXIF
    after: CaseMedia  # the department's
    task: InspectionTask
    ticket: object
    run: object
    candidate: object
    video_case: Case


@dataclass
class World:
    people: dict
    sides: dict = field(default_factory=dict)
    kpi_day: str = ""
    started: str = ""  # a time before any of the objects (the live map's change feed)
    exports: dict = field(default_factory=dict)  # persona → its done export job


def make_people() -> dict:
    """The personas by matrix name (the `people` fixture's, plus a second inspector)."""
    east = UnitGrid.objects.filter(street__code="320706010")
    west = UnitGrid.objects.filter(street__code="320706006")
    return {
        "inspector": make_person("inspector", "inspector", grids=west),
        "inspector_b": make_person("inspector_b", "inspector", grids=east),
        "analyst": make_person("analyst", "analyst"),
        "dispatcher": make_person("dispatcher", "dispatcher"),
        "handler": make_person("handler", "handler", department="HZ-HWC"),
        "handler_b": make_person("handler_cgj", "handler", department="HZ-CGJ"),
        "manager": make_person("manager", "manager"),
        "admin": make_person("root", "admin"),
        "outsider": make_person("outsider", None),
        "anonymous": AnonymousUser(),
    }


def build_world() -> World:
    """Both sides, through the services; asserts what the matrix relies on."""
    people = make_people()
    world = World(people=people, kpi_day=timezone.localdate().isoformat(),
                  started=(timezone.now() - dt.timedelta(seconds=1)).isoformat())
    worker = _worker_key()
    for n, side in enumerate(SIDES):
        world.sides[side] = _side(people, side, n, worker)
    world.exports = _exports(people)
    return world


def _exports(people: dict) -> dict:
    """A finished export of the cases each persona sees, made by the queue: through `ask` for
    those who may export; for the others as when they still might (a dispatcher become an
    inspector), by its job directly."""
    from maps.exports import make_export
    from urbanmgmt.jobs.models import Job
    from urbanmgmt.jobs.worker import drain
    from urbanmgmt.storage import exports

    jobs = {}
    for role, user in people.items():
        if not user.is_authenticated:
            continue
        params = {"title": f"export-{role}-job", "query": "open=all", "layer": "cases", "fmt": "csv", "bbox": ""}
        if role in EXPORTERS:
            jobs[role] = exports.ask(make_export, user, **params)
        else:
            jobs[role] = make_export.enqueue(f"{exports.KEY_PREFIX}{user.pk}/all/{role}/0", started_by=user,
                                             user_id=user.pk, language="zh-hans", **params)
    while drain():
        pass
    jobs = {role: Job.objects.get(pk=job.pk) for role, job in jobs.items()}
    assert all(job.result.get("file") for job in jobs.values()), [job.as_status() for job in jobs.values()]
    jobs["anonymous"] = jobs["manager"]
    return jobs


def _side(people: dict, side: str, n: int, worker) -> Side:
    inspector, handler, department_code = (people[SIDE_PEOPLE[side][0]], people[SIDE_PEOPLE[side][1]],
                                           SIDE_PEOPLE[side][2])
    dispatcher, department = people["dispatcher"], Department.objects.get(code=department_code)
    spot = point_in(*SPOT[side])
    taken = now_local() - dt.timedelta(minutes=10)
    photo = read_photo(jpeg(gps=(spot.x, spot.y), taken=taken, make=f"Phone-{side}"), "IMG_0001.jpg")
    case, _ = services.report(inspector, channel="inspector", point=spot, category=Category.objects.get(service_code="E0102"),
                              description=f"暴露垃圾 ({side})", evidence=[services.Evidence(photo=photo)])
    case = _dispatched(dispatcher, case, department)
    case = services.sign(handler, case, version=case.version)
    after = read_photo(jpeg(width=480, height=640, make=f"Dept-{side}"), "after.jpg")
    case = services.handle(handler, case, version=case.version, reply="已清理",
                           evidence=[services.Evidence(photo=after, kind=CaseMedia.Kind.AFTER)])
    case = services.send_for_check(dispatcher, case, version=case.version, checker=inspector)
    ticket, run = _ticket(dispatcher, case, side)
    candidate, video_case = _candidate(people, side, n, worker, department)
    media = {m.kind: m for m in case.media.all()}
    assert media["before"].metadata["exif"].get("gps"), "the inspector's photo carries its GPS EXIF"
    return Side(case=case, photo=media["before"], after=media["after"], task=case.tasks.get(),
                ticket=ticket, run=run, candidate=candidate, video_case=video_case)


def _dispatched(dispatcher, case: Case, department) -> Case:
    case = services.file(dispatcher, case, version=case.version)
    return services.dispatch(dispatcher, case, version=case.version, department=department)


def _ticket(dispatcher, case: Case, side: str):
    """A citizen's 12345 complaint about the case's problem, joined to it, from the side's own
    source system (whose results export is the side's)."""
    from urbanmgmt.hotline import services as hotline
    from urbanmgmt.hotline.importer import import_rows
    from urbanmgmt.hotline.models import HotlineTicket, ImportRun

    source = f"12345-{side}"
    import_rows([{"工单编号": f"T-{side}", "受理时间": f"{timezone.localtime() - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
                  "诉求类型": "投诉举报", "紧急程度": "一般", "诉求内容": "小区门口暴露垃圾没人清理", "地址": "",
                  "来电人": "张先生", "联系电话": "13800000000"}], source=source, actor=dispatcher)
    ticket = HotlineTicket.objects.get(source=source)
    if ticket.case_id != case.pk:
        current = Case.objects.get(pk=case.pk)
        ticket = hotline.link(dispatcher, ticket, current, version=current.version, reason="the same heap")
    run = ImportRun.objects.create(source=source, filename=f"{source}.csv", started_by=dispatcher, file_format="csv",
                                   finished_at=timezone.now())
    return ticket, run


def _worker_key():
    from vision.models import WorkerKey

    worker = WorkerKey(name="matrix-worker")
    worker.new_key()
    worker.save()
    return worker


def _candidate(people: dict, side: str, n: int, worker, department):
    """The side's camera raises a candidate (a snapshot with a person, a frame strip); the
    analyst confirms it; the dispatcher sends the video case to the side's department."""
    from demo import synth
    from vision import services as vision
    from vision.models import Camera, Zone

    calibration = [[[x, y], [point_in(c, r).x, point_in(c, r).y]] for (x, y), (c, r) in zip(IMAGE_CORNERS, LATTICE[side],
                                                                                            strict=True)]
    camera = Camera.objects.create(code=f"CAM-{side}", name=f"路口 {side}", calibration=calibration)
    vision.calibrate(camera)
    zone = Zone.objects.create(camera=camera, name="禁停区", rule="illegal_parking",
                               polygon=[list(p) for p in synth.NO_PARKING], dwell_s=15)
    now = timezone.now()
    data = {"camera": camera.code, "zone": zone.pk, "rule": "illegal_parking", "class": "car", "track_id": 7 + n,
            "started_at": (now - dt.timedelta(seconds=40)).isoformat(), "last_seen_at": now.isoformat(), "score": 0.9,
            "box": [400, 180, 560, 290], "frame_size": [640, 360], "people": [[100, 150, 140, 280]], "key": side}
    candidate, _ = vision.ingest(worker, data, _frame(n), _frame(n, strip=True))
    video_case = vision.confirm(people["analyst"], candidate)
    video_case = _dispatched(people["dispatcher"], video_case, department)
    candidate.refresh_from_db()
    assert candidate.strip and candidate.case_id == video_case.pk
    return candidate, video_case


def _frame(n: int, strip: bool = False) -> bytes:
    image = Image.new("RGB", (720, 180) if strip else (640, 360), (80 + 40 * n, 90, 90 + 20 * strip))
    ImageDraw.Draw(image).rectangle((110, 150, 120, 280), fill=(0, 0, 0))  # a "person"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
