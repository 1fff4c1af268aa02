"""The Status cell of an action item, read in one place.

The cell holds a status word and, for a done item, optionally the date it was done:
`open`, `done`, `done 2024-06-05`, `not-doing`. A blank cell (or no Status column) is
`open`. Reading never fails: whatever the cell says is kept, and `rules.action_items` decides
whether it is valid (PM407) and whether the date is plausible (PM409, PM410). The allowed
words are `format.vocabulary.ACTION_STATUSES`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from postmortem_kb.format.vocabulary import DEFAULT_ACTION_STATUS as DEFAULT_STATUS

DONE = "done"
_CELL = re.compile(r"^(?P<word>\S*)(?:\s+(?P<rest>.*))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class StatusCell:
    """A Status cell taken apart: the status word (lowercase; `open` for a blank cell),
    the text after it (`date_text`, "" when none) and that text as a date when it is one."""

    status: str
    date_text: str
    done_on: dt.date | None

    @property
    def has_bad_date(self) -> bool:
        """Text after the word that is not a YYYY-MM-DD date."""
        return bool(self.date_text) and self.done_on is None


def parse_status_cell(text: str) -> StatusCell:
    match = _CELL.match(text.strip())
    word = (match.group("word") if match else "").lower() or DEFAULT_STATUS
    rest = ((match.group("rest") if match else "") or "").strip()
    return StatusCell(word, rest, _iso_date(rest))


def _iso_date(text: str) -> dt.date | None:
    if not _ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
