"""`generate.py serve` as the README runs it: it prints its address on 127.0.0.1 (`--port 0` picks a free
port), answers there, and stops on Ctrl-C with a message and no traceback; a port in use is an error that
names the port and the fix."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import documents

URL = re.compile(r"at (http://127\.0\.0\.1:(\d+)/)$", re.MULTILINE)


def start(project: Path, *args: str) -> subprocess.Popen[str]:
    environment = os.environ | {"KEYCITIES_PROJECT": str(project), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(documents.GENERATE), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=project,
    )


def test_it_prints_its_address_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    project = documents.copy_project(tmp_path / "project")
    process = start(project, "--port", "0")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = URL.search(first)
        assert found, first + process.stderr.read() if process.stderr else first
        assert int(found[2]) > 0
        with urllib.request.urlopen(found[1], timeout=60) as index:
            assert index.status == 200
            assert "/letters/cities-in-action/prime-minister" in index.read().decode("utf-8")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and stderr.strip() == "", stderr
    assert stdout.rstrip().endswith("stopped")


def test_a_port_in_use_names_the_port_and_the_fix(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = documents.generate("serve", "--port", str(port), project=documents.PROJECT_ROOT, timeout=60)
    assert run.exit_code == 1
    assert run.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is in use (by another preview or program); stop that, or choose "
        "another port with --port N (--port 0 picks a free one)"
    )
    assert "Traceback" not in run.stderr and run.stdout == ""
