"""The public site's selection and redaction, without MkDocs: `public.py`, the public header,
the public listings, the configuration (`INHERIT`) and the leak check's sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from postmortem_kb.config import KBConfig, plugin_options
from postmortem_kb.project import load_project
from postmortem_kb.public.leak_check import leak_sources
from postmortem_kb.public.publish import (
    is_public,
    link_filter,
    public_archive,
    public_docs_uri,
    public_lead,
    public_page_markdown,
    public_page_meta,
    without_section,
)
from postmortem_kb.rules.archive import load_archive, load_project_archive
from postmortem_kb.site.kb_site import KBSite

from .conftest import GOOD_NAME, RELATED_NAME, related_text

TODAY = dt.date(2026, 1, 1)
GOOD_ID, RELATED_ID = GOOD_NAME[:-3], RELATED_NAME[:-3]
DRAFT_NAME = "2024-12-01-payments-review.md"

INTERNAL_BLOCK = (
    "!!! internal\n    The pool ran on db-zq-07.corp.example.net; Zephyr Quartz escalated.\n"
)
PUBLIC_SUMMARY = (
    "## Public summary\n\nSome customers could not check out for 49 minutes.\n"
    "No data was exposed.\n\nWe fixed the pool size.\n\n"
)


def public_variant(good: str) -> str:
    """The good fixture as a public post-mortem with an internal block and a public summary."""
    return (
        good.replace("visibility: internal", "visibility: public")
        .replace("## Summary\n", PUBLIC_SUMMARY + "## Summary\n")
        .replace("## Root cause\n\n", f"## Root cause\n\n{INTERNAL_BLOCK}\n")
    )


@pytest.fixture
def archive(tmp_path: Path, good_text: str):  # type: ignore[no-untyped-def]
    """A public post-mortem, the internal one it names in `related`, and a public draft."""
    files = {
        GOOD_NAME: public_variant(good_text),
        RELATED_NAME: related_text(good_text),
        DRAFT_NAME: good_text.replace("2024-11-15", "2024-12-01")
        .replace("status: published", "status: in-review")
        .replace("visibility: internal", "visibility: public"),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = sorted(tmp_path / name for name in files)
    return load_archive(paths, KBConfig(), root=tmp_path, runbook_ids=None, today=TODAY)


# --- the archive ----------------------------------------------------------------------


def test_only_public_published_post_mortems_are_kept(archive) -> None:  # type: ignore[no-untyped-def]
    assert [pm.id for pm in archive.postmortems if is_public(pm)] == [GOOD_ID]
    assert [pm.id for pm in public_archive(archive).postmortems] == [GOOD_ID]


def test_the_public_copy_has_no_internal_content(archive) -> None:  # type: ignore[no-untyped-def]
    original = next(pm for pm in archive.postmortems if pm.id == GOOD_ID)
    [pm] = public_archive(archive).postmortems
    assert (pm.meta.authors, pm.meta.channel, pm.meta.runbooks) == ([], None, [])
    assert pm.meta.roles.model_dump() == dict.fromkeys(pm.meta.roles.model_dump())
    assert pm.meta.related == []  # the related incident is internal
    assert {(a.owner, a.ticket) for a in pm.action_items} == {("", "")}
    assert pm.yaml.data == {}
    assert "db-zq-07" not in pm.markdown and "Zephyr" not in pm.markdown
    assert "db-zq-07" in original.markdown and original.meta.authors == ["@dana", "@lee"]
    assert pm.body.section("Root cause") is not None
    assert "| Action | Category | Due | Status |" in pm.markdown
    assert [entry.time for entry in pm.timeline] == [entry.time for entry in original.timeline]


def test_related_keeps_public_incidents(archive, good_text: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = related_text(good_text).replace("visibility: internal", "visibility: public")
    (tmp_path / RELATED_NAME).write_text(other, encoding="utf-8")
    paths = sorted(tmp_path.glob("*.md"))
    full = load_archive(paths, KBConfig(), root=tmp_path, runbook_ids=None, today=TODAY)
    by_id = public_archive(full).by_id()
    assert by_id[GOOD_ID].meta.related == [RELATED_ID]


def test_public_site_lists_no_runbooks_and_counts_only_public(archive) -> None:  # type: ignore[no-untyped-def]
    shown = public_archive(archive)
    runbooks = {"database-connection-saturation": "runbooks/database-connection-saturation.md"}
    site = KBSite(shown.newest_first(), KBConfig(), runbook_uris=runbooks, today=TODAY, public=True)
    assert "runbooks" not in site.listings.groups
    uris = [page.src_uri for page in site.generated_pages()]
    assert not any(uri.startswith("incidents/runbooks/") for uri in uris)
    assert site.action_summary.open == 1  # the public post-mortem's one open item, only
    internal = KBSite(archive.newest_first(), KBConfig(), runbook_uris=runbooks, today=TODAY)
    assert internal.action_summary.open == 3
    assert "incidents/runbooks/index.md" in [p.src_uri for p in internal.generated_pages()]


# --- the page ---------------------------------------------------------------------------


def test_public_header_has_no_roles_authors_channel_or_runbooks(archive) -> None:  # type: ignore[no-untyped-def]
    shown = public_archive(archive)
    runbooks = {"database-connection-saturation": "runbooks/database-connection-saturation.md"}
    site = KBSite(shown.newest_first(), KBConfig(), runbook_uris=runbooks, today=TODAY, public=True)
    header = site.header(f"postmortems/{GOOD_ID}.md")
    assert header is not None and header.public
    assert (header.roles, header.authors, header.channel, header.runbooks) == ((), (), None, ())
    assert header.related == ()
    assert header.lead == (
        "Some customers could not check out for 49 minutes. No data was exposed.",
        "We fixed the pool size.",
    )


def test_the_public_variant_is_a_parameter_of_the_header(archive) -> None:  # type: ignore[no-untyped-def]
    """Even given the unredacted post-mortem, the public header shows no internal field."""
    runbooks = {"database-connection-saturation": "runbooks/database-connection-saturation.md"}
    site = KBSite(archive.newest_first(), KBConfig(), runbook_uris=runbooks, today=TODAY)
    internal = site.header(f"postmortems/{GOOD_ID}.md")
    assert internal is not None and not internal.public
    assert internal.authors == ("@dana", "@lee") and internal.channel and internal.runbooks
    site.public = True
    site._headers.clear()
    public = site.header(f"postmortems/{GOOD_ID}.md")
    assert public is not None
    assert (public.roles, public.authors, public.channel, public.runbooks) == ((), (), None, ())


def test_lead_from_the_field_when_there_is_no_section(archive) -> None:  # type: ignore[no-untyped-def]
    [pm] = public_archive(archive).postmortems
    pm.body = pm.body.__class__((), pm.body.line, ())
    pm.meta = pm.meta.model_copy(update={"public_summary": "  One   line\nfor readers. "})
    assert public_lead(pm) == ("One line for readers.",)
    pm.meta = pm.meta.model_copy(update={"public_summary": None})
    assert public_lead(pm) == ()


def test_public_page_markdown_cuts_blocks_columns_links_and_the_public_summary() -> None:
    markdown = (
        PUBLIC_SUMMARY
        + "## Summary\n\nSee [the runbook](../runbooks/db.md), [the other incident](other.md) "
        "and [the status page](https://status.example.com/).\n\n"
        + INTERNAL_BLOCK
        + "\n<!-- internal -->\nObsidian Harbour escalated.\n<!-- /internal -->\n\n"
        "## Action items\n\n| Action | Category | Owner | Due | Ticket |\n|---|---|---|---|---|\n"
        "| Alert | Detection | @dana | 2024-12-01 | PAY-1 |\n"
    )
    keep = link_filter("postmortems/pm.md", {"postmortems/pm.md"})
    public = public_page_markdown(markdown, keep)
    assert "Public summary" not in public and "No data was exposed" not in public
    assert "See the runbook, the other incident and [the status page](" in public
    for secret in ("db-zq-07", "Zephyr", "Obsidian", "@dana", "PAY-1", "internal"):
        assert secret not in public
    assert "| Alert | Detection | 2024-12-01 |" in public


def test_without_section_leaves_code_blocks_alone() -> None:
    markdown = "## A\n\n```\n## Public summary\n```\n\n## Public summary\n\nx\n\n## B\n\ny\n"
    assert (
        without_section(markdown, "Public summary")
        == "## A\n\n```\n## Public summary\n```\n\n## B\n\ny\n"
    )
    assert without_section("## B\n", "Public summary") == "## B\n"


def test_public_page_meta_keeps_the_title_only() -> None:
    meta = {"title": "T", "authors": ["@dana"], "channel": "#inc", "visibility": "public"}
    assert public_page_meta(meta) == {"title": "T"}


SITE = {
    "postmortems/a.md",
    "postmortems/b.md",
    "incidents/index.md",
    "incidents/services/api/index.md",
    "severity-levels.md",
    "assets/logo.png",
}


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("b.md", True),
        ("b.md#timeline", True),
        ("../incidents/index.md", True),
        ("../incidents/", True),
        ("../incidents/services/api/", True),
        ("../severity-levels/", True),
        ("/severity-levels.md", True),
        ("../assets/logo.png", True),
        ("#summary", True),
        ("https://status.example.com/", True),
        ("//cdn.example.com/x.js", True),
        ("mailto:x@example.com", True),
        ("c.md", False),  # an internal post-mortem
        ("../runbooks/db.md", False),
        ("../how-to-write.md", False),
        ("../../secret.md", False),
        ("../incidents/runbooks/", False),
    ],
)
def test_link_filter(target: str, kept: bool) -> None:
    assert link_filter("postmortems/a.md", SITE)(target) is kept


CONFIG = KBConfig(public_pages=["index.md", "policies/*.md"], public_home="public-index.md")


@pytest.mark.parametrize(
    ("src_uri", "is_page", "public", "internal"),
    [
        ("index.md", True, None, "index.md"),  # the public home replaces it
        ("public-index.md", True, "index.md", None),
        ("policies/disclosure.md", True, "policies/disclosure.md", "policies/disclosure.md"),
        ("how-to-write.md", True, None, "how-to-write.md"),
        ("runbooks/index.md", True, None, "runbooks/index.md"),
        ("runbooks/diagram.png", False, None, "runbooks/diagram.png"),
        ("images/logo.png", False, "images/logo.png", "images/logo.png"),
    ],
)
def test_docs_files_per_variant(
    src_uri: str, is_page: bool, public: str | None, internal: str | None
) -> None:
    from postmortem_kb.public.publish import internal_docs_uri

    assert public_docs_uri(src_uri, CONFIG, is_page=is_page) == public
    assert internal_docs_uri(src_uri, CONFIG) == internal


def test_without_a_public_home_the_allowed_index_is_the_home() -> None:
    assert public_docs_uri("index.md", KBConfig(), is_page=True) == "index.md"
    assert public_docs_uri("how-to-write.md", KBConfig(), is_page=True) is None


# --- configuration ------------------------------------------------------------------------


def test_inherit_merges_plugin_mappings_and_replaces_lists(tmp_path: Path) -> None:
    """As MkDocs does (mergedeep): the child's `postmortems: {public: true}` keeps the
    parent's other options when both are mappings; a child's list replaces the parent's."""
    (tmp_path / "mkdocs.yml").write_text(
        "docs_dir: kb\nplugins:\n  search: {}\n  postmortems:\n    public_home: p.md\n"
        "    deny_patterns: [falcon]\n",
        encoding="utf-8",
    )
    (tmp_path / "mkdocs.public.yml").write_text(
        "INHERIT: mkdocs.yml\nplugins:\n  postmortems:\n    public: true\n", encoding="utf-8"
    )
    (tmp_path / "list.yml").write_text(
        "INHERIT: mkdocs.yml\nplugins:\n  - postmortems:\n      public: true\n", encoding="utf-8"
    )
    public = plugin_options(tmp_path / "mkdocs.public.yml")
    assert public == {"public_home": "p.md", "deny_patterns": ["falcon"], "public": True}
    assert plugin_options(tmp_path / "list.yml") == {"public": True}
    project = load_project(tmp_path / "mkdocs.public.yml")
    assert project.config.public and project.docs_dir == (tmp_path / "kb").resolve()


