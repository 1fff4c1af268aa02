"""The front matter of a post-mortem, as pydantic models.

Fields are typed here, but optional: whether a missing field is an error or (for a draft)
a warning depends on the status, so `checks.required_fields` decides that. Values the
configuration constrains (severity levels, factor categories) are checked there too.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from postmortem_kb.format.vocabulary import Status, Visibility

REQUIRED_FIELDS: tuple[tuple[str, ...], ...] = (
    ("title",),
    ("date",),
    ("severity",),
    ("status",),
    ("services",),
    ("tags",),
    ("authors",),
    ("timestamps",),
    ("timestamps", "started"),
    ("timestamps", "detected"),
    ("timestamps", "mitigated"),
    ("timestamps", "resolved"),
    ("impact",),
    ("impact", "summary"),
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Timestamps(_Strict):
    started: dt.datetime | None = Field(
        None, description="When the incident began (ISO 8601 with Z or offset)."
    )
    detected: dt.datetime | None = Field(
        None, description="When a person or an alert first noticed it."
    )
    mitigated: dt.datetime | None = Field(None, description="When customer impact stopped.")
    resolved: dt.datetime | None = Field(None, description="When the system was back to normal.")

    def ordered(self) -> list[tuple[str, dt.datetime]]:
        """The recorded timestamps, in the order they must satisfy."""
        names = ("started", "detected", "mitigated", "resolved")
        return [(name, value) for name in names if (value := getattr(self, name)) is not None]


class Impact(_Strict):
    users_affected: NonNegativeInt | None = None
    slo_breached: list[str] = Field(default_factory=list)
    summary: str | None = Field(None, description="One line: who was affected, how, for how long.")


class Roles(_Strict):
    incident_commander: str | None = None
    technical_lead: str | None = None
    communications_lead: str | None = None
    scribe: str | None = None


class ContributingFactor(_Strict):
    category: str = Field(description="technical, process, organizational or environmental.")
    description: str
    known_risk: bool = False
    key: str | None = Field(
        None,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        description="A stable lowercase-hyphenated name for a factor that recurs across "
        "incidents, e.g. missing-staging-gate; factors with the same key are the same factor.",
    )


class FrontMatter(_Strict):
    title: str | None = Field(None, min_length=1)
    date: dt.date | None = Field(
        None, description="The incident's start date (UTC); equals the file name's date."
    )
    severity: str | None = Field(None, description="One of the configured levels, e.g. SEV2.")
    status: Status | None = None
    visibility: Visibility = "internal"
    services: list[str] = Field(default_factory=list)
    tags: list[str] = Field(
        default_factory=list, description="Failure modes, lowercase-hyphenated."
    )
    authors: list[str] = Field(default_factory=list)
    timestamps: Timestamps = Field(default_factory=Timestamps)
    impact: Impact = Field(default_factory=Impact)
    roles: Roles = Field(default_factory=Roles)
    contributing_factors: list[ContributingFactor] = Field(default_factory=list)
    runbooks: list[str] = Field(default_factory=list, description="Ids of runbook pages.")
    related: list[str] = Field(default_factory=list, description="Ids of other post-mortems.")
    channel: str | None = Field(
        None, description="The incident's chat channel, e.g. #inc-2024-11-15-slug."
    )
    public_summary: str | None = Field(None, description="The lead of the public page.")

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"
