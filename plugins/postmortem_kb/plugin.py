"""The `postmortems` MkDocs plugin: thin hooks over the domain modules.

The hooks say *when*; `Project`, `Archive`, the checks, `KBSite` (the generated pages,
the page headers, the runbook backlinks, the search markup), `site_search` (a page's text)
and `site_index` (the search index) say *what*. Settings are validated by the same
pydantic model the CLI uses (`KBConfig`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import material
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents, get_toc
from mkdocs.utils import clean_directory
from mkdocs.utils.templates import TemplateContext
from pydantic import ValidationError

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.format.archive import Archive
from postmortem_kb.learning.ledger import StatusSource
from postmortem_kb.learning.periods import build_date
from postmortem_kb.project import Project
from postmortem_kb.public.leak_check import check_site, leak_sources
from postmortem_kb.public.publish import (
    internal_docs_uri,
    link_filter,
    public_archive,
    public_docs_uri,
    public_page_meta,
)
from postmortem_kb.rules.archive import FileChecks, load_project_archive
from postmortem_kb.rules.check_cache import load_cached_archive, open_check_cache
from postmortem_kb.search.site.index_writer import SearchMarkup, write_index
from postmortem_kb.search.site.terms_cache import CACHE_DIR as TERMS_CACHE_DIR
from postmortem_kb.search.site.terms_cache import TermsCache
from postmortem_kb.site.kb_site import KBSite, runbook_uris
from postmortem_kb.site.listings import SiteLayout
from postmortem_kb.site.offline import other_hosts, uses_web_fonts
from postmortem_kb.site.page_cache import CACHE_DIR as PAGE_CACHE_DIR
from postmortem_kb.site.page_cache import PageCache, site_fingerprint
from postmortem_kb.site.render_cache import CACHE_DIR as RENDER_CACHE_DIR
from postmortem_kb.site.render_cache import (
    RenderCache,
    RenderedPage,
    fingerprint,
    link_targets,
    links_exist,
    site_paths,
)
from postmortem_kb.site.search_markup import facet_order, page_text, search_doc
from postmortem_kb.template_inputs import (
    Uncacheable,
    page_index,
    page_parts,
    shared_nav_key,
    site_inputs,
)
from postmortem_kb.trackers.cache import CacheError
from postmortem_kb.trackers.lookup import status_sources

log = get_plugin_logger("postmortems")

TEMPLATES = Path(__file__).parent / "site" / "templates"
"""Material overrides: the post-mortem header and footer (main.html), the search dialog
(partials/header.html). A file at the same path in the site's `custom_dir` wins."""
STYLESHEET = Path(__file__).parent / "site" / "assets" / "pmkb.css"
STYLESHEET_URI = "assets/pmkb/pmkb.css"
SCRIPT = Path(__file__).parent / "site" / "assets" / "pmkb.js"  # wide tables: keyboard-scrollable
SCRIPT_URI = "assets/pmkb/pmkb.js"
LEARNING_ASSETS = {  # the Learning pages' charts, tables and filter box (`learning_pages`)
    "assets/pmkb/learning.css": Path(__file__).parent / "site" / "assets" / "learning.css",
    "assets/pmkb/learning.js": Path(__file__).parent / "site" / "assets" / "learning.js",
}
_SEARCH_ASSETS_DIR = Path(__file__).parent / "search" / "site" / "assets"
SEARCH_ASSETS = {  # the site search's dialog (templates/partials/pmkb/search.html)
    "assets/pmkb/search.css": _SEARCH_ASSETS_DIR / "search.css",
    "assets/pmkb/search/engine.js": _SEARCH_ASSETS_DIR / "engine.js",  # before the dialog
    "assets/pmkb/search/dialog.js": _SEARCH_ASSETS_DIR / "dialog.js",
}
NOT_IN_NAV = InclusionLevel.NOT_IN_NAV
THEME_PACKAGE = Path(material.__file__).resolve().parent
# Plugins whose `on_env`/`on_page_context` only read: the page cache works beside them.
READ_ONLY_PAGE_HOOKS = ("material.plugins.search", "mkdocs.contrib.search")
# The template globals (`on_env`) that are settings, part of the page cache's key.
_SETTING_GLOBALS = ("pmkb_site_search", "pmkb_search_facets", "pmkb_feed")
# Where another plugin could read a page's HTML after Markdown: `_hold_content` needs none.
_PAGE_READERS = ("page_content", "env", "page_context", "post_page", "post_build", "shutdown")


