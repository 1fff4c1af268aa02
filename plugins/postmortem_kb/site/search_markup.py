"""Site search: how each page takes part in it, and the page's text as the index reads it.

Neither half knows MkDocs:

- **Markup.** `postmortem_markup` and `HANDBOOK` say what the index records about a page
  besides its text: its kind, its facets (severity, service, tag, year, status), the labels
  searched with extra weight (services, failure modes), the impact statement (searched, and
  shown as the result's excerpt) and what a result shows (date, severity and its badge,
  services). Pages without markup (the generated listings, the home page) are left out.
- **Text.** `search_doc` turns a rendered page (its HTML, as the plugin gets it in
  `on_page_content`) into a `site_index.SearchDoc`: the text people read, without
  permalinks and without blocks marked `unindexed` (a runbook's list of incidents).

The index itself is `site_index`; decisions and figures are in ARCHITECTURE.md
("Site search").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from itertools import accumulate

from postmortem_kb.config import KBConfig
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.vocabulary import STATUS_LABELS
from postmortem_kb.search.site.index_writer import SearchDoc, SearchMarkup
from postmortem_kb.site.severity import badge

UNINDEXED_CLASS = "pmkb-unindexed"
SKIPPED_CLASSES = frozenset({UNINDEXED_CLASS, "headerlink"})
"""Elements whose text stays out of the index: generated lists of incidents inside indexed
pages (`unindexed`), and the permalink sign after every heading."""


# --- markup ----------------------------------------------------------------------------------


HANDBOOK = SearchMarkup("handbook")
"""Runbooks, the handbook and the severity levels: indexed, with no facets."""


def postmortem_markup(pm: PostMortem, config: KBConfig) -> SearchMarkup:
    """Facets, weighted labels, impact statement and result data of a post-mortem's page."""
    meta = pm.meta
    services = tuple(dict.fromkeys(meta.services))
    tags = tuple(dict.fromkeys(meta.tags))
    facets: list[tuple[str, str]] = []
    shown: dict[str, str] = {}
    if meta.severity:
        facets.append(("severity", meta.severity))
        shown |= {"s": meta.severity, "b": badge(config, meta.severity).style}
    facets += [("service", service) for service in services]
    facets += [("tag", tag) for tag in tags]
    if meta.date:
        facets.append(("year", str(meta.date.year)))
        shown["d"] = meta.date.isoformat()
    if meta.status:
        facets.append(("status", STATUS_LABELS.get(meta.status, meta.status)))
    if services:
        shown["v"] = ", ".join(services)
    return SearchMarkup(
        "incident",
        facets=tuple(facets),
        labels=services + tags,
        lead=" ".join((meta.impact.summary or "").split()),
        shown=shown,
        date=meta.date.isoformat() if meta.date else "",
    )


def unindexed(markdown: str) -> str:
    """`markdown` in a block the index leaves out, for generated lists of incidents inside
    an indexed page (a runbook's "Incidents that used this runbook"), which would otherwise
    make the page match every title it lists. Needs the `md_in_html` extension, which the
    plugin enables."""
    return f'<div class="{UNINDEXED_CLASS}" markdown>\n\n{markdown.strip()}\n\n</div>\n'


def facet_order(config: KBConfig) -> dict[str, list[str]]:
    """The order of the values of the facets whose values the settings fix (the severity
    levels, the statuses); the others (services, tags, years) are sorted in the browser."""
    return {"severity": config.level_names, "status": list(STATUS_LABELS.values())}


# --- text ------------------------------------------------------------------------------------


def search_doc(
    url: str, title: str, html: str, markup: SearchMarkup, text: Callable[[str], str] | None = None
) -> SearchDoc:
    """The page at `url` (relative to the site root) as the index records it; its text is
    `text(html)` if given (`page_text` kept in a cache), else `page_text(html)`."""
    return SearchDoc(url=url, title=title, body=(text or page_text)(html), markup=markup)


def page_text(html: str) -> str:
    """The text of a rendered page body, one space between words, without the elements
    of `SKIPPED_CLASSES`, scripts, styles and templates. Every tag (and a stray `<`)
    separates words: html.parser hands over the text between two tags as one piece.

    Read with one regular expression (`_split_text`) when the page holds only the markup
    Python-Markdown and the plugin write: tags, end tags and comments; a page with anything
    else (a script, a doctype, a tag html.parser reads its tolerant way) is read by
    html.parser (`_parse`). The text is the same either way (`tests/test_page_text.py`)."""
    text = _split_text(html)
    if text is None:
        text = " ".join(_parse(html))
    return " ".join(text.split())


