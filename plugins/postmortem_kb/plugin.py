"""The `postmortems` MkDocs plugin: thin hooks over the domain modules.

The hooks say *when*; `Project`, `Archive`, the checks, `KBSite` (the generated pages,
the page headers, the runbook backlinks, the search markup), `site_search` (a page's text)
and `site_index` (the search index) say *what*. Settings are validated by the same
pydantic model the CLI uses (`KBConfig`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
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
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.search.site.index_writer import SearchDoc, write_index
from postmortem_kb.site.kb_site import KBSite, runbook_uris
from postmortem_kb.site.listings import SiteLayout
from postmortem_kb.site.offline import other_hosts, uses_web_fonts
from postmortem_kb.site.search_markup import facet_order, search_doc
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
LEARNING_STYLESHEET = {  # the Learning pages' charts and tables (`learning_pages`)
    "assets/pmkb/learning.css": Path(__file__).parent / "site" / "assets" / "learning.css"
}
_SEARCH_ASSETS_DIR = Path(__file__).parent / "search" / "site" / "assets"
SEARCH_ASSETS = {  # the site search's dialog (templates/partials/pmkb/search.html)
    "assets/pmkb/search.css": _SEARCH_ASSETS_DIR / "search.css",
    "assets/pmkb/search/engine.js": _SEARCH_ASSETS_DIR / "engine.js",  # before the dialog
    "assets/pmkb/search/dialog.js": _SEARCH_ASSETS_DIR / "dialog.js",
}
NOT_IN_NAV = InclusionLevel.NOT_IN_NAV


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
        self._search_docs: dict[str, SearchDoc] = {}  # by URL: pages rendered, as indexed
        self._dirty = False  # `mkdocs serve --dirty`: only changed pages are rendered

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
        root = Path(config.config_file_path).resolve().parent
        self.project = Project(root, self.kb_config, Path(config.docs_dir).resolve())
        _add_templates(config)
        if STYLESHEET_URI not in config.extra_css:
            config.extra_css.append(STYLESHEET_URI)
        if SCRIPT_URI not in map(str, config.extra_javascript):
            config.extra_javascript.append(SCRIPT_URI)
        for uri in LEARNING_STYLESHEET if self.kb_config.learning_pages else ():
            if uri not in config.extra_css:
                config.extra_css.append(uri)
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
        return config

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
        self.archive = load_project_archive(self.project, today=today)
        _report(self.archive.diagnostics)
        public = self.kb_config.public
        shown = public_archive(self.archive) if public else self.archive
        _select_docs(files, config, self.kb_config)
        layout = SiteLayout.of(self.kb_config)
        _check_severity_page(files, layout, public=public)
        outputs = _output_paths(files)
        postmortems = [
            File.generated(
                config, layout.postmortem(pm.id), abs_src_path=str(pm.path), inclusion=NOT_IN_NAV
            )
            for pm in shown.postmortems
        ]
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
        )
        for page in self.site.generated_pages():
            inclusion = InclusionLevel.UNDEFINED if page.in_nav else NOT_IN_NAV
            file = File.generated(config, page.src_uri, content=page.markdown, inclusion=inclusion)
            if _add_generated(files, outputs, file):
                own.append(file.src_uri)
        feed = self.site.feed(
            config.site_name, config.site_url, lambda uri: _url(files, uri, config)
        )
        if feed is not None:
            file = File.generated(config, self.site.feed_uri, content=feed, inclusion=NOT_IN_NAV)
            _add_generated(files, outputs, file)
        assets = {
            STYLESHEET_URI: STYLESHEET,
            SCRIPT_URI: SCRIPT,
            **(LEARNING_STYLESHEET if self.kb_config.learning_pages else {}),
            **(SEARCH_ASSETS if self.kb_config.site_search else {}),
        }
        for uri, path in assets.items():
            file = File.generated(config, uri, abs_src_path=str(path), inclusion=NOT_IN_NAV)
            _add_generated(files, outputs, file)
        self._own_pages = frozenset(own)
        self._site_uris = frozenset(file.src_uri for file in files)
        pages = {file.url for file in files.documentation_pages()} if self._dirty else set()
        self._search_docs = {u: d for u, d in self._search_docs.items() if u in pages}
        return files

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        """Once per build, before any page renders: add the `pmkb_page` filter, which turns a
        source path (how the header data links pages) into that page, for its URL and title."""
        env.filters["pmkb_page"] = _page_of(files)
        env.globals["pmkb_site_search"] = self.kb_config.site_search
        env.globals["pmkb_search_facets"] = facet_order(self.kb_config)
        env.globals["pmkb_feed"] = (  # the Atom feed's <link> in every page's head
            self.site.feed_uri if self.kb_config.learning_pages and self.site else None
        )
        return env

    @event_priority(50)  # before `macros` renders pages as Jinja templates
    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """For each page, before its Markdown is rendered: fill in the home page's
        `<!-- pmkb:... -->` markers and append a runbook's "Incidents that used this
        runbook", so their links are checked like any other. A post-mortem's internal blocks
        are marked "Internal only" on the internal site; on the public site its Markdown is
        redacted and its front matter (`page.meta`) cut down to `public.PUBLIC_META`.
        Post-mortems and generated pages are no templates: `render_macros: false` keeps
        the `macros` plugin off their text (a Helm template quoted in a timeline)."""
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

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """For each page, once rendered: put in what comes after Markdown (a ledger page's
        table, `KBSite.page_html`) and keep its text for the search index, if the page
        takes part in the search (`KBSite.search_markup`)."""
        html = self.site.page_html(html, page.file.src_uri) if self.site else html
        markup = self.site.search_markup(page.file.src_uri) if self.site else None
        if markup is not None and self.kb_config.site_search:
            self._search_docs[page.url] = search_doc(page.url, page.title or "", html, markup)
        return html

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """For each page, before its template renders: hand a post-mortem's header and footer
        data (`page_header.PostMortemHeader`) to the theme override as `pmkb_postmortem`."""
        header = self.site.header(page.file.src_uri) if self.site else None
        context["pmkb_postmortem"] = header  # type: ignore[typeddict-unknown-key]
        return context

    @event_priority(0)
    def _write_search_index(self, *, config: MkDocsConfig) -> None:
        """Once per build (`mkdocs serve` rebuilds included), after every page is written:
        write the search index of the pages kept by `on_page_content` into
        `<site_dir>/pmkb-search/` (`site_index.write_index`). Default priority: checks of
        the finished site (the public leak check, at -100) run after it and see the index."""
        if not self.kb_config.site_search:
            return
        start = time.perf_counter()
        stats = write_index(Path(config.site_dir), self._search_docs.values())
        log.info(
            f"site search: {stats.documents} pages indexed in {time.perf_counter() - start:.1f} s "
            f"({stats.terms} terms; {stats.bytes / 1024 / 1024:.1f} MB in {stats.files} files)"
        )

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

    on_post_build = CombinedEvent(_write_search_index, _check_public_leaks)

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        if self.project is not None:
            server.watch(str(self.project.postmortems_dir))
        return server


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
