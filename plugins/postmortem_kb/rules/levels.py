"""How severe a missing or unfinished part is: it depends on the post-mortem's status."""

from __future__ import annotations

from postmortem_kb.diagnostics.diagnostic import Level
from postmortem_kb.format.model import PostMortem


def completeness_level(pm: PostMortem) -> Level:
    """A draft may be incomplete: what is missing is a warning there, an error elsewhere."""
    return Level.WARNING if pm.meta.status in (None, "draft") else Level.ERROR
