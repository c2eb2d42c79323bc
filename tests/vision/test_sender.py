"""The worker's sender against a real HTTP server: an upload the server says arrived incomplete
is sent again (nothing of it was kept), while a real refusal goes to the spool's refused/."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vision.worker.output import Sender, Spool


@pytest.fixture
def server():
    """Answers each POST with the next of `server.answers` (status, JSON body), counting them."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            httpd.posts += 1  # before answering: the client may check the count as soon as it has the answer
            status, body = httpd.answers.pop(0)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.answers, httpd.posts = [], 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def spooled_sender(server, tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.put({"key": "CAM-1/Z1/7/1700000000"}, {"snapshot.jpg": b"\xff\xd8 snapshot"}, 1_700_000_000.0)
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/vision/ingest/"
    return spool, Sender(spool, url, "key", timeout=5, backoff=(0.05, 0.1))


def test_an_upload_the_server_got_incomplete_is_sent_again(server, tmp_path):
    server.answers = [(400, {"detail": "incomplete", "code": "upload_incomplete"}), (201, {"id": 1})]
    spool, sender = spooled_sender(server, tmp_path)
    assert sender.drain() is False  # kept pending, to be sent again
    assert len(spool.pending()) == 1 and sender.refused == 0
    assert sender.drain() is True
    assert server.posts == 2 and spool.pending() == [] and sender.sent == 1
    assert not any((tmp_path / "spool" / "refused").iterdir())


def test_a_candidate_the_server_refuses_goes_to_refused(server, tmp_path):
    server.answers = [(400, {"detail": "unknown zone", "code": "invalid"})]
    spool, sender = spooled_sender(server, tmp_path)
    assert sender.drain() is True
    assert sender.refused == 1 and spool.pending() == []
    (refused,) = (tmp_path / "spool" / "refused").iterdir()
    assert "unknown zone" in (refused / "refused.txt").read_text(encoding="utf-8")
