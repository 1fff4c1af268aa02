"""The Markdown of the pages the site generates: incident listings, group overviews, the
severity definitions, and the snippets other pages embed (recent incidents, open action
items, a runbook's incidents).

Pure: `IndexPages` renders `Listings` (listings.py) into `GeneratedPage`s and strings; the
plugin only adds them to the site. Every link in the Markdown is a relative link to a source
path (`../../postmortems/<id>.md`), so MkDocs checks it (`--strict` fails on a broken one)
and turns it into the right URL whatever `use_directory_urls` is. Text from the
post-mortems is escaped, so a title with `|`, `*` or `<` stays text.

A listing's table of incidents is no Markdown: the page holds `INCIDENT_TABLE_MARKER`, and
`page_html` puts the table, as HTML, into the rendered page (from the plugin's
`on_page_content`, like the ledger's). Python-Markdown's inline processing of those rows
was most of a listing's build time: an incident is a row in eight or so listings, 24,000
rows at 3,000 post-mortems. Each row is made once (`_row`, links from the site's root);
its URLs follow MkDocs' rule (`listings.page_url`), every value is `html.escape`d.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from postmortem_kb.config import KBConfig
from postmortem_kb.format.durations import format_duration
from postmortem_kb.format.model import PostMortem
from postmortem_kb.site.listings import (
    PAGE_SIZE,
    SEVERITY_PAGE_URI,
    ActionSummary,
    Group,
    GroupValue,
    Listings,
    SiteLayout,
    page_url,
    paged_uri,
    paginate,
    to_root,
)
from postmortem_kb.site.page_header import STATUS_LABELS
from postmortem_kb.site.severity import badge

RECENT_MARKER = "<!-- pmkb:recent-incidents -->"
OPEN_ACTIONS_MARKER = "<!-- pmkb:open-actions -->"
RECENT_COUNT = 10
BACKLINKS_LIMIT = 20
BACKLINKS_HEADING = "Incidents that used this runbook"
INCIDENT_TABLE_MARKER = "<!-- pmkb:incident-table -->"  # where `page_html` puts a listing's table
_ROOT = "\x00"  # in a cached row: where the link from the page to the site's root goes


@dataclass(frozen=True)
class GeneratedPage:
    src_uri: str
    title: str
    markdown: str
    in_nav: bool = False  # only first pages of the main listings go in the navigation


@dataclass(frozen=True)
class _Wording:
    title: str  # the H1 of a value's page; {name} is the value
    lead: str  # the sentence above its table; {name} is the (escaped, bold) value


_WORDING = {
    "severity": _Wording("{name} incidents", "Incidents rated {name}, newest first."),
    "services": _Wording("Service: {name}", "Incidents that affected {name}, newest first."),
    "tags": _Wording(
        "Failure mode: {name}", "Incidents with the failure mode {name}, newest first."
    ),
    "factors": _Wording(
        "Contributing factor: {name}",
        "Incidents with a contributing factor of the category {name}, newest first.",
    ),
    "years": _Wording("Incidents in {name}", "Incidents that started in {name}, newest first."),
    "runbooks": _Wording(
        "Runbook: {name}", "Incidents that used the runbook {name}, newest first."
    ),
}
_DEFAULT_WORDING = _Wording("{name}", "Incidents: {name}, newest first.")
_LISTING_COLUMNS = ("Date", "Incident", "Severity", "Services", "Duration", "Status")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!])")


def escape(text: str) -> str:
    """`text` as literal inline Markdown, safe in a table cell, a heading or a link label:
    Markdown's punctuation is backslash-escaped, HTML's is an entity, and so is `|` (a
    backslash before it would show outside a table)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return text.replace("|", "&#124;")


def relative(here: str, target: str) -> str:
    """The relative link from the page at source path `here` to the one at `target` (both
    normalised, `/`-separated source paths: a listing makes thousands of these, so this is
    a plain walk over the common folders rather than `posixpath.relpath`)."""
    folders = here.split("/")[:-1]
    parts = target.split("/")
    common = 0
    while common < min(len(folders), len(parts) - 1) and folders[common] == parts[common]:
        common += 1
    return "/".join([".."] * (len(folders) - common) + parts[common:])


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


LISTING_FRONT_MATTER = "---\nhide:\n  - toc\n---\n\n"  # tables need the width more
LISTING_MARKER = '<span class="pmkb-listing"></span>'  # lets the stylesheet find listings


