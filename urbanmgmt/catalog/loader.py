"""Loading the catalogue from its JSON fixture (idempotent: codes are the keys)."""

import json
from pathlib import Path

from django.db import transaction

from urbanmgmt.catalog.models import Category, MajorClass


@transaction.atomic
def load_catalog(path: Path) -> tuple[int, int]:
    """Create or update every major and minor class of the file; returns their counts."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    majors = {}
    for item in data["majors"]:
        major, _ = MajorClass.objects.update_or_create(
            family=item["family"], code=item["code"],
            defaults={"name_zh": item["name_zh"], "name_en": item.get("name_en", "")},
        )
        majors[(item["family"], item["code"])] = major
    for item in data["minors"]:
        category = Category.objects.filter(family=item["family"], code=item["code"]).first() or Category(
            family=item["family"], code=item["code"]
        )
        category.major = majors[(item["family"], item["major"])]
        category.name_zh = item["name_zh"]
        category.name_en = item.get("name_en", "")
        category.deadline_value = item["deadline_value"]
        category.deadline_unit = item["deadline_unit"]
        category.urgency = item.get("urgency", "normal")
        category.detector_classes = item.get("detector_classes", [])
        category.keywords = item.get("keywords", [])
        category.full_clean()
        category.save()
    return len(data["majors"]), len(data["minors"])
