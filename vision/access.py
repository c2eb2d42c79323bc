"""Who sees a video candidate and its pictures (registered with the core's media rule in
VisionConfig.ready, so that the core serves the camera's files without importing vision).

The channel's watchers (video analysts and the command centre) see every candidate; a
department sees only the candidates behind the cases it may see; nobody else sees any.
The published snapshot and its thumbnail have people blurred; the original and the frame
strip show them, so they are for the watchers only, never for a department.
"""

from django.db.models import Q

from urbanmgmt.cases.access import DISPLAY, ORIGINAL, evidence_path
from urbanmgmt.cases.models import Case
from urbanmgmt.org import roles as R

WATCHERS = (R.ANALYST, *R.COMMAND_CENTRE)
VIEWERS = (*WATCHERS, R.HANDLER)  # handlers: the candidates of their own cases only
CAMERA_EDITORS = (R.ANALYST, R.ADMIN)  # draw zones on a camera's reference still
CAMERA_STILLS = "vision/cameras/"  # Camera.snapshot's upload_to


def visible_candidates(user, queryset):
    """The candidates of `queryset` that `user` may see."""
    if R.has_role(user, *WATCHERS):
        return queryset
    if R.has_role(user, R.HANDLER):
        return queryset.filter(case__in=Case.objects.visible_to(user))
    return queryset.none()


def candidate_media_resolver(user, path: str) -> bool:
    """A candidate's snapshot (display copy, thumbnail, original), its frame strip, or a
    camera's reference still."""
    from vision.models import CandidateEvent

    if path.startswith(CAMERA_STILLS):
        return R.has_role(user, *CAMERA_EDITORS)
    parsed = evidence_path(path)
    if parsed is None:
        return False
    kind = parsed[0]
    if kind == ORIGINAL:
        if not R.has_role(user, *WATCHERS):
            return False
        owners = CandidateEvent.objects.filter(Q(snapshot=path) | Q(strip=path))
    elif kind == DISPLAY:
        owners = CandidateEvent.objects.filter(snapshot_display=path)
    else:
        owners = CandidateEvent.objects.filter(snapshot_thumb=path)
    return visible_candidates(user, owners).exists()
