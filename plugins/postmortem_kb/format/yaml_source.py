"""Safe YAML loading that keeps the line of every key and value.

PyYAML's `safe_load` loses positions and silently keeps the last of two duplicate keys.
We compose the node graph with the safe loader, refuse any non-standard tag (nothing in a
file is ever executed or instantiated), and record where each value came from, so a
pydantic error on `timestamps.started` can be reported at that line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make

Location = tuple[str | int, ...]

_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}


@dataclass
class YamlDocument:
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Location) -> int:
        """The line of `location`, or of its nearest recorded parent."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(tuple(location[:end]))
            if line:
                return line
        return 1


# libyaml's parser when PyYAML was built with it (several times faster), else pure Python;
# both give nodes with positions, and the constructor is the safe one either way.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Aliases can expand a few lines into billions of nodes ("billion laughs"): cap the work.
_MAX_NODES = 20_000
_MAX_DEPTH = 50


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, path: str, first_line: int) -> None:
        self.loader = loader
        self.path = path
        self.offset = first_line - 1
        self.lines: dict[Location, int] = {}
        self.diagnostics: list[Diagnostic] = []
        self.budget = _MAX_NODES

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def build(self, node: yaml.Node, location: Location) -> Any:
        self.budget -= 1
        if self.budget < 0 or len(location) > _MAX_DEPTH:
            raise _TooLarge(node)
        self.lines.setdefault(location, self.line(node))
        if node.tag not in _STANDARD_TAGS:
            self.diagnostics.append(
                make(
                    self.path,
                    self.line(node),
                    "PM005",
                    f"tag {node.tag!r} is not allowed",
                    column=node.start_mark.column + 1,
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, location)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*location, i)) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as err:  # e.g. `2024-13-45` looks like a date
            self.diagnostics.append(
                make(
                    self.path,
                    self.line(node),
                    "PM003",
                    f"invalid value {node.value!r}: {err}",
                    column=node.start_mark.column + 1,
                )
            )
            return None

    def build_mapping(self, node: yaml.MappingNode, location: Location) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, location)
            if isinstance(key, (list, dict)) or key is None:
                self.diagnostics.append(
                    make(self.path, self.line(key_node), "PM006", "a key must be a plain name")
                )
                continue
            key = str(key)
            if key in result:
                first = self.lines.get((*location, key), 0)
                self.diagnostics.append(
                    make(
                        self.path,
                        self.line(key_node),
                        "PM004",
                        f"duplicate key {key!r} (first at line {first})",
                        column=key_node.start_mark.column + 1,
                    )
                )
                continue
            self.lines[(*location, key)] = self.line(key_node)
            result[key] = self.build(value_node, (*location, key))
        return result


def load_yaml(
    text: str, path: str, first_line: int
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse one YAML document. `first_line` is the file line of the text's first line."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as err:  # a control character YAML does not allow
        line = text[: err.position].count("\n") + first_line
        return None, [
            make(path, line, "PM003", f"character {err.character!r} is not allowed in YAML")
        ]
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None), []
        builder = _Builder(loader, path, first_line)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = (mark.line if mark else 0) + first_line
        column = (mark.column + 1) if mark else 1
        problem = err.problem or err.context or "invalid YAML"
        if err.context and err.problem and err.context_mark:
            problem = f"{err.context} (line {err.context_mark.line + first_line}), {problem}"
        return None, [make(path, line, "PM003", f"invalid YAML: {problem}", column=column)]
    except _TooLarge as err:
        line = err.node.start_mark.line + first_line
        return None, [make(path, line, "PM003", "the front matter is too large or nested too deep")]
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        return None, [make(path, first_line, "PM003", "the front matter is nested too deep")]
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + first_line
        return None, [
            make(path, line, "PM003", f"character {err.character!r} is not allowed in YAML")
        ]
    except yaml.YAMLError as err:
        return None, [make(path, first_line, "PM003", f"invalid YAML: {err}")]
    finally:
        loader.dispose()
    return YamlDocument(data, builder.lines), builder.diagnostics
