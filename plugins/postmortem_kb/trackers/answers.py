"""Reading a tracker's JSON answer: a missing step is None, a wrong shape is
`MalformedAnswer` (the fetch reports it as such and keeps the cached state)."""

from __future__ import annotations

from typing import Any


class MalformedAnswer(ValueError):
    """A 200 answer that is not the JSON of an issue."""


def field(payload: Any, *path: str) -> Any:
    """`payload[path[0]][path[1]]...`, None where a step is missing or null; MalformedAnswer
    when a step that is there is not an object."""
    value = payload
    for name in path:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise MalformedAnswer(f"expected an object at {'.'.join(path)}")
        value = value.get(name)
    return value


def text(payload: Any, *path: str) -> str | None:
    value = field(payload, *path)
    if value is None or isinstance(value, str):
        return value
    raise MalformedAnswer(f"{'.'.join(path)} is not a string")
