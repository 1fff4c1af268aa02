"""The front matter's JSON Schema, for editors that validate YAML while authors type.

Generated from the pydantic model, with the configured severity levels and factor
categories as enums and the fields a complete post-mortem needs marked required.
"""

from __future__ import annotations

import json
from typing import Any

from postmortem_kb.config import KBConfig
from postmortem_kb.format.frontmatter import REQUIRED_FIELDS, FrontMatter


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
    for parent in {loc[0] for loc in REQUIRED_FIELDS if len(loc) == 2}:
        model_name = parent.capitalize()
        schema["$defs"][model_name]["required"] = [
            loc[1] for loc in REQUIRED_FIELDS if loc[:1] == (parent,) and len(loc) == 2
        ]
    return schema


def _described(prop: dict[str, Any]) -> dict[str, Any]:
    return {"description": prop["description"]} if "description" in prop else {}


def schema_json(config: KBConfig) -> str:
    return json.dumps(front_matter_schema(config), indent=2, ensure_ascii=False) + "\n"
