"""Every rule on one post-mortem, in the order they report; rules across files are in
`rules.links`, loading the archive with them in `rules.archive`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.format.model import PostMortem
from postmortem_kb.rules.action_items import check_action_items
from postmortem_kb.rules.blameless import check_blameless
from postmortem_kb.rules.fields import (
    check_date,
    check_factor_categories,
    check_file_name,
    check_required_fields,
    check_severity,
    check_stale_draft,
    check_tags,
    check_timestamps,
)
from postmortem_kb.rules.public import check_internal_markers, check_public_text
from postmortem_kb.rules.sections import check_sections, check_timeline

Check = Callable[[PostMortem, KBConfig, dt.date], Iterator[Diagnostic]]

CHECKS: tuple[Check, ...] = (
    check_file_name,
    check_required_fields,
    check_severity,
    check_date,
    check_timestamps,
    check_tags,
    check_factor_categories,
    check_sections,
    check_timeline,
    check_action_items,
    check_stale_draft,
    check_blameless,
    check_internal_markers,
    check_public_text,
)


def check_postmortem(pm: PostMortem, config: KBConfig, today: dt.date) -> list[Diagnostic]:
    return [diagnostic for check in CHECKS for diagnostic in check(pm, config, today)]