def test_invalid_deny_pattern_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        KBConfig(deny_patterns=["(unclosed"])


# --- the leak check's sources ---------------------------------------------------------------


def test_leak_sources_name_internal_things_and_spare_public_ones(
    tmp_path: Path, good_text: str
) -> None:
    kb = tmp_path / "kb"
    (kb / "runbooks").mkdir(parents=True)
    (kb / "index.md").write_text("# Home\n\nAsk in #sre-zq-help or vault-07.zq.example.\n")
    (kb / "public-index.md").write_text("# History\n\nOur payments-api and checkout-web.\n")
    (kb / "runbooks" / "pool-saturation.md").write_text("# Pool\n\nSSH to pgb-zq-01.\n")
    (tmp_path / "mkdocs.yml").write_text(
        "docs_dir: kb\nplugins:\n  postmortems:\n    public_home: public-index.md\n"
    )
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / GOOD_NAME).write_text(public_variant(good_text))
    internal = related_text(good_text).replace(
        "tags: [connection-pool-exhaustion, config-change]",
        "tags: [connection-pool-exhaustion, zq-secret-mode]",
    )
    (folder / RELATED_NAME).write_text(internal)
    project = load_project(tmp_path / "mkdocs.yml")
    sources = leak_sources(project, load_project_archive(project, today=TODAY))
    terms = sources.terms
    expected = {
        "Payments database failover",  # an internal title
        RELATED_ID,  # an internal id
        "zq-secret-mode",  # a failure mode of internal incidents only
        "pool-saturation",  # a runbook id
        "db-zq-07.corp.example.net",  # an internal block
        "Zephyr Quartz",
        "vault-07.zq.example",  # the internal home page
        "pgb-zq-01",  # a runbook page
        "PAY-1432",  # a ticket of the public post-mortem
    }
    assert expected <= terms, expected - terms
    for public in ("connection-pool-exhaustion", "payments-api", "checkout-web", "config-change"):
        assert public not in terms
    assert f"postmortems/{GOOD_NAME}" in sources.files and "kb/index.md" in sources.files
