"""The default supervision rules (fixtures/supervision/rules.json), loaded by migration 0003
and editable in the admin afterwards: loading again updates the rules by code."""

import json
from pathlib import Path

from django.conf import settings

RULES = settings.FIXTURES_DIR / "supervision" / "rules.json"
FIELDS = ("name", "kind", "hours", "threshold", "days", "level", "active")


def load_rules(path: Path = RULES, model=None) -> int:
    """Create or update the rules of `path` by code; returns how many."""
    if model is None:
        from urbanmgmt.supervision.models import SupervisionRule as model
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    for row in rows:
        model.objects.update_or_create(code=row["code"], defaults={k: row[k] for k in FIELDS if k in row})
    return len(rows)
