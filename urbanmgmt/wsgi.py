"""WSGI entry point (gunicorn urbanmgmt.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanmgmt.settings")

LARGE_BODY = 256 * 1024


class ChunkedBody:
    """gunicorn's request body, read in the sizes asked for.

    gunicorn's Body.read() pulls the body from its length reader 1 KiB at a time, which
    costs about 20 ms of CPU per 3 MB photo report; its length reader itself reads whole
    socket chunks. Only used while gunicorn has buffered nothing of the body itself.
    """

    def __init__(self, body):
        self.body = body

    def read(self, size=-1):
        if self.body.buf.tell():
            return self.body.read(size if size is not None and size >= 0 else None)
        reader = self.body.reader
        return reader.read(reader.length if size is None or size < 0 else size)

    def readline(self, size=None):
        return self.body.readline(size)

    def __iter__(self):
        return iter(self.body)


def _django():
    return get_wsgi_application()


_app = _django()


def application(environ, start_response):
    body = environ.get("wsgi.input")
    if (int(environ.get("CONTENT_LENGTH") or 0) > LARGE_BODY and hasattr(body, "buf") and hasattr(body, "reader")
            and hasattr(body.reader, "length")):
        environ["wsgi.input"] = ChunkedBody(body)
    return _app(environ, start_response)
