"""The MkDocs plugin, in real `mkdocs build --strict` runs on projects in temp dirs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import GOOD_NAME, RELATED_NAME, build_site, related_text


def test_build_mounts_every_postmortem(good_project: Path) -> None:
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    page = good_project / "site" / "postmortems" / GOOD_NAME[:-3] / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "too many connections" in html
    assert (good_project / "site" / "postmortems" / RELATED_NAME[:-3] / "index.html").exists()


def test_an_error_fails_the_build_with_the_check_message(
    make_project: Callable[..., Path], good_text: str
) -> None:
    broken = good_text.replace(
        "runbooks: [database-connection-saturation]", "runbooks: [no-such-runbook]"
    )
    project = make_project({GOOD_NAME: broken, RELATED_NAME: related_text(good_text)})
    result = build_site(project)
    assert result.returncode == 1
    assert (
        f"postmortems/{GOOD_NAME}:29:1: error PM601 runbook 'no-such-runbook' does not exist"
        in result.stderr
    )


def test_an_unknown_related_id_fails_the_build(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project({GOOD_NAME: good_text})
    result = build_site(project)
    assert result.returncode == 1
    assert (
        f"{GOOD_NAME}:30:1: error PM602 related '2023-06-02-payments-db-failover'" in result.stderr
    )


def test_warnings_go_through_the_plugin_logger_so_strict_fails(
    make_project: Callable[..., Path], good_text: str
) -> None:
    wordy = good_text.replace(
        "The connection pool size", "Careless setup: the connection pool size"
    )
    project = make_project({GOOD_NAME: wordy, RELATED_NAME: related_text(good_text)})
    strict = build_site(project)
    assert strict.returncode == 1
    assert (
        "WARNING -  postmortems: " in strict.stderr
        and "PM501 blame-oriented phrase 'Careless'" in strict.stderr
    )
    relaxed = build_site(project, strict=False)
    assert relaxed.returncode == 0


def test_invalid_plugin_option_is_a_config_error(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project({GOOD_NAME: good_text}, mkdocs_extra="")
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "  - postmortems\n", "  - postmortems:\n      max_action_items: lots\n"
        )
    )
    result = build_site(project)
    assert result.returncode == 1
    assert "max_action_items" in result.stderr and "Traceback" not in result.stderr
