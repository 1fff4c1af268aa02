"""The on-disk check cache (`rules.check_cache`, `.pmkb/checks/`): a cached load reports
exactly what a fresh check reports, cold, warm, after an edit, after a change of options or
of the build date, and a damaged cache is an empty one."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from postmortem_kb.format.archive import Archive
from postmortem_kb.project import load_project
from postmortem_kb.rules import archive as archive_module
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.rules.check_cache import CACHE_DIR, KEEP, load_cached_archive

from .conftest import GOOD_NAME, PMKB, REPO, build_site

TODAY = dt.date(2025, 1, 1)
BAD_YAML = "---\ntitle: [unclosed\ndate: 2024-01-02\n---\n## Summary\n\nText.\n"


def _files(good: str) -> dict[str, str | bytes]:
    """The example archive, and files with problems of every stage: reading, YAML, the
    front matter, the body, and a check that depends on the date (PM409)."""
    files: dict[str, str | bytes] = {
        path.name: path.read_text(encoding="utf-8") for path in (REPO / "postmortems").glob("*.md")
    }
    later = good.replace("| SRE-204 | done |", "| SRE-204 | done 2025-06-01 |")  # PM409
    assert later != good
    files[GOOD_NAME] = later
    files["2024-02-03-broken-yaml.md"] = BAD_YAML
    files["2024-02-04-not-utf8.md"] = b"---\ntitle: caf\xe9\n---\n"
    files["2024-02-05-draft.md"] = good.replace("status: published", "status: draft").replace(
        "## Impact", "## Impakt"
    )
    return files


@pytest.fixture
def kb(make_project: Callable[..., Path], good_text: str) -> Path:
    return make_project(_files(good_text))


def _seen(archive: Archive) -> tuple[Any, ...]:
    """What a load gives its callers: the diagnostics and the post-mortems' data."""
    return (
        archive.diagnostics,
        archive.files_checked,
        [
            (pm.id, pm.meta, pm.action_items, pm.timeline, pm.has_errors)
            for pm in archive.postmortems
        ],
    )


def _fresh(root: Path, today: dt.date = TODAY) -> tuple[Any, ...]:
    return _seen(load_project_archive(load_project(root / "mkdocs.yml"), today=today))


def _cached(root: Path, today: dt.date = TODAY) -> tuple[Any, ...]:
    return _seen(load_cached_archive(load_project(root / "mkdocs.yml"), today=today))


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files parsed from now on (the real parser, counted)."""
    names: list[str] = []
    real = archive_module.parse_file

    def counting(path: Path, shown: str | None = None) -> Any:
        names.append(path.name)
        return real(path, shown)

    monkeypatch.setattr(archive_module, "parse_file", counting)
    return names


def _cache_files(root: Path) -> list[Path]:
    """Every entry, in every fingerprint's folder."""
    return sorted((root / CACHE_DIR).glob("*/*.pickle"))


def _mtimes(root: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in _cache_files(root)}


def _folders(root: Path) -> list[Path]:
    return sorted(path for path in (root / CACHE_DIR).iterdir() if path.is_dir())


def test_cold_warm_edited_and_reconfigured_loads_match_a_fresh_check(
    kb: Path, parsed: list[str]
) -> None:
    fresh = _fresh(kb)
    assert fresh[0], "the fixture archive has diagnostics to compare"
    assert any(d.code == "PM409" for d in fresh[0])
    parsed.clear()
    assert _cached(kb) == fresh  # cold: every file parsed, the cache written
    assert len(parsed) == fresh[1]
    written = _mtimes(kb)
    assert len(written) == fresh[1]  # one entry a file, the undecodable one too
    parsed.clear()
    assert _cached(kb) == fresh  # warm: nothing parsed, nothing written
    assert parsed == []
    assert _mtimes(kb) == written

    edited = kb / "postmortems" / "2024-02-05-draft.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("## Impakt", "## Impact"))
    fresh_edit = _fresh(kb)
    assert fresh_edit != fresh
    parsed.clear()
    assert _cached(kb) == fresh_edit
    assert parsed == ["2024-02-05-draft.md"]
    changed = {k for k, v in _mtimes(kb).items() if written[k] != v}
    assert changed == {"postmortems%2F2024-02-05-draft.md.pickle"}  # one entry rewritten

    (kb / "postmortems" / "2024-02-03-broken-yaml.md").unlink()
    assert _cached(kb) == _fresh(kb)

    mkdocs_yml = kb / "mkdocs.yml"
    mkdocs_yml.write_text(
        mkdocs_yml.read_text(encoding="utf-8").replace(
            "  - postmortems\n", "  - postmortems:\n      action_categories: [Prevention]\n"
        ),
        encoding="utf-8",
    )
    reconfigured = _fresh(kb)
    assert reconfigured != fresh_edit  # Detection is no longer a category
    parsed.clear()
    assert _cached(kb) == reconfigured
    assert len(parsed) == reconfigured[1]  # another configuration: another folder
    assert len(_folders(kb)) == 2


