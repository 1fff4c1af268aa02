"""Blame-oriented language: phrases that point at people instead of the system.

Post-mortems work when people can say what happened without fear; wording such as
"human error" or "should have" ends the inquiry at a person. Each match is a warning that
quotes the phrase and suggests a systemic rewording. Code blocks and inline code are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from .body import code_fence_mask, normalise_heading
from .config import KBConfig
from .diagnostics import Diagnostic, make
from .model import PostMortem

_INLINE_CODE = re.compile(r"`[^`]*`")
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z][A-Za-z0-9_.-]*")
_CAUSE_SECTIONS = ("root cause", "five whys")


@lru_cache(maxsize=16)
def _compiled(phrases: tuple[tuple[str, str], ...]) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), hint) for pattern, hint in phrases]


def find_blame(text: str, config: KBConfig) -> Iterator[tuple[int, str, str]]:
    """(0-based column, matched phrase, suggestion) for each blame phrase in one line of text."""
    visible = _INLINE_CODE.sub(lambda m: " " * len(m.group()), text)
    for pattern, hint in _compiled(tuple(config.blame_phrases.items())):
        for match in pattern.finditer(visible):
            yield match.start(), match.group(), hint


def blame_diagnostics(pm: PostMortem, config: KBConfig) -> Iterator[Diagnostic]:
    yield from _front_matter_blame(pm, config)
    in_code = code_fence_mask(pm.body.lines)
    for offset, line in enumerate(pm.body.lines):
        if in_code[offset]:
            continue
        for column, phrase, hint in find_blame(line, config):
            yield make(
                pm.source_path,
                pm.body.line + offset,
                "PM501",
                f"blame-oriented phrase {phrase!r}",
                column=column + 1,
                hint=f"Instead: {hint}.",
            )
    yield from _people_as_causes(pm)


def _front_matter_blame(pm: PostMortem, config: KBConfig) -> Iterator[Diagnostic]:
    texts: list[tuple[tuple[str | int, ...], str | None]] = [
        (("title",), pm.meta.title),
        (("impact", "summary"), pm.meta.impact.summary),
        (("public_summary",), pm.meta.public_summary),
    ]
    texts += [
        (("contributing_factors", i, "description"), factor.description)
        for i, factor in enumerate(pm.meta.contributing_factors)
    ]
    for location, text in texts:
        for _, phrase, hint in find_blame(text or "", config):
            yield make(
                pm.source_path,
                pm.field_line(*location),
                "PM501",
                f"blame-oriented phrase {phrase!r} in {'.'.join(map(str, location))}",
                hint=f"Instead: {hint}.",
            )


def _people_as_causes(pm: PostMortem) -> Iterator[Diagnostic]:
    """A handle, or the name behind a handle of the incident's people, in the root-cause sections."""
    people = {*pm.meta.authors, *(v for v in pm.meta.roles.model_dump().values() if v)}
    names = {p.lstrip("@").lower() for p in people if len(p.lstrip("@")) > 2}
    name_pattern = (
        re.compile(rf"\b({'|'.join(map(re.escape, sorted(names)))})\b", re.I) if names else None
    )
    for section in pm.body.sections:
        if normalise_heading(section.name) not in _CAUSE_SECTIONS:
            continue
        in_code = code_fence_mask(section.content)
        for offset, line in enumerate(section.content):
            if in_code[offset]:
                continue
            visible = _INLINE_CODE.sub(lambda m: " " * len(m.group()), line)
            match = _HANDLE.search(visible) or (
                name_pattern.search(visible) if name_pattern else None
            )
            if match:
                yield make(
                    pm.source_path,
                    section.first_content_line + offset,
                    "PM501",
                    f"the {section.name.lower()} names a person ({match.group()!r})",
                    column=match.start() + 1,
                    hint="Instead: describe the system condition or missing safeguard, not who acted.",
                )
