"""The knowledge base's settings: one pydantic model, read from the plugin's entry in mkdocs.yml.

The MkDocs plugin and the CLI both build a `KBConfig` from the same mapping, so the
severity levels and word lists in `mkdocs.yml` are the single source for validation,
badges and the severity page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import mergedeep  # MkDocs' own dependency, for INHERIT's merge
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from postmortem_kb.trackers.settings import TrackerSettings, check_unique_labels


class SeverityLevel(BaseModel):
    """One severity level, as the severity page explains it and the badges show it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The value of `severity` in the front matter, e.g. SEV1.")
    meaning: str = Field("", description="What makes an incident this severe.")
    paging: str = Field("", description="Who is paged, and how fast.")
    update_cadence: str = Field("", description="How often stakeholders hear of it.")
    example: str = Field("", description="An incident of this level.")
    color: str = Field("#607d8b", description="The badge colour (the text colour follows).")


DEFAULT_LEVELS = [
    SeverityLevel(
        name="SEV1",
        meaning="Critical: a core customer journey (checkout, login, payments) is down or "
        "data is lost or exposed, for many customers.",
        paging="Pages the on-call and the incident commander rota at once; "
        "engineering leadership within 15 minutes.",
        update_cadence="Status page and stakeholders every 30 minutes.",
        example="Checkout fails for all customers in a region.",
        color="#b71c1c",
    ),
    SeverityLevel(
        name="SEV2",
        meaning="Major: a core journey is degraded, or a secondary feature is down, "
        "for a significant share of customers.",
        paging="Pages the owning team's on-call at once.",
        update_cadence="Stakeholders every hour; status page if customers notice.",
        example="7% of payment attempts time out for 45 minutes.",
        color="#e65100",
    ),
    SeverityLevel(
        name="SEV3",
        meaning="Minor: limited customer impact, or a failing internal system with a workaround.",
        paging="Pages the owning team's on-call during working hours; a ticket otherwise.",
        update_cadence="A summary in the team channel when resolved.",
        example="Search suggestions are stale for two hours.",
        color="#f9a825",
    ),
    SeverityLevel(
        name="SEV4",
        meaning="Low: no customer impact; a near miss or a degraded internal tool.",
        paging="No page; a ticket for the owning team.",
        update_cadence="None required.",
        example="A nightly report job runs four hours late.",
        color="#1565c0",
    ),
]

DEFAULT_SECTIONS = [
    "Summary",
    "Impact",
    "Timeline",
    "Root cause",
    "Contributing factors",
    "What went well",
    "What went badly",
    "Action items",
    "Lessons learned",
]

# Optional sections and the required section each one follows.
DEFAULT_OPTIONAL_SECTIONS = {
    "Public summary": None,
    "Detection": "Timeline",
    "Five whys": "Root cause",
    "Where we got lucky": "What went badly",
}

# Phrase (a regular expression, matched case-insensitively on word boundaries) -> systemic rewording.
DEFAULT_BLAME_PHRASES = {
    r"should have": "describe what the system or process made hard, e.g. "
    "'the runbook did not say to check X'",
    r"human error": "name the missing safeguard, e.g. 'the console allowed the change without review'",
    r"careless(?:ly|ness)?": "describe the conditions, e.g. 'the two commands look alike'",
    r"fault of": "describe the contributing conditions instead of a person",
    r"(?:is|was|were) to blame|blamed?": "describe how the system allowed the failure",
    r"negligen(?:t|ce)": "describe the missing guardrail",
    r"forgot to": "name the step the process did not enforce, e.g. 'no check ensured X'",
    r"failed to notice": "describe what hid the signal, e.g. 'the alert went to an unwatched channel'",
    r"didn't bother|did not bother": "describe the incentive or friction that made the step skippable",
}


