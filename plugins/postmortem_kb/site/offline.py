"""A site served from the intranet that works offline: what would send a reader's browser
to another host.

During an incident the internet, or the SaaS tools, may be what is down, so the knowledge
base must load from its own host alone. Material asks two kinds of other hosts by default:
Google Fonts (its `theme.font`, Roboto), which the plugin turns off (`offline: true`), and
whatever a site names in `extra_css` or `extra_javascript` by URL, which it reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit


def other_hosts(urls: Iterable[str]) -> list[str]:
    """Those of `urls` that name a host (`https://cdn.example.com/x.js`, `//cdn/x.css`):
    a browser fetches them from there. Relative paths stay on the site."""
    return [url for url in urls if urlsplit(url.strip()).netloc]


def uses_web_fonts(font: Any) -> bool:
    """Whether Material's `theme.font` setting loads fonts from Google Fonts: any value but
    `false` (Material's default is Roboto and Roboto Mono from fonts.googleapis.com)."""
    return font is not False and font is not None
