"""`pmkb search` over real files: the index follows the folder, parsing only what changed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.format.archive import find_postmortem_files
from postmortem_kb.search.archive.index import SearchIndex
from postmortem_kb.search.archive.refresh import refresh

from .conftest import GOOD_NAME, RELATED_NAME


def search(project: Path, *args: str):
    return CliRunner().invoke(main, ["search", *args, "-f", str(project / "mkdocs.yml")])


def test_refresh_reindexes_only_changed_files(good_project: Path, tmp_path_factory) -> None:
    folder = good_project / "postmortems"
    cache = tmp_path_factory.mktemp("cache")
    with SearchIndex(cache) as index:
        first = refresh(index, find_postmortem_files([folder]), good_project)
        again = refresh(index, find_postmortem_files([folder]), good_project)
        good = folder / GOOD_NAME
        good.write_text(good.read_text().replace("orders database", "ledger database"))
        (folder / RELATED_NAME).unlink()
        changed = refresh(index, find_postmortem_files([folder]), good_project)
        hits = index.search("ledger")
    assert (first.added, first.unchanged) == (2, 0)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert (changed.updated, changed.removed, changed.unchanged) == (1, 1, 0)
    assert [hit.id for hit in hits] == [GOOD_NAME[:-3]]


def test_search_prints_ranked_results_with_snippets(good_project: Path) -> None:
    result = search(good_project, "too many connections")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("SEV2  2024-11-15  Checkout errors after payments connection pool")
    assert "«" not in result.output and "too many connections" in result.output


def test_search_filters_and_json(good_project: Path) -> None:
    result = search(good_project, "pool", "date:2023", "--json")
    assert result.exit_code == 0, result.output
    [hit] = json.loads(result.output)
    assert hit["id"] == RELATED_NAME[:-3]
    assert any("«" in fragment for fragment in hit["snippet"])
    assert json.loads(search(good_project, "severity:SEV1", "--json").output) == []


def test_a_malformed_query_is_a_usage_error(good_project: Path) -> None:
    result = search(good_project, '"unclosed phrase')
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "Error" in result.output


def test_the_index_lives_in_the_project_cache(good_project: Path) -> None:
    assert search(good_project, "pool").exit_code == 0
    assert any((good_project / ".pmkb" / "search").iterdir())
