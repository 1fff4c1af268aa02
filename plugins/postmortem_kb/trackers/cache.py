"""The tickets cache, `.pmkb/tickets.json` beside mkdocs.yml: each ticket's last good state
with the time it was fetched, and the tickets the tracker last answered 404 for.

`pmkb tickets --refresh` writes it; the build, `pmkb check` and `pmkb tickets` only read it,
so none of them needs the network. An error never replaces a good state (a 404 is recorded
beside it, not over it), the file is replaced atomically (a reader never sees half a file),
and it holds answers only: no token, no header, no error body.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postmortem_kb.trackers.keys import TicketRef
from postmortem_kb.trackers.state import TicketState, parse_timestamp

CACHE_FILE = Path(".pmkb") / "tickets.json"
SCHEMA_VERSION = 1


class CacheError(Exception):
    """The cache file exists but cannot be read as a tickets cache."""


@dataclass(frozen=True)
class CachedTicket:
    ref: TicketRef
    fetched_at: dt.datetime
    state: TicketState

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.fetched_at


@dataclass
class TicketCache:
    tickets: dict[str, CachedTicket] = field(default_factory=dict)  # by TicketRef.cache_key
    not_found: dict[str, dt.datetime] = field(default_factory=dict)  # when the 404 came

    def get(self, ref: TicketRef) -> CachedTicket | None:
        return self.tickets.get(ref.cache_key)

    def missing_since(self, ref: TicketRef) -> dt.datetime | None:
        """When the tracker said the ticket does not exist, if that is its latest answer."""
        return self.not_found.get(ref.cache_key)

    def record(self, ref: TicketRef, state: TicketState, fetched_at: dt.datetime) -> None:
        self.tickets[ref.cache_key] = CachedTicket(ref, fetched_at, state)
        self.not_found.pop(ref.cache_key, None)

    def record_not_found(self, ref: TicketRef, at: dt.datetime) -> None:
        self.not_found[ref.cache_key] = at

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tickets": {
                key: {
                    "tracker": entry.ref.tracker,
                    "key": entry.ref.key,
                    "fetched_at": entry.fetched_at.isoformat(),
                    **entry.state.to_json(),
                }
                for key, entry in sorted(self.tickets.items())
            },
            "not_found": {key: at.isoformat() for key, at in sorted(self.not_found.items())},
        }


def cache_path(root: Path) -> Path:
    """The cache of the knowledge base whose mkdocs.yml is in `root`."""
    return root / CACHE_FILE


def load_cache(path: Path) -> TicketCache | None:
    """The cache at `path`; None when there is none; CacheError when it is not one."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CacheError(f"{path}: cannot read the tickets cache: {err.strerror}") from err
    try:
        data = json.loads(raw)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"schema_version {data.get('schema_version')!r} is not 1")
        cache = TicketCache()
        for key, entry in data["tickets"].items():
            ref = TicketRef(entry["tracker"], entry["key"])
            fetched_at = parse_timestamp(entry["fetched_at"])
            if ref.cache_key != key or fetched_at is None:
                raise ValueError(f"entry {key!r} is inconsistent")
            cache.tickets[key] = CachedTicket(ref, fetched_at, TicketState.from_json(entry))
        for key, at in data.get("not_found", {}).items():
            moment = parse_timestamp(at)
            if moment is None:
                raise ValueError(f"not_found {key!r} has no time")
            cache.not_found[key] = moment
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise CacheError(
            f"{path}: not a tickets cache ({err}); run `pmkb tickets --refresh` to rebuild it"
        ) from err
    return cache


def save_cache(path: Path, cache: TicketCache) -> None:
    """Write the cache atomically: a temporary file beside it, then a rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(cache.to_json(), indent=2, ensure_ascii=False) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tickets-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
