"""The video channel's numbers in the search by number (urbanmgmt/numbers.py): a candidate by
its id, written as the review queue shows it (候选 #123, #123 or 123)."""

import re

from vision.access import visible_candidates

_NUMBER = re.compile(r"^(?:候选|C)?\s*#?\s*(\d{1,12})$", re.IGNORECASE)


def find_candidates(user, text: str) -> list[dict]:
    """The candidate numbered `text`, if `user` may see it, with its case and where it lies."""
    from vision.models import CandidateEvent

    matched = _NUMBER.match(text.strip())
    if not matched:
        return []
    rows = (visible_candidates(user, CandidateEvent.objects.filter(pk=int(matched.group(1))))
            .select_related("camera", "case"))
    return [{"id": c.pk, "exact": True, "status": c.status, "status_display": c.get_status_display(),
             "camera": c.camera.name, "case": c.case_id, "case_code": c.case.code if c.case else None,
             "lon": c.point.x if c.point else None, "lat": c.point.y if c.point else None} for c in rows]