class PostmortemsPlugin(BasePlugin):  # type: ignore[type-arg]
    """Mounts the post-mortems folder into the site and checks every file during the build."""

    def __init__(self) -> None:
        super().__init__()
        self.kb_config = KBConfig()
        self.project: Project | None = None
        self.archive: Archive | None = None
        self.site: KBSite | None = None
        self._site_uris: frozenset[str] = frozenset()  # every file of the site, after on_files
        self._own_pages: frozenset[str] = frozenset()  # the post-mortems and generated pages
        self._search_docs: dict[str, _SearchPage] = {}  # by URL: pages rendered, to index
        self._dirty = False  # `mkdocs serve --dirty`: only changed pages are rendered
        self._serving = False  # `mkdocs serve`: the render cache is kept in memory too
        self.render_cache: RenderCache | None = None  # `render_cache`; see _cached_markdown
        self._render_keys: dict[str, str] = {}  # src_uri -> its key, for a page rendered
        self._from_cache: dict[str, tuple[RenderedPage, str]] = {}  # src_uri -> (entry, md)
        self._site_paths: frozenset[str] = frozenset()  # what a cached page's links may name
        self._file_checks: FileChecks = {}  # `mkdocs serve`: each file's parse and checks
        self._file_checks_of: object = None  # ... for these settings and build date
        self._rendered_from: dict[str, str] = {}  # `serve`: post-mortem -> _PostmortemPage.read
        self._generated: dict[str, object] = {}  # `serve --dirty`: page -> what it is made of
        self._index_writer = _IndexThread()  # `serve`: the index, after a rebuild
        self.page_cache: PageCache | None = None  # finished pages; see _finished_page
        self._nav: Navigation | None = None
        self._pages: dict[str, tuple[str, str]] = {}  # src_uri -> URL, title (page_index)
        self._dated = False  # a template shows the build date: it is in every page's key
        self._finished_keys: dict[str, str] = {}  # src_uri -> key, for a page rendered now
        self._hold_pages = False  # see _hold_content
        self._held: dict[str, bytes] = {}  # src_uri -> its HTML, compressed (_hold_content)

    def load_config(
        self, options: dict[str, Any], config_file_path: str | None = None
    ) -> tuple[list[Any], list[Any]]:
        """Validate the plugin's options with `KBConfig` instead of MkDocs' config options."""
        try:
            self.kb_config = KBConfig.model_validate(options)
        except ValidationError as err:
            errors = [
                (".".join(map(str, e["loc"])) or "postmortems", e["msg"])
                for e in err.errors(include_url=False)
            ]
            return errors, []
        return [], []

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Once per `mkdocs` command. Having this hook makes MkDocs keep this instance
        across `mkdocs serve` rebuilds, which a dirty rebuild needs: the search index keeps
        the text of the pages not rendered again."""
        self._dirty = dirty
        self._serving = command == "serve"

    @event_priority(-50)  # after the others': techdocs-core sets the theme, monorepo docs_dir
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Once per build, after the other plugins' `on_config` (`techdocs-core` sets the
        theme, `monorepo` the docs folder): locate the project, put the plugin's templates
        in front of
        Material's (`_add_templates`), and add the plugin's stylesheet (badges,
        header, tables, the `internal` admonition) to `extra_css` so every KB gets it, with
        the site search's stylesheet and script, and `md_in_html` (blocks the search leaves
        out of its index are Markdown inside a `<div markdown>`). Keeps the site on its
        own host (`_stay_offline`) and says how the site search and Material's share it."""
        if not self._dirty:  # this rebuild cleans the folder the last index is written into
            self._await_index()
        root = Path(config.config_file_path).resolve().parent
        self.project = Project(root, self.kb_config, Path(config.docs_dir).resolve())
        _add_templates(config)
        if STYLESHEET_URI not in config.extra_css:
            config.extra_css.append(STYLESHEET_URI)
        if SCRIPT_URI not in map(str, config.extra_javascript):
            config.extra_javascript.append(SCRIPT_URI)
        for uri in LEARNING_ASSETS if self.kb_config.learning_pages else ():
            if uri.endswith(".css") and uri not in config.extra_css:
                config.extra_css.append(uri)
            elif uri.endswith(".js") and uri not in map(str, config.extra_javascript):
                config.extra_javascript.append(uri)
        if "md_in_html" not in config.markdown_extensions:  # for site_search.unindexed
            config.markdown_extensions.append("md_in_html")
        if self.kb_config.site_search:
            for uri in SEARCH_ASSETS:
                if uri.endswith(".css"):
                    if uri not in config.extra_css:
                        config.extra_css.append(uri)
                elif uri not in map(str, config.extra_javascript):
                    config.extra_javascript.append(uri)
            if {"search", "material/search"} & set(config.plugins):
                log.info(
                    "site search: the header shows this plugin's search; the `search` "
                    "plugin's index goes unused (remove `search`, or set `site_search: false` "
                    "to keep Material's search)"
                )
        if self.kb_config.offline:
            _stay_offline(config)
        self.render_cache = self._render_cache(config)
        self._held = {}
        self._hold_pages = self._other_page_hook(config, _PAGE_READERS) is None
        return config

    def _render_cache(self, config: MkDocsConfig) -> RenderCache | None:
        """The render cache of this build's settings (`render_cache` option), under
        `.pmkb/render/` beside mkdocs.yml; under `mkdocs serve` the same one across
        rebuilds while the settings stay the same, so its pages stay in memory."""
        if not self.kb_config.render_cache or self.project is None:
            return None
        key = fingerprint(
            list(config.markdown_extensions),
            config.mdx_configs,
            config.use_directory_urls,
            self.kb_config.model_dump(mode="json"),
            list(config.plugins),
        )
        if self.render_cache is not None and self.render_cache.fingerprint == key:
            return self.render_cache
        folder = self.project.root / RENDER_CACHE_DIR
        return RenderCache(folder, key, keep_in_memory=self._serving)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Once per build, before the nav is built (so mkdocs.yml's nav can name generated
        pages): load and check the archive, then add each post-mortem, the generated index
        and severity pages, and the stylesheet to the site's files.

        Post-mortems and the pages past the first of a listing are `NOT_IN_NAV`: in the nav,
        every page would carry the whole archive, and MkDocs would list each one as omitted.
        """
        assert self.project is not None
        try:
            today = build_date()  # SOURCE_DATE_EPOCH if set, else today (UTC)
        except ValueError as err:
            raise PluginError(str(err)) from err
        self.archive = self._load_archive(today)
        _report(self.archive.diagnostics)
        public = self.kb_config.public
        shown = public_archive(self.archive) if public else self.archive
        _select_docs(files, config, self.kb_config)
        layout = SiteLayout.of(self.kb_config)
        _check_severity_page(files, layout, public=public)
        outputs = _output_paths(files)
        postmortems = [
            _PostmortemPage.generated(
                config, layout.postmortem(pm.id), abs_src_path=str(pm.path), inclusion=NOT_IN_NAV
            )
            for pm in shown.postmortems
        ]
        for file in postmortems:
            if isinstance(file, _PostmortemPage):
                file.rendered = self._rendered_from.get(file.src_uri)
        _refuse_clashes(files, outputs, postmortems)
        for file in postmortems:
            files.append(file)
        own = [file.src_uri for file in postmortems]
        runbooks = runbook_uris(
            (f.src_uri for f in files.documentation_pages()), self.kb_config.runbooks_dir
        )
        self.site = KBSite(
            shown.newest_first(),
            self.kb_config,
            runbook_uris=runbooks,
            today=today,
            public=public,
            directory_urls=config.use_directory_urls,
            status_sources=_status_sources(self.project),
            previous=self.site if self._serving else None,  # its pages, if still the same
        )
        generated: dict[str, object] = {}
        for page in self.site.generated_pages():
            inclusion = InclusionLevel.UNDEFINED if page.in_nav else NOT_IN_NAV
            file = _GeneratedPage.generated(
                config, page.src_uri, content=page.markdown, inclusion=inclusion
            )
            if self._dirty and isinstance(file, _GeneratedPage):  # KBSite.page_inputs
                generated[page.src_uri] = (page.markdown, self.site.page_inputs(page.src_uri))
                file.unchanged = self._generated.get(page.src_uri) == generated[page.src_uri]
            if _add_generated(files, outputs, file):
                own.append(file.src_uri)
        self._generated = generated
        feed = self.site.feed(
            config.site_name, config.site_url, lambda uri: _url(files, uri, config)
        )
        if feed is not None:
            file = File.generated(config, self.site.feed_uri, content=feed, inclusion=NOT_IN_NAV)
            _add_generated(files, outputs, file)
        if (export := self.site.export()) is not None:
            file = File.generated(
                config, self.site.export_uri, content=export, inclusion=NOT_IN_NAV
            )
            _add_generated(files, outputs, file)
        assets = {
            STYLESHEET_URI: STYLESHEET,
            SCRIPT_URI: SCRIPT,
            **(LEARNING_ASSETS if self.kb_config.learning_pages else {}),
            **(SEARCH_ASSETS if self.kb_config.site_search else {}),
        }
        for uri, path in assets.items():
            file = File.generated(config, uri, abs_src_path=str(path), inclusion=NOT_IN_NAV)
            _add_generated(files, outputs, file)
        self._own_pages = frozenset(own)
        self._site_uris = frozenset(file.src_uri for file in files)
        self._site_paths = site_paths(path for f in files for path in (f.url, f.dest_uri))
        if self.render_cache is not None:
            self.render_cache.hits = self.render_cache.misses = 0
        pages = {file.url for file in files.documentation_pages()} if self._dirty else set()
        self._search_docs = {u: d for u, d in self._search_docs.items() if u in pages}
        return files

    def _load_archive(self, today: dt.date) -> Archive:
        """The archive, each file's parse and checks through `.pmkb/checks/`
        (`rules.check_cache`). Under `mkdocs serve` the same cache (its entries in memory
        too) across rebuilds while the settings and the build date stay the same."""
        assert self.project is not None
        if not self._serving:
            return load_cached_archive(self.project, today=today)
        settings = (self.kb_config.model_dump_json(), today)
        if settings != self._file_checks_of:
            cache = open_check_cache(self.project, today)
            self._file_checks = {} if cache is None else cache
            self._file_checks_of = settings
        return load_project_archive(self.project, today=today, memo=self._file_checks)

    def _other_page_hook(self, config: MkDocsConfig, events: tuple[str, ...]) -> str | None:
        """Another plugin's handler of one of `events`, unless it is one that only reads
        (`READ_ONLY_PAGE_HOOKS`): what it is, for the log."""
        for event in events:
            for handler in config.plugins.events[event]:
                owner = getattr(handler, "__self__", None)
                if owner is not self and not type(owner).__module__.startswith(
                    READ_ONLY_PAGE_HOOKS
                ):
                    return f"{type(owner).__name__} has on_{event}"
        return None

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self._nav = nav
        return nav

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        """Once per build, after every page's Markdown is rendered and before any template
        is: add the `pmkb_page` filter, which turns a source path (how the header data links
        pages) into that page, for its URL and title; open the page cache."""
        env.filters["pmkb_page"] = _page_of(files)
        env.globals["pmkb_site_search"] = self.kb_config.site_search
        env.globals["pmkb_search_facets"] = facet_order(self.kb_config)
        env.globals["pmkb_feed"] = (  # the Atom feed's <link> in every page's head
            self.site.feed_uri if self.kb_config.learning_pages and self.site else None
        )
        env.globals["pmkb_nav_memo"] = {}  # partials/nav.html: shared_nav_key -> the nav
        env.globals["pmkb_nav_key"] = shared_nav_key
        loader = env.loader
        if config.theme.name == "material" and loader and not isinstance(loader, ChoiceLoader):
            material = FileSystemLoader(str(THEME_PACKAGE / "templates"))
            env.loader = ChoiceLoader([loader, PrefixLoader({"material": material})])
        self._pages = page_index(files)
        self.page_cache = self._page_cache(env, config)
        self._finished_keys = {}
        return env

    def _page_cache(self, env: Environment, config: MkDocsConfig) -> PageCache | None:
        """The page cache of this build's site (`render_cache` option), when the pages
        render through this plugin's `main.html` (which takes a finished page from the cache
        instead of extending Material's `base.html`) and no other plugin changes what the
        templates see in ways the key cannot tell (an `on_env` or `on_page_context` hook)."""
        if not self.kb_config.render_cache or self.project is None or self._nav is None:
            return None
        if env.get_template("main.html").filename != str(TEMPLATES / "main.html"):
            return None  # another theme, or a custom_dir with a main.html of its own
        if (other := self._other_page_hook(config, ("env", "page_context"))) is not None:
            log.debug(f"page cache off: {other}")
            return None
        own = {
            "plugin": self.kb_config.model_dump(mode="json"),
            "globals": {k: env.globals.get(k) for k in _SETTING_GLOBALS},
        }
        try:
            inputs = site_inputs(config, self._nav, THEME_PACKAGE, own)
        except Uncacheable as err:
            log.debug(f"page cache off: the configuration holds {err}")
            return None
        self._dated = bool(inputs["dates"])
        return PageCache(self.project.root / PAGE_CACHE_DIR, site_fingerprint(inputs))

    @event_priority(50)  # before `macros` renders pages as Jinja templates
    def _page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """For each page, before its Markdown is rendered: fill in the home page's
        `<!-- pmkb:... -->` markers and append a runbook's "Incidents that used this
        runbook", so their links are checked like any other. A post-mortem's internal blocks
        are marked "Internal only" on the internal site; on the public site its Markdown is
        redacted and its front matter (`page.meta`) cut down to `public.PUBLIC_META`.
        Post-mortems and generated pages are no templates: `render_macros: false` keeps
        the `macros` plugin off their text (a Helm template quoted in a timeline)."""
        if isinstance(page.file, _PostmortemPage) and page.file.read is not None:
            self._rendered_from[page.file.src_uri] = page.file.read
        if self.site is None:
            return markdown
        src_uri = page.file.src_uri
        if src_uri in self._own_pages:
            page.meta["render_macros"] = False
        if not self.kb_config.public:
            return self.site.page_markdown(markdown, src_uri)
        if self.site.is_postmortem(src_uri):
            page.meta = public_page_meta(page.meta) | {"render_macros": False}
        return self.site.page_markdown(markdown, src_uri, link_filter(src_uri, self._site_uris))

    @event_priority(-100)  # last: the Markdown exactly as Python-Markdown will get it
    def _cached_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """For each page, right before its Markdown is rendered: if the render cache has its
        HTML (`site.render_cache`) and every page that HTML links to is still in the site,
        give Python-Markdown nothing to render; `_cached_content` puts the HTML back."""
        cache = self.render_cache
        if cache is None:
            return markdown
        key = cache.key(page.file.src_uri, page.url, markdown)
        entry = cache.get(key)
        if entry is not None and links_exist(entry, self._site_paths):
            self._from_cache[page.file.src_uri] = (entry, markdown)
            return ""
        self._render_keys[page.file.src_uri] = key
        return markdown

    on_page_markdown = CombinedEvent(_page_markdown, _cached_markdown)

    @event_priority(100)  # first: other plugins get the page as Python-Markdown left it
    def _cached_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """For each page, once rendered: a page `_cached_markdown` took from the render
        cache gets its HTML, table of contents, title and anchors back; a page rendered
        now goes into the cache."""
        cache, src_uri = self.render_cache, page.file.src_uri
        if cache is None:
            return html
        hit = self._from_cache.pop(src_uri, None)
        if hit is not None:
            entry, page.markdown = hit
            page.toc = get_toc(entry.toc)  # type: ignore[arg-type]
            page._title_from_render = entry.title
            page.present_anchor_ids = set(entry.anchors)
            if page.links_to_anchors is not None:  # MkDocs checks them (not in debug mode)
                page.links_to_anchors = {
                    file: dict(links)
                    for uri, links in entry.anchor_links.items()
                    if (file := files.get_file_from_path(uri)) is not None
                }
            cache.hits += 1
            return entry.html
        key = self._render_keys.pop(src_uri, None)
        if key is not None:
            anchors = sorted(page.present_anchor_ids or ())
            title = page._title_from_render
            links = link_targets(html, page.url)
            to_anchors = {f.src_uri: dict(a) for f, a in (page.links_to_anchors or {}).items()}
            toc = _toc_tokens(page.toc)
            cache.put(key, RenderedPage(html, toc, title, anchors, links, to_anchors))
            cache.misses += 1
        return html

    def _page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """For each page, once rendered: put in what comes after Markdown (a ledger page's
        table, `KBSite.page_html`) and keep it for the search index, if the page takes part
        in the search (`KBSite.search_markup`): its text is read when the index is written."""
        html = self.site.page_html(html, page.file.src_uri) if self.site else html
        markup = self.site.search_markup(page.file.src_uri) if self.site else None
        if markup is not None and self.kb_config.site_search:
            self._search_docs[page.url] = (page.url, page.title or "", html, markup)
        return html

    @event_priority(-100)  # last: nothing after this reads the page before its template
    def _hold_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """For each page, once rendered: keep its HTML compressed until its template renders
        (`_give_content`), and let go of it once the page is written (`on_post_page`).
        MkDocs renders every page's Markdown before it renders any template, so otherwise
        the whole site's HTML is in memory at once (a third of the peak at 1,000 pages).
        Only when no other plugin reads pages later (`_PAGE_READERS`)."""
        if not self._hold_pages:
            return html
        self._held[page.file.src_uri] = zlib.compress(html.encode("utf-8", "surrogatepass"), 1)
        return ""

    on_page_content = CombinedEvent(_cached_content, _page_content, _hold_content)

    @event_priority(100)  # first: every other handler sees the page's HTML
    def _give_content(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        held = self._held.pop(page.file.src_uri, None)
        if held is not None:
            page.content = zlib.decompress(held).decode("utf-8", "surrogatepass")
        return context

    def _page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """For each page, before its template renders: hand a post-mortem's header and footer
        data (`page_header.PostMortemHeader`) to the theme override as `pmkb_postmortem`."""
        header = self.site.header(page.file.src_uri) if self.site else None
        context["pmkb_postmortem"] = header  # type: ignore[typeddict-unknown-key]
        return context

    @event_priority(-100)  # last: the context exactly as the template will get it
    def _finished_page(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """For each page, right before its template renders: if the page cache has the page
        as the template would make it of this context (`site.page_cache`), hand it to
        `main.html` as `pmkb_finished`, which then renders nothing else; otherwise
        `_keep_finished` puts the page into the cache once rendered."""
        context["pmkb_finished"] = None  # type: ignore[typeddict-unknown-key]
        cache = self.page_cache
        if cache is None or page.file.inclusion.is_excluded():
            return context  # a draft under `serve` gets a banner after this hook
        if page.meta.get("template", "main.html") != "main.html":
            return context
        try:
            key = cache.key(page_parts(page, context, self._pages, dated=self._dated))
        except Uncacheable:
            return context
        finished = cache.get(key)
        if finished is None:
            self._finished_keys[page.file.src_uri] = key
        context["pmkb_finished"] = finished  # type: ignore[typeddict-unknown-key]
        return context

    on_page_context = CombinedEvent(_give_content, _page_context, _finished_page)

    @event_priority(100)  # first: the page as the template made it, before other plugins
    def _keep_finished(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        key = self._finished_keys.pop(page.file.src_uri, None)
        if key is not None and self.page_cache is not None:
            self.page_cache.put(key, output)
        return output

    @event_priority(-100)  # last
    def _let_go(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if self._hold_pages:
            page.content = None  # written: nothing reads it again (_hold_content)
        return output

    on_post_page = CombinedEvent(_keep_finished, _let_go)

    @event_priority(0)
    def _write_search_index(self, *, config: MkDocsConfig) -> None:
        """Once per build (`mkdocs serve` rebuilds included), after every page is written:
        write the search index of the pages kept by `on_page_content` into
        `<site_dir>/pmkb-search/` (`site_index.write_index`). Default priority: checks of
        the finished site (the public leak check, at -100) run after it and see the index.

        Under `mkdocs serve`, a rebuild's index is written after the rebuilt pages are
        served, in a thread of its own that no dirty rebuild waits for (`_IndexThread`):
        the search catches up a moment later, the edited page does not wait for it."""
        if not self.kb_config.site_search:
            return
        site_dir, docs = Path(config.site_dir), list(self._search_docs.values())
        cache = None  # the pages' terms (`render_cache` option), in .pmkb/search/
        if self.kb_config.render_cache and self.project is not None:
            cache = TermsCache(self.project.root / TERMS_CACHE_DIR, page_text)
        if self._serving and self._index_writer.started and not self.kb_config.public:
            self._index_writer.submit(lambda: _write_index(site_dir, docs, cache))
            return
        _write_index(site_dir, docs, cache)
        self._index_writer.started = self._serving  # the first build's index is written now

    def _await_index(self) -> None:
        self._index_writer.wait()

    def on_shutdown(self) -> None:
        self._await_index()

    @event_priority(-100)
    def _check_public_leaks(self, *, config: MkDocsConfig) -> None:
        """Once per public build, last (after the search index is written): scan every
        file of the site for internal content (`leak_check.check_site`). A leak fails the
        build and empties the site folder, so that no step after it publishes the site.
        Other steps that write into the site (a search index) belong before it."""
        if not self.kb_config.public or self.project is None or self.archive is None:
            return
        config_files = {Path(config.config_file_path), self.project.root / "mkdocs.yml"}
        existing = sorted(path for path in config_files if path.is_file())
        sources = leak_sources(self.project, self.archive, existing)
        report = check_site(Path(config.site_dir), sources, self.kb_config)
        if report.ok:
            log.info(report.summary())
            return
        lines = list(report.lines())
        for line in lines:
            log.error(line)
        clean_directory(config.site_dir)
        raise PluginError(
            f"{report.summary()}; the site folder was emptied, nothing may be published:\n"
            + "\n".join(lines)
        )

    @event_priority(10)
    def _log_render_cache(self, *, config: MkDocsConfig) -> None:
        """Once per build: say what came from the caches; a build of the whole site (not
        `serve`, whose dirty rebuilds see only some pages) drops the finished pages it did
        not use (`PageCache.prune`)."""
        if self.render_cache is not None:
            cache = self.render_cache
            log.info(f"render cache: {cache.hits} pages from it, {cache.misses} rendered")
        if self.page_cache is not None:
            pages = self.page_cache
            dropped = 0 if self._serving else pages.prune()
            log.info(
                f"page cache: {pages.hits} finished pages from it, {pages.misses} rendered"
                + (f", {dropped} unused dropped" if dropped else "")
            )

    on_post_build = CombinedEvent(_log_render_cache, _write_search_index, _check_public_leaks)

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        if self.project is not None:
            server.watch(str(self.project.postmortems_dir))
        return server


_SearchPage = tuple[str, str, str, SearchMarkup]  # URL, title, HTML, markup: `search_doc`'s


def _write_index(site_dir: Path, pages: list[_SearchPage], cache: TermsCache | None) -> None:
    start = time.perf_counter()
    text = cache.page_text if cache is not None else None
    docs = [search_doc(*page, text=text) for page in pages]
    if cache is None:
        stats = write_index(site_dir, docs)
    else:
        stats = write_index(site_dir, docs, weighted_terms=cache.weighted_terms)
        cache.save()
    log.info(
        f"site search: {stats.documents} pages indexed in {time.perf_counter() - start:.1f} s "
        f"({stats.terms} terms; {stats.bytes / 1024 / 1024:.1f} MB in {stats.files} files"
        + (f"; {cache.misses} pages tokenized, {cache.hits} from the cache" if cache else "")
        + (f", {cache.texts_read} texts read from HTML)" if cache else ")")
    )


class _IndexThread:
    """Under `mkdocs serve`: writes the newest rebuild's search index in a thread of its
    own. A rebuild never waits for it: one that ends while an index is being written leaves
    its index to be written next, in place of any left before it (only the newest is
    written). `wait` returns once no index is left to write (before a rebuild cleans the
    site folder, and at shutdown)."""

    def __init__(self) -> None:
        self.started = False  # the first build wrote its index itself
        self._lock = threading.Lock()
        self._next: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None

    def submit(self, write: Callable[[], None]) -> None:
        with self._lock:
            self._next = write
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pmkb-search-index")
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                write, self._next = self._next, None
                if write is None:
                    self._thread = None
                    return
            try:
                write()
            except Exception as err:  # the served site stays; the search is stale
                log.error(f"site search: the index was not written: {err}")

    def wait(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()


class _PostmortemPage(File):
    """A post-mortem's page. `mkdocs serve --dirty` renders a page again when its file is
    newer than its output; but a save while a rebuild runs, after it read the file and
    before it wrote the page, is older than that output, and the page would stay stale.
    So a post-mortem is also modified when its bytes are not those its page was last
    rendered from (`rendered`: their SHA-1, which the plugin keeps across rebuilds)."""

    rendered: str | None = None  # the bytes the page was last rendered from
    read: str | None = None  # the bytes this build read

    @property  # type: ignore[override, misc]
    def content_string(self) -> str:
        """The file's text, as MkDocs reads it (UTF-8, a BOM dropped, universal newlines),
        noting which bytes were read."""
        assert self.abs_src_path is not None
        data = Path(self.abs_src_path).read_bytes()
        self.read = hashlib.sha1(data).hexdigest()
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="strict").read()

    def is_modified(self) -> bool:
        if self.rendered is not None and self.abs_src_path is not None:
            try:
                current = hashlib.sha1(Path(self.abs_src_path).read_bytes()).hexdigest()
            except OSError:
                return True
            if current != self.rendered:
                return True
        return super().is_modified()


class _GeneratedPage(File):
    """A generated page that `mkdocs serve --dirty` renders again only when its content
    changed (`unchanged` False); MkDocs renders every generated page otherwise."""

    unchanged = False

    def is_modified(self) -> bool:
        return not self.unchanged and super().is_modified()


def _toc_tokens(toc: TableOfContents | list[Any]) -> list[dict[str, Any]]:
    """A page's table of contents as the toc tokens `get_toc` makes it from again."""
    return [
        {"level": a.level, "id": a.id, "name": a.title, "children": _toc_tokens(a.children)}
        for a in toc
    ]


