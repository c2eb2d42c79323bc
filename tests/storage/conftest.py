"""A real S3-protocol server for the media tests: moto's server mode (`python -m moto.server`,
moto[s3] and flask from requirements.txt), a separate process on a free local port, reached
by django-storages and boto3 over HTTP exactly as a bucket in production is. Nothing of
boto3 is mocked: stopping the process is the store going down."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import boto3
import pytest
import requests
from botocore.config import Config

from urbanmgmt.storage.config import object_storages

KEY, SECRET, REGION = "media-test-key", "media-test-secret", "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class S3Server:
    """One moto server process; `stop()` kills it (the store is down), `start()` brings a
    fresh one back on the same port (moto keeps its buckets in memory: they are gone)."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"{self.url}/moto-api/", timeout=1)
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                            region_name=REGION, config=Config(signature_version="s3v4"))


@dataclass
class Bucket:
    server: S3Server
    name: str

    def keys(self) -> set[str]:
        pages = self.server.client().get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def anonymous_get(self, key: str) -> requests.Response:
        """What anyone on the network gets for the object's plain address."""
        return requests.get(f"{self.server.url}/{self.name}/{key}", timeout=5)


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    server.start()
    yield server
    server.stop()


def use_bucket(settings, server: S3Server, *, public_display: bool = False) -> Bucket:
    """A fresh bucket on `server`, and the settings that send media there."""
    bucket = Bucket(server, f"media-{uuid.uuid4().hex[:12]}")
    server.client().create_bucket(Bucket=bucket.name)
    settings.MEDIA_S3_BUCKET = bucket.name
    settings.MEDIA_S3_ENDPOINT_URL = server.url
    settings.MEDIA_S3_REGION = REGION
    settings.MEDIA_S3_ACCESS_KEY, settings.MEDIA_S3_SECRET_KEY = KEY, SECRET
    settings.MEDIA_S3_PUBLIC_DISPLAY = public_display
    settings.MEDIA_S3_TIMEOUT_S = 2
    settings.STORAGES = {**settings.STORAGES, **object_storages(public_display)}
    return bucket


@pytest.fixture
def bucket(settings, s3_server, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # must stay empty
    return use_bucket(settings, s3_server)
