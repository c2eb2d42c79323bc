"""Loading the quotas from fixtures/kpi/quotas.json (idempotent by year and area)."""

import json
from pathlib import Path

from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.models import AnnualQuota, EvaluationScheme


def load_quotas(path: Path) -> int:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for item in data["quotas"]:
        area = Area.objects.get(code=item["area"]) if item.get("area") else None
        AnnualQuota.objects.update_or_create(
            year=item["year"], area=area,
            defaults={"collection_total": item["collection_total"], "valid_rate": item["valid_rate"],
                      "campaigns": item.get("campaigns", 0), "note": item.get("note", "")})
    return len(data["quotas"])


def load_schemes(path: Path) -> int:
    """Evaluation schemes from their fixture; a version already there is left as it is."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for item in data["schemes"]:
        scheme = EvaluationScheme.objects.filter(version=item["version"]).first()
        if scheme is None:
            scheme = EvaluationScheme(**item)
            scheme.full_clean()
            scheme.save()
    return len(data["schemes"])
