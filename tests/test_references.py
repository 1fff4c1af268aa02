"""Explicit references: a post-mortem whose text names another incident of the archive.

`pmkb check` suggests adding it to `related` (PM604, the line to write as the hint) and the
page lists it under related incidents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from postmortem_kb.config import KBConfig
from postmortem_kb.project import load_project
from postmortem_kb.public.publish import public_archive
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.site.listings import build_listings

from .conftest import GOOD_NAME, RELATED_NAME, build_site, pmkb, related_text

GOOD_ID = GOOD_NAME.removesuffix(".md")
RELATED_ID = RELATED_NAME.removesuffix(".md")
OTHER_ID = "2023-06-02-search-disk-full"
OTHER_TITLE = "Search cluster ran out of disk"


def other_text(good: str) -> str:
    """A third incident, linked with neither of the fixture's two."""
    return related_text(good).replace("Payments database failover", OTHER_TITLE)


def with_summary_line(good: str, line: str) -> str:
    """The fixture with `line` added to its Summary (the 3rd line of the section)."""
    return good.replace("## Summary\n\n", f"## Summary\n\n{line}\n\n", 1)


def check_json(project: Path) -> list[dict]:
    result = pmkb("check", "--format", "json", cwd=project)
    assert "Traceback" not in result.stderr, result.stderr
    return [d for d in json.loads(result.stdout) if d["code"] == "PM604"]


@pytest.fixture
def project_with(make_project: Callable[..., Path], good_text: str) -> Callable[[str, str], Path]:
    """A project of the fixture (with `line` in its Summary), its related incident (with
    `related_line` in its Summary) and a third, unlinked incident."""

    def make(line: str, related_line: str = "") -> Path:
        related = related_text(good_text)
        if related_line:
            related = with_summary_line(related, related_line)
        return make_project(
            {
                GOOD_NAME: with_summary_line(good_text, line),
                RELATED_NAME: related,
                f"{OTHER_ID}.md": other_text(good_text),
            }
        )

    return make


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (f"It looked like {OTHER_ID} at first.", "its id"),
        (f"It looked like {OTHER_ID}.", "its id"),  # a full stop after the id
        (f"See `x` and {OTHER_ID}.md for the earlier one.", "its source file"),
        (f"It looked like [the disk incident](../{OTHER_ID}/).", "a link to it"),
        (f"It looked like <https://kb.example.com/postmortems/{OTHER_ID}/>.", "a link to it"),
        (f"It looked like the\n{OTHER_TITLE.lower()} incident.", "its title"),  # across lines
    ],
    ids=["id", "id-full-stop", "source-file", "page-link", "url", "title"],
)
def test_each_kind_of_reference_is_a_warning_with_the_line_to_add(
    project_with: Callable[..., Path], line: str, kind: str
) -> None:
    project = project_with(line)
    found = check_json(project)
    assert len(found) == 1, found
    (diagnostic,) = found
    assert diagnostic["level"] == "warning"
    assert diagnostic["path"].endswith(GOOD_NAME)
    # the fixture's front matter ends on line 32; "## Summary", a blank, then our line(s):
    # the title case starts its title on the second of them
    assert diagnostic["line"] == (36 if kind == "its title" else 35)
    assert diagnostic["message"] == (
        f"the text names {OTHER_ID} ({kind}) but `related` does not list it"
    )
    # the fixture already lists its related incident: the hint is the whole new line
    assert diagnostic["hint"] == f"related: [{RELATED_ID}, {OTHER_ID}]"


def test_the_hint_applied_silences_the_warning(project_with: Callable[..., Path]) -> None:
    project = project_with(f"It looked like {OTHER_ID} at first.")
    (diagnostic,) = check_json(project)
    path = project / "postmortems" / GOOD_NAME
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"related: [{RELATED_ID}]", diagnostic["hint"]), "utf-8")
    assert check_json(project) == []
    assert pmkb("check", cwd=project).returncode == 0


@pytest.mark.parametrize(
    ("line", "related_line"),
    [
        (f"This is {GOOD_ID}, written up once.", ""),  # itself, by id
        ("Checkout errors after payments connection pool exhaustion, again.", ""),  # own title
        (f"Same pool as {RELATED_ID}.", ""),  # already in its `related`
        ("", f"Followed by {GOOD_ID}."),  # the other lists this one: linked already
        (f"The log said `{OTHER_ID}` only.", ""),  # inline code
        (f"Logs:\n\n```\n{OTHER_ID}\n{OTHER_TITLE}\n```", ""),  # fenced code
        (f"See {OTHER_ID}-followup, a different id.", ""),  # a longer token is not the id
        ("Search cluster ran out of memory.", ""),  # not the whole title
    ],
    ids=[
        "self-id",
        "self-title",
        "related",
        "related-reverse",
        "inline-code",
        "fenced-code",
        "longer-token",
        "partial-title",
    ],
)
def test_no_warning_for_what_is_no_new_reference(
    project_with: Callable[..., Path], line: str, related_line: str
) -> None:
    assert check_json(project_with(line, related_line)) == []


def test_a_reference_to_a_file_not_checked_counts_by_its_id(
    project_with: Callable[..., Path],
) -> None:
    project = project_with(f"It looked like {OTHER_ID} at first.")
    result = pmkb("check", "--format", "json", f"postmortems/{GOOD_NAME}", cwd=project)
    codes = [d["code"] for d in json.loads(result.stdout)]
    assert codes == ["PM604"]


def test_the_page_lists_a_named_incident_under_related_both_ways(
    project_with: Callable[..., Path],
) -> None:
    project = project_with(f"It looked like {OTHER_ID} at first.")
    result = build_site(project, strict=False)
    assert result.returncode == 0, result.stderr
    assert "PM604" in result.stderr  # the build reports it as the check does

    def related(page_id: str) -> str:
        html = (project / "site" / "postmortems" / page_id / "index.html").read_text("utf-8")
        start = html.index('id="pmkb-related"')
        return html[start : html.index("</ul>", start)]

    naming = related(GOOD_ID)
    assert f'<a href="../{OTHER_ID}/">{OTHER_TITLE}</a>' in naming
    assert '<div class="pmkb-why">named in the text, not in related</div>' in naming
    # the incident listed in `related` shows no such note
    assert naming.count("pmkb-why") == 1
    named = related(OTHER_ID)
    assert ">Checkout errors after payments connection pool exhaustion</a>" in named
    assert "No related incidents recorded." not in named
    # shown as related, so not again among the similar incidents
    html = (project / "site" / "postmortems" / GOOD_ID / "index.html").read_text("utf-8")
    similar = html[html.index('id="pmkb-similar"') :]
    assert f'href="../{OTHER_ID}/"' not in similar.split('id="pmkb-runbooks"')[0]


def test_the_public_site_links_no_incident_named_only_inside_an_internal_block(
    project_with: Callable[..., Path],
) -> None:
    project = project_with(
        f"Named in public: {RELATED_ID}.\n\n<!-- internal -->\n"
        f"Same people as {OTHER_ID}.\n<!-- /internal -->"
    )
    for path in (project / "postmortems").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("visibility: internal", "visibility: public"), "utf-8")
    archive = load_project_archive(load_project(project / "mkdocs.yml"))
    internal = build_listings(archive.postmortems, KBConfig())
    public = build_listings(public_archive(archive).postmortems, KBConfig())
    assert OTHER_ID in internal.named[GOOD_ID]
    assert OTHER_ID not in public.named.get(GOOD_ID, ())
    assert RELATED_ID in public.named[GOOD_ID]  # text outside the block still counts
