"""Real-browser tests: Debian's Chromium driven by Playwright, against sites served over HTTP.

Fixtures (see /work/shared/BROWSER-TESTS.md for why they look like this):

- ``browser_type_launch_args`` (session): pytest-playwright's launch options plus Debian's
  Chromium (``/usr/bin/chromium``, or ``$PMKB_CHROMIUM``) and the flags that keep it off
  the network. Without Chromium the browser tests are skipped locally and *fail* in CI
  (``$CI`` set): CI must never skip them silently.
- ``kb_site`` (session): the repository's example knowledge base, built once with
  ``mkdocs build --strict`` into a temp dir and served on 127.0.0.1 on a free port.
- ``base_url`` (session): ``--base-url`` if given, else ``kb_site.url``; pytest-playwright
  passes it to every context, so ``page.goto("/")`` opens the example site's home page.
- ``serve_project`` (function): a factory, ``serve_project(project_dir, *mkdocs_args)``,
  that builds any project (e.g. one made by ``make_project``) and serves it;
  ``site.new_page(browser)`` opens a page whose relative URLs resolve on that site.

Helpers: ``page_links(page)`` lists the page's own links (absolute URLs, no fragments);
``broken_links(page, urls)`` fetches them (each URL once per served site) with the page's
request context and returns those that do not answer 200.

Every test in this folder is marked ``browser``: ``pytest -m "not browser"`` leaves them out.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

HERE = Path(__file__).parent
REPO = HERE.parent.parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


# --- marking and the Chromium requirement -------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test collected from this folder `browser`."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def in_ci() -> bool:
    """True when `$CI` is set (to anything but an explicit false), as CI services do."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_chromium() -> str | None:
    """`$PMKB_CHROMIUM`, else Debian's `/usr/bin/chromium`, else `chromium` on PATH."""
    override = os.environ.get("PMKB_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def _missing(reason: str) -> None:
    """Skip locally; fail in CI, where the browser tests must always run."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: browser tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = find_chromium()
    if path is None:
        wanted = os.environ.get("PMKB_CHROMIUM") or DEFAULT_CHROMIUM
        _missing(f"Chromium not found at {wanted}: run `make browser-deps` (as root)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium_executable: str
) -> dict[str, Any]:
    """pytest-playwright's launch options, plus Debian's Chromium and offline-friendly flags."""
    args = list(browser_type_launch_args.get("args", []))
    args += [flag for flag in CHROMIUM_ARGS if flag not in args]
    return {**browser_type_launch_args, "executable_path": chromium_executable, "args": args}


# --- building and serving sites --------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that drops a connection mid-response is not a test failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class ServedSite:
    """A built site served over HTTP on 127.0.0.1: `url` ends with `/`."""

    root: Path
    url: str
    _server: ThreadingHTTPServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _contexts: list[Any] = field(default_factory=list, repr=False)

    def url_for(self, path: str = "") -> str:
        """The absolute URL of a site path such as `postmortems/<id>/`."""
        return urljoin(self.url, path.lstrip("/"))

    def new_page(self, browser: Any, **context_options: Any) -> Any:
        """A page in a fresh context whose relative URLs resolve on this site; other
        options (`color_scheme="dark"`, a viewport) go to `browser.new_context`."""
        context = browser.new_context(base_url=self.url, **context_options)
        self._contexts.append(context)
        return context.new_page()

    def stop(self) -> None:
        for context in self._contexts:
            with contextlib.suppress(Exception):
                context.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        for url in [u for u in _LINK_STATUS if u.startswith(self.url)]:
            del _LINK_STATUS[url]


def serve_directory(root: Path) -> ServedSite:
    """Serve `root` on 127.0.0.1 on a free port, from a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, name=f"http-{port}", daemon=True)
    thread.start()
    return ServedSite(root=root, url=f"http://{host}:{port}/", _server=server, _thread=thread)


def build(project: Path, site_dir: Path, *args: str) -> None:
    """`mkdocs build --strict -d site_dir` in `project`; a failed build fails the test."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site_dir), *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`mkdocs build --strict` failed in {project} (exit {result.returncode}):\n"
            f"{result.stderr[-6000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def kb_site() -> Iterator[ServedSite]:
    """The repository's example knowledge base, built once per session and served."""
    with tempfile.TemporaryDirectory(prefix="pmkb-site-") as tmp:
        site_dir = Path(tmp) / "site"
        build(REPO, site_dir)
        site = serve_directory(site_dir)
        try:
            yield site
        finally:
            site.stop()


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> str:
    """`--base-url` (e.g. a deployed site), else the example site built for this session."""
    given = pytestconfig.getoption("base_url", default=None) or pytestconfig.getini("base_url")
    if given:
        return str(given)
    site: ServedSite = request.getfixturevalue("kb_site")
    return site.url


@pytest.fixture
def serve_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServedSite]]:
    """Factory: build a project dir with `mkdocs build --strict` and serve its site."""
    served: list[ServedSite] = []

    def serve(project: Path, *mkdocs_args: str) -> ServedSite:
        site_dir = tmp_path_factory.mktemp("served-site")
        build(Path(project), site_dir, *mkdocs_args)
        site = serve_directory(site_dir)
        served.append(site)
        return site

    yield serve
    for site in served:
        site.stop()


# --- helpers for tests -------------------------------------------------------------------------


def page_links(page: Any) -> list[str]:
    """Absolute URLs of the page's links on the same host, without fragments, deduplicated."""
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "anchors => anchors.map(a => a.href)")
    host = urlsplit(page.url).netloc
    urls: list[str] = []
    for href in hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == host and url not in urls:
            urls.append(url)
    return urls


def broken_links(page: Any, urls: list[str] | None = None) -> dict[str, int | str]:
    """Links (default: all of the page's own) that do not answer 200 (after redirects), with
    their status or the request's error. Fetched with the page's request context."""
    from playwright.sync_api import Error

    broken: dict[str, int | str] = {}
    for url in page_links(page) if urls is None else urls:
        if url not in _LINK_STATUS:
            try:
                _LINK_STATUS[url] = page.request.get(url, max_redirects=5).status
            except Error as err:
                _LINK_STATUS[url] = err.message.splitlines()[0]
        if _LINK_STATUS[url] != 200:
            broken[url] = _LINK_STATUS[url]
    return broken


# The sites are static while served, so each URL is fetched once; a site forgets its URLs
# when it stops (a later site may get the same port).
_LINK_STATUS: dict[str, int | str] = {}
