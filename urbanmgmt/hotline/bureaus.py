"""The bureaus that out-of-scope tickets are forwarded to (转办), kept as data."""

import json
from pathlib import Path

from django.conf import settings

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "hotline" / "bureaus.json"


def load_bureaus(path: Path = FIXTURE, model=None) -> int:
    """Create or update the bureaus of a fixture file by code (the admin's edits to a bureau
    not in the file stay). Returns how many the file holds. `model`: a migration's model."""
    if model is None:
        from urbanmgmt.hotline.models import Bureau as model
    items = json.loads(Path(path).read_text(encoding="utf-8"))["bureaus"]
    for item in items:
        model.objects.update_or_create(code=item["code"], defaults={
            "name": item["name"], "description": item.get("description", ""), "keywords": item.get("keywords", [])})
    return len(items)
