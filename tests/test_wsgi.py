"""The large-body reader over gunicorn's real request body classes gives the same bytes."""

import os

from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import IterUnreader

from urbanmgmt.wsgi import ChunkedBody


def body_of(data: bytes, piece: int = 8192) -> Body:
    chunks = [data[i:i + piece] for i in range(0, len(data), piece)]
    return Body(LengthReader(IterUnreader(chunks), len(data)))


def test_reading_in_big_chunks_gives_the_same_bytes():
    data = os.urandom(3_000_001)
    wrapped = ChunkedBody(body_of(data))
    parts = []
    while chunk := wrapped.read(65536):
        parts.append(chunk)
    assert b"".join(parts) == data


def test_reading_everything_at_once_and_after_a_line():
    data = b"--boundary\r\n" + os.urandom(500_000)
    body = body_of(data)
    assert body.readline() == b"--boundary\r\n"  # gunicorn has buffered some: served by it
    wrapped = ChunkedBody(body)
    assert wrapped.read() == data[len(b"--boundary\r\n"):]
