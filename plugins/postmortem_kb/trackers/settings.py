"""One tracker's settings: the `trackers` option of the plugin (a list of these)."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TrackerKind = Literal["jira", "github", "gitlab"]

# Which Ticket cells belong to a tracker of each kind, unless its `keys` says otherwise.
DEFAULT_KEYS: dict[str, str] = {
    "jira": r"[A-Z][A-Z0-9]+-\d+",
    "github": r"[\w.-]+/[\w.-]+#\d+",
    "gitlab": r"[\w.-]+(?:/[\w.-]+)+#\d+",
}

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab (glpat-) and Atlassian (ATATT)
_TOKEN_LOOKS = re.compile(r"^(?:gh[pousr]_|github_pat_|glpat-|ATATT)")

# Resolutions (Jira) and close reasons (GitHub's state_reason) that mean "we decided not to
# do it"; compared without case, `_` read as a space, and ’ as '.
DEFAULT_NOT_DOING = ["won't do", "won't fix", "wontfix", "not planned", "declined", "obsolete"]


class TrackerSettings(BaseModel):
    """Where a tracker is, how to authenticate, and which Ticket cells are its tickets."""

    # A token pasted into `token_env` by mistake must not be printed back in the error.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    kind: TrackerKind = Field(description="jira, github or gitlab.")
    name: str | None = Field(
        None,
        description="How messages, the cache and the ledger name this tracker; default its "
        "kind. Two trackers of the same kind need different names.",
    )
    url: str = Field(
        description="Jira: the base URL (https://jira.example.com). GitHub: the API root "
        "(https://api.github.com, or https://ghe.example.com/api/v3). GitLab: the instance "
        "(https://gitlab.example.com); the API is its /api/v4."
    )
    web_url: str | None = Field(
        None,
        description="Where people open the tracker's issues, for matching full issue URLs in "
        "Ticket cells; default derived from `url` (api.github.com is github.com).",
    )
    token_env: str | None = Field(
        None,
        description="The environment variable holding the API token (never a file). Omitted: "
        "anonymous requests (public GitHub and GitLab projects only).",
    )
    user_env: str | None = Field(
        None,
        description="Jira Cloud: the environment variable holding the account's e-mail; the "
        "token is then sent as basic auth (Jira Server and Data Center take a bearer token).",
    )
    keys: str | None = Field(
        None,
        description="A regular expression a whole Ticket cell must match to be this tracker's "
        "ticket; default by kind (Jira `PAY-1432`, GitHub `owner/repo#123`, GitLab "
        "`group/project#12`). The first tracker that matches a cell gets it.",
    )
    not_doing: list[str] = Field(
        default_factory=lambda: list(DEFAULT_NOT_DOING),
        description="Resolutions or close reasons that make an action item not-doing "
        "(a closed ticket with another resolution is done).",
    )
    timeout: float = Field(10.0, gt=0, description="Seconds to wait for one answer.")
    retries: int = Field(
        3, ge=0, le=10, description="Retries after a timeout, a 429 or a 5xx answer."
    )
    backoff: float = Field(
        1.0,
        ge=0,
        description="Seconds before the first retry, doubled for each next one (a "
        "`Retry-After` header wins).",
    )
    concurrency: int = Field(4, ge=1, le=32, description="Requests in flight at once.")

    @field_validator("url", "web_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url.rstrip("/")

    @field_validator("token_env", "user_env")
    @classmethod
    def _variable_name(cls, name: str | None) -> str | None:
        """The name of an environment variable, never a token pasted in its place (which
        the messages would then print)."""
        if name is None:
            return None
        if _TOKEN_LOOKS.match(name) or not _VARIABLE_NAME.fullmatch(name):
            raise ValueError(
                "must name an environment variable (e.g. JIRA_TOKEN) that holds the token; "
                "put the token itself in the environment, never in mkdocs.yml"
            )
        return name

    @field_validator("keys")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"{pattern!r} is not a regular expression: {err}") from err
        return pattern

    @model_validator(mode="after")
    def _user_for_jira_only(self) -> TrackerSettings:
        if self.user_env and self.kind != "jira":
            raise ValueError("user_env is for Jira Cloud only")
        return self

    @property
    def label(self) -> str:
        return self.name or self.kind

    @cached_property
    def key_pattern(self) -> re.Pattern[str]:
        return re.compile(self.keys or DEFAULT_KEYS[self.kind])

    @property
    def api_url(self) -> str:
        if self.kind == "gitlab" and not self.url.endswith("/api/v4"):
            return f"{self.url}/api/v4"
        return self.url

    @property
    def browse_url(self) -> str:
        """The web address issues live under (`web_url`, or derived from `url`)."""
        if self.web_url:
            return self.web_url
        if self.kind == "github":
            if urlsplit(self.url).netloc == "api.github.com":
                return "https://github.com"
            return self.url.removesuffix("/api/v3")
        return self.url.removesuffix("/api/v4")

    def is_not_doing(self, resolution: str | None) -> bool:
        return resolution is not None and _normalise(resolution) in {
            _normalise(r) for r in self.not_doing
        }


def _normalise(resolution: str) -> str:
    return resolution.strip().lower().replace("_", " ").replace("\u2019", "'")


def check_unique_labels(trackers: list[TrackerSettings]) -> list[TrackerSettings]:
    """Two trackers may not share a name: the cache and the messages tell them apart by it."""
    seen: set[str] = set()
    for tracker in trackers:
        if tracker.label in seen:
            raise ValueError(
                f"two trackers are named {tracker.label!r}; give one a different `name`"
            )
        seen.add(tracker.label)
    return trackers