def test_another_build_date_checks_again_without_parsing_again(kb: Path, parsed: list[str]) -> None:
    assert _cached(kb) == _fresh(kb)
    later = dt.date(2026, 1, 1)
    fresh_later = _fresh(kb, later)
    assert not any(d.code == "PM409" for d in fresh_later[0])  # the date is no longer ahead
    parsed.clear()
    assert _cached(kb, later) == fresh_later
    assert parsed == []  # the parses were kept; the checks ran again
    assert _cached(kb) == _fresh(kb)


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps({"format": 1, "today": "2025-01-01", "entry": ["a list"]}),
        pickle.dumps(["another", "layout"]),
        b"truncated",  # replaced below by the real file cut in half
    ],
    ids=["empty", "garbage", "entry-not-an-entry", "another-layout", "truncated"],
)
def test_a_damaged_cache_file_is_an_empty_cache(kb: Path, damage: bytes) -> None:
    fresh = _fresh(kb)
    assert _cached(kb) == fresh
    entries = _cache_files(kb)
    for entry in entries:
        kept = damage if damage != b"truncated" else entry.read_bytes()[: entry.stat().st_size // 2]
        entry.write_bytes(kept)
    assert _cached(kb) == fresh
    assert _cached(kb) == fresh  # and rewritten whole
    assert all(pickle.loads(entry.read_bytes())["format"] == 1 for entry in entries)


def test_pmkb_check_uses_the_cache_and_reports_the_same(kb: Path) -> None:
    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PMKB), "check", "--format", "json", "-f", str(kb / "mkdocs.yml")],
            capture_output=True,
            text=True,
            check=False,
        )

    cold = check()
    assert cold.returncode == 1  # the broken files are errors
    assert json.loads(cold.stdout)
    assert len(_folders(kb)) == 1 and _cache_files(kb)
    warm = check()
    assert (warm.returncode, warm.stdout, warm.stderr) == (
        cold.returncode,
        cold.stdout,
        cold.stderr,
    )
    shutil.rmtree(kb / ".pmkb")  # safe to delete
    assert check().stdout == cold.stdout


def test_check_cache_false_writes_nothing(kb: Path) -> None:
    mkdocs_yml = kb / "mkdocs.yml"
    mkdocs_yml.write_text(
        mkdocs_yml.read_text(encoding="utf-8").replace(
            "  - postmortems\n", "  - postmortems:\n      check_cache: false\n"
        ),
        encoding="utf-8",
    )
    assert _cached(kb) == _fresh(kb)
    assert not (kb / CACHE_DIR).exists()


def test_the_site_build_uses_the_cache(good_project: Path) -> None:
    first = build_site(good_project)
    assert first.returncode == 0, first.stderr
    written = _mtimes(good_project)
    assert len(written) == 2
    again = build_site(good_project)
    assert again.returncode == 0, again.stderr
    assert _mtimes(good_project) == written  # every file from the cache
    page = good_project / "site" / "postmortems" / GOOD_NAME.removesuffix(".md") / "index.html"
    assert "Checkout errors after payments connection pool exhaustion" in page.read_text()


def test_checks_at_once_share_the_cache_safely(kb: Path) -> None:
    command = [str(PMKB), "check", "--format", "json", "-f", str(kb / "mkdocs.yml")]
    expected = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    shutil.rmtree(kb / ".pmkb")  # the three start cold, and each writes the whole cache
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [process.communicate()[0] for process in running]
    assert outputs == [expected] * 3
    [folder] = _folders(kb)  # whole entries, no temporary file left
    entries = _cache_files(kb)
    assert sorted(folder.iterdir()) == entries
    assert all(pickle.loads(entry.read_bytes())["format"] == 1 for entry in entries)
    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert again.stdout == expected


def test_only_the_most_recent_fingerprints_are_kept(kb: Path) -> None:
    for number in range(KEEP + 3):  # older folders, as other configurations left them
        old = kb / CACHE_DIR / f"old-{number:02d}"
        old.mkdir(parents=True)
        (old / "entry.pickle").write_bytes(b"old")
        os.utime(old, (1_000_000 + number, 1_000_000 + number))
    assert _cached(kb) == _fresh(kb)
    kept = [folder.name for folder in _folders(kb)]
    assert len(kept) == KEEP
    assert [name for name in kept if name.startswith("old-")] == [
        f"old-{number:02d}" for number in range(4, KEEP + 3)
    ]  # the oldest four went, the new one is there