def _add_templates(config: MkDocsConfig) -> None:
    """Search `TEMPLATES` after the site's `custom_dir` and before the theme's own folders,
    when the theme is Material (the templates extend and copy Material's); with another
    theme, post-mortem pages render as that theme renders any page."""
    theme = config.theme
    if theme.name != "material" or str(TEMPLATES) in theme.dirs:
        return
    theme.dirs.insert(1 if theme.custom_dir else 0, str(TEMPLATES))


def _select_docs(files: Files, config: MkDocsConfig, kb_config: KBConfig) -> None:
    """Leave out (or move) the files of the docs folder that this variant of the site does
    not have: `public.public_docs_uri` decides on the public site (an allow list of pages,
    no runbooks, the public home page as `index.md`), `public.internal_docs_uri` on the
    internal one (everything but the public home page)."""
    docs = Path(config.docs_dir).resolve()
    moves: dict[File, str | None] = {}
    for file in files:
        if not file.abs_src_path or not Path(file.abs_src_path).resolve().is_relative_to(docs):
            continue  # the theme's files
        if kb_config.public:
            target = public_docs_uri(file.src_uri, kb_config, is_page=file.is_documentation_page())
        else:
            target = internal_docs_uri(file.src_uri, kb_config)
        if target != file.src_uri:
            moves[file] = target
    for file in moves:
        files.remove(file)
    for file, target in moves.items():
        if target is not None and file.abs_src_path:
            files.append(File.generated(config, target, abs_src_path=file.abs_src_path))


