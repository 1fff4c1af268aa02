"""Action items' tickets from Jira, GitHub and GitLab, against a local server that answers
like each of them: `pmkb tickets --refresh` fills the cache, every failure leaves it as it
was with one line naming the tracker and the ticket, the token never shows, and the ledger,
`pmkb check` and the build read the cache only."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.config import KBConfig
from postmortem_kb.learning.ledger import build_ledger, rates
from postmortem_kb.project import load_project
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.scaffold.init import ci_files
from postmortem_kb.trackers.cache import CacheError, TicketCache, cache_path, load_cache, save_cache
from postmortem_kb.trackers.keys import TicketRef, match_ticket
from postmortem_kb.trackers.lookup import status_sources
from postmortem_kb.trackers.settings import TrackerSettings
from postmortem_kb.trackers.state import TicketState

from .ci_files import gitlab_scripts
from .conftest import GOOD_NAME, REPO, build_site, stderr_on_a_terminal
from .tracker_server import (
    GITHUB_NOT_FOUND,
    GITLAB_NOT_FOUND,
    JIRA_NOT_FOUND,
    Answer,
    TrackerServer,
    github_issue,
    gitlab_issue,
    jira_issue,
)

TOKENS = {
    "PMKB_TEST_JIRA": "jira-secret-7f3a9c",
    "PMKB_TEST_GITHUB": "ghp_secret0123456789",
    "PMKB_TEST_GITLAB": "glpat-secret-abcdef",
}
JIRA = "/jira/rest/api/2/issue/{}"
ISSUE_88 = "/github/repos/acme/platform/issues/88"
ISSUE_90 = "/github/repos/acme/platform/issues/90"
GITLAB_12 = "/gitlab/api/v4/projects/sre%2Fdashboards/issues/12"

ACTIONS = """| Action | Category | Owner | Due | Ticket | Status |
|---|---|---|---|---|---|
| Alert on pool saturation above 80% | Detection | @dana | 2024-12-01 | PAY-1432 | open |
| Run config-only deploys through the canary | Prevention | @lee | 2025-01-15 | acme/platform#88 | open |
| Add a connections panel to the database dashboard | Detection | @sam | 2024-12-10 | {web}/sre/dashboards/-/issues/12 | open |
| Retire the per-pod pool setting | Process | @kim | 2025-01-10 | [PAY-1500](https://jira.example.com/browse/PAY-1500) | done |
| Write the pool budget runbook | Process | @kim | 2025-02-01 | acme/platform#90 | open |
"""


def trackers_yaml(server_url: str, *, gitlab_api: str | None = None, **extra: object) -> str:
    options = ", ".join(
        f"{k}: {v}" for k, v in {"timeout": 0.5, "retries": 2, "backoff": 0.05, **extra}.items()
    )
    return (
        "      trackers:\n"
        f"        - {{kind: jira, url: '{server_url}/jira', web_url: 'https://jira.example.com', token_env: PMKB_TEST_JIRA, {options}}}\n"
        f"        - {{kind: github, url: '{server_url}/github', token_env: PMKB_TEST_GITHUB, {options}}}\n"
        f"        - {{kind: gitlab, url: '{gitlab_api or server_url + '/gitlab'}', web_url: '{server_url}/gitlab', token_env: PMKB_TEST_GITLAB, {options}}}\n"
    )


def write_kb(
    root: Path, good_text: str, server_url: str, actions: str = ACTIONS, **yaml: object
) -> Path:
    (root / "kb").mkdir(parents=True, exist_ok=True)
    (root / "kb" / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "kb" / "runbooks").mkdir(exist_ok=True)
    (root / "kb" / "runbooks" / "database-connection-saturation.md").write_text("# Runbook\n")
    (root / "mkdocs.yml").write_text(
        "site_name: Test KB\ndocs_dir: kb\ntheme:\n  name: material\nplugins:\n  - postmortems:\n"
        + trackers_yaml(server_url, **yaml),  # type: ignore[arg-type]
        encoding="utf-8",
    )
    text = good_text.replace("related: [2023-06-02-payments-db-failover]", "related: []")
    text = re.sub(
        r"\| Action \|.*?\n\n", actions.format(web=f"{server_url}/gitlab") + "\n", text, flags=re.S
    )
    (root / "postmortems").mkdir(exist_ok=True)
    (root / "postmortems" / GOOD_NAME).write_text(text, encoding="utf-8")
    return root


def script_good(server: TrackerServer) -> None:
    server.script(
        JIRA.format("PAY-1432"),
        jira_issue(
            "PAY-1432",
            category="done",
            status="Closed",
            resolution="Done",
            resolved="2024-11-28T16:20:00.000+0000",
        ),
    )
    server.script(
        JIRA.format("PAY-1500"),
        jira_issue("PAY-1500", category="indeterminate", status="In Progress"),
    )
    server.script(
        ISSUE_88,
        github_issue(88, state="closed", reason="completed", closed_at="2025-02-01T09:00:00Z"),
    )
    server.script(
        ISSUE_90,
        github_issue(
            90,
            state="closed",
            reason="not_planned",
            closed_at="2025-01-20T10:00:00Z",
            assignee=None,
        ),
    )
    # closed at 01:30 on the 10th in UTC+2: the 9th in UTC
    server.script(
        GITLAB_12, gitlab_issue(12, state="closed", closed_at="2024-12-10T01:30:00.000+02:00")
    )


@pytest.fixture
def server() -> Iterator[TrackerServer]:
    with TrackerServer() as running:
        script_good(running)
        yield running


@pytest.fixture
def kb(tmp_path: Path, good_text: str, server: TrackerServer) -> Path:
    return write_kb(tmp_path, good_text, server.url)


def pmkb_tickets(
    project: Path, *args: str, env: dict[str, str | None] | None = None
) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        ["tickets", *args, "-f", str(project / "mkdocs.yml")],
        env=dict(TOKENS) if env is None else env,
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


def cache_json(project: Path) -> dict[str, object]:
    return json.loads(cache_path(project).read_text(encoding="utf-8"))


def line_of(project: Path, text: str) -> int:
    lines = (project / "postmortems" / GOOD_NAME).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


# --- matching a Ticket cell to a tracker ---------------------------------------------------

SETTINGS = [
    TrackerSettings(kind="jira", url="https://jira.example.com"),
    TrackerSettings(kind="github", url="https://api.github.com"),
    TrackerSettings(
        kind="gitlab", name="gl", url="https://gitlab.example.com", keys=r"sre/[\w.-]+#\d+"
    ),
    TrackerSettings(kind="github", name="ghe", url="https://ghe.example.com/api/v3", keys=r"$^"),
]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("PAY-1432", ("jira", "PAY-1432")),
        ("`PAY-1432`", ("jira", "PAY-1432")),
        ("https://jira.example.com/browse/PAY-1432", ("jira", "PAY-1432")),
        ("[PAY-1432](https://jira.example.com/browse/PAY-1432)", ("jira", "PAY-1432")),
        ("acme/platform#88", ("github", "acme/platform#88")),
        ("https://github.com/acme/platform/issues/88", ("github", "acme/platform#88")),
        ("<https://github.com/acme/platform/pull/7>", ("github", "acme/platform#7")),
        ("https://ghe.example.com/corp/app/issues/3", ("ghe", "corp/app#3")),
        (
            "https://gitlab.example.com/sre/sub/dashboards/-/issues/12",
            ("gl", "sre/sub/dashboards#12"),
        ),
        (
            "https://gitlab.example.com/sre/dashboards/-/issues/12#note_5",
            ("gl", "sre/dashboards#12"),
        ),
        ("sre/dashboards#12", ("github", "sre/dashboards#12")),  # the first tracker that matches
        ("pay-1432", None),
        ("https://example.org/browse/PAY-1", None),
        ("https://github.com/acme/platform", None),
        ("", None),
    ],
)
def test_a_ticket_cell_goes_to_one_tracker(cell: str, expected: tuple[str, str] | None) -> None:
    ref = match_ticket(cell, SETTINGS)
    assert (None if ref is None else (ref.tracker, ref.key)) == expected


def test_tracker_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="two trackers are named 'jira'"):
        KBConfig.model_validate(
            {
                "trackers": [
                    {"kind": "jira", "url": "https://a.example"},
                    {"kind": "jira", "url": "https://b.example"},
                ]
            }
        )
    with pytest.raises(ValueError, match="not an http"):
        KBConfig.model_validate({"trackers": [{"kind": "gitlab", "url": "gitlab.example.com"}]})
    for pasted in ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "glpat-abc", "MY-TOKEN"):
        with pytest.raises(ValueError, match="must name an environment variable"):
            TrackerSettings(kind="gitlab", url="https://gitlab.example.com", token_env=pasted)
    with pytest.raises(ValueError, match="not a regular expression"):
        KBConfig.model_validate(
            {"trackers": [{"kind": "jira", "url": "https://a.example", "keys": "("}]}
        )


# --- refreshing: all three kinds -------------------------------------------------------------


def test_refresh_fills_the_cache_for_all_three_kinds(kb: Path, server: TrackerServer) -> None:
    code, out, err = pmkb_tickets(kb, "--refresh", "--format", "json")
    assert code == 0, err
    assert "5 of 5 ticket(s) fetched into" in err
    tickets = cache_json(kb)["tickets"]
    assert isinstance(tickets, dict)
    assert set(tickets) == {
        "jira:PAY-1432",
        "jira:PAY-1500",
        "github:acme/platform#88",
        "github:acme/platform#90",
        "gitlab:sre/dashboards#12",
    }
    pay = tickets["jira:PAY-1432"]
    assert (pay["state"], pay["resolution"], pay["closed_at"], pay["assignee"]) == (
        "closed",
        "Done",
        "2024-11-28T16:20:00+00:00",
        "Dana Scully",
    )
    assert pay["url"] == "https://jira.example.com/browse/PAY-1432"
    assert (tickets["jira:PAY-1500"]["state"], tickets["jira:PAY-1500"]["closed_at"]) == (
        "open",
        None,
    )
    assert tickets["github:acme/platform#90"]["resolution"] == "not_planned"
    assert tickets["gitlab:sre/dashboards#12"]["closed_at"] == "2024-12-10T01:30:00+02:00"
    for entry in tickets.values():
        assert dt.datetime.fromisoformat(entry["fetched_at"]) <= dt.datetime.now(dt.UTC)
    rows = {row["key"]: row for row in json.loads(out)}
    assert {
        key: (row["file_status"], row["status"], row["done_on"]) for key, row in rows.items()
    } == {
        "PAY-1432": ("open", "done", "2024-11-28"),
        "acme/platform#88": ("open", "done", "2025-02-01"),
        "sre/dashboards#12": ("open", "done", "2024-12-09"),  # UTC
        "PAY-1500": ("done", "open", None),
        "acme/platform#90": ("open", "not-doing", None),
    }
    # each tracker's own authentication, and GitLab's project path URL-encoded
    assert (
        server.requests_to(
            JIRA.format("PAY-1432")
            + "?fields=status%2Cresolution%2Cresolutiondate%2Cassignee%2Csummary"
        )[0].headers["authorization"]
        == "Bearer jira-secret-7f3a9c"
    )
    assert server.requests_to(ISSUE_88)[0].headers["authorization"] == "Bearer ghp_secret0123456789"
    assert server.requests_to(ISSUE_88)[0].headers["x-github-api-version"] == "2022-11-28"
    assert server.requests_to(GITLAB_12)[0].headers["authorization"] == "Bearer glpat-secret-abcdef"


def test_the_table_says_what_each_tracker_says(kb: Path) -> None:
    pmkb_tickets(kb, "--refresh")
    code, out, _ = pmkb_tickets(kb)  # from the cache, no fetch
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "incident",
        "ticket",
        "file",
        "tracker",
        "closed",
        "assignee",
        "fetched",
    ]
    row = next(line for line in lines if "acme/platform#90" in line)
    assert "not-doing (not_planned)" in row and "2025-01-20" not in row
    assert re.search(
        r"PAY-1432\s+open\s+done \(Done\)\s+2024-11-28\s+Dana Scully\s+(< 1 min|\d+ min) ago", out
    )


def test_jira_cloud_sends_basic_auth(tmp_path: Path, good_text: str, server: TrackerServer) -> None:
    kb = write_kb(tmp_path, good_text, server.url)
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "token_env: PMKB_TEST_JIRA,", "token_env: PMKB_TEST_JIRA, user_env: PMKB_TEST_USER,"
        )
    )
    code, _, err = pmkb_tickets(
        kb, "--refresh", env={**TOKENS, "PMKB_TEST_USER": "dana@example.com"}
    )
    assert code == 0, err
    seen = next(s for s in server.requests if s.path.startswith(JIRA.format("PAY-1432")))
    assert (
        seen.headers["authorization"] == "Basic ZGFuYUBleGFtcGxlLmNvbTpqaXJhLXNlY3JldC03ZjNhOWM="
    )  # dana@example.com:jira-secret-7f3a9c


# --- failures: one line each, the cache as it was ---------------------------------------------

FAILURES: dict[str, tuple[str, Answer | None, str]] = {
    # name: (ticket path, the failing answer, what the line says)
    "no token": (
        JIRA.format("PAY-1432"),
        None,
        "jira PAY-1432: not fetched: the environment variable PMKB_TEST_JIRA is not set",
    ),
    "401": (
        JIRA.format("PAY-1432"),
        Answer(401, echo_auth=True),
        "jira PAY-1432: the token in PMKB_TEST_JIRA was refused (HTTP 401: Bearer ***)",
    ),
    "403": (
        ISSUE_88,
        Answer(403, {"message": "Resource not accessible by personal access token"}),
        "github acme/platform#88: access denied (HTTP 403: Resource not accessible by personal access token)",
    ),
    "404": (
        JIRA.format("PAY-1432"),
        JIRA_NOT_FOUND,
        "jira PAY-1432: the ticket does not exist (HTTP 404: Issue does not exist or you do not have permission to see it.)",
    ),
    "timeout": (
        ISSUE_88,
        Answer(delay=2.0, body={}),
        "github acme/platform#88: no answer from 127.0.0.1:{port} within 0.5 s (3 attempts)",
    ),
    "rate limited": (
        GITLAB_12,
        Answer(429, {"message": "Retry later"}, {"Retry-After": "0"}),
        "gitlab sre/dashboards#12: rate limited (HTTP 429: Retry later) (3 attempts)",
    ),
    "rate limit reset in an hour": (
        ISSUE_88,
        Answer(
            403,
            {"message": "API rate limit exceeded for user ID 1."},
            {"x-ratelimit-remaining": "0"},
        ),
        "github acme/platform#88: rate limited (HTTP 403: API rate limit exceeded for user ID 1.); the tracker asks to wait 3",
    ),  # 3600 s, or 3599 past a second
    "500s": (
        GITLAB_12,
        Answer(500, {"message": "500 Internal Server Error"}),
        "gitlab sre/dashboards#12: the tracker failed (HTTP 500: 500 Internal Server Error) (3 attempts)",
    ),
    "bad JSON": (
        JIRA.format("PAY-1432"),
        Answer(200, '{"key": "PAY-1432", "fields": {'),
        "jira PAY-1432: the answer is not JSON",
    ),
    "not an issue": (
        ISSUE_88,
        Answer(200, {"state": "merged"}),
        "github acme/platform#88: the answer is not an issue (state 'merged' is not open or closed)",
    ),
    "tracker down": (GITLAB_12, None, "gitlab sre/dashboards#12: cannot reach 127.0.0.1:{closed}:"),
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("name", list(FAILURES))
def test_a_failure_is_one_line_and_keeps_the_cached_state(
    name: str, kb: Path, server: TrackerServer
) -> None:
    path, answer, expected = FAILURES[name]
    assert pmkb_tickets(kb, "--refresh")[0] == 0
    before = cache_json(kb)
    key = {
        JIRA.format("PAY-1432"): "jira:PAY-1432",
        ISSUE_88: "github:acme/platform#88",
        GITLAB_12: "gitlab:sre/dashboards#12",
    }[path]
    env = dict(TOKENS)
    port = closed_port()
    if name == "no token":
        del env["PMKB_TEST_JIRA"]
    elif name == "tracker down":
        config = kb / "mkdocs.yml"
        config.write_text(
            config.read_text().replace(
                f"kind: gitlab, url: '{server.url}", f"kind: gitlab, url: 'http://127.0.0.1:{port}"
            )
        )
    else:
        assert answer is not None
        if "x-ratelimit-remaining" in answer.headers:  # resets an hour from now
            reset = str(int(time.time()) + 3600)
            answer = Answer(
                answer.status, answer.body, {**answer.headers, "x-ratelimit-reset": reset}
            )
        server.script(path, answer)
    code, _, err = pmkb_tickets(kb, "--refresh", env=env)
    assert code == 0, err
    expected = expected.format(port=server.port, closed=port)
    assert any(line.startswith(expected) for line in err.splitlines()), err
    line = next(line for line in err.splitlines() if line.startswith(expected))
    fetched = dt.datetime.fromisoformat(before["tickets"][key]["fetched_at"])  # type: ignore[index]
    assert line.endswith(f"; kept the state fetched {fetched:%Y-%m-%d %H:%M} UTC")
    after = cache_json(kb)
    assert after["tickets"][key] == before["tickets"][key]  # type: ignore[index]
    if name == "404":
        assert key in after["not_found"]  # type: ignore[operator]
    for secret in TOKENS.values():
        assert secret not in err and secret not in cache_path(kb).read_text()
    # the same failure with --strict exits 1
    assert pmkb_tickets(kb, "--refresh", "--strict", env=env)[0] == 1


def test_without_a_previous_entry_the_line_says_nothing_is_cached(
    kb: Path, server: TrackerServer
) -> None:
    server.script(ISSUE_90, Answer(500))
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 0
    assert (
        "github acme/platform#90: the tracker failed (HTTP 500) (3 attempts); nothing cached for it"
        in err.splitlines()
    )
    assert "github:acme/platform#90" not in cache_json(kb)["tickets"]  # type: ignore[operator]


def test_a_refused_token_stops_asking_that_tracker(kb: Path, server: TrackerServer) -> None:
    server.script(
        JIRA.format("PAY-1432"),
        Answer(401, {"errorMessages": ["You are not authenticated."], "errors": {}}),
    )
    server.script(
        JIRA.format("PAY-1500"),
        Answer(401, {"errorMessages": ["You are not authenticated."], "errors": {}}),
    )
    _, _, err = pmkb_tickets(kb, "--refresh")
    jira_lines = [line for line in err.splitlines() if line.startswith("jira ")]
    assert len(jira_lines) == 2 and all(
        "PMKB_TEST_JIRA was refused (HTTP 401" in line for line in jira_lines
    )
    assert len(cache_json(kb)["tickets"]) == 3  # type: ignore[arg-type]


def test_retry_after_is_honoured_then_the_answer_is_cached(kb: Path, server: TrackerServer) -> None:
    good = github_issue(88, state="closed", reason="completed", closed_at="2025-02-01T09:00:00Z")
    server.script(
        ISSUE_88, Answer(429, {"message": "secondary rate limit"}, {"Retry-After": "1"}), good
    )
    started = time.monotonic()
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 0 and "5 of 5 ticket(s) fetched" in err
    assert time.monotonic() - started >= 1.0
    assert len(server.requests_to(ISSUE_88)) == 2
    assert cache_json(kb)["tickets"]["github:acme/platform#88"]["state"] == "closed"  # type: ignore[index]


def test_500s_then_success(kb: Path, server: TrackerServer) -> None:
    good = gitlab_issue(12, state="closed", closed_at="2024-12-09T12:00:00Z")
    server.script(GITLAB_12, Answer(500), Answer(502, "<html>Bad gateway</html>"), good)
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 0 and "5 of 5" in err, err
    assert len(server.requests_to(GITLAB_12)) == 3
    assert (
        cache_json(kb)["tickets"]["gitlab:sre/dashboards#12"]["closed_at"]
        == "2024-12-09T12:00:00+00:00"
    )  # type: ignore[index]


def test_not_found_for_each_kind_is_recorded_beside_the_state(
    kb: Path, server: TrackerServer
) -> None:
    server.script(JIRA.format("PAY-1500"), JIRA_NOT_FOUND)
    server.script(ISSUE_90, GITHUB_NOT_FOUND)
    server.script(GITLAB_12, GITLAB_NOT_FOUND)
    _, _, err = pmkb_tickets(kb, "--refresh")
    assert (
        "github acme/platform#90: the ticket does not exist (HTTP 404: Not Found); nothing cached for it"
        in err
    )
    assert "gitlab sre/dashboards#12: the ticket does not exist (HTTP 404: 404 Not found)" in err
    assert set(cache_json(kb)["not_found"]) == {
        "jira:PAY-1500",
        "github:acme/platform#90",
        "gitlab:sre/dashboards#12",
    }  # type: ignore[arg-type]
    # found again later: the 404 is forgotten
    script_good(server)
    pmkb_tickets(kb, "--refresh")
    assert cache_json(kb)["not_found"] == {}


def test_requests_in_flight_are_bounded(
    tmp_path: Path, good_text: str, server: TrackerServer
) -> None:
    keys = [f"OPS-{n}" for n in range(1, 7)]
    rows = "".join(
        f"| Do thing {n} | Process | @kim | 2025-01-10 | {key} | open |\n"
        for n, key in enumerate(keys)
    )
    actions = (
        "| Action | Category | Owner | Due | Ticket | Status |\n|---|---|---|---|---|---|\n" + rows
    )
    kb = write_kb(tmp_path, good_text, server.url, actions=actions, concurrency=2)
    for key in keys:
        server.script(JIRA.format(key), Answer(**{**jira_issue(key).__dict__, "delay": 0.3}))
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 0 and "6 of 6" in err, err
    assert server.max_in_flight == 2


def test_the_token_never_shows(kb: Path, server: TrackerServer) -> None:
    server.script(ISSUE_90, Answer(401, echo_auth=True))
    server.script(GITLAB_12, Answer(401, echo_auth=True))
    code, out, err = pmkb_tickets(kb, "--refresh", "--format", "json")
    json_out = pmkb_tickets(kb)[1]
    text = out + err + json_out + cache_path(kb).read_text(encoding="utf-8")
    assert err.count("(HTTP 401: Bad credentials: Bearer ***)") == 2
    for secret in TOKENS.values():
        assert secret not in text


def test_no_trackers_is_a_clear_error(tmp_path: Path, good_text: str) -> None:
    kb = write_kb(tmp_path, good_text, "http://127.0.0.1:9")
    (kb / "mkdocs.yml").write_text("site_name: Test KB\ndocs_dir: kb\nplugins:\n  - postmortems\n")
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 1
    assert "no trackers configured" in err and "Traceback" not in err


# --- the cache ------------------------------------------------------------------------------


def test_the_cache_round_trips_and_a_broken_one_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / ".pmkb" / "tickets.json"
    cache = TicketCache()
    state = TicketState("closed", "Won't Do", dt.datetime(2024, 6, 5, 10, tzinfo=dt.UTC), None, "T")
    cache.record(TicketRef("jira", "PAY-1"), state, dt.datetime(2024, 6, 6, tzinfo=dt.UTC))
    save_cache(path, cache)
    loaded = load_cache(path)
    assert loaded is not None and loaded.tickets == cache.tickets
    assert [p.name for p in path.parent.iterdir()] == ["tickets.json"]  # no temporary left
    path.write_text('{"schema_version": 1, "tickets": {"jira:PAY-1": {"tracker": "jira"}}}')
    with pytest.raises(
        CacheError,
        match=r"tickets.json: not a tickets cache \('key'\); run `pmkb tickets --refresh`",
    ):
        load_cache(path)
    assert load_cache(tmp_path / "nothing.json") is None


def test_a_broken_cache_is_rebuilt_by_a_refresh(kb: Path) -> None:
    cache_path(kb).parent.mkdir()
    cache_path(kb).write_text("{not json")
    code, out, err = pmkb_tickets(kb)
    assert code == 1 and "not a tickets cache" in err and "Traceback" not in err
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 0 and "not a tickets cache" in err and "writing a new one" in err
    assert len(cache_json(kb)["tickets"]) == 5  # type: ignore[arg-type]


# --- what reads the cache: the ledger, pmkb check, the build -----------------------------------


def test_the_ledger_rates_follow_the_tracker(kb: Path) -> None:
    project = load_project(kb / "mkdocs.yml")
    archive = load_project_archive(project)
    as_of = dt.date(2025, 3, 1)
    markdown = build_ledger(archive.postmortems, status_sources(kb, project.config.trackers))
    assert {e.status_source for e in markdown.entries} == {"markdown"}  # no cache yet
    by_file = rates(markdown.entries, as_of, 0.7)
    # the file: 1 done (no date), 4 open; all five due before the as-of date
    assert (by_file.done, by_file.open, by_file.completion_rate) == (1, 4, 0.2)
    assert (by_file.on_time, by_file.due, by_file.on_time_rate) == (0, 4, 0.0)

    assert pmkb_tickets(kb, "--refresh")[0] == 0
    ledger = build_ledger(archive.postmortems, status_sources(kb, project.config.trackers))
    by_tracker = rates(ledger.entries, as_of, 0.7)
    # the trackers: PAY-1432 done 11-28 (due 12-01, on time), #88 done 02-01 (due 01-15,
    # late), #12 done 12-09 UTC (due 12-10, on time), PAY-1500 open, #90 not planned
    assert (by_tracker.done, by_tracker.open, by_tracker.not_doing) == (3, 1, 1)
    assert by_tracker.completion_rate == 0.75
    assert (by_tracker.on_time, by_tracker.due, by_tracker.on_time_rate) == (2, 4, 0.5)
    entries = {e.ticket.split("/")[-1]: e for e in ledger.entries}
    assert entries["12"].done_on == dt.date(2024, 12, 9)
    assert {e.status_source for e in ledger.entries} == {"jira", "github", "gitlab"}
    assert all(e.status_fetched_at is not None for e in ledger.entries)


def test_check_reports_where_file_and_tracker_disagree(kb: Path, server: TrackerServer) -> None:
    runner = CliRunner()
    before = runner.invoke(main, ["check", "-f", str(kb / "mkdocs.yml")])
    assert "PM80" not in before.stdout  # no cache: nothing to compare
    server.script(ISSUE_90, GITHUB_NOT_FOUND)
    pmkb_tickets(kb, "--refresh")
    result = runner.invoke(main, ["check", "-f", str(kb / "mkdocs.yml")])
    found = re.findall(r"^postmortems/[^:]+:(\d+):1: warning (PM80\d) (.*)$", result.stdout, re.M)
    path = f"postmortems/{GOOD_NAME}"
    assert sorted(found) == sorted(
        [
            (
                str(line_of(kb, "PAY-1432")),
                "PM801",
                "the file says open, but PAY-1432 was closed on 2024-11-28 as 'Done' in jira",
            ),
            (
                str(line_of(kb, "acme/platform#88")),
                "PM801",
                "the file says open, but acme/platform#88 was closed on 2025-02-01 as 'completed' in github",
            ),
            (
                str(line_of(kb, "acme/platform#88")),
                "PM804",
                "acme/platform#88 was closed on 2025-02-01, 17 day(s) after its due date 2025-01-15",
            ),
            (
                str(line_of(kb, "issues/12")),
                "PM801",
                "the file says open, but sre/dashboards#12 was closed on 2024-12-09 in gitlab",
            ),
            (
                str(line_of(kb, "PAY-1500")),
                "PM802",
                "the file says done, but PAY-1500 is open in jira",
            ),
            (
                str(line_of(kb, "acme/platform#90")),
                "PM803",
                f"github answered that acme/platform#90 does not exist (on {dt.datetime.now(dt.UTC):%Y-%m-%d})",
            ),
        ]
    )
    assert f"{path}:{line_of(kb, 'PAY-1432')}:1: warning PM801" in result.stdout
    assert "hint: Write `done 2024-11-28` in the Status column, or reopen PAY-1432" in result.stdout
    assert result.exit_code == 0, result.stdout  # warnings only


def key_figures(site: Path) -> str:
    """The dashboard's key figures as text."""
    page = (site / "learning" / "index.html").read_text(encoding="utf-8")
    start = page.index('id="key-figures"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start : start + 3000]))


def test_the_build_reads_the_cache_and_never_the_network(tmp_path: Path, good_text: str) -> None:
    """Trackers configured at a closed port: without a cache the build takes the Status
    column; with one, the trackers' word, and it never asks them."""
    unplugged = f"http://127.0.0.1:{closed_port()}"
    with TrackerServer() as running:
        script_good(running)
        kb = write_kb(tmp_path, good_text, running.url)
        config = kb / "mkdocs.yml"
        plugged = config.read_text()
        for kind in ("jira", "github", "gitlab"):  # the API URLs only: web_url stays
            plugged = plugged.replace(
                f"kind: {kind}, url: '{running.url}", f"kind: {kind}, url: '{unplugged}"
            )
        config.write_text(plugged)
        result = build_site(kb)
        assert result.returncode == 0, result.stderr
        # the file: 1 done of 5; none of the 4 due done on time (the done one has no date)
        assert "On-time rate: 0% : 0 of 4 action items due" in key_figures(kb / "site")
        assert "Completion rate: 20% : 1 done of 5 done or open" in key_figures(kb / "site")
        config.write_text(plugged.replace(unplugged, running.url))
        assert pmkb_tickets(kb, "--refresh")[0] == 0
        config.write_text(plugged)
    before = cache_path(kb).read_bytes()
    result = build_site(kb)
    assert result.returncode == 0, result.stderr
    assert (kb / "site" / "postmortems" / GOOD_NAME.removesuffix(".md") / "index.html").is_file()
    assert cache_path(kb).read_bytes() == before
    # the trackers: 3 done (2 on time), 1 open, 1 not planned (left out)
    figures = key_figures(kb / "site")
    assert "On-time rate: 50% : 2 of 4 action items due" in figures
    assert "Completion rate: 75% : 3 done of 4 done or open (1 not doing, left out)" in figures
    # each ledger row says where its status came from, and when
    fetched = json.loads(before)["tickets"]["jira:PAY-1432"]["fetched_at"]
    ledger = (kb / "site" / "learning" / "actions" / "index.html").read_text(encoding="utf-8")
    row = next(r for r in ledger.split("<tr ") if "PAY-1432" in r)
    note = f'<small class="pmkb-ledger-source">jira {fetched[:10]} {fetched[11:16]}Z</small>'
    assert "<td>done 2024-11-28" in row and note in row


def test_a_failing_refresh_does_not_need_a_traceback(kb: Path, server: TrackerServer) -> None:
    """Every kind of failure at once: still one line per ticket, exit 0."""
    server.script(JIRA.format("PAY-1432"), Answer(200, "not json"))
    server.script(JIRA.format("PAY-1500"), JIRA_NOT_FOUND)
    server.script(ISSUE_88, Answer(503, "", {"Retry-After": "0"}))
    server.script(ISSUE_90, Answer(401, echo_auth=True))
    server.script(GITLAB_12, Answer(200, {"state": "opened", "labels": "nope"}))
    code, out, err = pmkb_tickets(kb, "--refresh")
    assert code == 0 and "Traceback" not in err
    lines = [line for line in err.splitlines() if re.match(r"^(jira|github|gitlab) ", line)]
    assert len(lines) == 5
    assert "0 of 5 ticket(s) fetched" in err


def test_pmkb_actions_and_export_take_the_trackers_word(kb: Path) -> None:
    config = ["-f", str(kb / "mkdocs.yml"), "--as-of", "2025-03-01"]
    runner = CliRunner()
    before = json.loads(runner.invoke(main, ["export", *config]).stdout)["summary"]
    assert (before["completion_rate"], before["on_time_rate"]) == (0.2, 0.0)
    assert pmkb_tickets(kb, "--refresh")[0] == 0
    actions = json.loads(runner.invoke(main, ["actions", "--format", "json", *config]).stdout)
    assert sorted((a["status"], a["done_on"]) for a in actions) == [
        ("done", "2024-11-28"),
        ("done", "2024-12-09"),
        ("done", "2025-02-01"),
        ("not-doing", None),
        ("open", None),
    ]
    after = json.loads(runner.invoke(main, ["export", *config]).stdout)["summary"]
    assert (after["completion_rate"], after["on_time_rate"]) == (0.75, 0.5)
    table = runner.invoke(main, ["actions", *config]).stdout.splitlines()
    assert table[0].split()[:3] == ["Due", "Status", "Source"]
    fetched = cache_json(kb)["tickets"]["jira:PAY-1500"]["fetched_at"]  # type: ignore[index]
    row = next(line for line in table if "PAY-1500" in line)
    assert re.search(rf"overdue 50 d +jira {fetched[:10]} {fetched[11:16]}Z +@kim", row), row


# --- CI: the publish workflow refreshes the tickets when a token secret exists ----------------


def test_the_publish_workflows_refresh_tickets_only_with_a_token(tmp_path: Path) -> None:
    for text in (
        ci_files("github")[".github/workflows/publish.yml"],
        (REPO / ".github/workflows/publish.yml").read_text(),
    ):
        job = yaml.safe_load(text)["jobs"]["internal"]
        names = [step.get("run") for step in job["steps"]]
        refresh = job["steps"][names.index("pmkb tickets --refresh")]
        assert names.index("pmkb tickets --refresh") + 1 == names.index("pmkb build")
        assert refresh["if"] == "env.PMKB_TRACKER_TOKEN == 'true'"
        assert refresh["env"] == {
            name: f"${{{{ secrets.{name} }}}}"
            for name in ("JIRA_TOKEN", "GITLAB_TOKEN", "TRACKER_GITHUB_TOKEN")
        }
        secrets = " || ".join(f"secrets.{name} != ''" for name in refresh["env"])
        assert job["env"]["PMKB_TRACKER_TOKEN"] == f"${{{{ {secrets} }}}}"
        assert text.count("secrets.") == 6  # the tokens reach this step only
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert (
        "      - name: Refresh the action items' tickets (a tracker token secret is set)\n        if: env.PMKB_TRACKER_TOKEN == 'true'\n"
        in readme
    )
    gitlab = tmp_path / ".gitlab-ci.yml"
    gitlab.write_text(ci_files("gitlab")[".gitlab-ci.yml"])
    data = yaml.safe_load(gitlab.read_text())
    assert gitlab_scripts(gitlab)["tickets"][-1] == "pmkb tickets --refresh"
    assert data["tickets"]["rules"] == [
        {
            "if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && ($JIRA_TOKEN || $GITLAB_TOKEN || $TRACKER_GITHUB_TOKEN)"
        }
    ]
    assert data["stages"].index(data["tickets"]["stage"]) < data["stages"].index(
        data["pages"]["stage"]
    )
    assert data["tickets"]["artifacts"]["paths"] == [".pmkb/tickets.json"]


def test_a_moved_repository_is_followed_and_the_token_stays_home(
    kb: Path, server: TrackerServer
) -> None:
    """GitHub answers 301 for a moved repository; a redirect to another host (here
    localhost, not 127.0.0.1) gets no Authorization header."""
    moved = "/github/repos/acme/moved/issues/88"
    location = f"http://localhost:{server.port}{moved}"
    server.script(ISSUE_88, Answer(301, {"message": "Moved Permanently"}, {"Location": location}))
    server.script(
        moved,
        github_issue(88, state="closed", reason="completed", closed_at="2025-02-01T09:00:00Z"),
    )
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 0 and "5 of 5" in err, err
    assert server.requests_to(ISSUE_88)[0].headers["authorization"].startswith("Bearer ")
    (followed,) = server.requests_to(moved)
    assert "authorization" not in followed.headers
    assert cache_json(kb)["tickets"]["github:acme/platform#88"]["state"] == "closed"  # type: ignore[index]


def test_check_with_a_broken_cache_warns_in_one_line(kb: Path) -> None:
    cache_path(kb).parent.mkdir()
    cache_path(kb).write_text('{"schema_version": 7}')
    result = CliRunner().invoke(main, ["check", "-f", str(kb / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "tickets.json: not a tickets cache (schema_version 7 is not 1)" in warning
    assert "PM80" not in result.stdout and "Traceback" not in result.output


def _stderr_through_a_terminal(project: Path, **env: str) -> str:
    """`pmkb tickets --refresh` with its stderr on a pseudo-terminal, as in a shell."""
    return stderr_on_a_terminal(
        ["tickets", "--refresh", "-f", str(project / "mkdocs.yml")], TOKENS | env
    )


def test_progress_on_a_terminal_only(kb: Path) -> None:
    shown = _stderr_through_a_terminal(kb)
    assert "Fetching tickets" in shown and "100%" in shown
    assert "Fetching tickets" not in _stderr_through_a_terminal(kb, CI="true")
    _, _, piped = pmkb_tickets(kb, "--refresh")
    assert "Fetching tickets" not in piped


def test_a_redirect_loop_is_one_line(kb: Path, server: TrackerServer) -> None:
    loop = Answer(302, {}, {"Location": f"{server.url}{ISSUE_88}"})
    server.script(ISSUE_88, loop)
    code, _, err = pmkb_tickets(kb, "--refresh")
    assert code == 0 and "Traceback" not in err
    assert any(
        line.startswith(
            "github acme/platform#88: the request failed: Exceeded maximum allowed redirects."
        )
        for line in err.splitlines()
    ), err


def test_wont_do_and_not_planned_are_not_doing(kb: Path, server: TrackerServer) -> None:
    server.script(
        JIRA.format("PAY-1432"),
        jira_issue(
            "PAY-1432",
            category="done",
            status="Closed",
            resolution="Won\u2019t Do",
            resolved="2024-11-20T10:00:00.000+0000",
        ),
    )
    server.script(
        GITLAB_12,
        gitlab_issue(
            12, state="closed", closed_at="2024-12-01T10:00:00Z", labels=["backend", "wontfix"]
        ),
    )
    server.script(
        ISSUE_88,
        github_issue(88, state="closed", reason="duplicate", closed_at="2025-01-02T10:00:00Z"),
    )
    assert pmkb_tickets(kb, "--refresh")[0] == 0
    rows = {row["key"]: row for row in json.loads(pmkb_tickets(kb, "--format", "json")[1])}
    assert (rows["PAY-1432"]["status"], rows["PAY-1432"]["resolution"]) == (
        "not-doing",
        "Won\u2019t Do",
    )
    assert (rows["sre/dashboards#12"]["status"], rows["sre/dashboards#12"]["resolution"]) == (
        "not-doing",
        "wontfix",
    )
    # a duplicate is closed as done: `not_doing` does not name it
    assert (rows["acme/platform#88"]["status"], rows["acme/platform#88"]["done_on"]) == (
        "done",
        "2025-01-02",
    )


def test_cells_no_tracker_claims_are_named_once(
    tmp_path: Path, good_text: str, server: TrackerServer
) -> None:
    actions = ACTIONS.replace("| acme/platform#90 |", "| ops ticket 90 |")
    kb = write_kb(tmp_path, good_text, server.url, actions=actions)
    code, out, err = pmkb_tickets(kb, "--refresh")
    assert code == 0
    assert "1 ticket(s) match no tracker: ops ticket 90" in err.splitlines()
    assert "4 of 4 ticket(s) fetched" in err
    row = next(line for line in out.splitlines() if "ops ticket 90" in line)
    assert "(no tracker)" in row


def test_the_digest_takes_the_trackers_word(kb: Path) -> None:
    def statuses() -> list[tuple[str, str | None]]:
        args = ["digest", "--month", "2024-11", "--format", "json", "-f", str(kb / "mkdocs.yml")]
        (entry,) = json.loads(CliRunner().invoke(main, args).stdout)["postmortems"]
        return sorted((a["status"], a["done_on"]) for a in entry["action_items"])

    assert statuses() == [
        ("done", None),
        ("open", None),
        ("open", None),
        ("open", None),
        ("open", None),
    ]
    assert pmkb_tickets(kb, "--refresh")[0] == 0
    assert statuses() == [
        ("done", "2024-11-28"),
        ("done", "2024-12-09"),
        ("done", "2025-02-01"),
        ("not-doing", None),
        ("open", None),
    ]


def test_a_token_pasted_into_token_env_is_not_printed_back() -> None:
    from postmortem_kb.config import KBConfig

    secret = "ghp_" + "x7Qa9" * 6
    with pytest.raises(ValueError) as raised:
        KBConfig.model_validate(
            {"trackers": [{"kind": "github", "url": "https://api.github.com", "token_env": secret}]}
        )
    assert "token_env" in str(raised.value) and secret not in str(raised.value)


def test_a_refresh_works_inside_a_running_event_loop(kb: Path, server: TrackerServer) -> None:
    """A caller that already runs an event loop (a browser-driving test session, a notebook)
    can refresh too: the requests get a loop of their own."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    script_good(server)

    async def inside_a_loop() -> tuple[int, str, str]:
        return pmkb_tickets(kb, "--refresh")

    # a thread of its own, so that the test's loop is the only one there, whatever the
    # session runs already (after the browser tests, Playwright's loop runs in this one)
    with ThreadPoolExecutor(max_workers=1) as thread:
        code, _, err = thread.submit(asyncio.run, inside_a_loop()).result()
    assert code == 0, err
    assert "PAY-1432" in cache_path(kb).read_text(encoding="utf-8")
