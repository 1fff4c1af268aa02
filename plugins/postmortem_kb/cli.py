"""The `pmkb` command: thin click wrappers over the domain modules."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import click

from postmortem_kb.diagnostics.diagnostic import has_errors, sort_diagnostics, summary_line
from postmortem_kb.diagnostics.formats import FORMATS, format_diagnostics
from postmortem_kb.format.archive import display_path, find_postmortem_files
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.parser import parse_file
from postmortem_kb.format.schema import schema_json
from postmortem_kb.format.vocabulary import ACTION_STATUSES
from postmortem_kb.importers.batch import batch_summary, import_sources
from postmortem_kb.importers.section_map import MapError, load_section_map
from postmortem_kb.importers.source_doc import find_sources
from postmortem_kb.learning.digest import digest_html, digest_json, digest_markdown, monthly_digest
from postmortem_kb.learning.export import export_csv, export_data, export_json
from postmortem_kb.learning.ledger import StatusSource, build_ledger, rates, review_order
from postmortem_kb.learning.periods import as_of_or_today, month_of
from postmortem_kb.learning.reports import actions_csv, actions_json, actions_table, rates_lines
from postmortem_kb.progress import progress_bar
from postmortem_kb.project import Project, load_project
from postmortem_kb.public.leak_check import check_site, leak_sources
from postmortem_kb.public.publish import is_public
from postmortem_kb.review.changes import ChangesError, changed_postmortems
from postmortem_kb.review.markdown import review_markdown
from postmortem_kb.review.report import review_files
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.rules.check_cache import load_cached_archive
from postmortem_kb.rules.tickets import tracker_diagnostics
from postmortem_kb.scaffold.init import CI_CHOICES, InitError, init_kb
from postmortem_kb.scaffold.new_postmortem import new_postmortem
from postmortem_kb.search.archive.index import Hit, IndexLockedError, SearchIndex
from postmortem_kb.search.archive.query import QueryError
from postmortem_kb.search.archive.refresh import CACHE_DIR, refresh
from postmortem_kb.similarity.profiles import similar_to_draft
from postmortem_kb.similarity.vectors import Similar
from postmortem_kb.trackers.cache import CacheError, TicketCache, cache_path
from postmortem_kb.trackers.lookup import TicketLookup, load_lookup, status_sources
from postmortem_kb.trackers.refresh import referenced_tickets, refresh_tickets
from postmortem_kb.trackers.report import rows_table, ticket_rows

config_option = click.option(
    "-f",
    "--config-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("mkdocs.yml"),
    show_default=True,
    help="The knowledge base's mkdocs.yml.",
)


def _project(config_file: Path) -> Project:
    try:
        return load_project(config_file)
    except Exception as err:  # a broken mkdocs.yml: say so, no traceback
        raise click.ClickException(f"{config_file}: cannot read the configuration: {err}") from err


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postmortem-kb")
def main() -> None:
    """postmortem-kb: check, search and publish incident post-mortems."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@config_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="text for terminals, github for Actions annotations, json for tools, gitlab for "
    "a GitLab code quality report.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def check(paths: tuple[Path, ...], config_file: Path, output_format: str, strict: bool) -> None:
    """Check post-mortems (default: the whole post-mortems folder) and report every problem."""
    project = _project(config_file)
    archive = load_cached_archive(
        project, paths, progress=lambda total: progress_bar(total, "Checking")
    )
    try:  # PM801-PM804 when a tickets cache exists
        tickets = tracker_diagnostics(project, archive.postmortems)
    except CacheError as err:
        click.echo(f"warning: {err}", err=True)
        tickets = []
    diagnostics = sort_diagnostics([*archive.diagnostics, *tickets])
    if diagnostics or output_format in ("json", "gitlab"):
        click.echo(format_diagnostics(diagnostics, output_format))
    if output_format == "text":
        click.echo(summary_line(diagnostics, archive.files_checked), err=True)
    sys.exit(1 if has_errors(diagnostics, strict=strict) else 0)


