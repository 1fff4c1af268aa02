"""Markdown to plain text, for search and similarity: words people read, not markup.

Whoosh and TF-IDF would otherwise index tokens like `**19` or `](../runbooks`. This is
deliberately simple (line-based regexes, no Markdown renderer): it runs on every
post-mortem at every build and must stay fast.
"""

from __future__ import annotations

import re

from postmortem_kb.format.markdown import scan_fences

_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ADMONITION = re.compile(r"^\s*(!!!|\?\?\?\+?)\s*\w+(\s+\"[^\"]*\")?\s*$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]")
_REFERENCE_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s+\S+.*$")
_LINE_PREFIX = re.compile(r"^\s*(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)+")
# Emphasis and code markers that wrap text; `max_connections` keeps its underscore.
_EMPHASIS = re.compile(r"(\*\*|__|~~|\*|`)(?=\S)(.+?)(?<=\S)\1|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_WHITESPACE = re.compile(r"[ \t]+")


def markdown_to_text(markdown: str) -> str:
    """Plain text with one line per source line of prose; code blocks keep their content."""
    text = _HTML_COMMENT.sub(" ", markdown)
    source = text.split("\n")
    fences = {line for block in scan_fences(source).blocks for line in (block.start, block.end)}
    lines = []
    for index, line in enumerate(source):
        if index in fences or _TABLE_SEPARATOR.match(line) or _ADMONITION.match(line):
            continue
        if _REFERENCE_DEFINITION.match(line):
            continue
        # Each pattern only where its first character is: most lines are plain prose.
        if "![" in line:
            line = _IMAGE.sub(r"\1", line)
        if "[" in line:
            line = _LINK.sub(lambda m: m.group(1) or m.group(2), line)
        if "<" in line:
            line = _HTML_TAG.sub(" ", line)
        line = _LINE_PREFIX.sub("", line)
        line = line.replace("|", " ")
        if "*" in line or "_" in line or "~" in line or "`" in line:
            line = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", line)
        if "  " in line or "\t" in line:
            line = _WHITESPACE.sub(" ", line)
        line = line.strip()
        if line:
            lines.append(line)
    return "\n".join(lines)
