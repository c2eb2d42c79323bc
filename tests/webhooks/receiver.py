"""A webhook receiver as another system runs one: a real HTTP server on a local port (in a
thread of the test or benchmark) that checks each POST's signature with its own copy of the
secret, as the README tells receivers to, answers the statuses it is told to (then 200) and
records what it accepted."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verified(secret: str, headers, body: bytes, tolerance_s: float = 300) -> bool:
    """The README's check: HMAC-SHA256 of "<timestamp>.<body>", and a recent timestamp."""
    timestamp = headers.get("X-Urbanmgmt-Timestamp", "")
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return (hmac.compare_digest(expected, headers.get("X-Urbanmgmt-Signature", ""))
            and timestamp.isdigit() and abs(time.time() - int(timestamp)) < tolerance_s)


@dataclass
class Received:
    path: str
    event_id: str
    event_type: str
    document: dict
    at: float


@dataclass
class Receiver:
    secret: str
    answers: list[int] = field(default_factory=list)  # statuses to answer, in turn, before 200s
    received: list[Received] = field(default_factory=list)  # accepted (2xx) and verified
    requests: list[str] = field(default_factory=list)  # the event id of every request
    refused: int = 0  # requests whose signature did not verify

    def __post_init__(self):
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="webhook-receiver")

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        return [r.event_id for r in self.received]

    def take(self, path: str, headers, body: bytes) -> int:
        with self.lock:
            self.requests.append(headers.get("X-Urbanmgmt-Event-Id", ""))
            if not verified(self.secret, headers, body):
                self.refused += 1
                return 401
            status = self.answers.pop(0) if self.answers else 200
            if 200 <= status < 300:
                document = json.loads(body)
                assert document["id"] == headers["X-Urbanmgmt-Event-Id"]
                self.received.append(Received(path, document["id"], headers["X-Urbanmgmt-Event"], document,
                                              time.time()))
            return status

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK wait between

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.take(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        return Handler
