"""The Learning pages of the site: the dashboard, the action-item ledger, the recurring
factors and the monthly digests, as `GeneratedPage`s.

Pure, no MkDocs: `LearningPages` lays out what the learning modules compute (`ledger`,
`metrics`, `stats`, `recurrence`, `digest`); it counts nothing itself. Pages:

    learning/                           dashboard: key figures, four charts, definitions
    learning/actions/                   every action item, overdue and open first
    learning/actions/<status>/          overdue, open, done, not-doing (static filters)
    learning/actions/owners/<slug>/     one owner's items and rates
    learning/actions/services/<slug>/   the items of one service's incidents
    learning/recurrence/                factors seen in 2+ incidents, alerts, the rate
    learning/digest/                    the months; learning/digest/YYYY-MM/ one month

The tables of action items (the ledger's, the digests') are HTML put into the rendered
page (`_defer`, `page_html`, from the plugin's `on_page_content`), never Markdown: an
archive of 3,000 post-mortems has some 15,000 action items, each listed in four or five of
these lists and in a digest, and Python-Markdown costs about 1 ms of CPU a row for a
Markdown table, and still a good part of that for raw HTML it has to parse. A ledger row
is made once (`_row`). Their links are made here from MkDocs' URL rule
(`page_url`), so a test checks that each resolves; the links in the Markdown parts are
source paths, which MkDocs checks itself.

The public site (option `public_metrics`) gets the dashboard only, from the public
post-mortems, with aggregate figures: no owner, no action text, no factor description.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial

from postmortem_kb.config import KBConfig
from postmortem_kb.format.durations import format_duration
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning import charts, ledger, metrics, recurrence, stats
from postmortem_kb.learning.digest import Digest, digest_months, monthly_digest
from postmortem_kb.learning.ledger import ActionEntry, Ledger, Rates, StatusSource
from postmortem_kb.learning.periods import (
    add_months,
    month_of,
    month_range,
    quarter_of,
    quarter_range,
)
from postmortem_kb.learning.reports import source_text
from postmortem_kb.site.index_pages import (
    LISTING_FRONT_MATTER,
    GeneratedPage,
    escape,
    plural,
    relative,
)
from postmortem_kb.site.index_pages import pager as listing_pager
from postmortem_kb.site.listings import (
    SiteLayout,
    page_url,
    paged_uri,
    paginate,
    to_root,
    unique_slugs,
)
from postmortem_kb.site.page_header import IncidentLink, OpenAction
from postmortem_kb.site.severity import badge

LEARNING_URI = "learning"
STATUS_LISTS = ("overdue", "open", "done", "not-doing")
TABLE_MARKER = "<!-- pmkb:table {} -->"  # where `page_html` puts a page's n-th table
LEDGER_PAGE_SIZE = 500  # rows per ledger page: fewer pages, each still light for a browser
STATUS_LABELS = {"overdue": "Overdue", "open": "Open", "done": "Done", "not-doing": "Not doing"}
CHART_MONTHS = 36  # the incidents-per-month chart: the last 36 months with incidents
CHART_QUARTERS = 12  # the per-quarter charts: the last 12 quarters
TOP_FACTORS = 10
FACTOR_INCIDENTS_SHOWN = 20  # incidents listed per recurring factor
TREND_MONTHS = 12  # time to mitigate: the last 12 months against the 12 before


@dataclass(frozen=True)
class LearningLayout:
    """The source paths of the Learning pages, under the site's `url_prefix` like the
    listings (`listings.SiteLayout`)."""

    prefix: str = ""

    def _uri(self, path: str) -> str:
        return f"{self.prefix}{LEARNING_URI}/{path}index.md"

    def dashboard(self) -> str:
        return self._uri("")

    def ledger(self) -> str:
        return self._uri("actions/")

    def status(self, status: str) -> str:
        return self._uri(f"actions/{status}/")

    def owners(self) -> str:
        return self._uri("actions/owners/")

    def owner(self, slug: str) -> str:
        return self._uri(f"actions/owners/{slug}/")

    def services(self) -> str:
        return self._uri("actions/services/")

    def service(self, slug: str) -> str:
        return self._uri(f"actions/services/{slug}/")

    def recurrence(self) -> str:
        return self._uri("recurrence/")

    def digests(self) -> str:
        return self._uri("digest/")

    def digest(self, month: str) -> str:
        return self._uri(f"digest/{month}/")

    def contains(self, src_uri: str) -> bool:
        return src_uri.startswith(f"{self.prefix}{LEARNING_URI}/")


# --- what the pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class _List:
    """One static list of the ledger: its first page, H1, lead and entries (in order)."""

    uri: str
    title: str
    lead: str
    entries: Sequence[ActionEntry]


def status_text(entry: ActionEntry, as_of: dt.date) -> str:
    """ "overdue 12 d", "open", "done 2024-06-05 (3 d late)", "done", "not doing"."""
    if entry.is_overdue(as_of) and entry.due is not None:
        return f"overdue {(as_of - entry.due).days} d"
    if entry.status == ledger.DONE and entry.done_on is not None:
        late = entry.due is not None and entry.done_on > entry.due
        days = (entry.done_on - entry.due).days if late and entry.due else 0
        return f"done {entry.done_on.isoformat()}" + (f" ({days} d late)" if late else "")
    return "not doing" if entry.status == ledger.NOT_DOING else entry.status


def _source_note(entry: ActionEntry) -> str:
    """Under a status a tracker gave: which one, and when it was fetched (the cache's age)."""
    if entry.status_fetched_at is None:
        return ""
    return f'<br><small class="pmkb-ledger-source">{html.escape(source_text(entry))}</small>'


def _rate(value: float | None) -> str:
    return "–" if value is None else charts.percent(value)


def _seconds(value: float | None) -> str:
    return "–" if value is None else format_duration(dt.timedelta(seconds=value))


class LearningPages:
    """The Learning pages of one build, from the post-mortems the site shows."""

    def __init__(
        self,
        incidents: Sequence[PostMortem],
        config: KBConfig,
        *,
        as_of: dt.date,
        layout: SiteLayout | None = None,
        public: bool = False,
        directory_urls: bool = True,
        status_sources: Sequence[StatusSource] = (),
    ) -> None:
        """`status_sources`: asked for each action item's status before its Status cell
        (the tracker cache, `trackers.lookup.status_sources`), as `pmkb actions` does."""
        self.incidents = incidents
        self.status_sources = status_sources
        self.config = config
        self.site = layout or SiteLayout()
        self.at = LearningLayout(self.site.prefix)
        self.as_of = as_of
        self.public = public
        self.directory_urls = directory_urls
        self.threshold = config.action_completion_threshold
        self._rows: dict[int, str] = {}  # ledger rows by id(entry), see `_row`
        self._tables: dict[str, list[partial[str]]] = {}  # see `_defer`, by src_uri

    # --- the figures, computed once ----------------------------------------------------------

    @cached_property
    def action_ledger(self) -> Ledger:
        return ledger.build_ledger(self.incidents, self.status_sources)

    @cached_property
    def rates(self) -> Rates:
        return ledger.rates(self.action_ledger.entries, self.as_of, self.threshold)

    @cached_property
    def incident_metrics(self) -> list[metrics.IncidentMetrics]:
        return metrics.all_metrics(self.incidents)

    @cached_property
    def factor_recurrence(self) -> recurrence.Recurrence:
        return recurrence.analyse(self.incidents)

    @cached_property
    def in_review_order(self) -> list[ActionEntry]:
        return ledger.review_order(self.action_ledger.entries, self.as_of)

    @cached_property
    def status_lists(self) -> dict[str, list[ActionEntry]]:
        """The static filters' lists (`STATUS_LISTS`), each in review order."""
        lists = {"overdue": self.action_ledger.select(overdue_as_of=self.as_of)}
        for status in (ledger.OPEN, ledger.DONE, ledger.NOT_DOING):
            lists[status] = self.action_ledger.select(statuses={status})
        return {s: ledger.review_order(lists[s], self.as_of) for s in STATUS_LISTS}

    @cached_property
    def owner_rates(self) -> dict[str, Rates]:
        return ledger.rates_by(self.action_ledger.entries, "owner", self.as_of, self.threshold)

    @cached_property
    def service_rates(self) -> dict[str, Rates]:
        return ledger.rates_by(self.action_ledger.entries, "service", self.as_of, self.threshold)

    @cached_property
    def owner_slugs(self) -> dict[str, str]:
        return unique_slugs(self.owner_rates)

    @cached_property
    def service_slugs(self) -> dict[str, str]:
        return unique_slugs(self.service_rates)

    @cached_property
    def entries_by_incident(self) -> dict[str, list[ActionEntry]]:
        found: dict[str, list[ActionEntry]] = {}
        for entry in self.action_ledger.entries:
            found.setdefault(entry.incident, []).append(entry)
        return found

    def open_actions(self, related: Sequence[IncidentLink]) -> tuple[OpenAction, ...]:
        """The open action items of the `related` incidents (in that order, then table
        order), for a post-mortem page's footer: what the previous incidents left to do."""
        return tuple(
            OpenAction(
                entry.action,
                entry.owner,
                entry.due.isoformat() if entry.due else None,
                entry.is_overdue(self.as_of),
                link,
            )
            for link in related
            for entry in self.entries_by_incident.get(link.id, ())
            if entry.is_open
        )

    # --- pages -----------------------------------------------------------------------------

    def pages(self) -> Iterator[GeneratedPage]:
        yield self.dashboard()
        if self.public:
            return
        yield from self.ledger_pages()
        yield self.recurrence_page()
        yield from self.digest_pages()

    def dashboard(self) -> GeneratedPage:
        here = self.at.dashboard()
        lines = [
            "# Learning from incidents",
            "",
            f"As of {self.as_of.isoformat()}, from {plural(len(self.incidents), 'post-mortem')}"
            + (" (public post-mortems only)." if self.public else "."),
            "",
        ]
        lines += self._key_figures(here)
        lines += self._incidents_chart()
        lines += self._mitigation_chart()
        lines += self._on_time_chart()
        if not self.public:
            lines += self._factors_chart(here)
        lines += self._durations_by_severity()
        lines += self._definitions()
        return GeneratedPage(here, "Dashboard", "\n".join(lines) + "\n", in_nav=True)

    def ledger_pages(self) -> Iterator[GeneratedPage]:
        yield from self._list_pages(
            _List(
                self.at.ledger(),
                "Action-item ledger",
                "Every action item of every post-mortem, overdue and open first. "
                + self._rates_sentence(self.rates),
                self.in_review_order,
            ),
            in_nav=True,
        )
        leads = {
            "overdue": "past their due date and still open",
            "open": "open",
            "done": "done",
            "not-doing": "that will not be done",
        }
        for status in STATUS_LISTS:
            chosen = self.status_lists[status]
            yield from self._list_pages(
                _List(
                    self.at.status(status),
                    f"Action items: {STATUS_LABELS[status].lower()}",
                    f"{plural(len(chosen), 'action item')} {leads[status]} as of "
                    f"{self.as_of.isoformat()}, overdue and open first.",
                    chosen,
                ),
            )
        yield from self._group_pages("owner")
        yield from self._group_pages("service")

    def recurrence_page(self) -> GeneratedPage:
        here = self.at.recurrence()
        found = self.factor_recurrence
        lines = [
            "# Recurring contributing factors",
            "",
            "Contributing factors seen in 2 or more incidents. Factors with the same `key` are "
            "the same factor; a factor without one joins the most similar description of its "
            f"category when the similarity is at least {recurrence.SIMILARITY_THRESHOLD:g} "
            "(the share of the descriptions' terms they have in common), else it stands alone.",
            "",
        ]
        for group in found.alerts:
            window = group.densest_window()
            dates = ", ".join(o.date.isoformat() for o in window if o.date)
            lines += [
                f'!!! danger "{escape(group.label)} recurred {len(window)} times within '
                f'{recurrence.ALERT_MONTHS} months"',
                "",
                f"    Incidents on {dates}.",
                "",
            ]
        lines += ["## Recurrence rate", ""]
        lines += [
            f"{_rate(found.rate)} of incidents had a factor already seen in another incident of "
            f"the previous {recurrence.LOOKBACK_MONTHS} months "
            f"({len(found.recurring_incidents):,} of {found.incidents:,}).",
            "",
            "| Quarter | Incidents | With a factor seen before | Recurrence rate |",
            "|---|---|---|---|",
        ]
        for quarter in found.by_quarter:
            lines.append(
                f"| {quarter.quarter} | {quarter.incidents:,} | {quarter.recurring:,} | "
                f"{_rate(quarter.rate)} |"
            )
        lines += ["", f"## Factors seen in 2 or more incidents ({len(found.recurring):,})", ""]
        if not found.recurring:
            lines += ["No contributing factor has come back yet.", ""]
        for group in found.recurring:
            key = f", key `{group.key}`" if group.key else ""
            heading = group.occurrences[0].description
            lines += [
                f"### {escape(heading)}",
                "",
                f"{group.category}{key} · **{plural(len(group.incidents), 'incident')}**"
                + (" · recurring alert" if group.alert() else ""),
                "",
            ]
            shown = list(reversed(group.first_per_incident()))
            for occurrence in shown[:FACTOR_INCIDENTS_SHOWN]:
                day = occurrence.date.isoformat() if occurrence.date else "no date"
                link = relative(here, self.site.postmortem(occurrence.incident))
                said = (
                    f": “{escape(occurrence.description)}”"
                    if occurrence.description != heading
                    else ""
                )
                lines.append(f"- {day} · [{escape(occurrence.title)}]({link}){said}")
            if len(shown) > FACTOR_INCIDENTS_SHOWN:
                lines.append(f"- … and {len(shown) - FACTOR_INCIDENTS_SHOWN:,} earlier incidents")
            lines.append("")
        return GeneratedPage(here, "Recurring factors", "\n".join(lines), in_nav=True)

    def digest_pages(self) -> Iterator[GeneratedPage]:
        by_month: dict[str, list[PostMortem]] = {}
        for pm in self.incidents:  # each month's digest reads its own post-mortems only
            if pm.meta.date is not None:
                by_month.setdefault(month_of(pm.meta.date), []).append(pm)
        digests = [
            monthly_digest(by_month[m], m, actions=self.entries_by_incident)
            for m in digest_months(self.incidents)
        ]
        here = self.at.digests()
        lines = [
            LISTING_FRONT_MATTER + "# Monthly digest",
            "",
            "Each month's post-mortems in a few paragraphs, with their contributing factors and "
            "action items (`pmkb digest --month YYYY-MM` writes the same as Markdown, HTML or "
            "JSON).",
            "",
            "| Month | Post-mortems |",
            "|---|---|",
        ]
        for digest in reversed(digests):
            target = relative(here, self.at.digest(digest.month))
            lines.append(f"| [{digest.month}]({target}) | {len(digest.entries):,} |")
        if not digests:
            lines.append("| – | 0 |")
        yield GeneratedPage(here, "Monthly digest", "\n".join(lines) + "\n", in_nav=True)
        for index, digest in enumerate(digests):
            newer = digests[index + 1].month if index + 1 < len(digests) else None
            older = digests[index - 1].month if index > 0 else None
            yield self.digest_page(digest, newer=newer, older=older)

    def digest_page(
        self, digest: Digest, *, newer: str | None = None, older: str | None = None
    ) -> GeneratedPage:
        here = self.at.digest(digest.month)
        nav = [f"[All months]({relative(here, self.at.digests())})"]
        if older:
            nav.insert(0, f"[← {older}]({relative(here, self.at.digest(older))})")
        if newer:
            nav.append(f"[{newer} →]({relative(here, self.at.digest(newer))})")
        lines = [
            f"# {escape(digest.title)}",
            "",
            f"{plural(len(digest.entries), 'post-mortem')} · " + " · ".join(nav),
            "",
        ]
        for entry in digest.entries:
            link = relative(here, self.site.postmortem(entry.id))
            lines += [f"## [{escape(entry.title)}]({link})", ""]
            byline = [entry.date.isoformat() if entry.date else ""]
            if entry.severity:
                byline.append(badge(self.config, entry.severity).html())
            byline.append(", ".join(escape(s) for s in entry.services))
            lines += [" · ".join(p for p in byline if p), ""]
            for paragraph in entry.paragraphs:
                lines += [_relink(paragraph, self.site.postmortem(entry.id), here), ""]
            if entry.factors:
                lines += ["**Contributing factors**", ""]
                for factor in entry.factors:
                    key = f", key `{factor.key}`" if factor.key else ""
                    lines.append(f"- {escape(factor.description)} ({factor.category}{key})")
                lines.append("")
            if entry.actions:
                table = partial(self._digest_table, entry.actions)
                lines += ["**Action items**", "", self._defer(here, table), ""]
        if not digest.entries:
            lines += ["No post-mortems this month.", ""]
        return GeneratedPage(here, digest.title, "\n".join(lines))

    # --- the dashboard's parts ---------------------------------------------------------------

    def _key_figures(self, here: str) -> list[str]:
        r = self.rates
        found = self.factor_recurrence
        overdue = f"**{r.overdue:,}** open action items are overdue"
        if not self.public:
            overdue = (
                f"**[{r.overdue:,} overdue]({relative(here, self.at.status('overdue'))})** of "
                f"[{r.open:,} open action items]({relative(here, self.at.status('open'))})"
            )
        lines = [
            "## Key figures",
            "",
            f"- **On-time rate: {_rate(r.on_time_rate)}**: {r.on_time:,} of {r.due:,} action "
            f"items due by {self.as_of.isoformat()} were done by their due date.",
            f"- **Completion rate: {_rate(r.completion_rate)}**: {r.done:,} done of "
            f"{r.done + r.open:,} done or open ({r.not_doing:,} not doing, left out).",
            f"- {overdue} as of {self.as_of.isoformat()}.",
            f"- **Recurrence rate: {_rate(found.rate)}**: {len(found.recurring_incidents):,} of "
            f"{found.incidents:,} incidents had a contributing factor already seen in the "
            f"previous {recurrence.LOOKBACK_MONTHS} months"
            + (
                f"; [{plural(len(found.alerts), 'factor')} recurred "
                f"{recurrence.ALERT_COUNT}+ times within {recurrence.ALERT_MONTHS} months]"
                f"({relative(here, self.at.recurrence())})."
                if not self.public
                else "."
            ),
            "",
        ]
        lines += self._rate_warnings(r)
        return lines

    def _rate_warnings(self, r: Rates) -> list[str]:
        lines = []
        for name, value, warn in (
            ("on-time rate", r.on_time_rate, r.on_time_warning),
            ("completion rate", r.completion_rate, r.completion_warning),
        ):
            if warn:
                lines += [
                    f'!!! warning "The {name} is {_rate(value)}, under the '
                    f'{charts.percent(self.threshold)} threshold"',
                    "",
                    "    Below it, post-mortems generate more work than the team absorbs.",
                    "",
                ]
        return lines

    def _incidents_chart(self) -> list[str]:
        counts = metrics.incidents_by_month(self.incidents)
        months = month_range(min(counts), max(counts))[-CHART_MONTHS:] if counts else []
        names = [*self.config.level_names]
        names += sorted({s for m in counts.values() for s in m} - set(names))
        series = [
            charts.Series(
                name,
                badge(self.config, name).background,
                tuple(counts.get(m, {}).get(name, 0) for m in months),
            )
            for name in names
            if any(counts.get(m, {}).get(name, 0) for m in months)
        ]
        total = sum(sum(s.values) for s in series)
        title = "Incidents per month by severity"
        desc = (
            f"Stacked bars: {plural(total, 'incident')} in {plural(len(months), 'month')}, "
            f"{months[0] if months else '–'} to {months[-1] if months else '–'}; "
            "the table below has the numbers."
        )
        svg = charts.stacked_bars("pmkb-chart-incidents", title, desc, months, series)
        header = ["Month", *[s.label for s in series], "All"]
        rows = [
            [m, *[str(s.values[i]) for s in series], str(sum(s.values[i] for s in series))]
            for i, m in enumerate(months)
        ]
        return self._chart_block(title, svg, header, rows, note="")

    def _mitigation_chart(self) -> list[str]:
        by_quarter = metrics.aggregate_by(self.incident_metrics, "mitigate", "quarter")
        by_quarter.pop(metrics.NO_GROUP, None)
        quarters = _span(quarter_range, by_quarter)[-CHART_QUARTERS:]
        groups = []
        rows = []
        for quarter in quarters:
            agg = by_quarter.get(quarter)
            summary = agg.summary if agg else stats.summarize([])
            values = agg.values if agg else ()
            groups.append(
                charts.PointGroup(
                    quarter, tuple(float(v) for v in values), summary.median, summary.p90
                )
            )
            rows.append(
                [
                    quarter,
                    str(summary.n),
                    _seconds(summary.median),
                    _seconds(summary.p90),
                    _seconds(summary.minimum),
                    _seconds(summary.maximum),
                    str(agg.not_recorded if agg else 0),
                ]
            )
        title = "Time to mitigate per quarter"
        desc = (
            "Each incident's time from start to mitigation as a point, per quarter of its date, "
            "on a logarithmic scale, with the median (solid line) and p90 (dashed line); the "
            "table below has the numbers."
        )
        svg = charts.duration_points("pmkb-chart-mitigate", title, desc, groups)
        header = ["Quarter", "n", "Median", "p90", "Min", "Max", "Not recorded"]
        return self._chart_block(title, svg, header, rows, note=self._mitigation_trend())

    def _mitigation_trend(self) -> str:
        cut = add_months(self.as_of, -TREND_MONTHS)
        start = add_months(self.as_of, -2 * TREND_MONTHS)
        before = [
            float(v)
            for m in self.incident_metrics
            if m.date and start <= m.date < cut and (v := m.seconds("mitigate")) is not None
        ]
        after = [
            float(v)
            for m in self.incident_metrics
            if m.date and cut <= m.date <= self.as_of and (v := m.seconds("mitigate")) is not None
        ]
        trend = stats.compare_medians(before, after)
        medians = (
            f"median {_seconds(stats.median(after))} (n = {trend.n_after}) against "
            f"{_seconds(stats.median(before))} (n = {trend.n_before}) in the "
            f"{TREND_MONTHS} months before"
        )
        if not trend.supported:
            verdict = f"the sample is {stats.TOO_SMALL} whether it changed"
        else:
            verdict = (
                f"**{trend.verdict}**, supported: the 95% interval of the change is "
                f"{_signed(trend.low)} to {_signed(trend.high)}"
            )
        return f"Last {TREND_MONTHS} months (since {cut.isoformat()}): {medians}; {verdict}."

    def _on_time_chart(self) -> list[str]:
        by_quarter = ledger.rates_by(
            self.action_ledger.entries, "quarter", self.as_of, self.threshold
        )
        dated = {
            q: r
            for q, r in by_quarter.items()
            if q != ledger.NO_DUE_DATE and q <= quarter_of(self.as_of)
        }
        quarters = _span(quarter_range, dated)[-CHART_QUARTERS:]
        values = [dated[q].on_time_rate if q in dated else None for q in quarters]
        notes = [f"n = {dated[q].due if q in dated else 0}" for q in quarters]
        title = "On-time completion per quarter"
        desc = (
            "Bars: per quarter of the due date, the share of action items due by "
            f"{self.as_of.isoformat()} that were done by their due date, against the "
            f"{charts.percent(self.threshold)} threshold (dashed line); the table below has the "
            "numbers."
        )
        svg = charts.rate_bars(
            "pmkb-chart-on-time", title, desc, quarters, values, self.threshold, notes
        )
        header = [
            "Quarter due",
            "Due by as-of date",
            "Done on time",
            "On-time rate",
            "Done",
            "Open",
            "Completion rate",
        ]
        rows = []
        for q in quarters:
            r = dated.get(q)
            if r is None:
                rows.append([q, "0", "0", "–", "0", "0", "–"])
                continue
            rows.append(
                [
                    q,
                    str(r.due),
                    str(r.on_time),
                    _rate(r.on_time_rate) + (" ⚠" if r.on_time_warning else ""),
                    str(r.done),
                    str(r.open),
                    _rate(r.completion_rate) + (" ⚠" if r.completion_warning else ""),
                ]
            )
        return self._chart_block(title, svg, header, rows, note="⚠: under the threshold.")

    def _factors_chart(self, here: str) -> list[str]:
        top = self.factor_recurrence.recurring[:TOP_FACTORS]
        title = "Top recurring contributing factors"
        desc = (
            f"Horizontal bars: the {len(top)} factors seen in the most incidents, with the "
            "number of incidents; the table below has the numbers."
        )
        svg = charts.ranked_bars(
            "pmkb-chart-factors",
            title,
            desc,
            [g.label for g in top],
            [len(g.incidents) for g in top],
        )
        header = ["Factor", "Category", "Incidents", "Last seen"]
        rows = [
            [
                g.label,
                g.category,
                str(len(g.incidents)),
                g.last_seen.isoformat() if g.last_seen else "–",
            ]
            for g in top
        ]
        note = f"All of them, with their incidents: [recurring factors]({relative(here, self.at.recurrence())})."
        return self._chart_block(title, svg, header, rows, note=note)

    def _durations_by_severity(self) -> list[str]:
        lines = [
            "## Time to detect, mitigate and resolve by severity",
            "",
            "From the incident's start; n counts the incidents with the timestamp recorded.",
            "",
            "| Severity | Time to | n | Median | p90 | Min | Max | Not recorded |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for metric in metrics.METRICS:
            for name, agg in metrics.aggregate_by(
                self.incident_metrics, metric, "severity"
            ).items():
                s = agg.summary
                lines.append(
                    f"| {escape(name)} | {metric} | {s.n} | {_seconds(s.median)} | "
                    f"{_seconds(s.p90)} | {_seconds(s.minimum)} | {_seconds(s.maximum)} | "
                    f"{agg.not_recorded} |"
                )
        return [*lines, ""]

    def _definitions(self) -> list[str]:
        return [
            "## Definitions",
            "",
            "- **Time to detect / mitigate / resolve**: from `timestamps.started` to "
            "`detected`, `mitigated` or `resolved`. A missing timestamp is *not recorded*, "
            "never zero, and counted as such.",
            f"- **Median**: the {stats.MEDIAN_METHOD}. **p90**: {stats.P90_METHOD}.",
            f"- **Trend**: {stats.TREND_METHOD}; each period needs at least "
            f"{stats.MIN_TREND_N} values.",
            "- **Overdue**: open, and due before the as-of date.",
            "- **Completion rate** = done ÷ (done + open). **On-time rate** = done on or before "
            "the due date ÷ items due on or before the as-of date. Not-doing items are left "
            "out of both, and so are done items without a done date from the on-time rate. "
            f"Under {charts.percent(self.threshold)} (option `action_completion_threshold`) a "
            "rate is flagged.",
            f"- **Recurrence rate** (per quarter): the share of incidents with a contributing "
            f"factor already seen in another incident in the previous "
            f"{recurrence.LOOKBACK_MONTHS} months.",
            "",
        ]

    def _chart_block(
        self, title: str, svg: str, header: Sequence[str], rows: Sequence[Sequence[str]], note: str
    ) -> list[str]:
        """A chart's section: H2, the inlined SVG in a `<figure>`, a note, and its data
        table in a `<details>` (a real table, for screen readers and copy-paste)."""
        table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        table += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
        lines = [f"## {title}", "", f'<figure class="pmkb-figure">{svg}</figure>', ""]
        if note:
            lines += [note, ""]
        return [
            *lines,
            f'<details class="pmkb-chart-data" markdown><summary>{title}: the data</summary>',
            "",
            *table,
            "",
            "</details>",
            "",
        ]

    # --- the ledger's parts ------------------------------------------------------------------

    def _rates_sentence(self, r: Rates) -> str:
        warn = " ⚠ under the threshold" if r.on_time_warning or r.completion_warning else ""
        return (
            f"As of {self.as_of.isoformat()}: **{r.open:,} open** ({r.overdue:,} overdue), "
            f"{r.done:,} done, {r.not_doing:,} not doing; on-time rate "
            f"**{_rate(r.on_time_rate)}** ({r.on_time:,} of {r.due:,} due), completion rate "
            f"**{_rate(r.completion_rate)}**{warn}."
        )

    def _group_pages(self, by: ledger.RateGroup) -> Iterator[GeneratedPage]:
        """The owners' (or services') overview with each one's rates, and a page each."""
        is_owner = by == "owner"
        grouped = self.owner_rates if is_owner else self.service_rates
        slugs = self.owner_slugs if is_owner else self.service_slugs
        uri_of = self.at.owner if is_owner else self.at.service
        here = self.at.owners() if is_owner else self.at.services()
        noun = "owner" if is_owner else "service"
        counted = "its owner" if is_owner else "every service of its incident"
        lines = [
            LISTING_FRONT_MATTER + f"# Action items by {noun}",
            "",
            f"{plural(len(grouped), noun)}; an item counts for {counted}. "
            f"[All action items]({relative(here, self.at.ledger())}). "
            f"⚠: under the {charts.percent(self.threshold)} threshold.",
            "",
            f"| {noun.capitalize()} | Open | Overdue | Done | Not doing | On-time rate | "
            "Completion rate |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, r in grouped.items():
            lines.append(
                f"| [{escape(name)}]({relative(here, uri_of(slugs[name]))}) | {r.open:,} | "
                f"{r.overdue:,} | {r.done:,} | {r.not_doing:,} | "
                f"{_rate(r.on_time_rate)}{' ⚠' if r.on_time_warning else ''} | "
                f"{_rate(r.completion_rate)}{' ⚠' if r.completion_warning else ''} |"
            )
        yield GeneratedPage(here, f"Action items by {noun}", "\n".join(lines) + "\n")
        members: dict[str, list[ActionEntry]] = {name: [] for name in grouped}
        for entry in self.in_review_order:
            for key in ledger.group_keys(entry, by):
                members[key].append(entry)
        whose = "owned by" if is_owner else "of the incidents of"
        for name, r in grouped.items():
            yield from self._list_pages(
                _List(
                    uri_of(slugs[name]),
                    f"{noun.capitalize()}: {name}",
                    f"Action items {whose} **{escape(name)}**, overdue and open first. "
                    + self._rates_sentence(r),
                    members[name],
                ),
            )

    def _list_pages(self, spec: _List, *, in_nav: bool = False) -> Iterator[GeneratedPage]:
        pages = paginate(spec.entries, LEDGER_PAGE_SIZE)
        for number, rows in enumerate(pages, start=1):
            here = paged_uri(spec.uri, number)
            title = spec.title if number == 1 else f"{spec.title} (page {number})"
            lines = [LISTING_FRONT_MATTER + f"# {escape(title)}", "", spec.lead, ""]
            lines += [self._filters(here, spec.uri), ""]
            pager = listing_pager(spec.uri, number, len(pages), ("Previous", "Next"))
            table = (
                self._defer(here, partial(self._table, rows, here)) if rows else "No action items."
            )
            lines += [pager, "", table, "", pager, ""]
            yield GeneratedPage(here, title, "\n".join(lines), in_nav=in_nav and number == 1)

    def _filters(self, here: str, current: str) -> str:
        """The static filters: a link to each list with its count, the current one in bold."""
        links: list[tuple[str, str, int | None]] = [
            ("All", self.at.ledger(), len(self.action_ledger.entries))
        ]
        links += [
            (STATUS_LABELS[s], self.at.status(s), len(self.status_lists[s])) for s in STATUS_LISTS
        ]
        links += [("By owner", self.at.owners(), None), ("By service", self.at.services(), None)]
        parts = []
        for label, uri, count in links:
            text = f"{label} ({count:,})" if count is not None else label
            parts.append(f"**{text}**" if uri == current else f"[{text}]({relative(here, uri)})")
        return '<span class="pmkb-filters">Show: ' + " · ".join(parts) + "</span>"

    def _defer(self, here: str, render: partial[str]) -> str:
        """A marker for the Markdown of the page at `here`, which `page_html` replaces with
        `render()`'s HTML once the page is rendered (see the module docstring)."""
        tables = self._tables.setdefault(here, [])
        tables.append(render)
        return TABLE_MARKER.format(len(tables) - 1)

    def table_inputs(self, src_uri: str) -> object:
        """What `page_html` makes the page's tables from (each table's action items, the
        owners' pages they link to): the same inputs, the same tables. `mkdocs serve
        --dirty` compares them, not the HTML."""
        tables = self._tables.get(src_uri)
        if not tables:
            return None
        return [(t.func.__name__, t.args) for t in tables], tuple(self.owner_slugs.items())

    def page_html(self, html: str, src_uri: str) -> str:
        """A rendered page's HTML with its deferred tables in place of their markers."""
        for index, render in enumerate(self._tables.get(src_uri, ())):
            html = html.replace(TABLE_MARKER.format(index), render(), 1)
        return html

    def _digest_table(self, actions: Sequence[ActionEntry]) -> str:
        """A digest entry's action items: Action, Owner, Due, Status."""
        e = html.escape
        rows = "".join(
            f"<tr><td>{_code_spans(e(a.action))}</td><td>{e(a.owner)}</td>"
            f"<td>{a.due.isoformat() if a.due else ''}</td>"
            f"<td>{e(status_text(a, self.as_of))}</td></tr>"
            for a in actions
        )
        return (
            '<div class="pmkb-scroll"><table class="pmkb-digest-actions"><thead><tr>'
            "<th>Action</th><th>Owner</th><th>Due</th><th>Status</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )

    def _table(self, entries: Sequence[ActionEntry], here: str) -> str:
        """The items as one HTML table (see the module docstring for why it is put in the
        rendered page)."""
        out = [
            '<div class="pmkb-scroll"><table class="pmkb-ledger"><thead><tr><th>Due</th>'
            "<th>Status</th><th>Action</th><th>Owner</th><th>Category</th><th>Incident</th>"
            "<th>Ticket</th></tr></thead><tbody>"
        ]
        root = to_root(here, self.directory_urls)
        out += [self._row(entry).replace(_ROOT, root) for entry in entries]
        out.append("</tbody></table></div>")
        return "".join(out)

    def _row(self, entry: ActionEntry) -> str:
        """The entry's table row, its links from the site's root marked `_ROOT`: rendered
        once, though the entry is in four or five lists."""
        cached = self._rows.get(id(entry))
        if cached is not None:
            return cached
        e = html.escape
        kind = "overdue" if entry.is_overdue(self.as_of) else entry.status
        owner = entry.owner or ledger.NO_OWNER
        slug = self.owner_slugs.get(owner)
        owner_cell = e(owner)
        if slug:
            owner_url = _ROOT + page_url(self.at.owner(slug), self.directory_urls)
            owner_cell = f'<a href="{e(owner_url)}">{owner_cell}</a>'
        incident = _ROOT + page_url(self.site.postmortem(entry.incident), self.directory_urls)
        row = (
            f'<tr class="pmkb-ledger--{e(kind)}">'
            f"<td>{entry.due.isoformat() if entry.due else '–'}</td>"
            f"<td>{e(status_text(entry, self.as_of))}{_source_note(entry)}</td>"
            f"<td>{_code_spans(e(entry.action))}</td>"
            f"<td>{owner_cell}</td>"
            f"<td>{e(entry.category)}</td>"
            f'<td><a href="{e(incident)}">{e(entry.incident_title)}</a></td>'
            f"<td>{e(entry.ticket)}</td></tr>"
        )
        self._rows[id(entry)] = row
        return row


def _span(make_range: Callable[[str, str], list[str]], periods: Mapping[str, object]) -> list[str]:
    """Every period from the first to the last of `periods` (sorted labels)."""
    return make_range(min(periods), max(periods)) if periods else []


def _signed(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    sign = "−" if seconds < 0 else "+"
    return sign + format_duration(dt.timedelta(seconds=abs(seconds)))


_ROOT = "\x00"  # in a cached ledger row: where the link from the page to the site's root goes
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _code_spans(escaped: str) -> str:
    """HTML-escaped text with its Markdown code spans as `<code>` (all the Markdown an
    action item's text usually holds)."""
    return _CODE_SPAN.sub(r"<code>\1</code>", escaped)


_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)")


def _relink(markdown: str, source: str, here: str) -> str:
    """`markdown` from the page at `source`, with its relative links made relative to `here`
    (a link to a fragment points to `source`'s page)."""

    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/", target, re.IGNORECASE):
            return match.group(0)
        path, _, fragment = target.partition("#")
        resolved = (
            posixpath.normpath(posixpath.join(posixpath.dirname(source), path)) if path else source
        )
        link = relative(here, resolved) + (f"#{fragment}" if fragment else "")
        return match.group(1) + link

    return _LINK.sub(fix, markdown)