def _listing(title: str, lead: str) -> list[str]:
    """The start of a listing page: front matter, H1 and the lead paragraph."""
    return [LISTING_FRONT_MATTER + f"# {escape(title)}", "", LISTING_MARKER + lead, ""]


class IndexPages:
    """Renders the generated pages and snippets of one build."""

    def __init__(
        self,
        listings: Listings,
        config: KBConfig,
        runbook_uris: dict[str, str] | None = None,
        page_size: int = PAGE_SIZE,
        *,
        directory_urls: bool = True,
    ) -> None:
        """`directory_urls`: MkDocs' `use_directory_urls`, which the HTML tables' links follow."""
        self.listings = listings
        self.config = config
        self.runbook_uris = runbook_uris or {}
        self.page_size = page_size
        self.layout = SiteLayout.of(config)
        self.directory_urls = directory_urls
        self._tables: dict[str, Sequence[PostMortem]] = {}  # listing page -> its rows
        self._rows: dict[str, str] = {}  # post-mortem id -> its row, links marked `_ROOT`

    # --- pages ---------------------------------------------------------------------------

    def pages(self) -> Iterator[GeneratedPage]:
        """Every generated page: all incidents, each group's overview and values, and the
        severity page unless the site has its own (`severity_page`) or none."""
        yield from self.all_incidents()
        for group in self.listings.groups.values():
            yield from self.group_overview(group)
            for value in group.values:
                yield from self.group_value(group, value)
        if self.layout.generates_severity_page:
            yield self.severity_page()

    def all_incidents(self) -> Iterator[GeneratedPage]:
        incidents = self.listings.incidents

        def lead(here: str) -> str:
            browse = " · ".join(
                f"[{escape(group.noun.lower())}]({relative(here, self.layout.group(key))})"
                for key, group in self.listings.groups.items()
            )
            severity = self.layout.severity_page
            levels = (
                f"; what the levels mean: [severity levels]({relative(here, severity)})"
                if severity
                else ""
            )
            return (
                f"{plural(len(incidents), 'incident')}, newest first. Browse by {browse}{levels}."
            )

        all_incidents = self.layout.all_incidents()
        yield from self._paged(all_incidents, "All incidents", lead, incidents, in_nav=True)

    def group_overview(self, group: Group) -> Iterator[GeneratedPage]:
        base = self.layout.group(group.key)
        noun = group.noun.lower()
        pages = paginate(group.values, self.page_size)
        for number, values in enumerate(pages, start=1):
            here = paged_uri(base, number)
            title = group.title if number == 1 else f"{group.title} (page {number})"
            lead = (
                f"{plural(len(group.values), noun)}, "
                f"{plural(len(self.listings.incidents), 'incident')} in all. An incident "
                f"counts once for each {noun} it lists. "
                f"[All incidents]({relative(here, self.layout.all_incidents())})."
            )
            lines = _listing(title, lead)
            lines += self._pager(base, number, len(pages))
            lines += self._overview_table(group, values, here)
            lines += ["", *self._pager(base, number, len(pages))]
            yield GeneratedPage(here, title, "\n".join(lines) + "\n", in_nav=number == 1)

    def group_value(self, group: Group, value: GroupValue) -> Iterator[GeneratedPage]:
        wording = _WORDING.get(group.key, _DEFAULT_WORDING)

        def lead(here: str) -> str:
            return (
                f"{wording.lead.format(name=self._value_label(group, value, here))} "
                f"{plural(value.count, 'incident')}. "
                f"[{escape(group.title)}]({relative(here, self.layout.group(group.key))}) · "
                f"[All incidents]({relative(here, self.layout.all_incidents())})"
            )

        title = wording.title.format(name=value.name)
        base = self.layout.value(group.key, value.slug)
        yield from self._paged(base, title, lead, value.incidents)

    def severity_page(self) -> GeneratedPage:
        """The generated severity page, at `<prefix>severity-levels.md`."""
        here = f"{self.layout.prefix}{SEVERITY_PAGE_URI}"
        severity = self.listings.groups["severity"]
        lines = [
            "# Severity levels",
            "",
            "Every post-mortem is rated with one of these levels. The level decides who is "
            "paged and how often stakeholders hear from the incident team. The levels come "
            "from the `postmortems` plugin's `severity_levels` in `mkdocs.yml`, the same list "
            "the validator checks against and the badges are coloured from.",
            "",
        ]
        for level in self.config.severity_levels:
            value = severity.value(level.name)  # every configured level has a page, even at 0
            assert value is not None
            target = relative(here, self.layout.value("severity", value.slug))
            incidents = f"{plural(value.count, 'incident')} rated {escape(level.name)}"
            lines += [
                f"## {badge(self.config, level.name).html()}",
                "",
                f"[{incidents}]({target})",
                "",
            ]
            facts = [
                ("Meaning", level.meaning),
                ("Paging", level.paging),
                ("Updates", level.update_cadence),
                ("Example", level.example),
            ]
            lines += [f"- **{label}:** {escape(text)}" for label, text in facts if text]
            lines.append("")
        return GeneratedPage(here, "Severity levels", "\n".join(lines), in_nav=True)

    # --- snippets ------------------------------------------------------------------------

    def recent_incidents(self, here: str, count: int = RECENT_COUNT) -> str:
        """The `count` newest incidents as a table, for a page at source path `here`."""
        incidents = self.listings.incidents[:count]
        if not incidents:
            return "No post-mortems yet."
        total = len(self.listings.incidents)
        everything = (
            f"[all {plural(total, 'incident')}]({relative(here, self.layout.all_incidents())})"
        )
        lead = f"**The {plural(len(incidents), 'most recent incident')}** · {everything}"
        return "\n".join([lead, "", *self._incident_table(incidents, here), ""])

    def open_actions(self, summary: ActionSummary) -> str:
        as_of = summary.as_of.isoformat()
        if not summary.open:
            return f"No open action items as of {as_of}."
        return (
            f"**{plural(summary.open, 'open action item')}** across "
            f"{plural(summary.incidents_with_open, 'incident')}; "
            f"**{summary.overdue:,} overdue** as of {as_of}."
        )

    def runbook_backlinks(self, runbook_id: str, here: str, limit: int = BACKLINKS_LIMIT) -> str:
        """The section appended to a runbook's page: the incidents that used it."""
        value = self.listings.groups["runbooks"].value(runbook_id)
        lines = [f"## {BACKLINKS_HEADING}", ""]
        if value is None or not value.incidents:
            return "\n".join([*lines, "No post-mortem names this runbook yet.", ""])
        lines += self._incident_table(value.incidents[:limit], here)
        if value.count > limit:
            target = relative(here, self.layout.value("runbooks", value.slug))
            lines += [
                "",
                f"[All {plural(value.count, 'incident')} that used this runbook]({target})",
            ]
        return "\n".join([*lines, ""])

    # --- tables put into the rendered listings -------------------------------------------

    def page_html(self, rendered: str, src_uri: str) -> str:
        """A rendered listing page's HTML with its table of incidents in place of
        `INCIDENT_TABLE_MARKER`; any other page's as it is."""
        rows = self._tables.get(src_uri)
        if rows is None or INCIDENT_TABLE_MARKER not in rendered:
            return rendered
        return rendered.replace(INCIDENT_TABLE_MARKER, self.incident_table_html(rows, src_uri), 1)

    def table_inputs(self, src_uri: str) -> object:
        """What `page_html` makes the page's table of incidents from (its rows'
        post-mortems and the services' pages they link to): the same inputs, the same
        table. `mkdocs serve --dirty` compares them, not the HTML."""
        rows = self._tables.get(src_uri)
        if rows is None:
            return None
        return tuple(rows), self._service_slugs

    @cached_property
    def _service_slugs(self) -> tuple[tuple[str, str], ...]:
        return tuple((value.name, value.slug) for value in self.listings.groups["services"].values)

    def incident_table_html(self, incidents: Sequence[PostMortem], here: str) -> str:
        """The listing table of `incidents` for the page at source path `here`."""
        head = "".join(f"<th>{label}</th>" for label in _LISTING_COLUMNS)
        root = to_root(here, self.directory_urls)
        rows = "".join(self._row(pm).replace(_ROOT, root) for pm in incidents)
        return f"<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>"

    def _row(self, pm: PostMortem) -> str:
        """`pm`'s listing row, its links from the site's root marked `_ROOT`: made once,
        though the incident is in several listings."""
        cached = self._rows.get(pm.id)
        if cached is not None:
            return cached
        e = html.escape
        meta = pm.meta
        services = self.listings.groups["services"]
        links = []
        for name in dict.fromkeys(meta.services):
            value = services.value(name)
            if value is None:
                links.append(e(name))
                continue
            url = _ROOT + page_url(self.layout.value("services", value.slug), self.directory_urls)
            links.append(f'<a href="{e(url)}">{e(name)}</a>')
        url = _ROOT + page_url(self.layout.postmortem(pm.id), self.directory_urls)
        status = STATUS_LABELS.get(meta.status or "", "not recorded")
        cells = [
            meta.date.isoformat() if meta.date else "",
            f'<a href="{e(url)}">{e(" ".join(pm.title.split()))}</a>',
            badge(self.config, meta.severity).html() if meta.severity else "",
            ", ".join(links),
            e(format_duration(pm.duration())),
            e(status),
        ]
        row = "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>\n"
        self._rows[pm.id] = row
        return row

    # --- parts ---------------------------------------------------------------------------

    def _paged(
        self,
        base: str,
        title: str,
        lead: Callable[[str], str],  # the lead paragraph of the page at a source path
        incidents: Sequence[PostMortem],
        *,
        in_nav: bool = False,
    ) -> Iterator[GeneratedPage]:
        pages = paginate(incidents, self.page_size)
        for number, rows in enumerate(pages, start=1):
            here = paged_uri(base, number)
            page_title = title if number == 1 else f"{title} (page {number})"
            lines = _listing(page_title, lead(here))
            lines += self._pager(base, number, len(pages))
            if rows:
                lines.append(INCIDENT_TABLE_MARKER)
                self._tables[here] = rows
            else:
                lines.append("No incidents yet.")
            lines += ["", *self._pager(base, number, len(pages))]
            yield GeneratedPage(
                here, page_title, "\n".join(lines) + "\n", in_nav=in_nav and number == 1
            )

    def _pager(self, base: str, number: int, count: int) -> list[str]:
        """`← Newer · Page 2 of 5 · Older →` between the pages of one listing."""
        links = pager(base, number, count, ("Newer", "Older"))
        return [links, ""] if links else []

    def _incident_table(self, incidents: Sequence[PostMortem], here: str) -> list[str]:
        """A short table of incidents in Markdown (the home page's recent incidents, a
        runbook's): date, title, severity and services. Listings use `incident_table_html`."""
        lines = ["| " + " | ".join(_LISTING_COLUMNS[:4]) + " |", "|" + "---|" * 4]
        services = self.listings.groups["services"]
        for pm in incidents:
            meta = pm.meta
            links = []
            for name in dict.fromkeys(meta.services):
                value = services.value(name)
                target = (
                    relative(here, self.layout.value("services", value.slug)) if value else None
                )
                links.append(f"[{escape(name)}]({target})" if target else escape(name))
            cells = [
                meta.date.isoformat() if meta.date else "",
                f"[{escape(pm.title)}]({relative(here, self.layout.postmortem(pm.id))})",
                badge(self.config, meta.severity).html() if meta.severity else "",
                ", ".join(links),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def _overview_table(self, group: Group, values: Sequence[GroupValue], here: str) -> list[str]:
        is_severity = group.key == "severity"
        header = [group.noun, *(["Meaning"] if is_severity else []), "Incidents", "Latest"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for value in values:
            target = relative(here, self.layout.value(group.key, value.slug))
            name = f"[{escape(value.name)}]({target})"
            if is_severity:
                level = self.config.level(value.name)
                name = f"[{badge(self.config, value.name).html()}]({target})"
                meaning = [escape(level.meaning) if level else ""]
            else:
                meaning = []
            latest = value.latest.isoformat() if value.latest else "–"
            lines.append("| " + " | ".join([name, *meaning, f"{value.count:,}", latest]) + " |")
        return lines

    def _value_label(self, group: Group, value: GroupValue, here: str) -> str:
        label = f"**{escape(value.name)}**"
        if group.key == "runbooks" and value.name in self.runbook_uris:
            return f"[{label}]({relative(here, self.runbook_uris[value.name])})"
        if group.key == "severity" and self.layout.severity_page:
            return f"{label} ([what it means]({relative(here, self.layout.severity_page)}))"
        return label


def pager(base: str, number: int, count: int, labels: tuple[str, str]) -> str:
    """`← Newer · Page 2 of 5 · Older →` (with `labels` for the two directions) between
    the `count` pages of the listing whose first page is `base`; empty for one page."""
    if count <= 1:
        return ""
    here = paged_uri(base, number)
    parts = []
    if number > 1:
        parts.append(f"[← {labels[0]}]({relative(here, paged_uri(base, number - 1))})")
    parts.append(f"Page {number} of {count}")
    if number < count:
        parts.append(f"[{labels[1]} →]({relative(here, paged_uri(base, number + 1))})")
    return f'<span class="pmkb-pager">{" · ".join(parts)}</span>'
