"""A review as GitHub-flavoured Markdown: the pull request's job summary, or a terminal read.

Text from the post-mortems goes into table cells, so it is escaped: a `|` would end the
cell, a newline the row, and `<` could open HTML in the summary.
"""

from __future__ import annotations

from collections.abc import Sequence

from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.learning.ledger import ActionEntry
from postmortem_kb.review.report import PostMortemReview, RelatedActions, SimilarIncident

TITLE = "## Post-mortem review"


def cell(text: str) -> str:
    """`text` safe inside one cell of a Markdown table."""
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|") or " "


def review_markdown(reviews: Sequence[PostMortemReview]) -> str:
    if not reviews:
        return f"{TITLE}\n\nNo post-mortem is new or changed.\n"
    parts = [TITLE, _overview(reviews)]
    parts += [_one(review) for review in reviews]
    return "\n\n".join(parts) + "\n"


def _overview(reviews: Sequence[PostMortemReview]) -> str:
    errors = sum(r.errors for r in reviews)
    warnings = sum(r.warnings for r in reviews)
    noun = "post-mortem" if len(reviews) == 1 else "post-mortems"
    return f"{len(reviews)} {noun} new or changed: {errors} error(s), {warnings} warning(s)."


def _one(review: PostMortemReview) -> str:
    pm = review.postmortem
    if pm is None:
        heading = f"### `{review.path}`"
        facts = "The file could not be read as a post-mortem."
    else:
        heading = f"### {cell(pm.title)}"
        meta = pm.meta
        facts = " · ".join(
            [f"`{review.path}`"]
            + [str(value) for value in (meta.severity, meta.status, meta.visibility) if value]
            + ([", ".join(meta.services)] if meta.services else [])
        )
    parts = [heading, facts, _diagnostics(review.diagnostics)]
    if pm is not None:
        parts += [_similar(review.similar), _actions(review.related_actions, review)]
    return "\n\n".join(parts)


def _diagnostics(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return "**Diagnostics**: none."
    rows = [
        f"| {max(d.line, 1)} | {d.level} | {d.code} | {cell(d.message)} | {cell(d.hint)} |"
        for d in diagnostics
    ]
    header = "| Line | Level | Code | Message | Hint |\n|---:|---|---|---|---|"
    errors = sum(d.is_error for d in diagnostics)
    counts = f"{errors} error(s), {len(diagnostics) - errors} warning(s)"
    return f"**Diagnostics**: {counts}.\n\n{header}\n" + "\n".join(rows)


def _similar(similar: Sequence[SimilarIncident]) -> str:
    if not similar:
        return "**Most similar past incidents**: none in the archive."
    rows = []
    for rank, item in enumerate(similar, 1):
        other = item.incident
        reasons = cell(item.match.describe()) if item.match.reasons else "overall wording"
        rows.append(
            f"| {rank} | `{other.id}` {cell(other.title)} | {other.meta.severity or ''} "
            f"| {item.match.score:.2f} | {reasons} |"
        )
    header = "| # | Incident | Severity | Score | Why |\n|---:|---|---|---:|---|"
    return "**Most similar past incidents**\n\n" + header + "\n" + "\n".join(rows)


def _actions(related: Sequence[RelatedActions], review: PostMortemReview) -> str:
    if not related:
        return "**Open action items of related incidents**: none."
    rows = [_action_row(group, item, review) for group in related for item in group.items]
    header = "| Incident | Action | Owner | Due | Ticket |\n|---|---|---|---|---|"
    return "**Open action items of related incidents**\n\n" + header + "\n" + "\n".join(rows)


def _action_row(group: RelatedActions, item: ActionEntry, review: PostMortemReview) -> str:
    due = item.due.isoformat() if item.due else "no date"
    if item.is_overdue(review.today):
        due += " (overdue)"
    return (
        f"| `{group.incident.id}` | {cell(item.action)} | {cell(item.owner)} | {due} "
        f"| {cell(item.ticket)} |"
    )
