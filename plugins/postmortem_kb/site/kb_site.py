"""The knowledge-base site of one build: what the plugin adds around the files.

`KBSite` is computed once per build from the archive. It answers the plugin's three
questions, without knowing MkDocs:

- which pages to generate (`generated_pages`: listings, overviews, severity levels);
- what a page's Markdown becomes (`page_markdown`: the home page's markers are filled in, a
  runbook gets the incidents that used it);
- what header a post-mortem page shows (`header`);
- how a page takes part in the site search (`search_markup`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property

from postmortem_kb.config import KBConfig
from postmortem_kb.format.markdown import normalise_newlines
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.export import EXPORT_URI, export_data, export_json
from postmortem_kb.learning.feed import FEED_URI, atom_feed
from postmortem_kb.learning.ledger import StatusSource
from postmortem_kb.public.publish import public_page_markdown
from postmortem_kb.public.redaction import mark_internal_for_site
from postmortem_kb.search.site.index_writer import SearchMarkup
from postmortem_kb.similarity.profiles import similar_incidents
from postmortem_kb.similarity.vectors import Similar
from postmortem_kb.site.index_pages import (
    OPEN_ACTIONS_MARKER,
    RECENT_MARKER,
    GeneratedPage,
    IndexPages,
)
from postmortem_kb.site.learning_pages import LearningPages
from postmortem_kb.site.listings import (
    DIMENSIONS,
    PUBLIC_DIMENSIONS,
    ActionSummary,
    Listings,
    SiteLayout,
    action_summary,
    build_listings,
)
from postmortem_kb.site.page_header import PostMortemHeader, build_header
from postmortem_kb.site.search_markup import HANDBOOK, postmortem_markup, unindexed

IGNORED_RUNBOOK_STEMS = ("index", "README")
HOME_URI = "index.md"


def _any_link(target: str) -> bool:
    return True


class KBSite:
    def __init__(
        self,
        incidents: Sequence[PostMortem],
        config: KBConfig,
        *,
        runbook_uris: dict[str, str],
        today: dt.date,
        public: bool = False,
        directory_urls: bool = True,
        status_sources: Sequence[StatusSource] = (),
        previous: KBSite | None = None,
    ) -> None:
        """`incidents` newest first; `runbook_uris` maps runbook ids to their source paths.
        `public`: the public site, whose `incidents` are `public.public_archive`'s.
        `directory_urls`: MkDocs' `use_directory_urls` (the ledger's HTML links follow it);
        `status_sources`: the ledger's, before the Status cells (the tracker cache);
        `previous`: the last build's site under `mkdocs serve`, whose generated pages are
        taken when they read the same (`_reuse`)."""
        self.config = config
        self.directory_urls = directory_urls
        self.status_sources = status_sources
        self.today = today
        self.public = public
        self.runbook_uris = runbook_uris
        dimensions = PUBLIC_DIMENSIONS if public else DIMENSIONS
        self.listings: Listings = build_listings(incidents, config, dimensions)
        self.index_pages = IndexPages(
            self.listings, config, runbook_uris, directory_urls=directory_urls
        )
        self._runbook_ids = {uri: rid for rid, uri in runbook_uris.items()}
        self.layout = SiteLayout.of(config)
        self._postmortems = {self.layout.postmortem(pm.id): pm for pm in incidents}
        self._headers: dict[str, PostMortemHeader] = {}
        self._pages: list[GeneratedPage] | None = None
        self._export: bytes | None = None
        self._inputs = (config, today, runbook_uris, public, directory_urls, tuple(status_sources))
        if previous is not None:
            self._reuse(previous)

    def _reuse(self, previous: KBSite) -> None:
        """Take `previous`'s generated pages (listings, Learning pages, the tables put in
        after Markdown, the export) when they would come out the same: the same settings
        and the same incidents in the same order, each the same object (a file `mkdocs
        serve` did not parse again, `rules.archive.FileChecks`) or one that shows the same
        `generated_view` (an edit of its timeline or lessons). Else all are made again."""
        if previous._pages is None or previous._inputs != self._inputs:
            return
        mine, theirs = self.listings.incidents, previous.listings.incidents
        if len(mine) != len(theirs) or not all(
            a is b or generated_view(a) == generated_view(b)
            for a, b in zip(mine, theirs, strict=True)
        ):
            return
        self.index_pages, self._pages, self._export = (
            previous.index_pages,
            previous._pages,
            previous._export,
        )
        for name in ("learning", "action_summary"):  # cached properties, if computed
            if name in previous.__dict__:
                self.__dict__[name] = previous.__dict__[name]

    def generated_pages(self) -> list[GeneratedPage]:
        """The listings and Learning pages, made once (and kept by the next build's site
        when they read the same, `_reuse`)."""
        if self._pages is None:
            learning = self.learning.pages() if self.learning else ()
            self._pages = [*self.index_pages.pages(), *learning]
        return self._pages

    @cached_property
    def learning(self) -> LearningPages | None:
        """The Learning pages (`learning_pages` option); on the public site only with
        `public_metrics`, and then the dashboard's aggregates only."""
        if not self.config.learning_pages or (self.public and not self.config.public_metrics):
            return None
        return LearningPages(
            self.listings.incidents,
            self.config,
            as_of=self.today,
            layout=self.layout,
            public=self.public,
            directory_urls=self.directory_urls,
            status_sources=self.status_sources,
        )

    def feed(
        self, site_name: str, site_url: str | None, url_of: Callable[[str], str]
    ) -> bytes | None:
        """The Atom feed of the site's post-mortems (`learning.feed`), or None with
        `learning_pages: false`; `url_of` gives a page's URL from its source path."""
        if not self.config.learning_pages:
            return None
        return atom_feed(
            self.listings.incidents,
            title=site_name,
            site_url=site_url,
            page_url=lambda pm: url_of(self.layout.postmortem(pm.id)),
            home_url=url_of(self.layout.all_incidents()),
            feed_path=self.feed_uri,
        )

    @property
    def feed_uri(self) -> str:
        return f"{self.layout.prefix}{FEED_URI}"

    def export(self) -> bytes | None:
        """`incidents.json`: every incident with its durations, factors and action items and
        the summary rates (`learning.export`, the same object as `pmkb export`), as of the
        build date. Internal only (it names owners); None with `learning_pages: false`."""
        learning = self.learning  # its ledger and recurrence: computed once for both
        if learning is None or self.public:
            return None
        if self._export is None:
            data = export_data(
                self.listings.incidents,
                self.today,
                learning.action_ledger,
                learning.factor_recurrence,
            )
            self._export = export_json(data, indent=None).encode("utf-8")
        return self._export

    @property
    def export_uri(self) -> str:
        return f"{self.layout.prefix}{EXPORT_URI}"

    def is_postmortem(self, src_uri: str) -> bool:
        return src_uri in self._postmortems

    def header(self, src_uri: str) -> PostMortemHeader | None:
        """The header of the post-mortem page at `src_uri`; None for any other page."""
        pm = self._postmortems.get(src_uri)
        if pm is None:
            return None
        if src_uri not in self._headers:
            self._headers[src_uri] = build_header(
                pm,
                self.config,
                self.listings,
                self.runbook_uris,
                self.similar.get(pm.id, ()),
                public=self.public,
            )
            if self.learning is not None and not self.public:
                header = self._headers[src_uri]
                actions = self.learning.open_actions(header.related)
                self._headers[src_uri] = dataclasses.replace(header, open_actions=actions)
        return self._headers[src_uri]

    def search_markup(self, src_uri: str) -> SearchMarkup | None:
        """How the page at `src_uri` takes part in the site search: a post-mortem with its
        filters and metadata; any other page of the docs (runbooks, handbook, severity
        levels) as `HANDBOOK`; None, left out of the index, for the home page and the
        generated listings under `<url_prefix>incidents/`, which repeat every title."""
        pm = self._postmortems.get(src_uri)
        if pm is not None:
            return postmortem_markup(pm, self.config)
        if src_uri == HOME_URI or self.layout.is_listing(src_uri):
            return None
        if self.learning is not None and self.learning.at.contains(src_uri):
            return None  # listings and figures, like the incident listings
        return HANDBOOK

    def page_markdown(
        self, markdown: str, src_uri: str, is_public_link: Callable[[str], bool] = _any_link
    ) -> str:
        """`markdown` of the page at `src_uri`, with the home markers filled in and, on a
        runbook, the incidents that used it appended. A post-mortem's internal blocks are
        shown marked "Internal only" on the internal site, and cut on the public site, where
        links `is_public_link` rejects become plain text (`public.public_page_markdown`)."""
        if src_uri in self._postmortems:
            markdown = normalise_newlines(markdown)  # as MkDocs read it: the redactor needs LF
            if self.public:
                return public_page_markdown(markdown, is_public_link)
            return mark_internal_for_site(markdown)
        if RECENT_MARKER in markdown:
            markdown = markdown.replace(RECENT_MARKER, self.index_pages.recent_incidents(src_uri))
        if OPEN_ACTIONS_MARKER in markdown:
            markdown = markdown.replace(
                OPEN_ACTIONS_MARKER, self.index_pages.open_actions(self.action_summary)
            )
        runbook = self._runbook_ids.get(src_uri)
        if runbook is not None:
            backlinks = self.index_pages.runbook_backlinks(runbook, src_uri)
            markdown = f"{markdown.rstrip()}\n\n{unindexed(backlinks)}"
        return markdown

    def page_html(self, html: str, src_uri: str) -> str:
        """The rendered HTML of the page at `src_uri`, with what is put in after Markdown
        (a listing's table of incidents: `IndexPages.page_html`; a ledger page's table:
        `LearningPages.page_html`)."""
        html = self.index_pages.page_html(html, src_uri)
        return self.learning.page_html(html, src_uri) if self.learning else html

    def page_inputs(self, src_uri: str) -> object:
        """What `page_html` puts into the generated page at `src_uri` is made from, with
        the settings: the same inputs and the same Markdown make the same page, so
        `mkdocs serve --dirty` compares these instead of rendering the HTML to compare."""
        tables = self.index_pages.table_inputs(src_uri)
        if self.learning is not None:
            tables = tables or self.learning.table_inputs(src_uri)
        return self.config, self.today, self.directory_urls, self.public, tables

    @cached_property
    def similar(self) -> Mapping[str, list[Similar]]:
        """Each incident's most similar others, leaving out those already linked as related
        (by `related` or by naming each other in the text)."""
        linked = {
            pm.id: {
                *pm.meta.related,
                *self.listings.referenced_by.get(pm.id, ()),
                *self.listings.named.get(pm.id, ()),
            }
            for pm in self.listings.incidents
        }
        return similar_incidents(self.listings.incidents, linked)

    @cached_property
    def action_summary(self) -> ActionSummary:
        """Open and overdue action items as of the build date."""
        return action_summary(self.listings.incidents, self.today, self.status_sources)


def generated_view(pm: PostMortem) -> tuple[object, ...]:
    """What the generated pages (listings, Learning pages, the export) read of `pm`: where
    it is, its front matter, its action items and its Summary (the digest's paragraphs).
    Two post-mortems with the same view give the same generated pages."""
    summary = pm.body.section("Summary")
    content = summary.content if summary is not None else None
    return pm.id, pm.source_path, pm.meta, pm.action_items, content


def runbook_uris(src_uris: Iterable[str], runbooks_dir: str) -> dict[str, str]:
    """Runbook id (the file stem) -> source path, for the Markdown pages under `runbooks_dir`
    (relative to docs_dir); `index.md` and `README.md` are not runbooks."""
    prefix = runbooks_dir.strip("/") + "/"
    found: dict[str, str] = {}
    for uri in sorted(src_uris):
        if not uri.startswith(prefix) or not uri.endswith(".md"):
            continue
        stem = posixpath.splitext(posixpath.basename(uri))[0]
        if stem not in IGNORED_RUNBOOK_STEMS:
            found.setdefault(stem, uri)
    return found
