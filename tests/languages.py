"""What a page says in which language: the UI's words told apart from data, for the tests
that check a page speaks one language (server-rendered pages and the browser journeys)."""

import html
import re

# Words that are the same in both languages: names of products, formats and the language menu.
BOTH = {"urbanmgmt", "English", "API", "CSV", "GBK", "UTF", "JSON", "Excel", "xlsx", "GeoJSON", "WGS84", "GCJ",
        "PNG", "JPEG", "WebP", "KPI", "OpenAPI", "Swagger", "Redoc", "GPS", "EXIF", "PWA", "SHA", "ID", "MB", "KB",
        "Django", "rtsp", "http", "https", "YOLO", "简体中文", "UTM", "JavaScript", "GeoPackage", "Shapefile",
        "YAML", "COCO", "Control", "Command", "Mac", "Esc"}
COMMAND = re.compile(r"manage\.py \w+")
# Scripts, styles and code (commands, file names) are no sentence of the UI.
TAGS = re.compile(r"<(script|style|template|code|textarea)\b.*?</\1>|<!--.*?-->|<[^>]+>", re.S)
# A word of letters only: codes with digits (E0505, Open311, CAM-1) are data or names.
ENGLISH = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z'’-]{2,}(?![A-Za-z0-9])")
CHINESE = re.compile(r"[\u4e00-\u9fff]+")


def data_names() -> list[str]:
    """What pages show as data: people, places, categories, departments, cameras."""
    from django.contrib.auth.models import User

    from urbanmgmt.cases.models import WorkDay
    from urbanmgmt.catalog.models import Category, MajorClass
    from urbanmgmt.grids.models import Area, UnitGrid
    from urbanmgmt.hotline.models import Bureau
    from urbanmgmt.org.models import Department
    from vision.models import Camera, Zone

    names = list(User.objects.values_list("username", flat=True))
    names += list(Area.objects.values_list("name", flat=True)) + list(UnitGrid.objects.values_list("code", flat=True))
    names += list(Category.objects.values_list("name_zh", flat=True)) + list(Department.objects.values_list("name", flat=True))
    names += list(Department.objects.values_list("code", flat=True)) + list(Camera.objects.values_list("code", flat=True))
    names += list(Camera.objects.values_list("name", flat=True)) + list(Zone.objects.values_list("name", flat=True))
    for model, fields in ((Category, ("name_en",)), (MajorClass, ("name_zh", "name_en")), (WorkDay, ("name", "source")),
                          (Bureau, ("code", "name_zh", "name_en", "description"))):
        for field in fields:
            names += list(model.objects.values_list(field, flat=True))
    return sorted({n for n in names if n}, key=len, reverse=True)


def visible_text(page: str, names: list[str]) -> str:
    """The words a person reads in an HTML page (or a page's innerText), data taken out."""
    body = "<body" + page.split("<body", 1)[1] if "<body" in page else page
    text = html.unescape(TAGS.sub(" ", body))
    for name in names:
        text = text.replace(name, " ")
    return COMMAND.sub(" ", text)


def strays(text: str, language: str) -> list[str]:
    """English words in a Chinese text, or Chinese in an English one."""
    found = ENGLISH.findall(text) if language == "zh-hans" else CHINESE.findall(text)
    return sorted({w for w in found if w not in BOTH})
