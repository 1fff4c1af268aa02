"""The monthly digest: each post-mortem of a month in a few paragraphs, with its contributing
factors and action items, and no detailed timeline (the internal newsletter of the seed).

A post-mortem belongs to the month of its `date` (the incident's start, UTC). Its paragraphs
are the first `SUMMARY_PARAGRAPHS` prose paragraphs of its Summary section (internal blocks
of either syntax, as `public.redaction` finds them, admonitions, code, tables and lists are
skipped) and its impact summary. The digest is
data (`Digest`), written as Markdown, HTML or JSON by the `digest_*` functions.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import markdown as markdown_lib

from postmortem_kb.format.frontmatter import ContributingFactor
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.export import factor_json
from postmortem_kb.learning.ledger import ActionEntry, StatusSource, entries_of
from postmortem_kb.learning.periods import month_of, parse_month
from postmortem_kb.public.redaction import find_internal_blocks

SUMMARY_PARAGRAPHS = 2
_NOT_PROSE = re.compile(r"^(?:\s|!!!|\?\?\?|<|```|~~~|\||[-*+] |\d+[.)] |#)")


@dataclass(frozen=True)
class DigestEntry:
    id: str
    title: str
    date: dt.date | None
    severity: str | None
    status: str | None
    services: tuple[str, ...]
    paragraphs: tuple[str, ...]  # Markdown: the summary's paragraphs, then the impact line
    factors: tuple[ContributingFactor, ...]
    actions: tuple[ActionEntry, ...]


@dataclass(frozen=True)
class Digest:
    month: str  # YYYY-MM
    entries: tuple[DigestEntry, ...]  # oldest first

    @property
    def title(self) -> str:
        year, month = parse_month(self.month)
        return f"Post-mortem digest, {dt.date(year, month, 1):%B %Y}"


def digest_months(postmortems: Iterable[PostMortem]) -> list[str]:
    """The months (YYYY-MM) with at least one post-mortem, oldest first."""
    return sorted({month_of(pm.meta.date) for pm in postmortems if pm.meta.date})


def summary_paragraphs(pm: PostMortem, count: int = SUMMARY_PARAGRAPHS) -> list[str]:
    """The first `count` prose paragraphs of the Summary section, each on one line."""
    section = pm.body.section("Summary")
    if section is None:
        return []
    lines = list(section.content)
    for internal in find_internal_blocks("\n".join(lines)).blocks:
        lines[internal.start - 1 : internal.end] = [""] * (internal.end - internal.start + 1)
    paragraphs = []
    for block in re.split(r"\n\s*\n", "\n".join(lines).strip()):
        if block.strip() and not _NOT_PROSE.match(block):
            paragraphs.append(" ".join(line.strip() for line in block.splitlines()))
        if len(paragraphs) == count:
            break
    return paragraphs


def digest_entry(
    pm: PostMortem,
    sources: Sequence[StatusSource] = (),
    actions: Sequence[ActionEntry] | None = None,
) -> DigestEntry:
    """`pm`'s entry; its action items are `actions` when given (the ledger's entries of
    `pm`), else resolved here through `sources`."""
    paragraphs = summary_paragraphs(pm)
    if pm.meta.impact.summary:
        paragraphs.append(f"**Impact:** {pm.meta.impact.summary}")
    return DigestEntry(
        id=pm.id,
        title=pm.title,
        date=pm.meta.date,
        severity=pm.meta.severity,
        status=pm.meta.status,
        services=tuple(pm.meta.services),
        paragraphs=tuple(paragraphs),
        factors=tuple(pm.meta.contributing_factors),
        actions=tuple(entries_of(pm, sources) if actions is None else actions),
    )


def monthly_digest(
    postmortems: Iterable[PostMortem],
    month: str,
    sources: Sequence[StatusSource] = (),
    actions: Mapping[str, Sequence[ActionEntry]] | None = None,
) -> Digest:
    """The digest of `month` (YYYY-MM; ValueError otherwise): its post-mortems, oldest first;
    the action items' statuses as the ledger resolves them (`sources`, then the Status cell).
    `actions`: each post-mortem's ledger entries, when the caller has the ledger already."""
    year, number = parse_month(month)
    wanted = f"{year:04d}-{number:02d}"
    chosen = [pm for pm in postmortems if pm.meta.date and month_of(pm.meta.date) == wanted]
    return _digest(wanted, chosen, sources, actions)