_VOID = "area base br col embed hr img input link meta source track wbr"  # no end tag
_VOID_TAGS = frozenset(_VOID.split())
_SKIPPED_TAGS = frozenset({"script", "style", "template"})
_SP = r"[ \t\n\r\f]"  # what separates attributes in the tags `_split_text` reads
_TOKEN_PATTERN = rf"""<(?:
    {{tag}}[a-zA-Z][a-zA-Z0-9-]*)
    {{attrs}}(?:{_SP}+[^\s"'<>/=]+(?:{_SP}*={_SP}*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)
    {_SP}*{{empty}}/?)>
  | /\s*{{end}}[a-zA-Z][-.a-zA-Z0-9:_]*)\s*>  # html.parser's endtagfind
  | !--.*?--\s*>                               # a comment
)"""
"""A tag as html.parser reads it too (attributes quoted, or bare without quotes, `=` or
`<`), an end tag, or a comment."""
_GROUPS = ("tag", "attrs", "empty", "end")
_TOKEN = re.compile(  # one token: its tag name, attributes, "/" of "/>", an end tag's name
    _TOKEN_PATTERN.format(**{name: f"(?P<{name}>" for name in _GROUPS}), re.DOTALL | re.VERBOSE
)
_TOKENS = re.compile(  # for `split`: the texts between tokens, and the tokens
    "(" + _TOKEN_PATTERN.format(**dict.fromkeys(_GROUPS, "(?:")) + ")", re.DOTALL | re.VERBOSE
)
_ATTR = re.compile(rf"""([^\s"'<>/=]+)(?:{_SP}*={_SP}*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_OTHER_MARKUP = re.compile(r"<[a-zA-Z!/?]")  # in the text between tokens: not read here
_RAW_TEXT = re.compile(r"<(?:script|style)", re.IGNORECASE)  # html.parser's CDATA content
_MAYBE_SKIPPED = re.compile(
    "|".join([*map(re.escape, sorted(SKIPPED_CLASSES)), "&", "<[tT][eE][mM][pP][lL][aA][tT][eE]"])
)
"""What a tag that starts a skipped element holds (`&`: a class name may be escaped)."""


def _split_text(html: str) -> str | None:
    """The pieces of text `_parse` finds in `html`, separated by spaces; None unless `html`
    holds only the tokens of `_TOKEN` (and a stray `<` not followed by a letter, `!`, `/`
    or `?`), and no script or style, whose text html.parser reads raw."""
    if _RAW_TEXT.search(html):
        return None
    pieces = _TOKENS.split(html)
    texts, tokens = pieces[0::2], pieces[1::2]  # texts[k] comes before tokens[k]
    if _OTHER_MARKUP.search(" ".join(texts)):
        return None
    tags = "".join(tokens)
    if _MAYBE_SKIPPED.search(tags):
        _drop_skipped(texts, tokens, tags)
    text = " ".join(texts)
    if "<" in text:  # html.parser hands over a stray "<" as a piece of its own
        text = text.replace("<", " < ")
    return unescape(text) if "&" in text else text


def _drop_skipped(texts: list[str], tokens: list[str], tags: str) -> None:
    """Empty the texts inside skipped elements. Only a token holding what `_MAYBE_SKIPPED`
    finds can open one; each found in `tags` (the tokens one after the other, where it
    cannot span two: it holds no `>`) is mapped to its token by the tokens' ends."""
    ends = list(accumulate(map(len, tokens)))
    decided = 0  # tokens before this one are inside a skipped element or outside any
    for found in _MAYBE_SKIPPED.finditer(tags):
        k = bisect_right(ends, found.start())
        if k < decided or not _opens_skipped(_TOKEN.match(tokens[k])):
            continue
        end = _skipped_end(tokens, k)
        for i in range(k + 1, end + 1):
            texts[i] = ""
        decided = end + 1


def _opens_skipped(token: re.Match[str] | None) -> bool:
    assert token is not None  # a token of `_TOKENS.split` is one of `_TOKEN`
    tag = token.group("tag")
    if tag is None or token.group("empty"):
        return False  # an end tag, a comment, or a start and end tag at once
    tag = tag.lower()
    if tag in _VOID_TAGS:
        return False
    return tag in _SKIPPED_TAGS or bool(_classes(token.group("attrs")) & SKIPPED_CLASSES)


def _skipped_end(tokens: list[str], k: int) -> int:
    """The token that closes the skipped element `tokens[k]` opens (counting as html.parser
    does: every start tag one deeper, every end tag one up), or `len(tokens)` if none does."""
    depth = 1
    for j in range(k + 1, len(tokens)):
        token = _TOKEN.match(tokens[j])
        assert token is not None
        tag, empty, end = token.group("tag", "empty", "end")
        if tag is not None:
            if not empty and tag.lower() not in _VOID_TAGS:
                depth += 1
        elif end is not None and end.lower() not in _VOID_TAGS:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens)


def _classes(attrs: str) -> set[str]:
    """The class names of a tag's attributes (the last `class` attribute, as html.parser)."""
    if not attrs or "class" not in attrs.lower():
        return set()
    value = ""
    for name, quoted in _ATTR.findall(attrs):
        if name.lower() == "class":
            value = quoted[1:-1] if quoted[:1] in ("'", '"') else quoted
    return set((unescape(value) if "&" in value else value).split())


def _parse(html: str) -> list[str]:
    """The pieces of text of `html` as html.parser reads it. A marked section it does not
    know (`<![foo[`, which raw HTML in Markdown passes through) fails html.parser with an
    AssertionError; such a page is read with every `<![` as text."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:
        return _parse(html.replace("<![", "&lt;!["))
    return parser.parts


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0  # depth inside a skipped element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            return
        if self._skipping:
            self._skipping += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in _SKIPPED_TAGS or classes & SKIPPED_CLASSES:
            self._skipping = 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID_TAGS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)
