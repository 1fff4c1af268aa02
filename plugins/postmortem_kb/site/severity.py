"""Severity badges: a level's name on its configured colour, with readable text.

The levels in the plugin's settings (`KBConfig.severity_levels`) are the single source for
validation, badges and the severity page; this module turns a level into the colours and
the HTML of its badge. The text colour (black or white) is the one with the higher WCAG
contrast ratio against the level's colour.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from postmortem_kb.config import KBConfig

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
UNKNOWN_COLOR = "#607d8b"
BLACK = "#000000"
WHITE = "#ffffff"


@dataclass(frozen=True)
class Badge:
    label: str
    background: str
    foreground: str

    @property
    def style(self) -> str:
        return f"background-color: {self.background}; color: {self.foreground}"

    def html(self) -> str:
        """An inline `<span>`, usable in Markdown (tables included) and in templates."""
        return (
            f'<span class="pmkb-badge" style="{html.escape(self.style)}">'
            f"{html.escape(self.label)}</span>"
        )


def badge(config: KBConfig, name: str) -> Badge:
    """The badge of level `name`; a level the configuration does not know is grey."""
    level = config.level(name)
    background = level.color if level and level.color else UNKNOWN_COLOR
    return Badge(name, background, text_color(background))


@lru_cache(maxsize=256)  # a few levels, asked for on every listing row and digest entry
def text_color(background: str) -> str:
    """Black or white, whichever contrasts more with `background` (`#rgb` or `#rrggbb`);
    white for a colour that is not a hex code (a CSS name, `rgb(...)`)."""
    if not _HEX.match(background):
        return WHITE
    return BLACK if contrast_ratio(background, BLACK) > contrast_ratio(background, WHITE) else WHITE


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a `#rgb` or `#rrggbb` colour."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two `#rgb`/`#rrggbb` colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
