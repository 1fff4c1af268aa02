"""Reading a post-mortem file: bytes to text, and text to front matter and body.

Never raises on content: a file that cannot be read yields a diagnostic instead.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.markdown import normalise_newlines


@dataclass(frozen=True)
class SplitSource:
    """A file's text cut at its front matter. Line numbers are 1-based, in the original file."""

    front_matter: str | None  # None when the file has no front matter block
    front_matter_line: int  # the line after the opening `---`
    body: str
    body_line: int  # the file line of the body's first line


def decode(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 with or without BOM, CRLF or LF, to text with LF line ends."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        return None, [
            make(path, line, "PM001", f"invalid UTF-8 byte 0x{data[err.start]:02x}", column=column)
        ]
    text = normalise_newlines(text)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [make(path, line, "PM001", "the file contains a NUL byte (is it binary?)")]
    return text, []


def read_text(path: Path, display_path: str) -> tuple[str | None, list[Diagnostic]]:
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, [make(display_path, 0, "PM001", f"cannot read the file: {err.strerror}")]
    return decode(data, display_path)


def split_front_matter(text: str) -> SplitSource:
    """Split `---` front matter from the body; the closing marker may be `---` or `...`."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return SplitSource(None, 0, text, 1)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return SplitSource(
                front_matter="\n".join(lines[1:index]),
                front_matter_line=2,
                body="\n".join(lines[index + 1 :]),
                body_line=index + 2,
            )
    return SplitSource(None, 0, text, 1)
