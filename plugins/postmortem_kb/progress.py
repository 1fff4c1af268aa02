"""Progress bars for the long commands (`pmkb search`'s first index, `pmkb import`,
`pmkb tickets`): shown on a terminal, never when stderr is piped or in CI.

A command's work takes a `Progress` callback (called with how many items are done since the
last call) and never knows whether a bar is shown; the bar lives here, on the CLI's side.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

Progress = Callable[[int], None]
PROGRESS_FROM = 10  # items; fewer are done too fast to need a bar


def shows_progress(total: int, minimum: int = PROGRESS_FROM) -> bool:
    """Whether a bar of `total` items is shown: at least `minimum` of them, stderr a
    terminal, and not in CI (the `CI` variable every CI service sets)."""
    return total >= max(minimum, 1) and sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def progress_bar(total: int, label: str, minimum: int = PROGRESS_FROM) -> Iterator[Progress | None]:
    """A bar on stderr when `shows_progress`, yielding its `Progress`; else None."""
    if not shows_progress(total, minimum):
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update
