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

from html.parser import HTMLParser

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


def search_doc(url: str, title: str, html: str, markup: SearchMarkup) -> SearchDoc:
    """The page at `url` (relative to the site root) as the index records it."""
    return SearchDoc(url=url, title=title, body=page_text(html), markup=markup)


def page_text(html: str) -> str:
    """The text of a rendered page body, one space between words, without the elements
    of `SKIPPED_CLASSES`, scripts and styles."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


_VOID_TAGS = "area base br col embed hr img input link meta source track wbr"
_BLOCK_TAGS = "p div li td th tr h1 h2 h3 h4 h5 h6 pre blockquote dt dd table ul ol section"


class _TextParser(HTMLParser):
    VOID = frozenset(_VOID_TAGS.split())
    BLOCKS = frozenset(_BLOCK_TAGS.split())  # a space around their text

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0  # depth inside a skipped element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self._skipping:
            self._skipping += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in ("script", "style", "template") or classes & SKIPPED_CLASSES:
            self._skipping = 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self._skipping:
            self._skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)