def monthly_digests(
    postmortems: Iterable[PostMortem], sources: Sequence[StatusSource] = ()
) -> list[Digest]:
    """The digest of every month with a post-mortem, oldest first, in one pass (for a site
    with a page per month)."""
    months: dict[str, list[PostMortem]] = defaultdict(list)
    for pm in postmortems:
        if pm.meta.date:
            months[month_of(pm.meta.date)].append(pm)
    return [_digest(month, months[month], sources) for month in sorted(months)]


def _digest(
    month: str,
    postmortems: list[PostMortem],
    sources: Sequence[StatusSource],
    actions: Mapping[str, Sequence[ActionEntry]] | None = None,
) -> Digest:
    ordered = sorted(postmortems, key=lambda pm: (pm.meta.date or dt.date.min, pm.id))
    if actions is None:
        return Digest(month, tuple(digest_entry(pm, sources) for pm in ordered))
    return Digest(month, tuple(digest_entry(pm, actions=actions.get(pm.id, ())) for pm in ordered))


def _status(entry: ActionEntry) -> str:
    return f"done {entry.done_on.isoformat()}" if entry.done_on else entry.status


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def digest_markdown(digest: Digest) -> str:
    lines = [f"# {digest.title}", ""]
    if not digest.entries:
        lines += ["No post-mortems this month.", ""]
    for entry in digest.entries:
        lines += [f"## {entry.title}", "", _byline(entry), ""]
        for paragraph in entry.paragraphs:
            lines += [paragraph, ""]
        if entry.factors:
            lines += ["**Contributing factors**", ""]
            lines += [f"- {f.description} ({f.category}{_key(f)})" for f in entry.factors]
            lines.append("")
        if entry.actions:
            lines += ["**Action items**", ""]
            lines += ["| Action | Owner | Due | Status |", "|---|---|---|---|"]
            for a in entry.actions:
                due = a.due.isoformat() if a.due else ""
                lines.append(f"| {_cell(a.action)} | {a.owner} | {due} | {_status(a)} |")
            lines.append("")
    return "\n".join(lines)


def _byline(entry: DigestEntry) -> str:
    parts = [entry.date.isoformat() if entry.date else "", entry.severity or ""]
    parts.append(", ".join(entry.services))
    return " · ".join(p for p in parts if p) + f" · `{entry.id}`"


def _key(factor: ContributingFactor) -> str:
    return f", key `{factor.key}`" if factor.key else ""


def _inline(text: str) -> str:
    """Markdown of one paragraph as HTML, raw HTML in it shown as text."""
    rendered = markdown_lib.markdown(html.escape(text, quote=False))
    return rendered.removeprefix("<p>").removesuffix("</p>")


def digest_html(digest: Digest) -> str:
    """A standalone HTML document (UTF-8), every value escaped."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(digest.title)}</title></head><body>",
        f"<h1>{e(digest.title)}</h1>",
    ]
    if not digest.entries:
        out.append("<p>No post-mortems this month.</p>")
    for entry in digest.entries:
        out.append(f'<article id="{e(entry.id)}"><h2>{e(entry.title)}</h2>')
        out.append(f"<p>{_inline(_byline(entry))}</p>")
        out += [f"<p>{_inline(p)}</p>" for p in entry.paragraphs]
        if entry.factors:
            out.append("<h3>Contributing factors</h3><ul>")
            out += [
                f"<li>{e(f.description)} ({e(f.category)}{_inline(_key(f))})</li>"
                for f in entry.factors
            ]
            out.append("</ul>")
        if entry.actions:
            out.append("<h3>Action items</h3><table><thead><tr><th>Action</th><th>Owner</th>")
            out.append("<th>Due</th><th>Status</th></tr></thead><tbody>")
            for a in entry.actions:
                due = a.due.isoformat() if a.due else ""
                out.append(
                    f"<tr><td>{e(a.action)}</td><td>{e(a.owner)}</td><td>{due}</td>"
                    f"<td>{e(_status(a))}</td></tr>"
                )
            out.append("</tbody></table>")
        out.append("</article>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def digest_json(digest: Digest, as_of: dt.date) -> dict[str, Any]:
    """The digest as JSON data; action items as in `pmkb actions --format json`."""
    return {
        "month": digest.month,
        "title": digest.title,
        "postmortems": [_entry_json(entry, as_of) for entry in digest.entries],
    }


def _entry_json(entry: DigestEntry, as_of: dt.date) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title,
        "date": entry.date.isoformat() if entry.date else None,
        "severity": entry.severity,
        "status": entry.status,
        "services": list(entry.services),
        "paragraphs": list(entry.paragraphs),
        "factors": [factor_json(f) for f in entry.factors],
        "action_items": [a.to_json(as_of) for a in entry.actions],
    }
