"""The documented diagnostic codes. Codes are stable: never renumber or reuse one.

PM0xx: reading the file; PM1xx: front matter; PM2xx: body sections; PM3xx: timeline;
PM4xx: action items; PM5xx: wording and freshness; PM6xx: links across the archive;
PM7xx: public content; PM8xx: action items against their tracker's tickets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeSpec:
    code: str
    level: str  # the default level; drafts turn some errors into warnings
    summary: str
    hint: str


_SPECS = [
    CodeSpec(
        "PM001",
        "error",
        "The file is not valid UTF-8.",
        "Save the file as UTF-8 (with or without BOM).",
    ),
    CodeSpec(
        "PM002",
        "error",
        "The file has no YAML front matter.",
        "Start the file with a line `---`, the YAML fields, and a closing `---`.",
    ),
    CodeSpec(
        "PM003",
        "error",
        "The front matter is not valid YAML.",
        "Check indentation, colons and quotes; quote values that contain `: ` or start with `@`.",
    ),
    CodeSpec(
        "PM004",
        "error",
        "A key appears twice in the same mapping.",
        "Keep one of the two; YAML would silently keep only the last.",
    ),
    CodeSpec(
        "PM005",
        "error",
        "The front matter uses a YAML tag that is not allowed.",
        "Only plain YAML values are allowed; remove the `!tag`.",
    ),
    CodeSpec(
        "PM006",
        "error",
        "The front matter is not a mapping of fields.",
        "Write `field: value` lines between the `---` markers.",
    ),
    CodeSpec(
        "PM007",
        "error",
        "The file name is not `YYYY-MM-DD-short-slug.md`.",
        "Rename the file, e.g. `2024-11-15-payments-pool-exhaustion.md`.",
    ),
    CodeSpec(
        "PM008",
        "error",
        "The file is larger than the renderer can handle (1 MiB or 5,000 lines).",
        "Split it, or move logs and dumps to a linked file; a post-mortem is read by people.",
    ),
    CodeSpec(
        "PM009",
        "error",
        "A line is longer than 20,000 characters.",
        "Break the line, or link the log it comes from instead of pasting it.",
    ),
    CodeSpec(
        "PM010",
        "error",
        "Markdown nested too deep (16 block levels, or 32 brackets or emphasis markers).",
        "Flatten the nesting; deep nesting makes the renderer crawl or fail.",
    ),
    CodeSpec(
        "PM101",
        "error",
        "A required field is missing.",
        "Add the field; `pmkb new` writes a complete template.",
    ),
    CodeSpec(
        "PM102",
        "error",
        "A field has the wrong type or value.",
        "See FORMAT.md or `pmkb schema` for the field's type.",
    ),
    CodeSpec(
        "PM103", "warning", "An unknown field (often a typo).", "Remove it or fix its spelling."
    ),
    CodeSpec(
        "PM104",
        "error",
        "The severity is not one of the configured levels.",
        "Use one of the levels on the severity page.",
    ),
    CodeSpec(
        "PM105",
        "error",
        "`date` differs from the date in the file name.",
        "The file name and `date` both give the incident's start date (UTC).",
    ),
    CodeSpec(
        "PM106",
        "error",
        "Timestamps are out of order.",
        "They must satisfy started <= detected <= mitigated <= resolved.",
    ),
    CodeSpec(
        "PM107",
        "error",
        "A timestamp has no time zone.",
        "Write it in ISO 8601 with `Z` or an offset, e.g. `2024-11-15T14:02:00Z`.",
    ),
    CodeSpec(
        "PM108",
        "error",
        "A tag is not lowercase-hyphenated.",
        "Write failure modes like `connection-pool-exhaustion`.",
    ),
    CodeSpec(
        "PM109",
        "error",
        "A contributing factor's category is not a configured category.",
        "Use technical, process, organizational or environmental.",
    ),
    CodeSpec(
        "PM110",
        "warning",
        "A contributing factor without a key reads like a keyed factor of other incidents.",
        "Add that `key:` so the factor counts as recurring, or reword it if it differs.",
    ),
    CodeSpec(
        "PM201",
        "error",
        "A required section is missing.",
        "Add the `## Section` heading and its content.",
    ),
    CodeSpec(
        "PM202",
        "error",
        "A section is out of order.",
        "Sections follow the template's order (FORMAT.md).",
    ),
    CodeSpec(
        "PM203",
        "warning",
        "An H2 heading that is not a template section.",
        "Use a `###` heading inside a template section, or fix the heading's spelling.",
    ),
    CodeSpec("PM204", "error", "A section appears twice.", "Merge the two sections."),
    CodeSpec(
        "PM205",
        "error",
        "A required section is empty.",
        "Write the section, or keep the post-mortem as a draft.",
    ),
    CodeSpec(
        "PM301",
        "error",
        "A timeline entry does not start with a time.",
        "Start each entry with `HH:MM`, `YYYY-MM-DD HH:MM` or an ISO timestamp (UTC).",
    ),
    CodeSpec(
        "PM302",
        "error",
        "The timeline goes backwards.",
        "Order entries by time; give the date on entries past midnight.",
    ),
    CodeSpec(
        "PM303",
        "error",
        "The timeline has no entries.",
        "Write the timeline as a list: `- 14:02 Deploy 4812 starts.`",
    ),
    CodeSpec(
        "PM401",
        "error",
        "The action items are not a table.",
        "Use the table `| Action | Category | Owner | Due | Ticket |`.",
    ),
    CodeSpec(
        "PM402",
        "error",
        "The action-item table lacks a column.",
        "The columns are Action, Category, Owner, Due, Ticket and optionally Status.",
    ),
    CodeSpec(
        "PM403",
        "error",
        "An action item's category is not a configured category.",
        "Use Prevention, Detection, Mitigation or Process.",
    ),
    CodeSpec(
        "PM404",
        "error",
        "An action item's owner is not an @handle.",
        "Name one owner as `@handle`.",
    ),
    CodeSpec(
        "PM405",
        "error",
        "An action item's due date is not an ISO date.",
        "Write the date as `YYYY-MM-DD`.",
    ),
    CodeSpec(
        "PM406",
        "error",
        "An action item has no ticket.",
        "Link the ticket that tracks the work, e.g. `PAY-1432`.",
    ),
    CodeSpec(
        "PM407",
        "error",
        "An action item's status is not open, done, `done YYYY-MM-DD` or not-doing.",
        "Use `open`, `done`, `done 2024-06-05` (done, with the date) or `not-doing`.",
    ),
    CodeSpec(
        "PM408",
        "warning",
        "Too few or too many action items.",
        "Three to seven focused actions get done; more get lost, fewer miss causes.",
    ),
    CodeSpec(
        "PM409",
        "error",
        "An action item's done date is in the future.",
        "Write the date the work was finished, or leave the item `open`.",
    ),
    CodeSpec(
        "PM410",
        "warning",
        "An action item's done date is before the incident.",
        "Check the date: work done before the incident is not one of its action items.",
    ),
    CodeSpec(
        "PM501",
        "warning",
        "Blame-oriented language.",
        "Describe what in the system or process allowed the failure.",
    ),
    CodeSpec(
        "PM502",
        "warning",
        "A draft whose incident was resolved more than two days ago.",
        "Move it to `in-review`, or finish it: post-mortems lose value quickly.",
    ),
    CodeSpec(
        "PM601",
        "error",
        "`runbooks` names a runbook that does not exist.",
        "Use the file name (without .md) of a page in the runbooks folder.",
    ),
    CodeSpec(
        "PM602",
        "error",
        "`related` names a post-mortem that does not exist.",
        "Use the file name (without .md) of another post-mortem.",
    ),
    CodeSpec(
        "PM603",
        "error",
        "Two post-mortems have the same id.",
        "File names must be unique across the post-mortems folder.",
    ),
    CodeSpec(
        "PM604",
        "warning",
        "The text names another post-mortem (its id, title or a link to it) that `related` "
        "does not list.",
        "Add its id to `related`; the hint gives the line to write.",
    ),
    CodeSpec(
        "PM701",
        "warning",
        "A public post-mortem has internal-looking text outside an internal block.",
        "Move it into an `!!! internal` block or reword it.",
    ),
    CodeSpec(
        "PM702",
        "error",
        "An `<!-- internal -->` block is never closed.",
        "Close it with `<!-- /internal -->`.",
    ),
    # PM8xx: rules/tickets.py, from the tickets cache (.pmkb/tickets.json)
    CodeSpec(
        "PM801",
        "warning",
        "The file says an action item is open, but its ticket is closed in the tracker.",
        "Write `done YYYY-MM-DD` (the close date) or `not-doing` in the Status column, or "
        "reopen the ticket.",
    ),
    CodeSpec(
        "PM802",
        "warning",
        "The file says an action item is done or not-doing, but its ticket is open.",
        "Close the ticket in the tracker, or set the Status back to `open`.",
    ),
    CodeSpec(
        "PM803",
        "warning",
        "The tracker says the action item's ticket does not exist (404).",
        "Fix the Ticket cell (a typo, a moved project?) or link the ticket that tracks the work.",
    ),
    CodeSpec(
        "PM804",
        "warning",
        "The action item's ticket was closed after its due date.",
        "Nothing to change in the file; ask at the review what made it slip, and set due "
        "dates the team can keep.",
    ),
]

CODES: dict[str, CodeSpec] = {spec.code: spec for spec in _SPECS}
