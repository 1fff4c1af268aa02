"""The plugin beside other common plugins, under ProperDocs and under Backstage TechDocs:
one fixture site per variant (tests/fixtures/compat/, see its README), each built with
`--strict`, each asserting the exit code and the HTML, like the table-driven build tests
of mkdocs-git-revision-date-localized-plugin.

TechDocs' `mkdocs-techdocs-core` pins Material 9.7.7 and Markdown < 3.11, which the
project's .venv (Material 9.8) cannot share, so its site is built in a venv of its own,
`.venv-techdocs`, made on first use with `pip install -e .[techdocs]` (a minute or two;
reused while pyproject.toml is unchanged). Where that venv cannot be made the test is
skipped locally and fails in CI.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import FIXTURES, GOOD_NAME, RELATED_NAME, REPO, related_text

COMPAT = FIXTURES / "compat"
GOOD_ID = GOOD_NAME[:-3]
BIN = Path(sys.executable).parent
TECHDOCS_VENV = REPO / ".venv-techdocs"
HELM = "`{{ .Values.pool.size }}`"  # a Helm template quoted in a post-mortem
POSTMORTEM = f"postmortems/{GOOD_ID}/index.html"
BOTH_SEARCHES = "site search: the header shows this plugin's search"


@dataclass(frozen=True)
class Variant:
    """A fixture site, how it is built, and what its pages must and must not hold."""

    name: str
    builder: str = "mkdocs"  # or "properdocs", "techdocs" (mkdocs of .venv-techdocs)
    pages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # page: substrings
    not_in: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # of the site, besides the pages
    no_files: tuple[str, ...] = ()
    log: tuple[str, ...] = ()  # lines of the build's output

    def __str__(self) -> str:
        return self.name


VARIANTS = [
    Variant(
        "material-search",  # both: the header shows ours, Material's index is still written
        pages={"index.html": ('aria-controls="pmkb-search"',)},
        not_in={"index.html": ('class="md-search"',)},
        files=("pmkb-search/manifest.json", "search/search_index.json"),
        log=(BOTH_SEARCHES,),
    ),
    Variant(
        "material-search-only",  # site_search: false: Material's search, over the archive too
        pages={"index.html": ('class="md-search"',)},
        not_in={"index.html": ("pmkb-search",)},
        files=("search/search_index.json",),
        no_files=("pmkb-search",),
    ),
    Variant(
        "awesome-nav",
        pages={
            "index.html": (
                'href="guides/deploying/"',
                'href="incidents/"',
                'href="incidents/services/"',
                'href="severity-levels/"',
                'href="runbooks/database-connection-saturation/"',
            )
        },
    ),
    Variant(
        "macros",
        pages={
            "index.html": ("This is Handbook with macros.", "most recent incidents"),
            POSTMORTEM: ("<code>{{ .Values.pool.size }}</code>",),
        },
    ),
    Variant(
        "monorepo",
        pages={
            "team-a/deploys/index.html": ("Team A deploys",),
            "index.html": ('href="team-a/"', 'href="incidents/"'),
        },
    ),
    Variant("properdocs", builder="properdocs"),
    Variant(
        "techdocs",
        builder="techdocs",
        files=("techdocs_metadata.json", "search/search_index.json"),
        no_files=("pmkb-search",),
        not_in={"index.html": ("pmkb-search",)},
    ),
]


# --- the TechDocs venv ------------------------------------------------------------------


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def techdocs_mkdocs() -> Path:
    """`mkdocs` of `.venv-techdocs` (this project with `[techdocs]`), made when missing or
    when pyproject.toml changed since it was made."""
    stamp = TECHDOCS_VENV / ".pyproject-sha256"
    wanted = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    mkdocs = TECHDOCS_VENV / "bin" / "mkdocs"
    if mkdocs.exists() and stamp.exists() and stamp.read_text() == wanted:
        return mkdocs
    shutil.rmtree(TECHDOCS_VENV, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(TECHDOCS_VENV)],
        [str(TECHDOCS_VENV / "bin" / "pip"), "install", "--quiet", "-e", f"{REPO}[techdocs]"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False, timeout=900)
        if result.returncode != 0:
            reason = f"cannot make {TECHDOCS_VENV.name}: {result.stderr.strip()[-600:]}"
            if _in_ci():
                pytest.fail(reason, pytrace=False)
            pytest.skip(reason)
    stamp.write_text(wanted)
    return mkdocs


# --- building a variant -----------------------------------------------------------------


def make_site(variant: Variant, tmp_path: Path, good_text: str) -> Path:
    """`base/` with the variant's folder over it and the post-mortems in postmortems/."""
    project = tmp_path / variant.name
    shutil.copytree(COMPAT / "base", project)
    shutil.copytree(COMPAT / variant.name, project, dirs_exist_ok=True)
    folder = project / "postmortems"
    folder.mkdir()
    quoting = good_text.replace("## Summary\n\n", f"## Summary\n\nThe chart sets {HELM}. ", 1)
    assert HELM in quoting
    (folder / GOOD_NAME).write_text(quoting, encoding="utf-8")
    (folder / RELATED_NAME).write_text(related_text(good_text), encoding="utf-8")
    return project


def build(
    variant: Variant, project: Path, request: pytest.FixtureRequest
) -> subprocess.CompletedProcess[str]:
    args = ["build", "--strict", "-f", "mkdocs.yml", "-d", "site"]
    if variant.builder == "properdocs":
        command = [str(BIN / "properdocs"), *args]
    elif variant.builder == "techdocs":
        command = [str(request.getfixturevalue("techdocs_mkdocs")), *args]
    else:
        command = [sys.executable, "-m", "mkdocs", *args]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, check=False, env=env, timeout=600
    )


@pytest.mark.parametrize("variant", VARIANTS, ids=str)
def test_the_plugin_builds_beside_it(
    variant: Variant, tmp_path: Path, good_text: str, request: pytest.FixtureRequest
) -> None:
    project = make_site(variant, tmp_path, good_text)
    result = build(variant, project, request)
    assert result.returncode == 0, result.stderr[-6000:]
    site = project / "site"

    # what every variant has: the archive, its header, and no web fonts
    common = {
        POSTMORTEM: ('class="pmkb-header', "Checkout errors after payments connection pool"),
        "incidents/index.html": ("All incidents", f"../postmortems/{GOOD_ID}/"),
        "severity-levels/index.html": ("Severity levels",),
        "runbooks/database-connection-saturation/index.html": ("Incidents that used this runbook",),
    }
    for page in {**common, **variant.pages}:
        html = (site / page).read_text(encoding="utf-8")
        for text in (*common.get(page, ()), *variant.pages.get(page, ())):
            assert text in html, f"{variant}: {page} lacks {text!r}"
        assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html, page
    for page, unwanted in variant.not_in.items():
        html = (site / page).read_text(encoding="utf-8")
        for text in unwanted:
            assert text not in html, f"{variant}: {page} has {text!r}"
    for name in variant.files:
        assert (site / name).exists(), f"{variant}: no {name}"
    for name in variant.no_files:
        assert not (site / name).exists(), f"{variant}: {name} is there"
    for line in variant.log:
        assert line in result.stderr, f"{variant}: the build did not say {line!r}"
    if (site / "search" / "search_index.json").exists():  # Material's (or MkDocs') search
        index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
        locations = {doc["location"] for doc in index["docs"]}
        assert f"postmortems/{GOOD_ID}/" in locations, sorted(locations)[:20]
