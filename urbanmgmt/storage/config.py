"""The STORAGES entries of media on object storage; plain data, read by settings.py (so it
imports nothing of Django) and by the tests that switch a run over to a bucket."""

BACKEND = "urbanmgmt.storage.s3.ObjectStorage"


def object_storages(public_display: bool) -> dict:
    """"default" (private: originals, strips, exports) and "display" (copies and thumbnails,
    public-read when `public_display`, their URLs then unsigned)."""
    return {"default": {"BACKEND": BACKEND, "OPTIONS": {"default_acl": "private"}},
            "display": {"BACKEND": BACKEND, "OPTIONS": {"default_acl": "public-read" if public_display else "private",
                                                       "querystring_auth": not public_display}}}
