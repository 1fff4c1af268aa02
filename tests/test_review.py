"""`pmkb review`: what a pull request's job summary says about each new or changed
post-mortem, run for real on projects in tmp_path (and on git branches for `--base`)."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.project import load_project
from postmortem_kb.review.markdown import cell, review_markdown
from postmortem_kb.review.report import review_files

from .conftest import GOOD_NAME, RELATED_NAME, related_text

TODAY = dt.date(2025, 6, 1)
OTHER_NAME = "2024-02-01-checkout-pool-limits.md"


def other_text(good: str) -> str:
    """An unrelated incident on the same services and failure mode, with its own open item."""
    return (
        good.replace("2024-11-15", "2024-02-01")
        .replace("related: [2023-06-02-payments-db-failover]", "related: []")
        .replace(
            "Checkout errors after payments connection pool exhaustion",
            "Checkout pool limits reached during a sale",
        )
    )


def review(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["review", *args, "-f", str(project / "mkdocs.yml")])
    return result.exit_code, result.stdout, result.stderr


def test_review_lists_diagnostics_similar_incidents_and_related_open_actions(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project(
        {
            GOOD_NAME: good_text.replace("The connection pool size", "Human error: the pool size"),
            RELATED_NAME: related_text(good_text),
            OTHER_NAME: other_text(good_text),
        }
    )
    reviews = review_files(
        load_project(project / "mkdocs.yml"), [project / "postmortems" / GOOD_NAME], today=TODAY
    )
    assert len(reviews) == 1
    (one,) = reviews
    assert [d.code for d in one.diagnostics] == ["PM501"]
    # the related incident is left out of the similar ones: it is linked already
    assert [s.incident.id for s in one.similar] == ["2024-02-01-checkout-pool-limits"]
    assert [(r.incident.id, [i.action for i in r.items]) for r in one.related_actions] == [
        ("2023-06-02-payments-db-failover", ["Run config-only deploys through the canary"])
    ]
    text = review_markdown(reviews)
    assert "1 post-mortem new or changed: 0 error(s), 1 warning(s)." in text
    assert "| 1 | `2024-02-01-checkout-pool-limits` Checkout pool limits reached" in text
    assert "same service: payments-api, checkout-web" in text
    assert "same failure mode: connection-pool-exhaustion, config-change" in text
    assert (
        "| `2023-06-02-payments-db-failover` | Run config-only deploys through the canary "
        "| @lee | 2025-01-15 (overdue) | PLAT-881 |"
    ) in text
    assert "| PM501 |" in text


def test_the_incident_that_names_the_reviewed_one_is_related_not_similar(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project({GOOD_NAME: good_text, RELATED_NAME: related_text(good_text)})
    (one,) = review_files(
        load_project(project / "mkdocs.yml"), [project / "postmortems" / RELATED_NAME], today=TODAY
    )
    assert [r.incident.id for r in one.related_actions] == ["2024-11-15-payments-pool-exhaustion"]
    assert [i.owner for i in one.related_actions[0].items] == ["@lee"]
    assert one.similar == ()  # the near-copy that links to it is not "similar": it is related


def test_table_cells_are_escaped() -> None:
    assert cell("a | b\n<script>x</script> & c") == "a \\| b &lt;script>x&lt;/script> &amp; c"


def test_a_broken_file_is_reviewed_with_its_errors(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project({GOOD_NAME: good_text, "2025-01-01-broken.md": b"---\xff\xfe\n"})
    code, out, _ = review(project, str(project / "postmortems" / "2025-01-01-broken.md"))
    assert code == 0
    assert "### `postmortems/2025-01-01-broken.md`" in out
    assert "| PM001 |" in out
    assert "Most similar" not in out


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def test_base_reviews_the_files_the_branch_adds_or_changes(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project({GOOD_NAME: good_text, RELATED_NAME: related_text(good_text)})
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "change")
    folder = project / "postmortems"
    (folder / OTHER_NAME).write_text(other_text(good_text), encoding="utf-8")
    changed = folder / GOOD_NAME
    changed.write_text(good_text.replace("About 7%", "About 8%"), encoding="utf-8")
    (project / "kb" / "index.md").write_text("# Home\n\nChanged.\n", encoding="utf-8")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "change")
    code, out, _ = review(project, "--base", "main")
    assert code == 0, out
    assert "2 post-mortems new or changed" in out
    headings = [line for line in out.splitlines() if line.startswith("### ")]
    assert headings == [
        "### Checkout pool limits reached during a sale",
        "### Checkout errors after payments connection pool exhaustion",
    ]
    # a branch that deletes a post-mortem has nothing to review
    git(project, "checkout", "-q", "-b", "delete", "main")
    git(project, "rm", "-q", f"postmortems/{RELATED_NAME}")
    git(project, "commit", "-q", "-m", "delete")
    code, out, _ = review(project, "--base", "main")
    assert (code, out) == (0, "## Post-mortem review\n\nNo post-mortem is new or changed.\n")


def test_an_unknown_base_is_one_clear_line(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project({GOOD_NAME: good_text})
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    code, out, err = review(project, "--base", "no-such-branch")
    assert code == 1
    assert err.startswith("Error: git diff no-such-branch...HEAD: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err
