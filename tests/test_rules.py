"""One rule, one test: the good fixture, one change, one expected diagnostic at its line.

Each case would fail if its rule were removed: the good file yields no diagnostic at all,
so the expected code can only come from the rule under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.rules.archive import load_archive

from .conftest import GOOD_NAME

TODAY = dt.date(2026, 1, 1)
RUNBOOKS = {"database-connection-saturation"}
KNOWN = {"2023-06-02-payments-db-failover"}


def check(
    tmp_path: Path, text: str | bytes, name: str = GOOD_NAME, config: KBConfig | None = None
) -> list[Diagnostic]:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    archive = load_archive(
        [path],
        config or KBConfig(),
        root=tmp_path,
        runbook_ids=RUNBOOKS,
        today=TODAY,
        known_ids=KNOWN,
    )
    return archive.diagnostics


def test_good_fixture_is_clean(tmp_path: Path, good_text: str) -> None:
    assert check(tmp_path, good_text) == []


# (code, text to replace, replacement, expected line, expected level)
CASES = [
    ("PM002", "---\ntitle:", "title:", 1, "error"),
    ("PM003", "title: Checkout", "title: [Checkout", 3, "error"),
    ("PM004", "status: published\n", "status: published\nstatus: draft\n", 6, "error"),
    ("PM005", "title: Checkout", "title: !!python/object/apply:os.system Checkout", 2, "error"),
    ("PM101", "severity: SEV2\n", "", 1, "error"),
    ("PM101", "  summary: About 7% of checkout attempts failed for 49 minutes.\n", "", 15, "error"),
    ("PM102", "services: [payments-api, checkout-web]", "services: payments-api", 7, "error"),
    ("PM102", "  users_affected: 18000", "  users_affected: -3", 16, "error"),
    ("PM102", "  detected: 2024-11-15T14:09:00Z", "  detected: soon", 12, "error"),
    ("PM102", "status: published", "status: done", 5, "error"),
    ("PM102", "visibility: internal", "visibility: secret", 6, "error"),
    ("PM102", "    known_risk: false", "    known_risk: perhaps", 25, "error"),
    ("PM103", "channel:", "chanel:", 31, "warning"),
    ("PM104", "severity: SEV2", "severity: SEV9", 4, "error"),
    ("PM105", "date: 2024-11-15", "date: 2024-11-16", 3, "error"),
    (
        "PM106",
        "  mitigated: 2024-11-15T14:51:00Z",
        "  mitigated: 2024-11-15T14:05:00Z",
        13,
        "error",
    ),
    ("PM107", "  resolved: 2024-11-15T16:20:00Z", "  resolved: 2024-11-15T16:20:00", 14, "error"),
    ("PM108", "config-change]", "Config Change]", 8, "error"),
    ("PM109", "  - category: process", "  - category: people", 26, "error"),
    (
        "PM201",
        "## Lessons learned\n\nCapacity settings that multiply with replicas need a budget owned by the database.\n",
        "",
        75,
        "error",
    ),
    (
        "PM202",
        "## What went well\n\n- The error-rate alert paged within seven minutes.\n\n"
        "## What went badly\n\n- The database dashboard did not show connection saturation.\n",
        "## What went badly\n\n- The database dashboard did not show connection saturation.\n\n"
        "## What went well\n\n- The error-rate alert paged within seven minutes.\n",
        63,
        "error",
    ),
    ("PM203", "## What went well", "## Things that went well", 59, "warning"),
    ("PM204", "## Lessons learned", "## Impact\n\nMore.\n\n## Lessons learned", 75, "error"),
    (
        "PM205",
        "About 7% of checkout attempts failed with HTTP 503 for 49 minutes.\n",
        "",
        38,
        "error",
    ),
    ("PM301", "- 14:31 The on-call", "- The on-call", 46, "error"),
    ("PM302", "- 14:31 The on-call", "- 14:01 The on-call", 46, "error"),
    (
        "PM401",
        "| Action | Category | Owner | Due | Ticket | Status |\n|---|---|---|---|---|---|\n",
        "",
        67,
        "error",
    ),
    (
        "PM402",
        "| Action | Category | Owner | Due | Ticket | Status |\n|---|---|---|---|---|---|",
        "| Action | Category | Owner | Due | Status |\n|---|---|---|---|---|",
        69,
        "error",
    ),
    ("PM403", "| Detection | @dana", "| Alerting | @dana", 71, "error"),
    ("PM404", "| @lee |", "| Lee |", 72, "error"),
    ("PM405", "| 2024-12-10 |", "| next week |", 73, "error"),
    ("PM406", "| SRE-204 |", "|  |", 73, "error"),
    ("PM407", "| PLAT-881 | open |", "| PLAT-881 | wip |", 72, "error"),
    (
        "PM408",
        "| Add a connections panel to the database dashboard | Detection | @sam | 2024-12-10 | SRE-204 | done |\n",
        "",
        69,
        "warning",
    ),
    (
        "PM501",
        "The connection pool size",
        "This was human error: the connection pool size",
        52,
        "warning",
    ),
    (
        "PM501",
        "- The database dashboard",
        "- The on-call should have seen the database dashboard",
        65,
        "warning",
    ),
    (
        "PM501",
        "The connection pool size is",
        "After @lee changed it, the connection pool size is",
        52,
        "warning",
    ),
    (
        "PM501",
        "The connection pool size is",
        "Dana changed it; the connection pool size is",
        52,
        "warning",
    ),
    ("PM501", "  summary: About 7%", "  summary: Careless change; about 7%", 18, "warning"),
    ("PM502", "status: published", "status: draft", 5, "warning"),
    (
        "PM601",
        "runbooks: [database-connection-saturation]",
        "runbooks: [db-saturation]",
        29,
        "error",
    ),
    (
        "PM602",
        "related: [2023-06-02-payments-db-failover]",
        "related: [2023-06-02-payments-db]",
        30,
        "error",
    ),
]


@pytest.mark.parametrize(
    ("code", "old", "new", "line", "level"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule(
    tmp_path: Path, good_text: str, code: str, old: str, new: str, line: int | None, level: str
) -> None:
    assert old in good_text, "the case must change the fixture"
    diagnostics = check(tmp_path, good_text.replace(old, new, 1))
    matching = [d for d in diagnostics if d.code == code]
    assert matching, f"expected {code}, got {[str(d) for d in diagnostics]}"
    if line is not None:
        assert line in [d.line for d in matching], [str(d) for d in matching]
    assert all(d.level == level for d in matching)


def test_invalid_utf8_is_reported_at_its_line(tmp_path: Path, good_text: str) -> None:
    data = good_text.encode().replace(b"Pool size was", b"Pool \xff size was")
    [diagnostic] = check(tmp_path, data)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("PM001", 24, 23)


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8-sig"),
        lambda t: t.replace("\n", "\r\n").encode(),
        lambda t: t.replace("\n", "\r\n").encode("utf-8-sig"),
    ],
)
def test_bom_and_crlf_are_accepted(tmp_path: Path, good_text: str, encode) -> None:
    assert check(tmp_path, encode(good_text)) == []


def test_bad_file_name(tmp_path: Path, good_text: str) -> None:
    diagnostics = check(tmp_path, good_text, name="Payments Outage.md")
    assert [d.code for d in diagnostics if d.code == "PM007"] == ["PM007"]


def test_draft_turns_missing_sections_into_warnings(tmp_path: Path, good_text: str) -> None:
    text = good_text.replace("status: published", "status: draft").replace(
        "## Lessons learned", "## Five whys"
    )
    text = text.replace("  resolved: 2024-11-15T16:20:00Z\n", "")
    diagnostics = check(tmp_path, text)
    assert {(d.code, d.level) for d in diagnostics} >= {("PM201", "warning"), ("PM101", "warning")}
    assert not any(d.is_error for d in diagnostics if d.code in ("PM101", "PM201"))


def test_timeline_rolls_over_midnight(tmp_path: Path, good_text: str) -> None:
    text = (
        good_text.replace("- 14:51 Replicas", "- 23:50 Replicas")
        .replace("- 2024-11-15 16:20 Pool", "- 00:20 Pool")
        .replace("  mitigated: 2024-11-15T14:51:00Z", "  mitigated: 2024-11-15T23:50:00Z")
        .replace("  resolved: 2024-11-15T16:20:00Z", "  resolved: 2024-11-16T00:20:00Z")
    )
    assert check(tmp_path, text) == []


def test_blame_phrase_inside_code_is_ignored(tmp_path: Path, good_text: str) -> None:
    text = good_text.replace(
        "The connection pool size", "The log said `human error` and the connection pool size"
    )
    assert check(tmp_path, text) == []


def test_every_problem_is_reported_at_once(tmp_path: Path, good_text: str) -> None:
    text = (
        good_text.replace("severity: SEV2", "severity: SEV9")
        .replace("| @lee |", "| Lee |")
        .replace("- 14:31 The on-call", "- The on-call")
    )
    codes = {d.code for d in check(tmp_path, text)}
    assert {"PM104", "PM404", "PM301"} <= codes


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path, good_text: str) -> None:
    (tmp_path / "2024-01-01-broken-yaml.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    (tmp_path / "2024-01-02-binary.md").write_bytes(b"\x00\x01\xfe")
    good = tmp_path / GOOD_NAME
    good.write_text(good_text, encoding="utf-8")
    archive = load_archive(
        sorted(tmp_path.glob("*.md")),
        KBConfig(),
        root=tmp_path,
        runbook_ids=RUNBOOKS,
        today=TODAY,
        known_ids=KNOWN,
    )
    assert GOOD_NAME[:-3] in archive.by_id()
    assert {d.path for d in archive.diagnostics} == {
        "2024-01-01-broken-yaml.md",
        "2024-01-02-binary.md",
    }


def test_front_matter_must_be_a_mapping(tmp_path: Path, good_text: str) -> None:
    body = good_text.split("---\n", 2)[2]
    diagnostics = check(tmp_path, "---\n- a list\n- of items\n---\n" + body)
    assert [(d.code, d.line) for d in diagnostics] == [("PM006", 2)]


def test_timeline_without_list_entries(tmp_path: Path, good_text: str) -> None:
    start, end = good_text.index("- 14:02"), good_text.index("## Root cause")
    text = (
        good_text[:start] + "Deploy at 14:02, alert at 14:09, fixed by 16:20.\n\n" + good_text[end:]
    )
    assert [(d.code, d.line) for d in check(tmp_path, text)] == [("PM303", 42)]


def test_duplicate_ids_across_folders(tmp_path: Path, good_text: str) -> None:
    for folder in ("2024", "archive"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / GOOD_NAME).write_text(good_text, encoding="utf-8")
    files = sorted(tmp_path.rglob("*.md"))
    archive = load_archive(
        files, KBConfig(), root=tmp_path, runbook_ids=RUNBOOKS, today=TODAY, known_ids=KNOWN
    )
    [duplicate] = archive.diagnostics
    assert (duplicate.code, duplicate.path) == ("PM603", f"archive/{GOOD_NAME}")
    assert f"2024/{GOOD_NAME}" in duplicate.message


# --- public content (PM701, PM702) ---------------------------------------------------------


@pytest.fixture
def public_text(good_text: str) -> str:
    """The good fixture, published on the public site."""
    return good_text.replace("visibility: internal", "visibility: public", 1)


def test_public_fixture_is_clean(tmp_path: Path, public_text: str) -> None:
    """Handles in authors and roles and the Owner and Ticket columns are never published."""
    assert check(tmp_path, public_text) == []


# (code, text to replace, replacement, expected line, the reported text) on the public fixture;
# in the body, the column is where the reported text starts.
PUBLIC_CASES = [
    (
        "PM701",
        "the orders database",
        "db-ord-01.corp.example.net",
        36,
        "db-ord-01.corp.example.net",
    ),
    ("PM701", "stop.", "stop (10.20.3.14).", 47, "10.20.3.14"),
    ("PM701", "- The error-rate alert", "- The @oncall-pay alert", 61, "@oncall-pay"),
    ("PM701", "owned by the database.", "owned by the database (PAY-99).", 77, "PAY-99"),
    ("PM701", "reached every pod", "reached acme.slack.com", 57, "acme.slack.com"),
    ("PM701", "seven minutes.", "seven minutes. Confidential.", 61, "Confidential"),
    ("PM701", "title: Checkout errors", "title: pay-db.internal errors", 2, "pay-db.internal"),
    ("PM701", "[payments-api, checkout-web]", "[payments-api, db7.corp.example.net]", 7, None),
    ("PM701", "  summary: About 7%", "  summary: Call 10.1.2.3. About 7%", 18, "10.1.2.3"),
    ("PM702", "## Lessons learned", "<!-- internal -->\n## Lessons learned", 75, None),
]


@pytest.mark.parametrize(
    ("code", "old", "new", "line", "reported"),
    PUBLIC_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(PUBLIC_CASES)],
)
def test_public_rule(
    tmp_path: Path, public_text: str, code: str, old: str, new: str, line: int, reported: str | None
) -> None:
    assert old in public_text, "the case must change the fixture"
    text = public_text.replace(old, new, 1)
    diagnostics = check(tmp_path, text)
    assert [(d.code, d.line) for d in diagnostics] == [(code, line)], [str(d) for d in diagnostics]
    if reported is not None:
        assert repr(reported) in diagnostics[0].message
        source_line = text.split("\n")[line - 1]
        body = not source_line.lstrip().startswith(("title:", "summary:"))
        assert diagnostics[0].column == (source_line.index(reported) + 1 if body else 1)


PLANTED_HOST = ("and the orders database ran out", "and db-ord-01.corp.example.net ran out")


def test_pm701_is_for_public_post_mortems_only(tmp_path: Path, good_text: str) -> None:
    assert check(tmp_path, good_text.replace(*PLANTED_HOST, 1)) == []


@pytest.mark.parametrize(
    "block",
    [
        "!!! internal\n    The pool was on db-ord-01.corp.example.net (PAY-99, 10.20.3.14).\n",
        "<!-- internal -->\nThe pool was on db-ord-01.corp.example.net (PAY-99).\n<!-- /internal -->\n",
    ],
)
def test_pm701_skips_internal_blocks(tmp_path: Path, public_text: str, block: str) -> None:
    text = public_text.replace("## Root cause\n", f"## Root cause\n\n{block}", 1)
    assert check(tmp_path, text) == []


def test_pm701_uses_the_configured_deny_patterns(tmp_path: Path, public_text: str) -> None:
    text = public_text.replace("reached every pod", "reached every Project Falcon pod", 1)
    path = tmp_path / GOOD_NAME
    path.write_text(text, encoding="utf-8")
    config = KBConfig(deny_patterns=[r"project\s+falcon"])
    archive = load_archive([path], config, root=tmp_path, runbook_ids=RUNBOOKS, known_ids=KNOWN)
    assert [(d.code, d.line, d.column) for d in archive.diagnostics] == [("PM701", 57, 79)]
    assert "'Project Falcon'" in archive.diagnostics[0].message


def test_pm702_is_for_every_post_mortem(tmp_path: Path, good_text: str) -> None:
    text = good_text.replace("## Lessons learned", "<!-- internal -->\n## Lessons learned", 1)
    assert [(d.code, d.line, d.level) for d in check(tmp_path, text)] == [("PM702", 75, "error")]


def test_leak_allow_accepts_a_string_published_on_purpose(tmp_path: Path, public_text: str) -> None:
    """PM701 reports the ticket key until `leak_allow` names it; a longer key that starts
    with it is still reported (the whole match must be allowed)."""
    text = public_text.replace("owned by the database.", "owned by the database (PAY-99).", 1)
    assert check(tmp_path, text, config=KBConfig(leak_allow=["pay-99"])) == []
    [diagnostic] = check(tmp_path, text, config=KBConfig(leak_allow=["PAY-9"]))
    assert diagnostic.code == "PM701" and "'PAY-99'" in diagnostic.message