def _stay_offline(config: MkDocsConfig) -> None:
    """No request to another host (`offline`): Material's web fonts off, so it uses the
    system's fonts instead of Google Fonts, and a warning for each stylesheet or script
    the site loads from another host (only the site can remove those)."""
    theme = config.theme
    if theme.name == "material" and uses_web_fonts(theme["font"]):
        theme["font"] = False
        log.info("offline: theme.font set to false (no Google Fonts; the system's fonts)")
    urls = [*config.extra_css, *map(str, config.extra_javascript)]
    for url in other_hosts(urls):
        log.warning(
            f"offline: {url} is loaded from another host; copy it into docs_dir, "
            "or set `offline: false`"
        )


def _check_severity_page(files: Files, layout: SiteLayout, *, public: bool) -> None:
    """A `severity_page` of the site's own must be one of its pages (on the public site:
    one that `public_pages` keeps), or every link to it would be broken."""
    page = layout.severity_page
    if layout.generates_severity_page or page is None:
        return
    file = files.get_file_from_path(page)
    if file is None or not file.is_documentation_page():
        kept = " that the public site keeps (public_pages)" if public else ""
        raise PluginError(f"severity_page: {page} is not a page of docs_dir{kept}")


def _output_paths(files: Files) -> dict[str, str]:
    """Each file's output path (`dest_uri`) -> its source path: `guide.md` and
    `guide/index.md` are different sources written to the same `guide/index.html`."""
    return {file.dest_uri: file.src_uri for file in files}


