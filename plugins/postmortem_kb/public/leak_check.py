"""The leak check of a public build: every file of the built site against the project's
deny list, each leak traced back to the source files that contain it.

The deny list (`deny_list`) is:

- the default rules of `leaks.py` (internal domains, private IPs, Slack, e-mail addresses,
  handles, ticket keys, "confidential"-style phrases);
- the `deny_patterns` option;
- the internal-only terms of the project (`LeakSources.terms`): the distinctive strings of
  everything the public site must not show (the internal blocks of every post-mortem, whole
  internal post-mortems, the internal fields of public ones, the docs pages the public site
  leaves out), plus the titles, ids, services and failure modes of internal post-mortems
  and the runbook ids, minus whatever the public texts contain.

The plugin runs `check_site` after every public build (and fails it on a leak); `pmkb
leaks SITE_DIR` runs it alone. Nothing here imports MkDocs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel

from postmortem_kb.config import KBConfig
from postmortem_kb.format.archive import Archive, display_path
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.source import read_text
from postmortem_kb.format.vocabulary import INTERNAL_FIELDS
from postmortem_kb.project import Project
from postmortem_kb.public.deny_list import (
    DenyList,
    Leak,
    build_deny_list,
    internal_only_terms,
    is_vendor_file,
    leaks_by_source,
    not_in_public,
    pattern_rules,
    read_site_file,
    scan_site,
    terms_rule,
    without_allowed,
)
from postmortem_kb.public.publish import public_archive, public_docs_uri
from postmortem_kb.public.redaction import find_internal_blocks

MIN_TERM = 5  # as leaks.internal_only_terms: shorter strings match ordinary text


@dataclass(frozen=True)
class LeakSources:
    """What the public site may show and what it must not, as texts."""

    public_postmortems: tuple[str, ...]  # what the public post-mortem pages may show
    public_pages: tuple[str, ...]  # the public docs pages, the settings the site shows
    internal_texts: tuple[str, ...]  # mined for distinctive strings
    named_terms: frozenset[str]  # titles, ids, services, tags, runbook ids: taken whole
    files: dict[str, str] = field(default_factory=dict)  # path -> text, to attribute leaks

    @cached_property
    def terms(self) -> frozenset[str]:
        """The internal-only terms: the distinctive strings of the internal texts that no
        public text contains, and the names of internal things that no public post-mortem
        contains (a public page that names an internal incident is a leak)."""
        public = (*self.public_postmortems, *self.public_pages)
        mined = internal_only_terms(self.internal_texts, public)
        named = not_in_public(self.named_terms, self.public_postmortems)
        return frozenset(mined | named)


def leak_sources(
    project: Project, archive: Archive, config_files: Iterable[Path] = ()
) -> LeakSources:
    """The public and internal texts of `project` (its whole `archive`, its docs folder and
    its `config_files`, which are named when a leak comes from them)."""
    public: list[str] = []
    pages: list[str] = []
    internal: list[str] = []
    named: set[str] = set()
    files: dict[str, str] = {}
    shown = {pm.id: pm for pm in public_archive(archive).postmortems}
    for pm in archive.postmortems:
        text = _read(pm.path, pm.source_path)
        files[pm.source_path] = text
        internal += [block.text for block in find_internal_blocks(pm.markdown).blocks]
        if pm.id in shown:
            public.append(_public_text(shown[pm.id]))
            internal.append(_internal_fields(pm, shown[pm.id]))
        else:
            internal.append(text)
            named |= _named(pm)
    for path in sorted(project.docs_dir.rglob("*.md")) if project.docs_dir.is_dir() else []:
        uri = path.relative_to(project.docs_dir).as_posix()
        text = _read(path, uri)
        files[display_path(path, project.root)] = text
        is_shown = public_docs_uri(uri, project.config, is_page=True) is not None
        (pages if is_shown else internal).append(text)
    named |= {path.stem for path in _runbooks(project)}
    pages.append(_config_text(project.config))
    for path in config_files:
        files[display_path(path, project.root)] = _read(path, str(path))
    distinctive = {term for term in named if len(term) >= MIN_TERM and _is_distinctive(term)}
    return LeakSources(tuple(public), tuple(pages), tuple(internal), frozenset(distinctive), files)


def deny_list(config: KBConfig, terms: Iterable[str] = ()) -> DenyList:
    """The default rules, the `deny_patterns` option and the internal-only `terms`."""
    return build_deny_list(terms=terms, extra_rules=pattern_rules(config.deny_patterns))


@dataclass(frozen=True)
class LeakReport:
    site_dir: Path
    leaks: list[Leak]
    sources: dict[Leak, list[str]]  # the source files that contain each leak's text
    files_scanned: int
    terms: int
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.leaks

    def lines(self) -> Iterator[str]:
        """One line per leak: output file, line and column, rule, text, source files."""
        for leak in self.leaks:
            sources = ", ".join(sorted(self.sources.get(leak, ()))) or (
                "no source file (the theme, the configuration or generated text)"
            )
            yield (
                f"{self.site_dir.name}/{leak.file}:{leak.line}:{leak.column}: leak {leak.rule} "
                f'"{leak.text}" from {sources} … {leak.context} …'
            )

    def summary(self) -> str:
        found = f"{len(self.leaks)} leak(s)" if self.leaks else "no leaks"
        return (
            f"leak check: {found} in {self.files_scanned} files of {self.site_dir} "
            f"({self.terms} internal-only terms, {self.seconds:.2f} s)"
        )


def check_site(site_dir: Path, sources: LeakSources, config: KBConfig) -> LeakReport:
    """Scan every file under `site_dir` and attribute each leak to its sources. Terms that
    the theme's own files contain (`without_vendor_words`) are not searched."""
    started = time.perf_counter()
    terms = without_vendor_words(sources.terms, site_dir)
    leaks = without_allowed(scan_site(site_dir, deny_list(config, terms)), config.leak_allow)
    by_source = leaks_by_source(leaks, sources.files)
    count = sum(1 for path in site_dir.rglob("*") if path.is_file())
    return LeakReport(site_dir, leaks, by_source, count, len(terms), time.perf_counter() - started)