@main.command()
@click.argument("title")
@click.option("--severity", required=True, help="One of the configured levels, e.g. SEV2.")
@click.option(
    "--date",
    "date_",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The incident's start date (UTC); default today.",
)
@click.option("--services", default="", help="Comma-separated services.")
@click.option("--tags", default="", help="Comma-separated failure modes.")
@click.option(
    "--related",
    "related_ids",
    multiple=True,
    help="The id of a related post-mortem (repeatable): listed in `related`, its open "
    "action items copied into the draft's notes.",
)
@config_option
def new(
    title: str,
    severity: str,
    date_: dt.datetime | None,
    services: str,
    tags: str,
    related_ids: tuple[str, ...],
    config_file: Path,
) -> None:
    """Write a new draft post-mortem from the template."""
    project = _project(config_file)
    if project.config.level(severity) is None:
        raise click.BadParameter(
            f"{severity!r} is not one of {', '.join(project.config.level_names)}",
            param_hint="--severity",
        )
    date = date_.date() if date_ else dt.datetime.now(dt.UTC).date()
    by_id = load_project_archive(project).by_id() if related_ids else {}
    unknown = [i for i in related_ids if i not in by_id]
    if unknown:
        raise click.BadParameter(
            f"no post-mortem with id {', '.join(unknown)} in {project.postmortems_dir}",
            param_hint="--related",
        )
    name, text = new_postmortem(
        title,
        severity=severity,
        date=date,
        services=_split(services),
        tags=_split(tags),
        config=project.config,
        related=[by_id[i] for i in related_ids],
    )
    target = project.postmortems_dir / name
    if target.exists():
        raise click.ClickException(f"{target} already exists; not overwriting it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(str(target))


def _split(values: str) -> list[str]:
    return [value.strip() for value in values.split(",") if value.strip()]


@main.command()
@config_option
def schema(config_file: Path) -> None:
    """Print the front matter's JSON Schema (for editors' YAML validation)."""
    click.echo(schema_json(_project(config_file).config), nl=False)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@click.option("-k", "--count", default=5, show_default=True, help="How many incidents to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def similar(file: Path, config_file: Path, count: int, as_json: bool) -> None:
    """List the archive's incidents most like FILE (a draft need not be in the archive)."""
    project = _project(config_file)
    draft = parse_file(file, display_path(file, project.root)).postmortem
    if draft is None:
        raise click.ClickException(f"{file}: cannot read the file; run `pmkb check {file}`")
    archive = load_project_archive(project)
    matches = similar_to_draft(draft, archive.postmortems, count)
    by_id = archive.by_id()
    if as_json:
        click.echo(json.dumps([_similar_json(m, by_id[m.id]) for m in matches], indent=2))
        return
    if not matches:
        click.echo("No similar incidents in the archive.")
    for rank, match in enumerate(matches, 1):
        other = by_id[match.id]
        click.echo(f"{rank}. {match.id}  {other.meta.severity or ''}  {other.title}")
        click.echo(f"   score {match.score:.2f}: {match.describe()}")


def _similar_json(match: Similar, other: PostMortem) -> dict[str, object]:
    return {
        "id": match.id,
        "title": other.title,
        "severity": other.meta.severity,
        "path": other.source_path,
        "score": round(match.score, 4),
        "reasons": [{"kind": str(r.kind), "items": list(r.items)} for r in match.reasons],
    }


@main.command()
@click.argument("query", nargs=-1, required=True)
@config_option
@click.option("-n", "--limit", default=10, show_default=True, help="How many results to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search(query: tuple[str, ...], config_file: Path, limit: int, as_json: bool) -> None:
    """Search the post-mortems: words, "phrases" and filters such as service:payments-api
    tag:dns severity:SEV1,SEV2 status:published factor:canary date:2024 date:2023..2024."""
    project = _project(config_file)
    files = find_postmortem_files([project.postmortems_dir])
    try:
        with SearchIndex(project.root / CACHE_DIR) as index:
            refresh(index, files, project.root, progress_bar)
            hits = index.search(" ".join(query), limit=limit)
    except QueryError as err:
        raise click.UsageError(str(err)) from err
    except IndexLockedError as err:
        raise click.ClickException(str(err)) from err
    if as_json:
        click.echo(json.dumps([_hit_json(hit) for hit in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo("No post-mortem matches.", err=True)
    for hit in hits:
        services = ", ".join(hit.services)
        click.echo(click.style(f"{hit.severity:5} {hit.date}  {hit.title}", bold=True))
        click.echo(f"      {hit.path}  [{services}]")
        snippet = " ".join(
            fragment.marked(click.style("", bold=True, reset=False), click.style("", reset=True))
            for fragment in hit.fragments
        )
        if snippet:
            click.echo(f"      {snippet}")


def _hit_json(hit: Hit) -> dict[str, object]:
    return {
        "id": hit.id,
        "title": hit.title,
        "path": hit.path,
        "severity": hit.severity,
        "date": hit.date.isoformat(),
        "services": list(hit.services),
        "score": round(hit.score, 4),
        "snippet": [fragment.marked() for fragment in hit.fragments],
    }


PUBLIC_CONFIG = "mkdocs.public.yml"  # next to mkdocs.yml: INHERIT, `public: true`


@main.command()
@config_option
@click.option(
    "--public",
    is_flag=True,
    help=f"Build the public site from {PUBLIC_CONFIG} next to the configuration file.",
)
@click.option(
    "-d",
    "--site-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Build into this folder instead of the configuration's site_dir.",
)
@click.option(
    "--skip-if-empty",
    is_flag=True,
    help="With --public: exit 0 without building when no post-mortem is public and published.",
)
@click.option("--strict/--no-strict", default=True, show_default=True, help="Fail on warnings.")
def build(
    config_file: Path, public: bool, site_dir: Path | None, strict: bool, skip_if_empty: bool
) -> None:
    """Build the internal site, or with --public the public one: only public, published
    post-mortems, redacted, and the build fails if any output file looks internal."""
    target = config_file.parent / PUBLIC_CONFIG if public else config_file
    if not target.is_file():
        raise click.ClickException(f"{target} does not exist")
    if public and skip_if_empty and not _has_public(config_file):
        click.echo(
            "No post-mortem is public and published: the public site is not built.", err=True
        )
        return
    command = [sys.executable, "-m", "mkdocs", "build", "--config-file", str(target)]
    command += ["--strict"] if strict else []
    command += ["--site-dir", str(site_dir)] if site_dir else []
    env = {"NO_MKDOCS_2_WARNING": "1", **os.environ}  # as the Makefile: no theme banner
    sys.exit(subprocess.run(command, check=False, env=env).returncode)


@main.command()
@config_option
@click.option(
    "-a",
    "--dev-addr",
    default="127.0.0.1:8000",
    show_default=True,
    help="The address (IP:PORT) to serve the site on.",
)
@click.option(
    "--clean",
    is_flag=True,
    help="Rebuild the whole site on every save (mkdocs serve) instead of the pages the "
    "save changed (mkdocs serve --dirty).",
)
def serve(config_file: Path, dev_addr: str, clean: bool) -> None:
    """Preview the site while writing a post-mortem: serve it, and on every save rebuild
    the pages that changed (the edited post-mortem, the listings and Learning pages it
    shows on) and reload the browser. --clean rebuilds everything every time."""
    if not config_file.is_file():
        raise click.ClickException(f"{config_file} does not exist")
    command = [sys.executable, "-m", "mkdocs", "serve", "--config-file", str(config_file)]
    command += ["--dev-addr", dev_addr] + ([] if clean else ["--dirty"])
    env = {"NO_MKDOCS_2_WARNING": "1", **os.environ}
    with subprocess.Popen(command, env=env) as server:
        try:
            server.wait()
        except KeyboardInterrupt:  # Ctrl-C reaches the server too (one process group)
            try:
                server.wait(timeout=2)
            except subprocess.TimeoutExpired:  # it did not (a signal to this process only)
                server.send_signal(signal.SIGINT)
            server.wait()
            sys.exit(0)
    sys.exit(server.returncode)


def _has_public(config_file: Path) -> bool:
    return any(is_public(pm) for pm in load_project_archive(_project(config_file)).postmortems)


@main.command()
@click.argument("site_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@config_option
def leaks(site_dir: Path, config_file: Path) -> None:
    """Scan a built public site for internal content, as every public build does: exit 1
    on leaks, each listed with its output file, the text and the source files it came from."""
    project = _project(config_file)
    archive = load_project_archive(project)
    config_files = [config_file, config_file.parent / PUBLIC_CONFIG]
    sources = leak_sources(project, archive, [path for path in config_files if path.is_file()])
    report = check_site(site_dir, sources, project.config)
    for line in report.lines():
        click.echo(line)
    click.echo(report.summary(), err=True)
    sys.exit(0 if report.ok else 1)


@main.command()
@config_option
@click.option(
    "--refresh",
    is_flag=True,
    help="First fetch every ticket the action items name from its tracker (the network and "
    "each tracker's token_env) into .pmkb/tickets.json.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--strict", is_flag=True, help="Exit 1 when a ticket could not be fetched.")
def tickets(config_file: Path, refresh: bool, output_format: str, strict: bool) -> None:
    """Each action item's ticket as its tracker last said (the cache), beside the file's
    Status; with --refresh, fetched again first. A ticket that cannot be fetched is one line
    on stderr and keeps its cached state."""
    project = _project(config_file)
    trackers = project.config.trackers
    if not trackers:
        raise click.ClickException(
            f"{config_file}: no trackers configured (the postmortems plugin's `trackers` option)"
        )
    archive = load_project_archive(project)
    failed = False
    if refresh:
        plan = referenced_tickets(archive.postmortems, trackers)
        path = cache_path(project.root)
        with progress_bar(len(plan.refs), "Fetching tickets", minimum=1) as advance:
            report = refresh_tickets(path, plan.refs, trackers, os.environ, progress=advance)
        for line in report.lines:
            click.echo(line, err=True)
        if plan.unmatched:
            cells = ", ".join(plan.unmatched[:5]) + (", ..." if len(plan.unmatched) > 5 else "")
            click.echo(f"{len(plan.unmatched)} ticket(s) match no tracker: {cells}", err=True)
        click.echo(report.summary(display_path(path, Path.cwd())), err=True)
        failed = bool(report.failed)
    try:
        lookup = load_lookup(project.root, trackers) or TicketLookup(trackers, TicketCache())
    except CacheError as err:
        raise click.ClickException(str(err)) from err
    rows = ticket_rows(archive.postmortems, lookup)
    if output_format == "json":
        click.echo(json.dumps([row.to_json() for row in rows], indent=2, ensure_ascii=False))
    else:
        click.echo(rows_table(rows, dt.datetime.now(dt.UTC)))
    sys.exit(1 if strict and failed else 0)


def _status_sources(project: Project) -> list[StatusSource]:
    """The tickets cache as the ledger's first status source (none without one); a broken
    cache is one warning, and the Markdown statuses are used."""
    try:
        return status_sources(project.root, project.config.trackers)
    except CacheError as err:
        click.echo(f"warning: {err}; using the Status column", err=True)
        return []


def _as_of(value: dt.datetime | None) -> dt.date:
    return as_of_or_today(value.date() if value else None)


as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The date overdue and on-time are judged on (YYYY-MM-DD); default today (UTC).",
)


@main.command()
@config_option
@click.option("--owner", default=None, help="Only this owner's items (@handle).")
@click.option("--service", default=None, help="Only items of incidents of this service.")
@click.option(
    "--status",
    "statuses",
    default=None,
    help=f"Comma-separated statuses: {', '.join(ACTION_STATUSES)}.",
)
@click.option("--overdue", is_flag=True, help="Only open items past their due date.")
@as_of_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def actions(
    config_file: Path,
    owner: str | None,
    service: str | None,
    statuses: str | None,
    overdue: bool,
    as_of: dt.datetime | None,
    output_format: str,
) -> None:
    """The action-item ledger: every action item of every post-mortem, overdue first, with
    the completion and on-time rates of the items shown (owner and service filters apply)."""
    project = _project(config_file)
    wanted = _split(statuses) if statuses is not None else None
    unknown = [s for s in wanted or [] if s not in ACTION_STATUSES]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: not one of {', '.join(ACTION_STATUSES)}", param_hint="--status"
        )
    day = _as_of(as_of)
    postmortems = load_project_archive(project).postmortems
    ledger = build_ledger(postmortems, _status_sources(project))
    shown = ledger.select(
        owner=owner, service=service, statuses=wanted, overdue_as_of=day if overdue else None
    )
    if output_format == "json":
        click.echo(actions_json(shown, day), nl=False)
        return
    if output_format == "csv":
        click.echo(actions_csv(shown, day), nl=False)
        return
    if shown:
        click.echo(actions_table(review_order(shown, day), day))
    else:
        click.echo("No action items match.", err=True)
    scope = ledger.select(owner=owner, service=service)
    for line in rates_lines(rates(scope, day, project.config.action_completion_threshold), day):
        click.echo(line, err=True)


@main.command()
@config_option
@click.option(
    "--month",
    default=None,
    help="The month, YYYY-MM; default the previous month (UTC).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "html", "json"]),
    default="md",
    show_default=True,
)
@as_of_option
def digest(
    config_file: Path, month: str | None, output_format: str, as_of: dt.datetime | None
) -> None:
    """The monthly digest: each post-mortem of the month in a few paragraphs, with its
    contributing factors and action items."""
    project = _project(config_file)
    day = _as_of(as_of)
    month = month or month_of(day.replace(day=1) - dt.timedelta(days=1))
    try:
        postmortems = load_project_archive(project).postmortems
        result = monthly_digest(postmortems, month, _status_sources(project))
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--month") from err
    if output_format == "json":
        click.echo(json.dumps(digest_json(result, day), indent=2, ensure_ascii=False))
    elif output_format == "html":
        click.echo(digest_html(result), nl=False)
    else:
        click.echo(digest_markdown(result), nl=False)


@main.command()
@config_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
)
@as_of_option
def export(config_file: Path, output_format: str, as_of: dt.datetime | None) -> None:
    """Every incident with its durations, factors and action items, and the summary rates
    (JSON: schema/incidents.schema.json; CSV: one row per incident)."""
    project = _project(config_file)
    postmortems = load_project_archive(project).postmortems
    ledger = build_ledger(postmortems, _status_sources(project))
    data = export_data(postmortems, _as_of(as_of), ledger)
    click.echo(export_csv(data) if output_format == "csv" else export_json(data), nl=False)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@click.option(
    "--base",
    default=None,
    help="Review the post-mortems HEAD adds or changes since this git ref (the pull "
    "request's base), instead of or besides FILES.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown"]),
    default="markdown",
    show_default=True,
    help="markdown: for a pull request's job summary, or to read.",
)
@click.option("-k", "--count", default=5, show_default=True, help="Similar incidents per file.")
def review(
    files: tuple[Path, ...], config_file: Path, base: str | None, output_format: str, count: int
) -> None:
    """For each post-mortem of FILES: its diagnostics, the past incidents most like it (with
    the reasons) and the open action items of the incidents it relates to. Exit 0: the
    review informs, `pmkb check` decides."""
    project = _project(config_file)
    chosen = [path.resolve() for path in files]
    if base is not None:
        try:
            chosen += changed_postmortems(project.root, project.postmortems_dir, base)
        except ChangesError as err:
            raise click.ClickException(str(err)) from err
    reviews = review_files(
        project,
        list(dict.fromkeys(chosen)),
        count=count,
        status_sources=_status_sources(project),
    )
    click.echo(review_markdown(reviews), nl=False)


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--ci",
    type=click.Choice(CI_CHOICES),
    default="github",
    show_default=True,
    help="The CI files to write: GitHub Actions workflows, .gitlab-ci.yml, or none.",
)
def init(directory: Path, ci: str) -> None:
    """Write a new knowledge base into DIRECTORY: mkdocs.yml, kb/ (home, writing guide,
    runbook template), postmortems/ with an example, CI files, pre-commit config, README.
    Never overwrites a file."""
    try:
        written = init_kb(directory, ci)
    except InitError as err:
        raise click.ClickException(f"{directory}: {err}") from err
    for path in written:
        click.echo(str(path))
    click.echo(f"Next: cd {directory} && pmkb check && mkdocs serve", err=True)


@main.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the drafts [default: the knowledge base's post-mortems folder].",
)
@click.option("--dry-run", is_flag=True, help="Print each file's report; write nothing.")
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML of heading synonyms by section (the shape of importers/synonyms.yaml); "
    "its headings win over the built-in ones.",
)
@config_option
def import_(
    sources: tuple[Path, ...],
    out_dir: Path | None,
    dry_run: bool,
    map_file: Path | None,
    config_file: Path,
) -> None:
    """Turn post-mortems in other shapes (Markdown, .html.md.erb, files without extension;
    folders are searched) into drafts of the format, never overwriting a file."""
    project = _project(config_file)
    try:
        section_map = load_section_map(project.config, map_file)
    except MapError as err:
        raise click.ClickException(str(err)) from err
    files = find_sources(sources)
    if not files:
        raise click.ClickException("no files to import (.md, .markdown, .html.md.erb or none)")
    outcomes = import_sources(
        files, out_dir or project.postmortems_dir, section_map, project.config, dry_run=dry_run
    )
    done = []
    with progress_bar(len(files), "Importing") as advance:
        for outcome in outcomes:
            done.append(outcome)
            if advance is not None:
                advance(1)
    for outcome in done:
        click.echo(outcome.report() if dry_run else outcome.line())
    click.echo(batch_summary(done, dry_run=dry_run), err=True)
    sys.exit(1 if any(outcome.failed for outcome in done) else 0)