def _clash(files: Files, outputs: dict[str, str], file: File) -> str | None:
    """The source path of the site's file at `file`'s source or output path, if any."""
    if files.get_file_from_path(file.src_uri) is not None:
        return file.src_uri
    return outputs.get(file.dest_uri)


def _refuse_clashes(files: Files, outputs: dict[str, str], postmortems: list[File]) -> None:
    """A post-mortem page never replaces one of the site's files, nor gives way to it: the
    build fails, naming each file in the way. Otherwise their output paths are taken."""
    clashes = [
        f"{taken} (post-mortem page {file.src_uri})"
        for file in postmortems
        if (taken := _clash(files, outputs, file))
    ]
    if clashes:
        raise PluginError(
            "the site already has a file where a post-mortem page goes: "
            + ", ".join(clashes)
            + "; set `url_prefix` to put the archive in a folder of its own"
        )
    outputs.update((file.dest_uri, file.src_uri) for file in postmortems)


def _add_generated(files: Files, outputs: dict[str, str], file: File) -> bool:
    """Add a generated page or asset, unless the site has a file at its source or output
    path: theirs wins, with a warning (so `--strict` fails). Whether it was added."""
    taken = _clash(files, outputs, file)
    if taken is not None:
        log.warning(f"{taken} exists in the docs, so the generated {file.src_uri} is not added")
        return False
    files.append(file)
    outputs[file.dest_uri] = file.src_uri
    return True