class KBConfig(BaseModel):
    """Settings for validation and the site. Every option has a default that fits most teams."""

    # Errors name the option and say what is wrong; they never echo the value, which may be
    # a token pasted where an environment variable's name belongs (`trackers`).
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    postmortems_dir: str = Field(
        "postmortems", description="Folder of post-mortems, relative to mkdocs.yml."
    )
    runbooks_dir: str = Field("runbooks", description="Folder of runbooks, relative to docs_dir.")
    url_prefix: str = Field(
        "",
        description="Folder of the site under which every page the plugin adds lives (the "
        "listings, the post-mortems, the generated severity page), e.g. `incident-kb/` in an "
        "existing site; empty (the default): at the site's root.",
    )
    severity_page: bool | str = Field(
        True,
        description="The page that says what the severity levels mean: true generates it "
        "(`<url_prefix>severity-levels.md`); a page of docs_dir (e.g. `handbook/severity.md`) "
        "links the site's own page instead; false: no severity page, and no links to one.",
    )
    severity_levels: list[SeverityLevel] = Field(
        default_factory=lambda: list(DEFAULT_LEVELS),
        description="The severity levels, most severe first (SEV1 to SEV4 by default): the "
        "values `severity` may take, their badges, and the severity page.",
    )
    factor_categories: list[str] = Field(
        default_factory=lambda: ["technical", "process", "organizational", "environmental"],
        description="The categories a contributing factor may have (PM109).",
    )
    action_categories: list[str] = Field(
        default_factory=lambda: ["Prevention", "Detection", "Mitigation", "Process"],
        description="The categories an action item may have (PM403).",
    )
    required_sections: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SECTIONS),
        description="The H2 sections every post-mortem has, in this order (PM201, PM202).",
    )
    optional_sections: dict[str, str | None] = Field(
        default_factory=lambda: dict(DEFAULT_OPTIONAL_SECTIONS),
        description="Sections a post-mortem may add, each with the required section it "
        "follows (null: first); any other H2 is a warning (PM203).",
    )
    blame_phrases: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_BLAME_PHRASES),
        description="Blame-oriented phrases (regular expressions, any case, whole words) "
        "and the systemic rewording each warning suggests (PM501).",
    )
    min_action_items: int = Field(
        3, ge=0, description="Fewer action items than this is a warning (PM408)."
    )
    max_action_items: int = Field(
        7, ge=1, description="More action items than this is a warning (PM408)."
    )
    stale_draft_days: int = Field(
        2,
        ge=0,
        description="A draft whose incident was resolved longer ago than this is a "
        "warning (PM502).",
    )
    action_completion_threshold: float = Field(
        0.70,
        ge=0,
        le=1,
        description="The action items' completion and on-time rates (fractions) below which "
        "the ledger, the dashboard and `pmkb actions` show a warning.",
    )
    learning_pages: bool = Field(
        True,
        description="Add the Learning pages (dashboard, action-item ledger, recurring "
        "factors, monthly digests), the Atom feed `feed.xml` of new post-mortems, the export "
        "`incidents.json` (internal site), and on "
        "each post-mortem page the open action items of its related incidents; false "
        "leaves them all out.",
    )
    public_metrics: bool = Field(
        False,
        description="On the public site, publish the dashboard with aggregate figures of "
        "the public post-mortems only (counts, durations, rates: no owner, action text or "
        "factor description); false (the default): the public site has no Learning pages.",
    )
    site_search: bool = Field(
        True,
        description="Write the site search's index and show the search dialog; false "
        "leaves the site without search, or with Material's if its `search` plugin is on.",
    )
    render_cache: bool = Field(
        True,
        description="Keep each page's rendered HTML in `.pmkb/render/` (content-addressed: "
        "keyed by its Markdown, its place and the build's settings and versions), so a "
        "build renders only the pages that changed; each finished page in `.pmkb/pages/` "
        "(keyed by everything its template sees: the page, the nav, the settings, the "
        "templates), so the theme's template renders only the pages whose context changed; "
        "and the site search's terms of each page in `.pmkb/search/`, so it tokenizes only "
        "the pages that changed. Safe to delete. false renders and tokenizes every page "
        "every time.",
    )
    check_cache: bool = Field(
        True,
        description="Keep each post-mortem's parse and checks in `.pmkb/checks/` (keyed by "
        "the file's bytes, these options and the plugin's code; checked again on another build "
        "date), so `mkdocs build` and `pmkb check` parse and check only the files that "
        "changed; safe to delete. false checks every file every time.",
    )
    offline: bool = Field(
        True,
        description="The site makes no request to another host: the plugin turns Material's "
        "web fonts off (`theme.font: false`; Google Fonts otherwise) and warns about "
        "`extra_css`/`extra_javascript` on other hosts. false leaves the theme's fonts alone.",
    )
    public: bool = Field(
        False, description="Build the public variant: public post-mortems only, redacted."
    )
    deny_patterns: list[str] = Field(
        default_factory=list,
        description="Extra regular expressions (matched case-insensitively) that the public "
        "leak check rejects and `pmkb check` warns about in public post-mortems (PM701).",
    )
    leak_allow: list[str] = Field(
        default_factory=list,
        description="Strings published on purpose that the leak check and PM701 would "
        "otherwise reject (e.g. a public status-page ticket key or a support handle); "
        "compared case- and whitespace-insensitively with the whole match.",
    )
    public_pages: list[str] = Field(
        default_factory=lambda: ["index.md"],
        description="Pages of docs_dir (source paths, `fnmatch` patterns such as "
        "`policies/*.md`) that the public site keeps; every other page of docs_dir is left "
        "out, and so is everything under `runbooks_dir`. The generated pages (incident "
        "listings, severity levels) follow the post-mortems' visibility instead.",
    )
    public_home: str | None = Field(
        None,
        description="A page of docs_dir that is the public site's home page (served as "
        "`index.md` there) and is left out of the internal site, e.g. `public-index.md`.",
    )

    trackers: list[TrackerSettings] = Field(
        default_factory=list,
        description="Issue trackers (Jira, GitHub, GitLab) holding the action items' tickets: "
        "`pmkb tickets --refresh` caches their state in .pmkb/tickets.json, and the ledger "
        "and `pmkb check` read that cache (the build never calls a tracker).",
    )

    _unique_trackers = field_validator("trackers")(check_unique_labels)

    @field_validator("url_prefix")
    @classmethod
    def _folder(cls, prefix: str) -> str:
        """`incident-kb`, `/incident-kb/` -> `incident-kb/`; empty stays empty."""
        folder = prefix.strip().strip("/")
        if folder and not _relative_path(folder):
            raise ValueError(f"{prefix!r} is not a folder path such as 'incident-kb/'")
        return f"{folder}/" if folder else ""

    @field_validator("severity_page")
    @classmethod
    def _page(cls, page: bool | str) -> bool | str:
        if isinstance(page, str) and not (page.endswith(".md") and _relative_path(page)):
            raise ValueError(f"{page!r} is not a page of docs_dir such as 'handbook/severity.md'")
        return page

    @field_validator("deny_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"{pattern!r} is not a regular expression: {err}") from err
        return patterns

    @property
    def level_names(self) -> list[str]:
        return [level.name for level in self.severity_levels]

    def level(self, name: str) -> SeverityLevel | None:
        return next((lv for lv in self.severity_levels if lv.name == name), None)


_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


def _relative_path(path: str) -> bool:
    """Whether `path` is a plain relative path: `/`-separated names, no `.` or `..`."""
    segments = path.split("/")
    return all(_PATH_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments)


class _LenientLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose `!!python/name:` and `!ENV` tags we do not need to resolve."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


_LenientLoader.add_multi_constructor("", _ignore_tag)
_LenientLoader.add_multi_constructor("!", _ignore_tag)
_LenientLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def merged_config(config_file: Path) -> dict[str, Any]:
    """The raw data of `config_file`, merged into its `INHERIT` parents as MkDocs does it
    (`mergedeep`: mappings are merged key by key, anything else, lists included, is replaced)."""
    data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_LenientLoader) or {}
    parent = data.pop("INHERIT", None)
    if not parent:
        return data
    return mergedeep.merge(merged_config((config_file.parent / parent).resolve()), data)


