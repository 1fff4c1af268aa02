"""The fixed words of the post-mortem format: statuses, visibility, the action-item table.

Everything that needs one of these lists imports it from here (the front matter model, the
checks, the redactor, the search indexes, the page header), so they cannot disagree. The
words a knowledge base configures (severity levels, categories, sections) are in
`config.KBConfig`.
"""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["draft", "in-review", "published"]
STATUSES: tuple[str, ...] = get_args(Status)
STATUS_LABELS: dict[str, str] = {
    "draft": "Draft",
    "in-review": "In review",
    "published": "Published",
}

Visibility = Literal["internal", "public"]
VISIBILITIES: tuple[str, ...] = get_args(Visibility)

# The action-item table: required columns in their order, then the optional ones.
ACTION_COLUMNS: tuple[str, ...] = ("Action", "Category", "Owner", "Due", "Ticket")
OPTIONAL_ACTION_COLUMNS: tuple[str, ...] = ("Status",)
# The columns the public site never shows (they name people and internal tickets).
INTERNAL_ACTION_COLUMNS: tuple[str, ...] = ("Owner", "Ticket")

ActionStatus = Literal["open", "done", "not-doing"]
ACTION_STATUSES: tuple[str, ...] = get_args(ActionStatus)
DEFAULT_ACTION_STATUS: ActionStatus = "open"  # a table without a Status column

# Front matter fields that name people, channels and internal pages: the public site
# empties them, and the leak check treats their values as internal.
INTERNAL_FIELDS: tuple[str, ...] = ("authors", "roles", "channel", "runbooks")

# A value still to be filled in (what `pmkb import` writes for an Owner or a Due date): a
# warning in a draft, an error once the post-mortem is in review.
PLACEHOLDER = "TODO"