def without_vendor_words(terms: Iterable[str], site_dir: Path) -> set[str]:
    """The `terms` that the site's vendor files (`leaks.is_vendor_file`: the theme's
    bundles) do not contain, matched as the scan matches them. An internal
    post-mortem may well mention `node_modules` or `Material Design`; as a term, it would
    flag the theme's files on every build."""
    remaining = set(terms)
    vendor = [
        read_site_file(path)[0]
        for path in sorted(site_dir.rglob("*"))
        if path.is_file() and is_vendor_file(path.relative_to(site_dir).as_posix())
    ]
    while remaining and vendor:
        rule = terms_rule(remaining)
        assert rule is not None
        deny = DenyList([rule])
        found = {
            _normalised(text[start:end]) for text in vendor for _, start, end in deny.matches(text)
        }
        remaining = {term for term in remaining if _normalised(term) not in found}
        # One match per position: only a term that starts a found one may have been hidden.
        if not any(f.startswith(_normalised(t)) for f in found for t in remaining):
            break
    return remaining


# --- the texts of a post-mortem ------------------------------------------------------------


def _public_text(pm: PostMortem) -> str:
    """Everything the public page of the redacted `pm` may show."""
    meta = pm.meta
    parts = [
        meta.title or "",
        *meta.services,
        *meta.tags,
        meta.impact.summary or "",
        meta.public_summary or "",
        *(factor.description for factor in meta.contributing_factors),
        pm.markdown,
    ]
    return "\n".join(parts)


def _internal_fields(pm: PostMortem, shown: PostMortem) -> str:
    """What the public page of `pm` leaves out besides internal blocks: the internal fields,
    related ids that are not public, and the action items' owners and tickets."""
    meta = pm.meta
    parts = [text for name in INTERNAL_FIELDS for text in _strings(getattr(meta, name))]
    parts += [other for other in meta.related if other not in shown.meta.related]
    parts += [item for a in pm.action_items for item in (a.owner, a.ticket)]
    return "\n".join(part for part in parts if part)


def _strings(value: object) -> list[str]:
    """The text values of a front matter value: a string, a list, or a model's fields."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, BaseModel):
        value = list(value.model_dump().values())
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def _named(pm: PostMortem) -> set[str]:
    """The names an internal post-mortem is known by, taken whole as terms."""
    meta = pm.meta
    return {pm.id, *(value for value in (meta.title,) if value), *meta.services, *meta.tags}


def _is_distinctive(term: str) -> bool:
    """A name with more than letters (`disk-full`, `billing-batch`, a title): a single plain
    word (`search`, `billing`) would match the theme's own text, so it is no term."""
    return not term.isalpha()


def _config_text(config: KBConfig) -> str:
    """The settings the public site shows: severity levels and categories."""
    levels = [
        " ".join((lv.name, lv.meaning, lv.paging, lv.update_cadence, lv.example))
        for lv in config.severity_levels
    ]
    return "\n".join([*levels, *config.factor_categories, *config.action_categories])


def _runbooks(project: Project) -> list[Path]:
    folder = project.runbooks_dir
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*.md") if p.stem not in ("index", "README")]


def _read(path: Path, shown: str) -> str:
    text, _ = read_text(path, shown)
    return text or ""


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()
