"""The live preview's HTTP routes, asked with plain HTTP: the index lists every letter's recipients and every
member's packs; each document is served as A4 sheets with the reload script; only known ids are served
(404 for anything else, whatever the path holds); the server listens on 127.0.0.1 alone; its event stream
announces a new version when a file is saved; a broken file is shown with its file and line."""

from __future__ import annotations

import http.client
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import documents
import pytest
from serve_support import Response, get, running

from keycities.data.cities import load_campaign
from keycities.errors import ServeError
from keycities.serve.server import PreviewServer

HREF = re.compile(r'href="([^"]+)"')
SHEET = re.compile(r'<div class="sheet">')
SCRIPT = re.compile(
    r'<script src="/_preview/reload\.js" data-version="([^"]+)" data-events="/_preview/events">'
)
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/_preview/styles/[0-9a-f]{64}\.css)">')


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped project that these tests only read."""
    return documents.copy_project(tmp_path_factory.mktemp("serve") / "project")


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[PreviewServer]:
    with running(project) as started:
        yield started


def links(response: Response, prefix: str) -> list[str]:
    return [href for href in HREF.findall(response.text) if href.startswith(prefix)]


def test_the_index_lists_every_recipient_of_every_letter_and_every_pack(
    server: PreviewServer, project: Path
) -> None:
    index = get(server, "/")
    assert index.status == 200, index.text[:2000]
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    nine = links(index, "/letters/cities-in-action/")
    assert len(nine) == 9 and "/letters/cities-in-action/prime-minister" in nine
    mps = links(index, "/letters/cities-in-action-mps/")
    assert len(mps) == 73 and "/letters/cities-in-action-mps/mary-creagh" in mps
    members = load_campaign(project).members
    packs = links(index, "/briefings/")
    assert packs == [
        path for slug in members for path in (f"/briefings/{slug}", f"/briefings/{slug}.cy")
        if not path.endswith(".cy") or slug == "swansea"
    ]  # fmt: skip
    assert ">The Rt Hon Theresa May MP</a>" in index.text and ">Cymraeg</a>" in index.text
    assert SCRIPT.search(index.text)


def test_each_listed_document_is_served_as_sheets_with_the_reload_script(server: PreviewServer) -> None:
    index = get(server, "/")
    some = [
        *links(index, "/letters/cities-in-action/")[:2],
        *links(index, "/letters/cities-in-action-mps/")[-1:],
    ]
    for path in [*some, "/briefings/wakefield", "/briefings/swansea.cy"]:
        page = get(server, path)
        assert page.status == 200, (path, page.text[:2000])
        assert len(SHEET.findall(page.text)) == 1, path  # the shipped documents have no page breaks
        assert SCRIPT.search(page.text), path
        assert page.headers["cache-control"] == "no-store"
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
    letter = get(server, "/letters/cities-in-action/prime-minister")
    assert '<article class="document letter" lang="en-GB">' in letter.text
    assert "The Rt Hon Theresa May MP" in letter.text and "Dear Prime Minister," in letter.text
    welsh = get(server, "/briefings/swansea.cy")
    assert '<article class="document briefing" lang="cy">' in welsh.text
    linked = STYLESHEET.search(letter.text)
    assert linked, "the layout is linked, so that the browser keeps it between reloads"
    stylesheet = get(server, linked[1])
    assert stylesheet.status == 200 and stylesheet.headers["content-type"] == "text/css; charset=utf-8"
    assert "immutable" in stylesheet.headers["cache-control"]
    assert '@font-face { font-family: "Carlito"' in stylesheet.text and 'url("data:font/' in stylesheet.text
    assert ".sheet {" in stylesheet.text and 'url("file:' not in stylesheet.text
    script = get(server, "/_preview/reload.js")
    assert script.status == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "EventSource" in script.text
    assert '<script src="/_preview/sheets.js"></script>' in letter.text
    sheets = get(server, "/_preview/sheets.js")
    assert sheets.status == 200 and sheets.headers["content-type"].startswith("text/javascript")
    assert "data-sheets" not in get(server, "/").text and "sheets.js" not in get(server, "/").text


@pytest.mark.parametrize(
    "path",
    [
        "/letters/no-such-letter/prime-minister",
        "/letters/cities-in-action/no-such-recipient",
        "/letters/cities-in-action/mary-creagh",  # in the MPs' list, not this letter's
        "/briefings/atlantis",
        "/briefings/wakefield.cy",  # Wakefield has no Welsh text
        "/cities.yaml",
        "/letters/cities-in-action.md",
        "/letters/../cities.yaml",
        "/letters/%2e%2e/%2e%2e/cities.yaml",
        "/briefings/..%2f..%2fcities.yaml",
        "/briefings/%2e%2e%2fcities",
        "/letters/cities-in-action/..%2f..%2fcities.yaml",
        "/../../../../etc/passwd",
        "/templates/print.css",
        "/_preview/sheets.css",
        "/_preview/styles/0000000000000000000000000000000000000000000000000000000000000000.css",
        "/_preview/styles/../../cities.yaml",
        "/letters/cities-in-action/prime-minister/extra",
    ],
)
def test_only_known_ids_are_served(server: PreviewServer, path: str) -> None:
    page = get(server, path)
    assert page.status == 404, (path, page.status, page.text[:500])
    assert "Not found" in page.text
    assert "members:" not in page.text and "root:" not in page.text and "@font-face" not in page.text


def test_another_host_name_is_refused(server: PreviewServer) -> None:
    """A site that points its own name at 127.0.0.1 cannot read the preview through the browser."""
    refused = get(server, "/letters/cities-in-action/prime-minister", host="attacker.example")
    assert refused.status == 400 and "Theresa May" not in refused.text
    assert get(server, "/", host=f"localhost:{server.port}").status == 200


def test_it_listens_on_127_0_0_1_alone(server: PreviewServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/" and server.port > 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", server.port), timeout=5).close()


def test_a_port_in_use_is_a_clear_error(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError) as raised:
            PreviewServer(project, port)
    message = str(raised.value)
    assert f"port {port} on 127.0.0.1 is in use" in message and "--port 0 picks a free one" in message


def read_version(stream: http.client.HTTPResponse) -> str:
    """The next version the event stream announces (keep-alive comments skipped)."""
    event = None
    while True:
        line = stream.readline().decode("utf-8")
        assert line, "the event stream ended"
        if line.startswith("event: "):
            event = line.removeprefix("event: ").strip()
        elif line.startswith("data: ") and event == "version":
            return line.removeprefix("data: ").strip()


def test_a_save_is_announced_and_the_page_is_made_again(tmp_path: Path) -> None:
    project = documents.copy_project(tmp_path / "project")
    letter = project / "letters" / "cities-in-action.md"
    with running(project) as server:
        before = get(server, "/letters/cities-in-action/chancellor")
        shown = SCRIPT.search(before.text)
        assert shown and "Second page" not in before.text
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/_preview/events")
        stream = connection.getresponse()
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert read_version(stream) == shown[1]
        documents.edit(letter, "economic growth and social prosperity for all", "growth for all")
        with letter.open("a", encoding="utf-8") as body:
            body.write("\n---\n\nSecond page.\n")
        announced = read_version(stream)  # within the stream's 10 s timeout, or the read fails
        connection.close()
        assert announced != shown[1]
        after = get(server, "/letters/cities-in-action/chancellor")
        assert SCRIPT.search(after.text)[1] == announced  # type: ignore[index]
        assert "growth for all" in after.text
        sheets = after.text.split('<div class="sheet">')[1:]
        assert len(sheets) == 2, "a page break (---) starts a new sheet"
        assert "Second page." in sheets[1] and "Dear Chancellor" in sheets[0]


def test_a_broken_file_is_shown_with_its_file_and_line_until_it_is_fixed(tmp_path: Path) -> None:
    project = documents.copy_project(tmp_path / "project")
    letter, cities = project / "letters" / "cities-in-action.md", project / "cities.yaml"
    original = letter.read_text(encoding="utf-8")
    with running(project) as server:
        documents.edit(letter, "{{ figures.group.gva }}", "{{ figures.group.gvaa }}")
        line = documents.line_of(letter, "figures.group.gvaa")
        broken = wait_for(server, "/letters/cities-in-action/prime-minister", 500)
        assert f"letters/cities-in-action.md:{line}: " in broken.text and "gvaa" in broken.text
        assert "Cannot show letter cities-in-action to prime-minister" in broken.text
        assert SCRIPT.search(broken.text), "the problem page reloads too"
        letter.write_text(original, encoding="utf-8")
        fixed = wait_for(server, "/letters/cities-in-action/prime-minister", 200)
        assert "Dear Prime Minister," in fixed.text

        template = project / "templates" / "briefing.md"
        shipped = template.read_text(encoding="utf-8")
        documents.edit(template, "{{ group.name }}", "{% if %}")
        template_line = documents.line_of(template, "{% if %}")
        pack = wait_for(server, "/briefings/wakefield", 500)
        assert f"templates/briefing.md:{template_line}: Expected an expression" in pack.text
        template.write_text(shipped, encoding="utf-8")
        assert "Wakefield" in wait_for(server, "/briefings/wakefield", 200).text

        documents.edit(cities, "ons_code: E06000009", "ons_code: X06000009")
        cities_line = documents.line_of(cities, "X06000009")
        for path in ("/", "/letters/cities-in-action/prime-minister", "/briefings/wakefield"):
            unloaded = wait_for(server, path, 500)
            assert "The project cannot be loaded" in unloaded.text
            assert f"cities.yaml:{cities_line}: " in unloaded.text


def wait_for(server: PreviewServer, path: str, status: int, seconds: float = 10) -> Response:
    """The page at `path` once it has `status` (the project is loaded again after the watcher sees the
    save, which takes a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        page = get(server, path)
        if page.status == status or time.monotonic() > deadline:
            assert page.status == status, (path, page.status, page.text[:2000])
            return page
        time.sleep(0.1)
