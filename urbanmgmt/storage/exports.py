"""Exports kept in the media store (a year of cases as GeoPackage, the year's workbook) for
the person who asked for them: under exports/<their id>/<a fresh token>/, private, served by
/media/ to them alone (a signed bucket URL on S3)."""

import re
import secrets
from pathlib import Path

from urbanmgmt import storage

_EXPORT = re.compile(r"^exports/(\d+)/[0-9a-f]{32}/[^/]+$")


def keep(user, source: Path | bytes, filename: str) -> str:
    """Store an export's file (a path or its bytes) for `user`; its stored name, to hand to
    `signed_media_url`. Durable in the store when this returns; MediaUnavailable otherwise."""
    content = source.read_bytes() if isinstance(source, Path) else source
    name = f"exports/{user.pk}/{secrets.token_hex(16)}/{Path(filename).name}"
    storage.write(name, content, storage.PRIVATE)
    return name


def export_media_resolver(user, path: str) -> bool:
    """A kept export is its maker's only."""
    match = _EXPORT.match(path)
    return bool(match) and int(match.group(1)) == user.pk
