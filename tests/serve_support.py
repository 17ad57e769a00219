"""The live preview in the test process: a server on 127.0.0.1 at a free port, answering from a thread, and
plain HTTP requests to it that send the path exactly as given (no client-side clean-up of `..`)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from keycities.serve.server import PreviewServer


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    text: str


@contextmanager
def running(project: Path) -> Iterator[PreviewServer]:
    """A preview of `project` answering until the block ends; it is stopped and closed after."""
    server = PreviewServer(project, 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the preview did not stop"


def get(server: PreviewServer, path: str, host: str | None = None) -> Response:
    """GET `path` (sent as it is) from the server, with its own address as Host unless `host` is given."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{server.port}")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode("utf-8")
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()
