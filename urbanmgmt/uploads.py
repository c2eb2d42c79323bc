"""Multipart uploads that keep every byte or say why not.

`WholeBodyUploadHandler` is the first of FILE_UPLOAD_HANDLERS. It refuses a body larger than
UPLOAD_MAX_BYTES before reading it into a file, and otherwise has the handlers after it (memory
below FILE_UPLOAD_MAX_MEMORY_SIZE, a temporary file above) parse the body through a reader that
counts the bytes and watches for the closing boundary. A body that stops short of its declared
length, or ends without the closing boundary (a cut connection, a truncated request), is refused
whole: Django's parser would otherwise hand the view the parts that did arrive, and a reply
whose photos were lost would pass for a reply without photos.
"""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.utils.translation import gettext_lazy as _

from urbanmgmt.errors import DomainError

_CHUNK = 64 * 2**10


class UploadTooLarge(DomainError, BadRequest):
    """A request body over the upload limit (HTTP 413 in the API, 400 on a page)."""

    status = 413
    code = "too_large"
    default_message = _("The upload is %(size)s MB; at most %(mb)s MB can be sent at once (each photo at most "
                        "%(photo)s MB). Send fewer or smaller photos.")


class UploadIncomplete(DomainError, BadRequest):
    """A multipart body whose parts did not all arrive; nothing of it is kept."""

    status = 400
    code = "upload_incomplete"
    default_message = _("The upload arrived incomplete (the connection was cut or the request was truncated). "
                        "Nothing was kept: send it again.")


def megabytes(size: int) -> str:
    """A size for a message: whole megabytes, one decimal below ten."""
    value = size / 2**20
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


class _CountingReader:
    """The body as the parser reads it, counted, with a look-out for the closing boundary."""

    def __init__(self, stream, boundary: bytes):
        self._stream = stream
        self._close = b"--" + boundary + b"--"
        self._tail = b""
        self.count = 0
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size) if size is not None and size >= 0 else self._stream.read()
        self.count += len(data)
        if data and not self.closed:
            # The delimiter may straddle two reads: look at the end of the last one too.
            joined = self._tail + data[: len(self._close)]
            self.closed = self._close in joined or self._close in data
            self._tail = data[-len(self._close):]
        return data


class WholeBodyUploadHandler(FileUploadHandler):
    """Refuses bodies over the limit and bodies that did not arrive whole (see the module)."""

    def __init__(self, request=None, max_bytes: int | None = None):
        super().__init__(request)
        self.max_bytes = max_bytes
        self._parsing = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if self._parsing:  # the parse below asks every handler again, this one included
            return None
        limit = self.max_bytes or settings.UPLOAD_MAX_BYTES
        if content_length > limit:
            _drain(input_data, content_length, limit)
            raise UploadTooLarge(size=megabytes(content_length), mb=megabytes(settings.REPORT_MAX_BYTES),
                                 photo=megabytes(settings.PHOTO_MAX_BYTES))
        reader = _CountingReader(input_data, boundary)
        others = [handler for handler in self.request.upload_handlers if handler is not self]
        self._parsing = True
        try:
            post, files = MultiPartParser(META, reader, others, encoding).parse()
        finally:
            self._parsing = False
        if reader.count < content_length or not reader.closed:
            for _name, uploads in files.lists():
                for upload in uploads:
                    upload.close()  # a temporary file goes with it
            raise UploadIncomplete()
        return post, files

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


def _drain(stream, content_length: int, limit: int) -> None:
    """Read and drop a refused body, so the client, which sends it whole before it reads the
    answer, gets the answer rather than a reset connection. A body over twice the limit is not
    worth the wait: the client gets the reset."""
    if content_length > 2 * limit:
        return
    while stream.read(_CHUNK):
        pass
