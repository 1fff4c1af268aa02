"""Blame-oriented language: phrases that point at people instead of the system.

Post-mortems work when people can say what happened without fear; wording such as
"human error" or "should have" ends the inquiry at a person. Each match is a warning that
quotes the phrase and suggests a systemic rewording. Code blocks and inline code are skipped.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from functools import lru_cache

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.body import normalise_heading
from postmortem_kb.format.markdown import code_mask
from postmortem_kb.format.model import PostMortem

_INLINE_CODE = re.compile(r"`[^`\n]*`")
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z][A-Za-z0-9_.-]*")
_CAUSE_SECTIONS = ("root cause", "five whys")


@lru_cache(maxsize=16)
def _compiled(phrases: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One pattern for all phrases (group `p<i>` is phrase i), and the hints in that order."""
    alternatives = "|".join(f"(?P<p{i}>{pattern})" for i, (pattern, _) in enumerate(phrases))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE), tuple(h for _, h in phrases)


def find_blame(text: str, config: KBConfig) -> Iterator[tuple[int, str, str]]:
    """(0-based offset, matched phrase, suggestion) for each blame phrase in `text`."""
    if not config.blame_phrases:
        return
    pattern, hints = _compiled(tuple(config.blame_phrases.items()))
    visible = _INLINE_CODE.sub(lambda m: " " * len(m.group()), text)
    for match in pattern.finditer(visible):
        yield match.start(), match.group(), hints[int(str(match.lastgroup)[1:])]


def blame_diagnostics(pm: PostMortem, config: KBConfig) -> Iterator[Diagnostic]:
    yield from _front_matter_blame(pm, config)
    in_code = pm.body.in_code or code_mask(pm.body.lines)
    prose = [("" if in_code[i] else line) for i, line in enumerate(pm.body.lines)]
    starts = list(itertools.accumulate((len(line) + 1 for line in prose), initial=0))
    for offset, phrase, hint in find_blame("\n".join(prose), config):
        index = bisect.bisect_right(starts, offset) - 1
        yield make(
            pm.source_path,
            pm.body.line + index,
            "PM501",
            f"blame-oriented phrase {phrase!r}",
            column=offset - starts[index] + 1,
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
    names = sorted({p.lstrip("@").lower() for p in people if len(p.lstrip("@")) > 2})
    for section in pm.body.sections:
        if normalise_heading(section.name) not in _CAUSE_SECTIONS:
            continue
        in_code = section.in_code or code_mask(section.content)
        for offset, line in enumerate(section.content):
            if in_code[offset]:
                continue
            visible = _INLINE_CODE.sub(lambda m: " " * len(m.group()), line)
            match = _HANDLE.search(visible) or _first_name(visible, names)
            if match:
                yield make(
                    pm.source_path,
                    section.first_content_line + offset,
                    "PM501",
                    f"the {section.name.lower()} names a person ({match.group()!r})",
                    column=match.start() + 1,
                    hint="Instead: describe the system condition or missing safeguard, not who acted.",
                )


def _first_name(line: str, names: list[str]) -> re.Match[str] | None:
    """The leftmost of `names` (sorted) written as a word in `line`, any case, as one
    alternation of them would find it: at one offset the first name wins. One pattern per
    name, compiled once (the people recur from file to file; their sets do not)."""
    found = None
    for name in names:
        match = _name_pattern(name).search(line)
        if match and (found is None or match.start() < found.start()):
            found = match
    return found


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)


def check_blameless(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    yield from blame_diagnostics(pm, config)
