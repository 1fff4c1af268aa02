"""`mkdocs serve` (with and without `--dirty`): the plugin keeps the archive's parse and the
rendered pages across rebuilds, and an edited post-mortem is served with its new text,
its listings with its new title."""

from __future__ import annotations

import bisect
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import GOOD_NAME, RELATED_NAME, build_site, related_text
from .shards import read_shard

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


def _fragment(html: str, start: str, end: str) -> str:
    """The part of `html` from `start` to the first `end` after it ('' if absent)."""
    begin = html.find(start)
    return "" if begin < 0 else html[begin : html.index(end, begin) + len(end)]


def test_dirty_rebuilds_serve_what_a_clean_build_makes(
    make_project: Callable[..., Path], good_text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Under `mkdocs serve --dirty`, after the edited page shows edits (its severity and
    title, its summary, then its lessons, which no generated page reads), its header and
    similar incidents and the generated pages it is listed on (severity listing, ledger,
    digest, all incidents) are what a clean `mkdocs build` of the same files makes: a
    page left as it was must not have changed, one that changed must have been redone."""
    third = (
        good_text.replace("2024-11-15", "2025-02-03")
        .replace("related: [2023-06-02-payments-db-failover]", "related: []")
        .replace("Checkout errors after payments connection pool exhaustion", "Pool at peak")
    )
    project = make_project(
        {
            GOOD_NAME: good_text,
            RELATED_NAME: related_text(good_text),
            "2025-02-03-payments-pool-saturation.md": third,
        }
    )
    port = _free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "--dirty", "-a", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command,
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    base = f"http://127.0.0.1:{port}/"
    page = f"{base}postmortems/{GOOD_ID}/"
    source = project / "postmortems" / GOOD_NAME
    try:
        _wait_for(page, "Checkout errors after payments connection pool exhaustion", server)
        text = source.read_text(encoding="utf-8")
        edited = text.replace("severity: SEV2", "severity: SEV1").replace(
            "title: Checkout errors after payments connection pool exhaustion",
            "title: Checkout errors when the pool ran dry",
        )
        assert edited != text
        source.write_text(edited, encoding="utf-8")
        _wait_for(page, "Checkout errors when the pool ran dry", server)
        edited = edited.replace(  # what similarity reads: the page's similar incidents too
            "## Summary\n\n", "## Summary\n\nThe pgbouncer queue saturated at peak.\n\n", 1
        )
        source.write_text(edited, encoding="utf-8")
        _wait_for(page, "The pgbouncer queue saturated at peak.", server)
        # what no generated page reads: the last build's listings and Learning pages stay
        source.write_text(f"{edited.rstrip()}\n\nA lesson added while serving.\n", "utf-8")
        _wait_for(page, "A lesson added while serving.", server)
        paths = [
            f"postmortems/{GOOD_ID}/",
            "incidents/",
            "incidents/severity/sev1/",
            "incidents/severity/sev2/",
            "learning/actions/",
            "learning/digest/2024-11/",
        ]
        served = {path: _get(base + path) for path in paths}
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=120)
    assert "Traceback" not in errors, errors[-3000:]

    clean = tmp_path_factory.mktemp("clean")
    shutil.copytree(project, clean, dirs_exist_ok=True, ignore=shutil.ignore_patterns("site"))
    build_site(clean)
    built = {
        path: (clean / "site" / path / "index.html").read_text(encoding="utf-8") for path in paths
    }
    header = ('<section class="pmkb-header"', "</section>")
    similar = ('<ul class="pmkb-related pmkb-similar">', "</ul>")
    article = ('<article class="md-content__inner', "</article>")
    for start, end in (header, similar):
        assert _fragment(built[paths[0]], start, end)
        assert _fragment(served[paths[0]], start, end) == _fragment(built[paths[0]], start, end)
    assert "SEV1" in _fragment(served[paths[0]], *header)
    assert "Pool at peak" in _fragment(served[paths[0]], *similar)
    for path in paths[1:]:
        assert _fragment(served[path], *article) == _fragment(built[path], *article), path
    assert "Checkout errors when the pool ran dry" in served["incidents/severity/sev1/"]
    assert "Checkout errors" not in served["incidents/severity/sev2/"]
    for path in ("learning/actions/", "learning/digest/2024-11/", "incidents/"):
        assert "Checkout errors when the pool ran dry" in served[path], path


def test_pmkb_serve_serves_the_edited_postmortem_anew(good_project: Path) -> None:
    """`pmkb serve`, the authors' preview: `mkdocs serve --dirty` on the given address."""
    port = _free_port()
    pmkb = Path(sys.executable).with_name("pmkb")
    server = subprocess.Popen(
        [str(pmkb), "serve", "-a", f"127.0.0.1:{port}"],
        cwd=good_project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    page = f"http://127.0.0.1:{port}/postmortems/{GOOD_ID}/"
    source = good_project / "postmortems" / GOOD_NAME
    try:
        _wait_for(page, "Checkout errors after payments connection pool exhaustion", server)
        source.write_text(source.read_text(encoding="utf-8") + "\nSaved in the preview.\n")
        _wait_for(page, "Saved in the preview.", server)
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=60)
    assert "A 'dirty' build" in stderr and server.returncode == 0


def test_pmkb_serve_says_when_the_configuration_is_missing(tmp_path: Path) -> None:
    pmkb = Path(sys.executable).with_name("pmkb")
    result = subprocess.run(
        [str(pmkb), "serve", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "mkdocs.yml does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def _indexed_terms(base: str, prefix: str) -> list[str]:
    """The terms of the served site search index that start with `prefix` (its shard)."""
    try:
        with urllib.request.urlopen(f"{base}pmkb-search/manifest.json", timeout=60) as answer:
            shards = json.loads(answer.read())["shards"]
        shard = max(bisect.bisect_right(shards, prefix) - 1, 0)
        with urllib.request.urlopen(f"{base}pmkb-search/terms/{shard}.bin", timeout=60) as answer:
            terms = read_shard(answer.read())
    except (urllib.error.URLError, ConnectionError, ValueError, KeyError):
        return []
    return [term for term in terms if term.startswith(prefix)]


def test_the_search_index_catches_up_with_quick_saves(good_project: Path) -> None:
    """Under `serve --dirty` each rebuild's index is written after its pages are served,
    in a thread no rebuild waits for; saves in quick succession end with the newest save's
    index."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dirty", "-a", f"127.0.0.1:{port}"],
        cwd=good_project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    base = f"http://127.0.0.1:{port}/"
    page, source = f"{base}postmortems/{GOOD_ID}/", good_project / "postmortems" / GOOD_NAME
    try:
        _wait_for(page, "Checkout errors after payments connection pool exhaustion", server)
        for word in ("zyxwalpha", "zyxwbravo", "zyxwcharlie"):
            source.write_text(source.read_text(encoding="utf-8") + f"\nSaved {word} quickly.\n")
            time.sleep(0.4)
        _wait_for(page, "Saved zyxwcharlie quickly.", server)
        deadline = time.monotonic() + 120
        while not _indexed_terms(base, "zyxwcharl"):
            assert time.monotonic() < deadline, "the index never caught up with the last save"
            time.sleep(0.3)
        assert _indexed_terms(base, "zyxwalph") and _indexed_terms(base, "zyxwbrav")
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=120)
    assert "Traceback" not in stderr and "was not written" not in stderr
