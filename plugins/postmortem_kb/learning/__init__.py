"""Learning loops: what the archive says about whether the team learns from its incidents.

Pure functions over parsed post-mortems (`format.model.PostMortem`), usable without MkDocs:

- `periods`: quarters, months and the as-of date (today in UTC unless injected);
- `stats`: median, p90 (nearest rank), min, max, n, and whether a trend is supported;
- `metrics`: time to detect, mitigate and resolve per incident, aggregated by group;
- `ledger`: every action item with its status, overdue items, completion and on-time rates;
- `recurrence`: contributing factors grouped across incidents, alerts, the recurrence rate;
- `digest`: the monthly digest (md, html, json);
- `export`: the `incidents.json` object (schema in `schema/incidents.schema.json`).

The site (`site/`, `plugin.py`) and the CLI (`cli.py`) call these; nothing here imports
mkdocs or click.
"""
