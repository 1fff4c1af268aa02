"""The front matter's JSON Schema, for editors that validate YAML while authors type.

Generated from the pydantic model, with the configured severity levels and factor
categories as enums and the fields a complete post-mortem needs marked required. The body's
action-item Status cell is not front matter; its syntax is in `$defs.ActionItemStatus` for
tools that read the table.
"""

from __future__ import annotations

import json
from typing import Any

from postmortem_kb.config import KBConfig
from postmortem_kb.format.frontmatter import REQUIRED_FIELDS, FrontMatter
from postmortem_kb.format.vocabulary import ACTION_STATUSES


def front_matter_schema(config: KBConfig) -> dict[str, Any]:
    schema = FrontMatter.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Post-mortem front matter (format version 1)"
    schema["description"] = "Required fields may be missing while status is draft."
    properties = schema["properties"]
    properties["severity"] = {**_described(properties["severity"]), "enum": config.level_names}
    factor = schema["$defs"]["ContributingFactor"]["properties"]
    factor["category"] = {**_described(factor["category"]), "enum": config.factor_categories}
    schema["required"] = [loc[0] for loc in REQUIRED_FIELDS if len(loc) == 1]
    schema["$defs"]["ActionItemStatus"] = _action_status_schema()
    for parent in {loc[0] for loc in REQUIRED_FIELDS if len(loc) == 2}:
        model_name = parent.capitalize()
        schema["$defs"][model_name]["required"] = [
            loc[1] for loc in REQUIRED_FIELDS if loc[:1] == (parent,) and len(loc) == 2
        ]
    return schema


def _action_status_schema() -> dict[str, Any]:
    words = "|".join(ACTION_STATUSES)  # lowercase words and hyphens: nothing to escape
    return {
        "description": "The Status cell of an action-item table row (body, not front matter): "
        f"{', '.join(ACTION_STATUSES)}, or `done YYYY-MM-DD` (done, with the date it was done); "
        "a blank cell is open. `pmkb check` also accepts the words in capitals; this pattern "
        "gives the lowercase form.",
        "type": "string",
        "pattern": f"^(?:(?:{words})|done \\d{{4}}-\\d{{2}}-\\d{{2}})?$",
    }


def _described(prop: dict[str, Any]) -> dict[str, Any]:
    return {"description": prop["description"]} if "description" in prop else {}


def schema_json(config: KBConfig) -> str:
    return json.dumps(front_matter_schema(config), indent=2, ensure_ascii=False) + "\n"
