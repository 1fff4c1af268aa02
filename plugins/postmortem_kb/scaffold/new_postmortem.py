"""`pmkb new`: a complete post-mortem template with the right file name and channel."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence

from postmortem_kb.config import KBConfig
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.ledger import entries_of


def slugify(title: str, max_words: int = 6) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words[:max_words]) or "incident"


def _yaml_list(items: Sequence[str]) -> str:
    return json.dumps(list(items), ensure_ascii=False)  # JSON is valid YAML flow style


def new_postmortem(
    title: str,
    *,
    severity: str,
    date: dt.date,
    services: Sequence[str] = (),
    tags: Sequence[str] = (),
    config: KBConfig,
    related: Sequence[PostMortem] = (),
) -> tuple[str, str]:
    """The file name and text of a draft post-mortem, every section present. `related`
    post-mortems go into `related`, and their open action items into the notes under the
    new action-item table, to review before the meeting."""
    incident_id = f"{date.isoformat()}-{slugify(title)}"
    sections = []
    prompts = {
        "Summary": "Two or three sentences: what happened, the impact, how it ended.",
        "Impact": "Who was affected, how, for how long; which SLOs were breached.",
        "Timeline": "- 00:00 (UTC) First entry: what happened, what was seen, what was done.",
        "Root cause": "The conditions in the system that made the failure possible.",
        "Contributing factors": "What made it more likely, larger or longer.",
        "What went well": "- ",
        "What went badly": "- ",
        "Action items": (
            "| Action | Category | Owner | Due | Ticket | Status |\n"
            "|---|---|---|---|---|---|\n"
            f"| Describe the change | Prevention | @owner | {date + dt.timedelta(days=30)} | TICKET-1 | open |"
            + related_notes(related)
        ),
        "Lessons learned": "What the organisation learned, beyond this incident.",
    }
    for name in config.required_sections:
        sections.append(f"## {name}\n\n{prompts.get(name, '')}\n")
    front_matter = f"""---
title: {json.dumps(title, ensure_ascii=False)}
date: {date.isoformat()}
severity: {severity}
status: draft
visibility: internal
services: {_yaml_list(services)}
tags: {_yaml_list(tags)}
authors: []
timestamps:  # ISO 8601 in UTC, e.g. {date.isoformat()}T14:02:00Z
  # started:
  # detected:
  # mitigated:
  # resolved:
impact:
  summary: ""
  # users_affected: 0
  # slo_breached: []
roles:
  incident_commander:
contributing_factors: []
runbooks: []
related: {_yaml_list([pm.id for pm in related])}
channel: "#inc-{incident_id}"
---
"""
    return f"{incident_id}.md", front_matter + "\n" + "\n".join(sections)


def related_notes(related: Sequence[PostMortem]) -> str:
    """Notes listing the open action items of the related incidents ("" when none)."""
    notes = ""
    for pm in related:
        items = [entry for entry in entries_of(pm) if entry.is_open]
        if not items:
            continue
        notes += f"\n\nOpen action items of the related incident {pm.id} (review them: carry over "
        notes += "what still applies, and update their status there):\n"
        for item in items:
            due = item.due.isoformat() if item.due else "no due date"
            notes += f"\n- {item.action} ({item.category}, {item.owner}, due {due}, {item.ticket})"
    return notes