def plugin_options(config_file: Path, plugin_name: str = "postmortems") -> dict[str, Any]:
    """The options of our plugin in `config_file`, following MkDocs' `INHERIT`.

    `plugins` is a list (`- postmortems: {...}`) or a mapping (`postmortems: {...}`). Only
    the mapping form lets a child such as `mkdocs.public.yml` change one option
    (`postmortems: {public: true}`) and keep the others: a child's list replaces its parent's.
    """
    plugins = merged_config(config_file).get("plugins") or []
    entries = (
        [{name: cfg} for name, cfg in plugins.items()] if isinstance(plugins, dict) else plugins
    )
    options: dict[str, Any] = {}
    for entry in entries:
        if isinstance(entry, dict) and plugin_name in entry:
            options.update(entry[plugin_name] or {})
    return options


def docs_dir(config_file: Path) -> Path:
    """The `docs_dir` of `config_file` (following `INHERIT`), as an absolute path."""
    return (config_file.parent / merged_config(config_file).get("docs_dir", "docs")).resolve()


def load_config(config_file: Path | None) -> KBConfig:
    """The KB settings from `config_file` (mkdocs.yml), or the defaults when there is none."""
    if config_file is None or not config_file.exists():
        return KBConfig()
    return KBConfig.model_validate(plugin_options(config_file))
