"""A parsed post-mortem: its id, front matter, body and action items, with their lines."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from postmortem_kb.format.body import Body, TimelineEntry
from postmortem_kb.format.frontmatter import FrontMatter
from postmortem_kb.format.yaml_source import YamlDocument

ID_PATTERN = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")


@dataclass(frozen=True)
class ActionItem:
    action: str
    category: str
    owner: str
    due: dt.date | None
    ticket: str
    status: str  # open, done or not-doing; open when the table has no Status column
    line: int
    done_on: dt.date | None = None  # a done item's date, from `done 2024-06-05`

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due is not None and self.due < today


@dataclass
class PostMortem:
    id: str
    path: Path
    source_path: str  # as shown in diagnostics (relative to the project when possible)
    meta: FrontMatter
    yaml: YamlDocument
    body: Body
    timeline: list[TimelineEntry] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    markdown: str = ""  # the body's Markdown, without front matter
    front_matter_ok: bool = True  # False when missing, not YAML or not a mapping
    has_errors: bool = False

    @property
    def title(self) -> str:
        return self.meta.title or self.id

    @property
    def started(self) -> dt.datetime | None:
        return self.meta.timestamps.started

    def field_line(self, *location: str | int) -> int:
        return self.yaml.line_of(tuple(location))

    def duration(self) -> dt.timedelta | None:
        """From start to resolution; None when either is not recorded."""
        ts = self.meta.timestamps
        return ts.resolved - ts.started if ts.started and ts.resolved else None

    def time_to(self, milestone: str) -> dt.timedelta | None:
        """Time from start to `detected`, `mitigated` or `resolved`; None if not recorded."""
        ts = self.meta.timestamps
        value = getattr(ts, milestone)
        return value - ts.started if ts.started and value else None
