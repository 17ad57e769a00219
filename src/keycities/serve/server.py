"""`generate.py serve`: the project's letters and packs as pages in the browser, on 127.0.0.1 only, each
loading again when an input file is saved (the standard library's ThreadingHTTPServer, Server-Sent
Events for the reloads, watchfiles for the saves).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from keycities.errors import ServeError
from keycities.serve.pages import EVENTS_PATH, SCRIPTS, STYLESHEETS_PATH, asset
from keycities.serve.site import Site
from keycities.serve.watch import ProjectWatcher, Versions

HOST = "127.0.0.1"
# A page loads nothing but its images and fonts inlined as data: URLs and, from this server, its stylesheet,
# its scripts (reload, sheets) and the reload's events (render.html's SEALED_PAGE_POLICY, with those allowed).
PAGE_POLICY = (
    "default-src 'none'; img-src data:; font-src data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'"
)
KEEP_ALIVE_SECONDS = 15.0  # a comment on the event stream this often, so a closed page is noticed


class PreviewServer:
    """The live preview of the project in `folder`, listening on 127.0.0.1 at `port` (0: a free port)."""

    def __init__(
        self, folder: Path, port: int, strict: bool = False, report: Callable[[list[str]], None] | None = None
    ) -> None:
        self.versions = Versions()
        try:
            self._http = _HTTPServer((HOST, port), _Handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {HOST} is in use (by another preview or program); stop that, or "
                    "choose another port with --port N (--port 0 picks a free one)"
                ) from None
            raise ServeError(
                f"cannot listen on {HOST} port {port}: {error.strerror}; choose another port with --port N "
                "(--port 0 picks a free one)"
            ) from None
        self._http.site = Site(folder, strict, self.versions)
        self._http.versions = self.versions
        self._watcher = ProjectWatcher(folder, self.versions, report or (lambda changed: None))

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def run(self) -> None:
        """Watch the project and answer requests until stop() is called (from another thread) or Ctrl-C;
        then close everything."""
        self._watcher.start()
        try:
            self._http.serve_forever(poll_interval=0.2)
        finally:
            self.versions.close()  # ends the event streams
            self._watcher.stop()
            self._http.server_close()

    def stop(self) -> None:
        """End run(), from another thread; returns once it has stopped answering."""
        self._http.shutdown()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never holds the process
    site: Site
    versions: Versions


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "keycities-preview"

    def do_GET(self) -> None:
        try:
            if not self._from_this_machine():
                self._send(400, b"Unknown Host header: open the address the command printed.", "text/plain")
                return
            path = urlsplit(self.path).path
            if path == EVENTS_PATH:
                self._events()
            elif path in SCRIPTS:
                self._send(200, asset(SCRIPTS[path]).encode(), "text/javascript; charset=utf-8")
            elif path.startswith(STYLESHEETS_PATH) and (
                stylesheet := self.server.site.stylesheet(path.removeprefix(STYLESHEETS_PATH))
            ):
                # Named by its content: kept by the browser, so a reload fetches only the page.
                self._send(200, stylesheet.encode(), "text/css; charset=utf-8", "max-age=31536000, immutable")
            else:
                page = self.server.site.page(path)
                self._send(page.status, page.html.encode(), "text/html; charset=utf-8")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (a reload, a closed tab)

    def _from_this_machine(self) -> bool:
        """Only this server's own address in the Host header: a page of another site that has made its
        name point at 127.0.0.1 cannot read the preview."""
        port = self.server.server_address[1]
        return self.headers.get("Host", "") in (f"{HOST}:{port}", f"localhost:{port}")

    def _send(self, status: int, body: bytes, content_type: str, caching: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", caching)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", PAGE_POLICY)
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        """The project's version now and after every change, until the page or the server closes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(b"retry: 500\n\n")
        seen: str | None = None
        while True:
            version = self.server.versions.wait(seen, KEEP_ALIVE_SECONDS)
            if version is None:
                return
            if version != seen:
                self.wfile.write(f"event: version\ndata: {version}\n\n".encode())
                seen = version
            else:
                self.wfile.write(b": still here\n\n")
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the command prints the files that change instead of every request."""
