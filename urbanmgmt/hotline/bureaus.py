"""The bureaus that out-of-scope tickets are forwarded to (转办), kept as data."""

import json
from pathlib import Path

from django.conf import settings

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "hotline" / "bureaus.json"


def load_bureaus(path: Path = FIXTURE, model=None) -> int:
    """Create or update the bureaus of a fixture file by code (the admin's edits to a bureau
    not in the file stay). Returns how many the file holds. `model`: a migration's model,
    which before migration 0010 has one `name` (Chinese) and no English one."""
    if model is None:
        from urbanmgmt.hotline.models import Bureau as model
    fields = {f.name for f in model._meta.get_fields()}
    items = fixture_bureaus(path)
    for item in items:
        names = ({"name_zh": item["name"], "name_en": item.get("name_en", "")} if "name_zh" in fields
                 else {"name": item["name"]})
        model.objects.update_or_create(code=item["code"], defaults={
            **names, "description": item.get("description", ""), "keywords": item.get("keywords", [])})
    return len(items)


def fixture_bureaus(path: Path = FIXTURE) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["bureaus"]
