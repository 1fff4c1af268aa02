"""The `pmkb` command: thin click wrappers over the domain modules."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import click

from postmortem_kb.diagnostics.diagnostic import (
    format_diagnostics,
    has_errors,
    summary_line,
)
from postmortem_kb.format.archive import display_path, find_postmortem_files
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.parser import parse_file
from postmortem_kb.format.schema import schema_json
from postmortem_kb.project import Project, load_project
from postmortem_kb.public.leak_check import check_site, leak_sources
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.scaffold.new_postmortem import new_postmortem
from postmortem_kb.search.archive.index import Hit, IndexLockedError, QueryError, SearchIndex
from postmortem_kb.search.archive.refresh import CACHE_DIR, refresh
from postmortem_kb.similarity.profiles import similar_to_draft
from postmortem_kb.similarity.vectors import Similar

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
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="text for terminals, github for Actions annotations, json for tools.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def check(paths: tuple[Path, ...], config_file: Path, output_format: str, strict: bool) -> None:
    """Check post-mortems (default: the whole post-mortems folder) and report every problem."""
    project = _project(config_file)
    archive = load_project_archive(project, paths)
    if archive.diagnostics or output_format == "json":
        click.echo(format_diagnostics(archive.diagnostics, output_format))
    if output_format == "text":
        click.echo(summary_line(archive.diagnostics, archive.files_checked), err=True)
    sys.exit(1 if has_errors(archive.diagnostics, strict=strict) else 0)


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
@config_option
def new(
    title: str,
    severity: str,
    date_: dt.datetime | None,
    services: str,
    tags: str,
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
    name, text = new_postmortem(
        title,
        severity=severity,
        date=date,
        services=_split(services),
        tags=_split(tags),
        config=project.config,
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
            refresh(index, files, project.root)
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
@click.option("--strict/--no-strict", default=True, show_default=True, help="Fail on warnings.")
def build(config_file: Path, public: bool, site_dir: Path | None, strict: bool) -> None:
    """Build the internal site, or with --public the public one: only public, published
    post-mortems, redacted, and the build fails if any output file looks internal."""
    target = config_file.parent / PUBLIC_CONFIG if public else config_file
    if not target.is_file():
        raise click.ClickException(f"{target} does not exist")
    command = [sys.executable, "-m", "mkdocs", "build", "--config-file", str(target)]
    command += ["--strict"] if strict else []
    command += ["--site-dir", str(site_dir)] if site_dir else []
    env = {"NO_MKDOCS_2_WARNING": "1", **os.environ}  # as the Makefile: no theme banner
    sys.exit(subprocess.run(command, check=False, env=env).returncode)


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
