"""Every page of the site with the role that opens it (for the Content-Security-Policy tests)."""

from django.utils import timezone

# (persona of the `people` fixture, path); {camera} and {run} are filled by `page_objects`.
PAGES = [
    (None, "/accounts/login/"),
    ("dispatcher", "/"),
    ("dispatcher", "/map/"),
    ("handler", "/workspace/"),
    (None, "/m/"),
    ("manager", "/kpi/"),
    ("manager", "/kpi/report/daily/"),
    ("manager", "/kpi/report/monthly/"),
    ("analyst", "/vision/"),
    ("analyst", "/vision/cameras/{camera}/"),
    ("dispatcher", "/hotline/import/"),
    ("dispatcher", "/hotline/import/{run}/"),
    ("dispatcher", "/hotline/unplaced/"),
    ("dispatcher", "/hotline/review/"),
    ("dispatcher", "/api/docs/"),
    ("dispatcher", "/api/redoc/"),
    ("admin", "/admin/"),
    ("admin", "/admin/cases/case/"),
    ("admin", "/admin/axes/accessattempt/"),
]


def page_objects(people) -> dict:
    """What the pages with an id need: a camera and a finished 12345 import; the admin persona
    made a superuser."""
    from urbanmgmt.hotline.models import ImportRun
    from vision.models import Camera

    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save()
    camera = Camera.objects.create(code="CAM-CSP", name="测试路口")
    run = ImportRun.objects.create(source="12345", filename="tickets.csv", finished_at=timezone.now())
    return {"camera": camera.pk, "run": run.pk}
