"""PM110: a contributing factor without a key that reads like a keyed factor elsewhere.

A recurring factor is only counted as one when its occurrences share a `key`; this rule
suggests the key of an existing factor when a new description matches it (the similarity
and threshold of `learning.recurrence`), so the author can confirm it is the same factor.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.model import ID_PATTERN, PostMortem
from postmortem_kb.format.source import read_text, split_front_matter
from postmortem_kb.learning.recurrence import FactorOccurrence, key_suggestions

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # both safe; C when libyaml is there
# The `contributing_factors:` field up to the next top-level field: loading only that keeps
# the read at about a tenth of loading the whole front matter.
_FACTORS_BLOCK = re.compile(r"^contributing_factors:.*?(?=^\S|\Z)", re.MULTILINE | re.DOTALL)


def check_factor_keys(
    postmortems: Iterable[PostMortem], others: Iterable[FactorOccurrence] = ()
) -> Iterator[Diagnostic]:
    """Diagnostics for `postmortems`; `others` are keyed factors of the archive's other
    post-mortems (`keyed_factors`), which count but are not reported on."""
    checked = {pm.id: pm for pm in postmortems}
    for suggestion in key_suggestions(checked.values(), others):
        occurrence = suggestion.occurrence
        pm = checked[occurrence.incident]
        seen = ", ".join(suggestion.incidents[:3])
        more = f" and {len(suggestion.incidents) - 3} more" if len(suggestion.incidents) > 3 else ""
        yield make(
            pm.source_path,
            pm.field_line("contributing_factors", occurrence.index),
            "PM110",
            f"contributing factor {occurrence.description!r} reads like the recurring factor "
            f"{suggestion.key!r} ({seen}{more})",
            hint=f"Add `key: {suggestion.key}` to it if it is the same factor.",
        )


def keyed_factors(paths: Iterable[Path]) -> list[FactorOccurrence]:
    """The keyed contributing factors of the files at `paths`, read quickly: only files whose
    text has `key:` are read further, and only their `contributing_factors` field.
    A file that does not read is skipped (it is reported when it is checked itself)."""
    found = []
    for path in paths:
        text, _ = read_text(path, str(path))
        if text is None or "key:" not in text:
            continue
        block = _FACTORS_BLOCK.search(split_front_matter(text).front_matter or "")
        try:
            data = yaml.load(block.group(0) if block else "", Loader=_Loader)  # noqa: S506
        except yaml.YAMLError:
            continue
        factors = data.get("contributing_factors") if isinstance(data, dict) else None
        for index, factor in enumerate(factors if isinstance(factors, list) else []):
            if isinstance(factor, dict) and isinstance(factor.get("key"), str):
                found.append(_occurrence(path, index, factor))
    return found


def _occurrence(path: Path, index: int, factor: dict[str, object]) -> FactorOccurrence:
    match = ID_PATTERN.match(path.stem)
    try:
        date = dt.date.fromisoformat(match.group("date")) if match else None
    except ValueError:
        date = None
    return FactorOccurrence(
        incident=path.stem,
        title=path.stem,
        date=date,
        category=str(factor.get("category", "")),
        description=str(factor.get("description", "")),
        key=str(factor["key"]),
        index=index,
        source=str(path),
    )
