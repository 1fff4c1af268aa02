"""Similar incidents on post-mortem pages and in `pmkb similar`, from real parsed files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.format.parser import parse_text
from postmortem_kb.similarity import profiles
from postmortem_kb.similarity.profiles import incident_profile, similar_incidents

from .conftest import GOOD_NAME, RELATED_NAME, build_site, related_text

THIRD_NAME = "2025-02-03-payments-pool-saturation.md"


def third_text(good: str) -> str:
    """Another pool exhaustion on payments-api, not linked by `related`."""
    return (
        good.replace("2024-11-15", "2025-02-03")
        .replace("related: [2023-06-02-payments-db-failover]", "related: []")
        .replace(
            "Checkout errors after payments connection pool exhaustion",
            "Payments pool saturation at peak",
        )
    )


def unrelated_text(good: str) -> str:
    return (
        good.replace("2024-11-15", "2024-01-05")
        .replace("related: [2023-06-02-payments-db-failover]", "related: []")
        .replace("services: [payments-api, checkout-web]", "services: [search-api]")
        .replace("tags: [connection-pool-exhaustion, config-change]", "tags: [disk-full]")
        .replace(
            "Checkout errors after payments connection pool exhaustion", "Search index disk full"
        )
    )


def parse(text: str, name: str):
    return parse_text(text, Path(name), name).postmortem


def test_profile_is_plain_text_without_handles(good_text: str) -> None:
    profile = incident_profile(parse(good_text, GOOD_NAME))
    assert (
        "max_connections" in profile.text and "`" not in profile.text and "**" not in profile.text
    )
    assert "@" not in profile.text
    assert profile.services == ("payments-api", "checkout-web")
    assert "Config-only deploys skip the canary stage." in profile.factors


def test_similar_incidents_leave_out_the_related_ones(good_text: str) -> None:
    good = parse(good_text, GOOD_NAME)
    others = [
        parse(third_text(good_text), THIRD_NAME),
        parse(unrelated_text(good_text), "2024-01-05-search.md"),
    ]
    earlier = parse(related_text(good_text), RELATED_NAME)
    similar = similar_incidents(
        [good, *others, earlier], {good.id: {earlier.id}, earlier.id: {good.id}}
    )
    ids = [s.id for s in similar[good.id]]
    assert earlier.id not in ids
    assert ids[0] == THIRD_NAME[:-3]
    reasons = similar[good.id][0].describe()
    assert "same service: payments-api, checkout-web" in reasons
    assert "same failure mode: connection-pool-exhaustion" in reasons


def test_post_mortem_page_shows_similar_incidents_with_reasons(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project(
        {
            GOOD_NAME: good_text,
            RELATED_NAME: related_text(good_text),
            THIRD_NAME: third_text(good_text),
        }
    )
    result = build_site(project)
    assert result.returncode == 0, result.stderr
    html = (project / "site" / "postmortems" / GOOD_NAME[:-3] / "index.html").read_text()
    similar = html[html.index('id="pmkb-similar"') : html.index('id="pmkb-runbooks"')]
    assert "Payments pool saturation at peak" in similar
    assert "same failure mode: connection-pool-exhaustion" in similar
    assert "Payments database failover" not in similar  # already listed as related
    assert 'href="../2025-02-03-payments-pool-saturation/"' in similar


def test_pmkb_similar_on_a_draft_outside_the_archive(
    good_project: Path, good_text: str, tmp_path_factory
) -> None:
    draft = tmp_path_factory.mktemp("drafts") / THIRD_NAME
    draft.write_text(third_text(good_text).replace("status: published", "status: draft"))
    runner = CliRunner()
    args = ["similar", str(draft), "-f", str(good_project / "mkdocs.yml")]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("1. 2024-11-15-payments-pool-exhaustion  SEV2")
    data = json.loads(runner.invoke(main, [*args, "--json"]).output)
    assert [d["id"] for d in data] == [
        "2024-11-15-payments-pool-exhaustion",
        "2023-06-02-payments-db-failover",
    ]
    assert {"kind": "same service", "items": ["payments-api", "checkout-web"]} in data[0]["reasons"]


def test_similar_incidents_one_by_one_then_in_one_batch(good_text: str) -> None:
    """`similar_incidents` computes the first rows asked for one by one (a dirty rebuild
    renders one page) and the rest in one batch; either way each row is the same as
    the whole archive's, here with more post-mortems than `ROWS_ALONE`."""
    services = ["payments-api", "checkout-web", "search-api"]
    archive = [
        parse(
            third_text(good_text)
            .replace("2025-02-03", f"2025-03-{day:02d}")
            .replace("payments-api", services[day % 3]),
            f"2025-03-{day:02d}-incident.md",
        )
        for day in range(1, profiles.ROWS_ALONE + 6)
    ]
    lazy = similar_incidents(archive, {})
    whole = profiles.SimilarityIndex.build(incident_profile(pm) for pm in archive).top_k(5)
    assert len(lazy) == len(archive) and set(lazy) == set(whole)
    for pm in reversed(archive):  # alone first, then the batch fills the rest
        assert lazy[pm.id] == whole[pm.id]
    assert any(lazy[pm.id] for pm in archive)
    assert lazy.get("not-an-incident") is None
