import socket
import threading
import time

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
