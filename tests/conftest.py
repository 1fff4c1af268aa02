"""Shared fixtures: a valid post-mortem, a project in a temp dir, and site builds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
GOOD_NAME = "2024-11-15-payments-pool-exhaustion.md"
# the example knowledge base's public post-mortems
PUBLIC_IDS = {
    "2023-02-14-payments-db-pool-exhaustion",
    "2023-05-22-auth-mtls-cert-expiry",
    "2023-08-29-cdn-config-change-cache-bypass",
    "2023-11-24-black-friday-search-cache-stampede",
    "2024-03-07-payments-retry-storm",
    "2024-08-05-idp-saml-cert-expiry",
    "2025-03-04-orders-db-failover-pool-exhaustion",
}
RELATED_NAME = "2023-06-02-payments-db-failover.md"


@pytest.fixture
def good_text() -> str:
    return (FIXTURES / GOOD_NAME).read_text(encoding="utf-8")


def related_text(good: str) -> str:
    """The good fixture, turned into the earlier incident it names in `related`."""
    return (
        good.replace("2024-11-15", "2023-06-02")
        .replace("related: [2023-06-02-payments-db-failover]", "related: []")
        .replace(
            "Checkout errors after payments connection pool exhaustion",
            "Payments database failover",
        )
    )


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A knowledge base in tmp_path: mkdocs.yml, kb/ with a runbook, postmortems/ with files."""

    def make(files: dict[str, str | bytes], mkdocs_extra: str = "") -> Path:
        (tmp_path / "kb" / "runbooks").mkdir(parents=True, exist_ok=True)
        (tmp_path / "kb" / "index.md").write_text("# Home\n\nWelcome.\n", encoding="utf-8")
        (tmp_path / "kb" / "runbooks" / "database-connection-saturation.md").write_text(
            "# Database connection saturation\n\nSteps.\n", encoding="utf-8"
        )
        (tmp_path / "mkdocs.yml").write_text(
            "site_name: Test KB\ndocs_dir: kb\ntheme:\n  name: material\n"
            "plugins:\n  - search\n  - postmortems\n" + mkdocs_extra,
            encoding="utf-8",
        )
        folder = tmp_path / "postmortems"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        for name, content in files.items():
            target = folder / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return tmp_path

    return make


@pytest.fixture
def good_project(make_project: Callable[..., Path], good_text: str) -> Path:
    return make_project({GOOD_NAME: good_text, RELATED_NAME: related_text(good_text)})


def build_site(project: Path, *args: str, strict: bool = True) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` (or without `--strict`) in `project`, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *(["--strict"] if strict else []), *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


PMKB = Path(sys.executable).parent / "pmkb"


def stderr_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What `pmkb ARGS` writes to stderr when stderr is a pseudo-terminal, as in a shell
    (`CI` unset); `env` is added to the environment. The command must exit 0."""
    import os
    import pty

    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "CI"} | env
    process = subprocess.run(
        [str(PMKB), *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=environment,
        check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.returncode == 0
    return b"".join(chunks).decode()


def pmkb(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """The installed `pmkb` command, as a user runs it."""
    return subprocess.run([str(PMKB), *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def example_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example knowledge base built once per session, both variants, each with
    `pmkb build` (strict): {"internal": site folder, "public": site folder}."""
    root = tmp_path_factory.mktemp("example-sites")
    sites = {"internal": root / "internal", "public": root / "public"}
    for variant, site in sites.items():
        flags = ["--public"] if variant == "public" else []
        result = pmkb("build", *flags, "--site-dir", str(site))
        if result.returncode != 0:
            pytest.fail(f"pmkb build {' '.join(flags)} failed:\n{result.stderr[-6000:]}")
    return sites
