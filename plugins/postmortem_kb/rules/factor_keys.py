"""PM110: a contributing factor without a key that reads like a keyed factor elsewhere.

A recurring factor is only counted as one when its occurrences share a `key`; this rule
suggests the key of an existing factor when a new description matches it (the similarity
and threshold of `learning.recurrence`), so the author can confirm it is the same factor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.recurrence import key_suggestions


def check_factor_keys(
    postmortems: Iterable[PostMortem], others: Iterable[PostMortem] = ()
) -> Iterator[Diagnostic]:
    """Diagnostics for `postmortems`; `others` are the archive's other post-mortems, whose
    keys count but which are not reported on."""
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
