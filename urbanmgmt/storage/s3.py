"""The S3-compatible media store (django-storages' S3 backend) as STORAGES names it when
MEDIA_S3_BUCKET is set: its connection from the MEDIA_S3_* settings, its failures as one
error the user can act on.

Imported only in that configuration, so a machine that keeps media on its disk needs
neither boto3 nor django-storages loaded."""

import base64
import hashlib
import os

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from urbanmgmt.storage import MediaUnavailable, process_lock

# What a store that is down, unreachable, slow or refusing raises through boto3.
FAILURES = (BotoCoreError, ClientError)


class ObjectStorage(S3Storage):
    """A bucket of media; the OPTIONS of its STORAGES entry (its ACL, whether its URLs are
    signed) override the MEDIA_S3_* settings."""

    def __init__(self, **options):
        timeout = settings.MEDIA_S3_TIMEOUT_S
        defaults = {
            "bucket_name": settings.MEDIA_S3_BUCKET,
            "endpoint_url": settings.MEDIA_S3_ENDPOINT_URL or None,
            "region_name": settings.MEDIA_S3_REGION or None,
            "access_key": settings.MEDIA_S3_ACCESS_KEY or None,
            "secret_key": settings.MEDIA_S3_SECRET_KEY or None,
            "querystring_expire": settings.MEDIA_S3_URL_MAX_AGE_S,
            "file_overwrite": True,  # names are hashes: the same name holds the same bytes
            # A local server (MinIO, Ceph, a test's) knows no virtual-hosted bucket names.
            "addressing_style": "path" if settings.MEDIA_S3_ENDPOINT_URL else None,
            "signature_version": "s3v4",
            # One PUT for a photo: s3transfer's thread pool only pays off for multipart uploads.
            "transfer_config": TransferConfig(use_threads=False),
            # A store that is down answers in seconds, not after boto3's 60 s and 5 attempts:
            # the inspector's app keeps the report and sends it again.
            # Checksums only where S3 requires them (botocore's default before 1.36): the
            # default since computes and sends a CRC32 trailer with every PUT, ~4 ms of CPU for
            # a 3 MB photo, which several S3-compatible servers refuse; `put` sends the
            # SHA-256 it has as a header instead.
            # One client serves the request threads and the put pool's (see `client`).
            "client_config": Config(connect_timeout=timeout, read_timeout=timeout, signature_version="s3v4",
                                    retries={"max_attempts": 2, "mode": "standard"},
                                    request_checksum_calculation="when_required",
                                    response_checksum_validation="when_required",
                                    max_pool_connections=max(10, 2 * settings.MEDIA_PUT_THREADS)),
        }
        super().__init__(**{**defaults, **options})

    @property
    def client(self):
        """The low-level client that every thread of this process sends files with. boto3's
        clients are thread-safe (its sessions and resources are not); django-storages'
        `connection` makes a session and a resource, which load the whole S3 model, in each
        thread that uses it. Made again in a forked child (gunicorn's preloaded master forks)."""
        made = self.__dict__.get("_shared_client")
        if made is None or made[0] != os.getpid():
            with process_lock():
                made = self.__dict__.get("_shared_client")
                if made is None or made[0] != os.getpid():
                    client = self._create_session().client(
                        "s3", region_name=self.region_name, use_ssl=self.use_ssl, endpoint_url=self.endpoint_url,
                        config=self.client_config, verify=self.verify)
                    client.meta.events.register("before-sign.s3.PutObject",
                                                _checksum_instead_of_signed_body(client.meta.config))
                    made = self._shared_client = (os.getpid(), client)
        return made[1]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_shared_client", None)
        return state

    def put(self, name: str, content: bytes, sha256: str | None = None) -> None:
        """Store `content` under `name`; in the store when this returns (S3 acknowledges a PUT
        once it is durable). Always one PUT, no HEAD first: a name holds the same bytes
        whoever writes it, a duplicate photo is rare, and the round trip a HEAD costs every
        report is more than the upload it would save now and then. The client's put_object,
        not s3transfer's upload machinery (made for multipart uploads; ~1.5 ms of CPU a file).
        The PUT carries the bytes' SHA-256 (`sha256` in hex when the caller has it already,
        as a photo's identity) as S3's checksum, which the store verifies before it keeps
        the object."""
        key = self._normalize_name(clean_name(name))
        digest = bytes.fromhex(sha256) if sha256 else hashlib.sha256(content).digest()
        try:
            self.client.put_object(Bucket=self.bucket_name, Key=key, Body=content, ChecksumAlgorithm="SHA256",
                                   ChecksumSHA256=base64.b64encode(digest).decode(),
                                   **self._get_write_parameters(key))
        except FAILURES as error:
            raise MediaUnavailable() from error

    def put_file(self, name: str, path: str) -> None:
        """Store the file at `path` under `name` (multipart above s3transfer's threshold)."""
        key = self._normalize_name(clean_name(name))
        try:
            self.client.upload_file(path, self.bucket_name, key, Config=self.transfer_config,
                                    ExtraArgs=self._get_write_parameters(key))
        except FAILURES as error:
            raise MediaUnavailable() from error
        except S3UploadFailedError as error:
            raise MediaUnavailable() from error

    def listing(self, prefix: str):
        """(name, last modified) of every object under `prefix`, a page of 1,000 at a time."""
        try:
            for item in self.bucket.objects.filter(Prefix=prefix):
                yield item.key, item.last_modified
        except FAILURES as error:
            raise MediaUnavailable() from error

    def remove(self, names: list[str]) -> None:
        """Delete objects (a missing one is no error); MediaUnavailable if the store is down."""
        try:
            for name in names:
                self.delete(name)
        except FAILURES as error:
            raise MediaUnavailable() from error


def _checksum_instead_of_signed_body(config: Config):
    """A hook for a client with `config`: a PUT that carries its SHA-256 as S3's checksum
    header (signed with the other headers, verified by the store) is not hashed a second time
    for the signature; its payload goes as UNSIGNED-PAYLOAD, as boto3 itself sends a
    checksummed body over TLS. Without the header the body stays signed."""
    unsigned = config.merge(Config(s3={**(config.s3 or {}), "payload_signing_enabled": False}))

    def hook(request, **kwargs) -> None:
        if "x-amz-checksum-sha256" in request.headers:
            request.context["client_config"] = unsigned

    return hook
