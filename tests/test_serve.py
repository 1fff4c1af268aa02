"""`mkdocs serve` (with and without `--dirty`): the plugin keeps the archive's parse and the
rendered pages across rebuilds, and an edited post-mortem is served with its new text,
its listings with its new title."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import GOOD_NAME

GOOD_ID = GOOD_NAME.removesuffix(".md")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            return str(response.read().decode("utf-8"))
    except (urllib.error.URLError, ConnectionError):
        return ""


def _wait_for(url: str, text: str, server: subprocess.Popen[str], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while text not in _get(url):
        assert server.poll() is None, server.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"{url} never showed {text!r}"
        time.sleep(0.2)


@pytest.mark.parametrize("dirty", [False, True])
def test_an_edited_postmortem_is_served_new_and_its_listings_follow(
    good_project: Path, dirty: bool
) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command + (["--dirty"] if dirty else []),
        cwd=good_project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    base = f"http://127.0.0.1:{port}/"
    page, listing = f"{base}postmortems/{GOOD_ID}/", f"{base}incidents/"
    source = good_project / "postmortems" / GOOD_NAME
    try:
        _wait_for(page, "Checkout errors after payments connection pool exhaustion", server)
        for number in (1, 2):  # twice: the second rebuild uses what the first one kept
            text = source.read_text(encoding="utf-8")
            source.write_text(f"{text}\nEdited while serving, time {number}.\n", encoding="utf-8")
            _wait_for(page, f"Edited while serving, time {number}.", server)
        text = source.read_text(encoding="utf-8")
        retitled = text.replace(
            "title: Checkout errors after payments connection pool exhaustion",
            "title: Checkout errors after the pool ran dry",
        )
        assert retitled != text
        source.write_text(retitled, encoding="utf-8")
        _wait_for(listing, "Checkout errors after the pool ran dry", server)
        assert "Checkout errors after the pool ran dry" in _get(page)
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=120)
    assert "Traceback" not in errors, errors[-3000:]
