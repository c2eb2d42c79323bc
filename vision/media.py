"""A candidate's pictures as evidence: the snapshot verified and stored like any photo, its
published copies with people blurred; the frame strip kept for staff only."""

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageFilter

from urbanmgmt import storage
from urbanmgmt.cases.photos import Photo, read_photo


def blurred(photo: Photo, people: list, frame_size: tuple[int, int]) -> Photo:
    """The photo with its display copy and thumbnail re-made with every person box blurred
    (the original, with the people, stays for the command centre's staff only)."""
    if not people:
        return photo
    image = Image.open(io.BytesIO(photo.original)).convert("RGB")
    sx, sy = image.width / float(frame_size[0]), image.height / float(frame_size[1])
    for box in people:
        x1, y1, x2, y2 = (max(0, int(box[0] * sx)), max(0, int(box[1] * sy)),
                          min(image.width, int(box[2] * sx)), min(image.height, int(box[3] * sy)))
        if x2 > x1 and y2 > y1:
            region = image.crop((x1, y1, x2, y2))
            radius = max(4, (x2 - x1) // 6)
            image.paste(region.filter(ImageFilter.GaussianBlur(radius)), (x1, y1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    copy = read_photo(out.getvalue(), photo.name)
    photo.display, photo.thumbnail = copy.display, copy.thumbnail
    return photo


def snapshot_photo(data: bytes, people: list, frame_size) -> Photo:
    """The verified snapshot, its published copies blurred (InvalidInput if not an image)."""
    return blurred(read_photo(data, "snapshot.jpg"), people, frame_size)


def store_original(photo: Photo) -> str:
    """Only the original (for the staff-only strip), in the private store."""
    path = photo.paths()["file"]
    storage.write(path, photo.original, storage.PRIVATE)
    return path


def keep_camera_still(camera, photo: Photo) -> None:
    """The camera's reference still (its original, nothing drawn) unless another one came first."""
    from vision.models import Camera

    name = default_storage.save(f"{Camera._meta.get_field('snapshot').upload_to}{camera.code}.jpg",
                                ContentFile(photo.original))
    if not Camera.objects.filter(pk=camera.pk, snapshot="").update(snapshot=name):
        default_storage.delete(name)  # a racing candidate's frame won


def candidate_media_names(names: list[str]) -> set[str]:
    """The names among `names` that a candidate holds (for the orphan sweep)."""
    from django.db.models import Q

    from vision.models import CandidateEvent

    columns = ("snapshot", "snapshot_display", "snapshot_thumb", "strip")
    query = Q()
    for column in columns:
        query |= Q(**{f"{column}__in": names})
    rows = CandidateEvent.objects.filter(query).values_list(*columns)
    return {name for row in rows for name in row} & set(names)
