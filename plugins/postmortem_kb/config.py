"""The knowledge base's settings: one pydantic model, read from the plugin's entry in mkdocs.yml.

The MkDocs plugin and the CLI both build a `KBConfig` from the same mapping, so the
severity levels and word lists in `mkdocs.yml` are the single source for validation,
badges and the severity page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field


class SeverityLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    meaning: str = ""
    paging: str = ""
    update_cadence: str = ""
    example: str = ""
    color: str = "#607d8b"


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

    model_config = ConfigDict(extra="forbid")

    postmortems_dir: str = Field(
        "postmortems", description="Folder of post-mortems, relative to mkdocs.yml."
    )
    runbooks_dir: str = Field("runbooks", description="Folder of runbooks, relative to docs_dir.")
    severity_levels: list[SeverityLevel] = Field(default_factory=lambda: list(DEFAULT_LEVELS))
    factor_categories: list[str] = Field(
        default_factory=lambda: ["technical", "process", "organizational", "environmental"]
    )
    action_categories: list[str] = Field(
        default_factory=lambda: ["Prevention", "Detection", "Mitigation", "Process"]
    )
    required_sections: list[str] = Field(default_factory=lambda: list(DEFAULT_SECTIONS))
    optional_sections: dict[str, str | None] = Field(
        default_factory=lambda: dict(DEFAULT_OPTIONAL_SECTIONS)
    )
    blame_phrases: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_BLAME_PHRASES))
    min_action_items: int = 3
    max_action_items: int = 7
    stale_draft_days: int = 2
    public: bool = Field(
        False, description="Build the public variant: public post-mortems only, redacted."
    )
    deny_patterns: list[str] = Field(
        default_factory=list, description="Extra regular expressions the public leak check rejects."
    )

    @property
    def level_names(self) -> list[str]:
        return [level.name for level in self.severity_levels]

    def level(self, name: str) -> SeverityLevel | None:
        return next((lv for lv in self.severity_levels if lv.name == name), None)


class _LenientLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose `!!python/name:` and `!ENV` tags we do not need to resolve."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


_LenientLoader.add_multi_constructor("", _ignore_tag)
_LenientLoader.add_multi_constructor("!", _ignore_tag)
_LenientLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def plugin_options(config_file: Path, plugin_name: str = "postmortems") -> dict[str, Any]:
    """The options of our plugin in `config_file`, following MkDocs' `INHERIT`."""
    data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_LenientLoader) or {}
    options: dict[str, Any] = {}
    parent = data.get("INHERIT")
    if parent:
        options.update(plugin_options((config_file.parent / parent).resolve(), plugin_name))
    for entry in data.get("plugins") or []:
        if entry == plugin_name:
            continue
        if isinstance(entry, dict) and plugin_name in entry:
            options.update(entry[plugin_name] or {})
    return options


def docs_dir(config_file: Path) -> Path:
    """The `docs_dir` of `config_file` (following `INHERIT`), as an absolute path."""
    data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_LenientLoader) or {}
    if "docs_dir" in data:
        return (config_file.parent / data["docs_dir"]).resolve()
    if data.get("INHERIT"):
        return docs_dir((config_file.parent / data["INHERIT"]).resolve())
    return (config_file.parent / "docs").resolve()


def load_config(config_file: Path | None) -> KBConfig:
    """The KB settings from `config_file` (mkdocs.yml), or the defaults when there is none."""
    if config_file is None or not config_file.exists():
        return KBConfig()
    return KBConfig.model_validate(plugin_options(config_file))
