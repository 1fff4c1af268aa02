"""`pmkb init`: the files of a new knowledge-base repository, from the templates beside this
module, and writing them without ever replacing a file.

The CI templates are also the source of this repository's own workflows: rendered with
`REPOSITORY_CI` they are `.github/workflows/*.yml` here (a test keeps the two equal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

CI_CHOICES = ("github", "gitlab", "none")
TEMPLATES = files("postmortem_kb") / "scaffold" / "templates"
# Where each CI template goes in the repository.
CI_FILES = {
    "github": {
        "github/pull-request.yml": ".github/workflows/pull-request.yml",
        "github/publish.yml": ".github/workflows/publish.yml",
    },
    "gitlab": {"gitlab/gitlab-ci.yml": ".gitlab-ci.yml"},
    "none": {},
}
_PLACEHOLDER = re.compile(r"%\{(\w+)\}")
_DOT_PREFIX = "dot-"  # package data leaves out dotfiles: `dot-gitignore` is `.gitignore`


class InitError(Exception):
    """The knowledge base cannot be written (files exist already, a bad choice)."""


@dataclass(frozen=True)
class Settings:
    """The values the templates are filled with."""

    site_name: str = "Incident knowledge base"
    install: str = "python -m pip install -r requirements.txt"
    dependency_file: str = "requirements.txt"  # what the pip cache is keyed on
    python_version: str = "3.11"
    version: str = ""  # postmortem-kb's, for requirements.txt; default: the installed one

    def values(self) -> dict[str, str]:
        values = asdict(self)
        values["version"] = self.version or metadata.version("postmortem-kb")
        return values


# This repository is a knowledge base that installs postmortem-kb from its own source.
REPOSITORY_CI = Settings(install="python -m pip install -e .", dependency_file="pyproject.toml")


def render(template: str, values: Mapping[str, str]) -> str:
    """`template` with every `%{name}` replaced; an unknown name is a bug in the template."""

    def value(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise KeyError(f"template placeholder %{{{match[1]}}} has no value")
        return values[match[1]]

    return _PLACEHOLDER.sub(value, template)


def ci_files(ci: str, settings: Settings = Settings()) -> dict[str, str]:
    """The CI files for `ci` (github, gitlab or none): repository path -> text."""
    if ci not in CI_FILES:
        raise InitError(f"unknown CI {ci!r}: choose one of {', '.join(CI_CHOICES)}")
    values = settings.values()
    return {
        target: render((TEMPLATES / source).read_text(encoding="utf-8"), values)
        for source, target in CI_FILES[ci].items()
    }


def kb_files(settings: Settings = Settings()) -> dict[str, str]:
    """The knowledge base itself: mkdocs.yml, kb/, postmortems/, README and hooks."""
    values = settings.values()
    return {
        path: render(source.read_text(encoding="utf-8"), values)
        for path, source in _walk(TEMPLATES / "kb", "")
    }


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = entry.name.removeprefix(_DOT_PREFIX)
        name = f".{name}" if entry.name.startswith(_DOT_PREFIX) else name
        if entry.is_dir():
            found += _walk(entry, f"{prefix}{name}/")
        elif not entry.name.endswith((".pyc", ".pyo")):
            found.append((prefix + name, entry))
    return found


def scaffold(ci: str, settings: Settings = Settings()) -> dict[str, str]:
    """Every file of a new knowledge base with the CI files for `ci`: path -> text."""
    return {**kb_files(settings), **ci_files(ci, settings)}


def init_kb(target: Path, ci: str, settings: Settings = Settings()) -> list[Path]:
    """Write a new knowledge base into `target` (created if need be) and return the files
    written. Nothing is written if any of them exists already."""
    planned = {target / path: text for path, text in scaffold(ci, settings).items()}
    existing = sorted(str(path) for path in planned if path.exists() or path.is_symlink())
    if existing:
        shown = ", ".join(existing[:5]) + (
            f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        )
        raise InitError(f"not overwriting existing files: {shown}")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(planned)