def _status_sources(project: Project) -> list[StatusSource]:
    """The tracker cache as the ledger's first status source (none without one); a broken
    cache is a warning, and the Status cells decide."""
    try:
        return status_sources(project.root, project.config.trackers)
    except CacheError as err:
        log.warning(f"{err}; the ledger uses the Status column")
        return []


def _url(files: Files, src_uri: str, config: MkDocsConfig) -> str:
    """The URL (from the site's root) of the page at `src_uri`. A generated page that gave
    way to a file of the site at its path (`_add_generated`) has that file's URL."""
    file = files.get_file_from_path(src_uri)
    if file is None:
        file = File(src_uri, None, config.site_dir, config.use_directory_urls)
    return file.url


def _page_of(files: Files) -> Callable[[str | None], Page | None]:
    def page(src_uri: str | None) -> Page | None:
        file = files.get_file_from_path(src_uri) if src_uri else None
        return file.page if file is not None else None

    return page


def _report(diagnostics: list[Diagnostic]) -> None:
    """Warnings through the plugin logger (so `--strict` counts them); errors fail the build."""
    for diagnostic in diagnostics:
        if not diagnostic.is_error:
            log.warning(str(diagnostic))
    errors = [str(d) for d in diagnostics if d.is_error]
    if errors:
        for error in errors:
            log.error(error)
        raise PluginError(
            f"{len(errors)} error(s) in the post-mortems; see above or run `pmkb check`"
        )
