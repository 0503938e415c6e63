import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from digest.sources.base import SourceError
from digest.sources.http import PoliteClient


def test_it_waits_its_turn_between_requests(recorded):
    recorded.get("https://export.arxiv.org/api/query", body=b"<feed/>")
    client = PoliteClient(interval=0.2)

    started = time.monotonic()
    for _ in range(3):
        client.get("https://export.arxiv.org/api/query")

    assert time.monotonic() - started >= 0.4
    agent = recorded.calls[0].request.headers["User-Agent"]
    assert agent == "PaperDigest/0.1 (mailto:ops@digest.example)"


@pytest.fixture
def silent_server():
    """A real TCP server on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api/query", accepted
    server.close()
    for connection in accepted:
        connection.close()


def test_it_retries_a_timeout_then_says_the_source_did_not_answer(silent_server, settings):
    url, accepted = silent_server
    settings.INGEST_TIMEOUT = 0.2
    settings.INGEST_RETRIES = 2

    with pytest.raises(SourceError, match=r"did not answer within 0.2 seconds \(2 retries\)"):
        PoliteClient().get(url)

    assert len(accepted) == 3


@pytest.fixture
def endless_server():
    """A real HTTP server on loopback whose answer never ends; counts the bytes it got out."""
    sent = []

    class Endless(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.end_headers()
            chunk = b"<entry>" + b"x" * 65_529 + b"</entry>"
            try:
                for _ in range(300 * 16):  # 300 MB, as in the attack
                    self.wfile.write(chunk)
                    sent.append(len(chunk))
            except OSError:
                return

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/query", sent
    server.shutdown()
    server.server_close()


def test_it_stops_reading_an_answer_larger_than_the_cap(endless_server, settings):
    url, sent = endless_server
    settings.INGEST_MAX_RESPONSE_BYTES = 1_000_000

    with pytest.raises(SourceError, match=r"sent more than 1000000 bytes"):
        PoliteClient().get(url)

    time.sleep(0.2)
    assert sum(sent) < 50_000_000  # the client hung up instead of reading all 300 MB


def test_it_refuses_an_answer_announced_larger_than_the_cap(recorded, settings):
    settings.INGEST_MAX_RESPONSE_BYTES = 1000
    recorded.get("https://export.arxiv.org/api/query", body=b"<feed>" + b" " * 5000 + b"</feed>")

    with pytest.raises(SourceError, match=r"export.arxiv.org.* sent more than 1000 bytes"):
        PoliteClient().get("https://export.arxiv.org/api/query")


def test_an_answer_within_the_cap_is_read_whole(recorded, settings):
    settings.INGEST_MAX_RESPONSE_BYTES = 1000
    recorded.get("https://export.arxiv.org/api/query", body=b"<feed>" + b" " * 900 + b"</feed>")

    assert len(PoliteClient().get("https://export.arxiv.org/api/query")) == 913


@pytest.fixture
def dripping_server():
    """A real HTTP server on loopback that sends its answer a few bytes a second."""

    class Dripping(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b"<entry>x</entry>"[:5])
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                return

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rss"
    server.shutdown()
    server.server_close()


def test_it_gives_up_on_an_answer_that_drips_in_past_the_deadline(dripping_server, settings):
    settings.INGEST_TIMEOUT, settings.INGEST_DOWNLOAD_TIMEOUT = 5, 1
    started = time.monotonic()

    with pytest.raises(SourceError, match=r"took more than 1 seconds to send its answer"):
        PoliteClient().get(dripping_server)

    assert time.monotonic() - started < 5  # not the minute the whole answer would take
